#include "analysis/bound_verdict.h"

#include <string>

namespace infertrace {

namespace {

// Where the IL window starts (analysis/launch.cpp, LaunchAnalysis::t_begin_from): at the first
// top-level operator when the trace has operators, else at the first host event, else (or with GPU
// work before the first recorded call) at the first GPU activity.
std::string window_start(const LaunchAnalysis& a) {
  if (a.t_begin_from == "gpu_activity") return "the first GPU activity";
  return a.operators > 0 ? "the first top-level operator" : "the first host event";
}

std::string clamped_calls(int64_t n) {
  return std::to_string(n) + (n == 1 ? " launch call had its" : " launch calls had their") +
         " GPU work start before the call (host and GPU clocks disagree)";
}

}  // namespace

void decide_bound(LaunchAnalysis& a) {
  a.bound.clear(), a.bound_undefined_reason.clear();
  // An empty IL window is no reason by itself: the parts are measured per launch call, not inside
  // the window (a trace whose only operator starts after the GPU work still has them). It only
  // counts as evidence of broken clocks together with clamped latencies or a TKLQT of 0.
  const bool window_empty = a.inference_latency <= 0;
  if (a.linked_launch_calls == 0) {
    a.bound_undefined_reason = "no launch call is linked to GPU work";
  } else if (window_empty && (a.clock_skew_clamped > 0 || a.tklqt <= 0)) {
    a.bound_undefined_reason = "the inference-latency window is empty: the GPU work ends before " + window_start(a) +
                               (a.clock_skew_clamped > 0 ? ", and " + clamped_calls(a.clock_skew_clamped)
                                                         : ", and TKLQT is 0");
  } else if (a.tklqt <= 0) {
    a.bound_undefined_reason = "TKLQT is 0: every kernel started at or before its launch call" +
                               (a.clock_skew_clamped > 0 ? " (" + std::to_string(a.clock_skew_clamped) +
                                                               " clamped: clock skew)"
                                                         : std::string()) +
                               ", so there is no launch or queue time to compare";
  } else if (a.shared_id_activities_unresolved > 0) {
    // A merged trace whose processes share correlation ids and cannot be told apart by device
    // (launch_merged_ids.h): those ids' GPU work links to whichever process's call started first,
    // so a launch's latency can run to another rank's kernel (a rank whose GPU starts earlier
    // turns its neighbour's queue part into 0). The parts mix processes, and the comparison with
    // them (review MX M2): analyzed on its own, each rank's trace links exactly.
    const int64_t n = a.shared_id_activities_unresolved;
    a.bound_undefined_reason = std::to_string(n) + (n == 1 ? " GPU activity" : " GPU activities") +
                               " of correlation ids that several processes share could not be linked to one "
                               "process (no one process is known to launch on their device), so the launch and "
                               "queue parts may mix processes: analyze each process's trace on its own";
  } else {
    a.bound = a.tklqt_queue > a.tklqt_launch ? "gpu" : "cpu";
  }
  // By the most idle device (review AK M2): with one device that is GPU idle.
  a.cpu_bound_gpu_busy = cpu_bound_gpu_busy(a.bound, a.most_idle_gpu_idle(), a.inference_latency);
}

bool cpu_bound_gpu_busy(std::string_view bound, ns_t gpu_idle, ns_t inference_latency) {
  return bound == "cpu" && inference_latency > 0 &&
         static_cast<double>(gpu_idle) < kBusyGpuIdleShare * static_cast<double>(inference_latency);
}

std::string idle_gpu_words(size_t devices, int64_t most_idle_device) {
  if (devices <= 1) return "the GPU";
  return "device " + std::to_string(most_idle_device) + ", the most idle of " + std::to_string(devices) + " GPUs,";
}

std::string cpu_bound_gpu_busy_meaning(const std::string& gpu, const std::string& gpu_idle_pct, const std::string& sync_pct) {
  return "launch part >= queue part, yet " + gpu + " is idle only " + gpu_idle_pct + " of inference latency: " +
         (sync_pct.empty()
              ? std::string("each launch found an empty queue because the host launched only once the GPU had "
                            "finished earlier work")
              : "each launch found an empty queue because the host waited for the GPU (in syncs " + sync_pct +
                    " of inference latency), so removing or deferring the syncs lets launches queue ahead") +
         "; fusing kernels or CUDA graphs would save at most that idle time";
}

bool gpu_bound_in_bursts(std::string_view bound, ns_t gpu_idle, ns_t inference_latency) {
  return bound == "gpu" && inference_latency > 0 &&
         static_cast<double>(gpu_idle) >= kBurstyGpuIdleShare * static_cast<double>(inference_latency);
}

}  // namespace infertrace
