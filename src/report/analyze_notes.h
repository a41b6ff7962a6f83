// The words analyze's outputs (terminal, HTML) use for what decides a host figure or shapes the IL
// window: annotation ranges in host active, several profiler steps, correlation ids of merged
// processes (docs/analyze.md, "Annotations and profiler steps", "Merged processes").
// (Why the launch figures are undefined without GPU activity, "no GPU activity in the trace" or "no
// usable GPU activity (N GPU events skipped: see skipped)", is analysis/launch.h's no_gpu_reason():
// sweep, in it_analysis, writes it too.)
#pragma once

#include <cstdint>
#include <string>

namespace infertrace {

// Meaning of CPU idle without annotations: `share_of_il` ("12.3% of inference latency"), then what
// the `n` annotation ranges of the launching thread do and host active without them
// (`host_active`, formatted).
std::string without_annotations_meaning(const std::string& share_of_il, int64_t n, const std::string& host_active);

// Meaning of the profiler-step count when there is more than one step in the trace.
std::string profiler_steps_meaning(int64_t steps);

// Meaning of the duplicate correlation calls, and of those whose correlation id a call of another
// process owns.
extern const char* const kDuplicateCallsMeaning;
extern const char* const kOtherProcessIdsMeaning;
// The rows of shared_id_activities_by_device and shared_id_activities_unresolved (docs/analyze.md,
// "Merged processes").
extern const char* const kSharedIdsByDeviceMeaning;
extern const char* const kSharedIdsUnresolvedMeaning;

}  // namespace infertrace
