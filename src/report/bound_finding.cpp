#include "report/bound_finding.h"

#include <fmt/format.h>

#include "analysis/bound_verdict.h"
#include "util/units.h"

namespace infertrace::html {

namespace {
double share(ns_t part, ns_t whole) { return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0; }
}  // namespace

std::string bound_finding(const std::string& label, const BoundFigures& f) {
  if (f.bound.empty()) return "";
  // By the most idle device (review AK M2): with one device that is GPU idle, with several the
  // union would read busy while they take turns.
  const double gpu_idle = share(f.gpu_idle, f.inference_latency);
  if (f.inference_latency <= 0) {
    // A verdict with an empty IL window (an operator that starts after the GPU work; decide_bound
    // keeps it when no latency was clamped): the parts are measured, an idle share of nothing is
    // not, and "idle only 0.0%" would read as "never idle".
    const bool gpu = f.bound == "gpu";
    return fmt::format(
        "{}: {} (the {} part is {} of {} TKLQT); the inference-latency window is empty (the GPU work ends before "
        "the first top-level operator starts), so there is no idle share to weigh it with.",
        label, gpu ? "GPU-bound" : "CPU-bound (launch-dominated)", gpu ? "queue" : "launch",
        format_pct(share(gpu ? f.tklqt_queue : f.tklqt_launch, f.tklqt)), format_ns(f.tklqt));
  }
  if (f.cpu_bound_gpu_busy)
    // Review AK M1: the launches found an empty queue because the host waited, not because it was slow.
    return fmt::format(
        "{}: CPU-bound by the launch criterion (launch part {} of {} TKLQT), yet {} is idle only {} of the {} "
        "inference latency{}: the launches find an empty queue because the host waits for the GPU, so {}fusing "
        "kernels or CUDA graphs would save at most that idle time.",
        label, format_pct(share(f.tklqt_launch, f.tklqt)), format_ns(f.tklqt), f.gpu, format_pct(gpu_idle),
        format_ns(f.inference_latency),
        f.host_sync ? " (the launching thread is in syncs " + format_pct(share(*f.host_sync, f.inference_latency)) + " of it)"
                    : std::string(),
        f.host_sync ? "removing or deferring the syncs lets launches queue ahead; " : "");
  if (f.bound == "cpu")
    return fmt::format(
        "{}: CPU-bound (launch-dominated). The launch part is {} of {} TKLQT and {} sits idle {} of the {} "
        "inference latency: fewer, larger kernels (fusion) or CUDA graphs would pay off.",
        label, format_pct(share(f.tklqt_launch, f.tklqt)), format_ns(f.tklqt), f.gpu, format_pct(gpu_idle),
        format_ns(f.inference_latency));
  if (!gpu_bound_in_bursts(f.bound, f.gpu_idle, f.inference_latency))
    return fmt::format(
        "{}: GPU-bound. Kernels wait in the queue for {} of {} TKLQT; {} is idle {}{} of the {} inference "
        "latency, so faster kernels help more than launch savings.",
        label, format_pct(share(f.tklqt_queue, f.tklqt)), format_ns(f.tklqt), f.gpu, idle_only_word(gpu_idle),
        format_pct(gpu_idle), format_ns(f.inference_latency));
  // The queue criterion sums waits per launch, so bursts of queued kernels make a trace GPU-bound
  // even when the GPU has nothing to do for most of the run: "idle only 55%" and "faster kernels
  // help" would then be false, so the sentence says what the idle share shows.
  return fmt::format(
      "{}: GPU-bound by the queue criterion (kernels wait in the queue for {} of {} TKLQT), yet {} is idle "
      "{} of the {} inference latency: kernels queue in bursts with host-side gaps between them, so shortening "
      "the host's work between bursts matters as much as faster kernels.",
      label, format_pct(share(f.tklqt_queue, f.tklqt)), format_ns(f.tklqt), f.gpu, format_pct(gpu_idle),
      format_ns(f.inference_latency));
}

}  // namespace infertrace::html
