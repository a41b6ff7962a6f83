#include "report/analyze_rows.h"

#include "analysis/bound_verdict.h"
#include "analysis/launch_count_bound.h"
#include "util/units.h"

namespace infertrace {

namespace {
double share(ns_t part, ns_t whole) { return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0; }
}  // namespace

std::string il_share_text(ns_t part, ns_t inference_latency) {
  return inference_latency > 0 ? format_pct(share(part, inference_latency)) : "-";
}

std::string gpu_idle_meaning(const LaunchAnalysis& a) {
  return il_share_text(a.gpu_idle, a.inference_latency) + " of inference latency" +
         (a.by_device.size() > 1 ? ", union of " + std::to_string(a.by_device.size()) + " devices" : "");
}

// Several devices (review AK M2): the union reads busy while they take turns; each device's idle
// is in the GPU devices table, and the most idle one is what the bound row judges by.
bool has_most_idle_device_row(const LaunchAnalysis& a) { return a.by_device.size() > 1; }

std::string most_idle_device_meaning(const LaunchAnalysis& a) {
  return "device " + std::to_string(a.most_idle_device) + ", " +
         il_share_text(a.most_idle_gpu_idle(), a.inference_latency) +
         " of inference latency (per device: GPU devices below; the bound row judges by it)";
}

LaunchCallsCell launch_calls_cell(const Trace& t, const LaunchAnalysis& a, const char* at_least) {
  const LaunchCountBound b = launch_count_bound(t);
  const bool marked = b.lower_bound && a.launch_calls > 0;  // (no count to mark: 0 calls counted)
  return {(marked ? at_least : "") + format_count(a.launch_calls),
          format_count(a.linked_launch_calls) + " linked to GPU work, " + format_count(a.graph_launches) + " graph launches" +
              (b.lower_bound ? "; a lower bound: " + b.cause : "")};
}

std::string bound_value(const LaunchAnalysis& a) { return a.bound.empty() ? "-" : a.bound == "cpu" ? "CPU" : "GPU"; }

std::string bound_meaning(const LaunchAnalysis& a) {
  if (a.bound.empty()) return "undefined: " + a.bound_undefined_reason;
  const std::string gpu = idle_gpu_words(a.by_device.size(), a.most_idle_device);
  const std::string idle = format_pct(share(a.most_idle_gpu_idle(), a.inference_latency));
  if (a.cpu_bound_gpu_busy)
    return cpu_bound_gpu_busy_meaning(
        gpu, idle, a.host_undefined() || a.host_sync <= 0 ? std::string() : format_pct(share(a.host_sync, a.inference_latency)));
  if (a.bound == "cpu") return "launch part >= queue part: the host cannot keep the GPU fed";
  if (gpu_bound_in_bursts(a.bound, a.most_idle_gpu_idle(), a.inference_latency))
    return "queue part > launch part, yet " + gpu + " is idle " + idle +
           " of inference latency: work waits for the GPU in bursts, with host-side gaps between them";
  return "queue part > launch part: work waits for the GPU";
}

}  // namespace infertrace
