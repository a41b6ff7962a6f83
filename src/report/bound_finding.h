// The HTML report's CPU-/GPU-bound finding, one sentence for a trace analyzed on the spot and for a
// saved `analyze --json` (review HR L2: a saved analysis on its own had no findings at all).
#pragma once

#include <optional>
#include <string>

#include "trace/trace.h"

namespace infertrace::html {

// What the sentence needs from an analysis (LaunchAnalysis, or the figures analyze --json wrote).
struct BoundFigures {
  std::string bound;  // "cpu", "gpu"; empty: no verdict (no sentence)
  bool cpu_bound_gpu_busy = false;
  ns_t tklqt = 0, tklqt_launch = 0, tklqt_queue = 0, inference_latency = 0;
  ns_t gpu_idle = 0;            // the most idle device's (analysis/bound_verdict.h, review AK M2)
  std::string gpu = "the GPU";  // idle_gpu_words()'s subject
  std::optional<ns_t> host_sync;  // the launching thread's time in syncs, when known and above 0
};

// "LABEL: CPU-bound (launch-dominated). ..." and its caveats; "" when there is no verdict.
std::string bound_finding(const std::string& label, const BoundFigures& f);

}  // namespace infertrace::html
