// The CPU-bound / GPU-bound verdict (docs/metrics.md, "Bound"), one rule for analyze's text and
// JSON, the HTML report, sweep, fusion and SQLite: they all read LaunchAnalysis::bound.
#pragma once

#include <string_view>

#include "analysis/launch.h"

namespace infertrace {

// Sets a.bound ("cpu", "gpu") from the launch and queue parts, or leaves it empty with
// a.bound_undefined_reason saying why there is nothing to judge: no linked launch call; an empty
// inference-latency window together with clamped launch latencies or a TKLQT of 0 (the GPU work
// ends before the window starts and the host and GPU clocks disagree); or a TKLQT of 0 (every
// kernel started at or before its launch call, so both parts are 0 and "launch part >= queue part"
// would hold for no measured reason); or GPU work of correlation ids that several merged processes
// share left unresolved (shared_id_activities_unresolved: the parts may link one rank's calls to
// another's kernels). An empty window alone keeps the verdict: the parts are per
// launch call. A verdict from the unclamped launches of a trace with some clamped ones stands.
// Needs the IL window, the TKLQT parts and clock_skew_clamped already computed; reads operators.
void decide_bound(LaunchAnalysis& a);

// The share of the inference latency the GPU sits idle from which a GPU-bound verdict no longer
// means "the GPU is the limit": the queue part sums each launch call's wait, so bursts of queued
// kernels make a trace GPU-bound even when the GPU has nothing to do for most of the run (an H100
// BERT trace at batch 32: GPU-bound, GPU idle 55.6%). The HTML findings, `fusion`'s advice,
// `sweep`'s sentence and analyze's bound row all split on it, so none advises "only faster kernels
// help" while another says the host's gaps matter as much.
inline constexpr double kBurstyGpuIdleShare = 0.5;

// Whether the verdict is GPU-bound and the GPU idles at least kBurstyGpuIdleShare of the inference
// latency (false for any other verdict and for an empty window, which has no idle share).
bool gpu_bound_in_bursts(std::string_view bound, ns_t gpu_idle, ns_t inference_latency);

// The share of the inference latency the GPU sits idle below which a CPU-bound verdict no longer
// means "the host cannot keep the GPU fed" (review AK M1), the mirror of kBurstyGpuIdleShare. The
// verdict compares the launch and queue parts per launch call: a host that synchronizes after every
// kernel launches each one onto an empty queue (queue part 0), so the trace is CPU-bound while the
// GPU is busy 99.9% of the run. GPU idle is the most that removing launch overhead (fusing kernels,
// CUDA graphs) can take off the run while the GPU work stays the same, so below a tenth the advice
// to fuse would promise under 10%; 10% is also well under the GPU idle of the launch-bound traces
// fusion is meant for (the H100 GPT-2 and BERT fixtures at small batches idle far more). The same
// rule for analyze's bound row (text, JSON "cpu_bound_gpu_busy", HTML), the HTML findings and sweep.
inline constexpr double kBusyGpuIdleShare = 0.1;

// Whether the verdict is CPU-bound and the GPU idles less than kBusyGpuIdleShare of the inference
// latency (false for any other verdict and for an empty window, which has no idle share).
bool cpu_bound_gpu_busy(std::string_view bound, ns_t gpu_idle, ns_t inference_latency);

// The bound row's meaning for such a verdict, one wording for the terminal and the HTML report:
// gpu is idle_gpu_words()'s subject, gpu_idle_pct and sync_pct are formatted shares of the
// inference latency; sync_pct is "" when the launching thread spent no time in syncs (or it is
// unknown).
std::string cpu_bound_gpu_busy_meaning(const std::string& gpu, const std::string& gpu_idle_pct, const std::string& sync_pct);

// Several devices (review AK M2): the caveats above and sweep's balance judge the GPU by its most
// idle device (LaunchAnalysis::most_idle_device), not by the union of all devices, which reads
// busy while the devices take turns. The subject the sentences name: "the GPU" with one device (or
// none known), "device N, the most idle of K GPUs," with several.
std::string idle_gpu_words(size_t devices, int64_t most_idle_device);

// "only " before a GPU-bound trace's idle share below a quarter of the inference latency, else
// nothing: "idle only 43.4%" read oddly for a GPU idle almost half the time (review FU-6). The one
// rule for fusion's verdict and the HTML finding.
inline constexpr double kIdleWordedAsOnly = 0.25;
inline const char* idle_only_word(double idle_share) { return idle_share < kIdleWordedAsOnly ? "only " : ""; }

}  // namespace infertrace
