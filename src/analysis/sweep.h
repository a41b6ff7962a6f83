// Batch sweeps (docs/metrics.md section 3): the launch/queue figures of one model's traces at
// several batch sizes, the CPU-bound to GPU-bound transition and the balanced region. Works on
// LaunchAnalysis results, so it is tested without any trace file.
#pragma once

#include <map>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/launch.h"

namespace infertrace {

struct SweepPoint {
  int64_t batch = 0;
  std::string source;  // file the figures came from
  int64_t kernels = 0;
  ns_t tklqt = 0, tklqt_launch = 0, tklqt_queue = 0;
  ns_t inference_latency = 0, gpu_idle = 0, cpu_idle = 0;
  std::string bound;  // "cpu", "gpu", or "" (no verdict: see no_verdict_reason)
  std::string bound_undefined_reason;  // LaunchAnalysis's, when bound is "" and the trace has GPU work
  // The trace has no GPU activity (a CPU-only profile): the figures above are undefined, and every
  // output shows them so ("-", null), not as 0 (docs/analyze.md).
  bool no_gpu = false;
  // Launches not measured (Trace::launch_coverage): TKLQT, its parts, CPU idle and the bound are
  // unknown (null, "-"), and the point gives no verdict; `launch_note` says why. A partial
  // recording keeps its figures and its note says what they leave out.
  bool launches_unmeasured = false;
  std::string launch_note;
  double gpu_idle_share = 0, cpu_idle_share = 0;  // of IL (0 when IL is 0)
  bool balanced = false;                          // both shares below 50%
  // What the figures do not include: input events the reader could not use (the trace's
  // `skipped`, set by the caller) and orphans of the launch analysis.
  std::map<std::string, int64_t> skipped;
  int64_t orphan_activities = 0, orphan_launch_calls = 0;
  // LaunchAnalysis::host_undefined_reason: no launching thread, so CPU idle (and its share) is
  // unknown and the point is not balanced. "" when CPU idle is measured.
  std::string host_undefined_reason;
  // The launching thread's annotation ranges and CPU idle without them (host_annotations.h), and
  // the trace's ProfilerStep# ranges.
  int64_t launch_thread_annotations = 0;
  ns_t cpu_idle_without_annotations = 0;
  double cpu_idle_without_annotations_share = 0;  // of IL (0 when IL is 0)
  int64_t profiler_steps = 0;
  // LaunchAnalysis::skipped_gpu_events: with no_gpu, the trace's GPU events were all left out, and
  // its reason says so (no_gpu_reason).
  int64_t skipped_gpu_events = 0;
  // LaunchAnalysis::clock_skew_clamped and linked_launch_calls: launch latencies that were negative
  // (GPU start before its launch call: clock skew) and clamped to 0, of the linked launch calls
  // (review SW M2: analyze reported them, sweep did not).
  int64_t clock_skew_clamped = 0, linked_launch_calls = 0;
  // LaunchAnalysis::cpu_bound_gpu_busy (cleared with the verdict when launches are unmeasured) and
  // the launching thread's sync time: a CPU-bound batch whose GPU is busy nearly all the run, where
  // the sweep sentence advises removing syncs rather than fusing (review AK M1).
  bool cpu_bound_gpu_busy = false;
  ns_t host_sync = 0;
  // The GPU devices and LaunchAnalysis::most_idle_device_idle with its share of IL (0 when IL is 0):
  // the balance and the bursts caveat judge by that device, not by the union (review AK M2).
  int64_t devices = 0;
  ns_t most_idle_device_idle = 0;
  double most_idle_device_share = 0;
  // Names the reader kept with characters replaced (the trace's `names_cleaned`, set by the caller):
  // their events are used, as analyze and fusion say (review DJ M1).
  std::map<std::string, int64_t> names_cleaned;
  // LaunchAnalysis::t_begin_from: what the point's IL starts at. Points whose ILs start at different
  // events (a Kineto trace's first operator, a recording's first CUDA call) have idle shares that
  // are not like for like: the summary says so (review DW L1).
  std::string t_begin_from;
  // `sweep --decode-window`: the run document the trace was cut by ("" when not cut), its window,
  // its decode steps, whether the batch came from its n_seq (no --label), and the doubts
  // decode_window_doubts() has about the cut (review DW M1, L2: the output never said it was cut).
  std::string decode_window_source;
  ns_t decode_window_from = 0, decode_window_to = 0;
  int64_t decode_steps = 0;
  bool batch_from_run = false;
  std::vector<std::string> decode_window_doubts;
  // LaunchAnalysis::akd_ns, the mean kernel duration (SKIP Eq. 3): how the kernels grow with the
  // batch, beside TKLQT (review DW L6). Undefined (null, "-") without kernels.
  double akd_ns = 0;
  // The names of the operators the trace runs at the top level (in no other operator of their
  // thread), sorted, distinct; empty without operators (a recording). One model runs the same ones
  // at every batch size (its nested operators may differ: BERT's bs1 trace lacks aten::clone
  // under them), so points whose sets differ may not be one model (review MA L5).
  std::vector<std::string> top_level_operators{};
  // LaunchAnalysis::most_idle_device: the device the sentence names where several GPUs idle in
  // bursts (review CS L1: it printed the key name most_idle_device_share). -1 when none.
  int64_t most_idle_device{-1};
  // The GPU models the trace ran on (trace/gpu_models.h); empty when it does not say.
  std::vector<std::string> gpu_models{};
  // The batch of an earlier trace of this sweep whose file holds the same bytes (one capture under
  // two batch names: review CS L4), 0 when none; set by the caller. The summary cautions.
  int64_t same_bytes_as{};
  // The batch the trace's file name says (bs<N>) where --label gave another (review CS L5), 0 when
  // they agree or the name says none; set by the caller. The summary cautions.
  int64_t file_name_batch{};
};

// Whether a point's CPU-/GPU-bound verdict rests on clamped launch latencies: it has one, and more
// than half of its linked launch calls had their latency clamped to 0 (clock skew), so its TKLQT
// and both parts come from the few left (docs/fusion.md). The verdict stands (analyze gives the
// same); the sweep's sentence says this beside it.
bool verdict_on_clamped_latencies(const SweepPoint& p);

// "246 of 247 launch latencies clamped to 0 (GPU start before its launch call: clock skew)"; "" when
// none was clamped.
std::string clamped_latencies_text(const SweepPoint& p);

// Why a point has no CPU-/GPU-bound verdict, in the words the sweep sentence and JSON use: no GPU
// activity, launches not measured (the recording's note), or the analysis's own reason (no linked
// launch call, clock skew, TKLQT 0). Empty when the point has a verdict.
std::string no_verdict_reason(const SweepPoint& p);

struct BatchRange {
  int64_t from = 0, to = 0;
};

struct SweepResult {
  std::vector<SweepPoint> points;           // ascending batch
  std::optional<int64_t> transition_batch;  // smallest batch from which every larger one is GPU-bound
  // Balanced batches (both idle shares < 50%) and their span; when they are not contiguous in the
  // sweep, `balanced_region` is the longest contiguous run (the earliest one on a tie).
  std::vector<int64_t> balanced_batches;
  std::optional<BatchRange> balanced_region;
  std::string summary;  // what to do, in one or two sentences
  // Batches whose top-level operators differ from those of the smallest batch with operators
  // (SweepPoint::top_level_operators): the summary says the traces may not be one model.
  std::vector<int64_t> operators_differ{};
  // Batches whose GPU models differ from those of the smallest batch that names its models
  // (SweepPoint::gpu_models): the summary says the figures compare machines too (review CS M2).
  std::vector<int64_t> gpu_models_differ{};
};

// A share of IL as the sweep's tables and sentence write it: format_pct, with the digits that keep
// it off "50.0%" where it is not exactly half, up to 6 decimals, then "<50.0%" or ">50.0%"
// (0.49999 reads "49.999%": "balanced" needs under half; review CS L2, WD56 M3). One text for the
// terminal table, the HTML report's table of sweep --json and the several-GPUs sentence.
std::string sweep_share_text(double share);

SweepPoint sweep_point(int64_t batch, const std::string& source, const LaunchAnalysis& a,
                       const LaunchCoverage& coverage = {});

// SweepPoint::top_level_operators of the trace `a` was made from.
std::vector<std::string> top_level_operator_names(const Trace& t, const LaunchAnalysis& a);

// Sorts by batch; throws UsageError when a batch size appears twice.
SweepResult analyze_sweep(std::vector<SweepPoint> points);

// Batch size from a file name's "bs<N>" (gpt2_prefill_bs16.json.gz -> 16), or nullopt. Throws
// UsageError when N is beyond int64, as --label bs=N does (review SW L2: it was cut to its first digits),
// when the name holds two different positive N, and when its only bs<N> is bs0 (no batch size).
std::optional<int64_t> batch_from_file_name(const std::string& path);

}  // namespace infertrace
