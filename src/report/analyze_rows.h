// The meanings of analyze's summary rows whose wording depends on the analysis (several GPU
// devices, the bound verdict's caveats): one text for the terminal (analyze_text.cpp) and the HTML
// report's trace section (html_trace_sections.cpp), which once lacked the multi-device rows and the
// caveats the terminal had (review HR M3).
#pragma once

#include <string>

#include "analysis/launch.h"
#include "trace/trace.h"

namespace infertrace {

// A share of the inference latency; "-" when the window is empty (0/0 is unknown, not "0.0%").
std::string il_share_text(ns_t part, ns_t inference_latency);

// "X% of inference latency", with ", union of N devices" when there are several.
std::string gpu_idle_meaning(const LaunchAnalysis& a);

// Whether the summary has a "most idle device" row (several devices), and its meaning.
bool has_most_idle_device_row(const LaunchAnalysis& a);
std::string most_idle_device_meaning(const LaunchAnalysis& a);

// The summary rows that are GPU measurements, written "-" with the reason when the trace has no GPU
// work (LaunchAnalysis::gpu_undefined): the same rows in the terminal and the HTML report (review
// HT M1: the page of a recording without CUPTI lost them).
inline constexpr const char* kGpuUndefinedRows[] = {"TKLQT", "  launch part", "  queue part", "API time", "AKD",
                                                    "inference latency", "GPU busy", "GPU idle", "CPU idle", "bound"};

// The "launch calls" row's value and meaning from a trace: the count, marked `at_least` (">= " in
// the terminal, "≥ " on the page) with the cause in the meaning when it is a lower bound
// (launch_count_bound: the recorder lost records that may be launch calls; review RL57 L3). The
// terminal and the HTML trace section both write it; the trace page had no mark.
struct LaunchCallsCell {
  std::string value, meaning;
};
LaunchCallsCell launch_calls_cell(const Trace& t, const LaunchAnalysis& a, const char* at_least);

// The bound row's value ("CPU", "GPU", "-") and meaning: the verdict's rule, or its caveat when the
// GPU (the most idle device) is busy nearly all the run or idle in bursts (analysis/bound_verdict.h).
std::string bound_value(const LaunchAnalysis& a);
std::string bound_meaning(const LaunchAnalysis& a);

}  // namespace infertrace
