// The words analyze's outputs (terminal, HTML) use for what decides a host figure or shapes the IL
// window: annotation ranges in host active, several profiler steps, correlation ids of merged
// processes (docs/analyze.md, "Annotations and profiler steps", "Merged processes").
#pragma once

#include <cstdint>
#include <string>

namespace infertrace {

// "1 annotation range (ProfilerStep#, record_function)" / "N annotation ranges (...)".
std::string annotation_ranges_text(int64_t n);

// Meaning of the profiler-step count when there is more than one step in the trace.
std::string profiler_steps_meaning(int64_t steps);

// Meaning of the duplicate launch calls whose correlation id a call of another process owns.
extern const char* const kOtherProcessIdsMeaning;

}  // namespace infertrace
