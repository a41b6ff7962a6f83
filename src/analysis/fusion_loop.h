// The closed loop of issue 8 (docs/fusion.md, "Closed loop"): what proximity-score fusion predicts
// from an eager trace of decode steps, against what the engine measured when it really fused
// (fused mode) or replayed a CUDA graph (graph mode). Works on analysis results and plain figures,
// so it is tested without any trace file or GPU.
//
// Predicted speedup (SKIP's launch accounting, docs/metrics.md sections 2 and 4): fusing removes
// launches, and on a CPU-bound (launch-dominated) trace the launch time they cost comes off the
// inference latency IL, never below the GPU's busy time:
//   predicted IL = max(GPU busy, IL - launch time saved),  predicted speedup = IL / predicted IL.
// On a GPU-bound trace the method predicts no gain (launches hide behind queued work): speedup 1.
// Measured speedup = decode tokens/s of the mode / decode tokens/s of the eager baseline.
// Prediction error = predicted speedup / measured speedup - 1 (positive: the prediction was high).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/fusion.h"
#include "analysis/launch.h"

namespace infertrace {

// One `engine run --json` result (docs/engine-cuda.md), as far as the loop needs it.
struct MeasuredRun {
  std::string mode;    // "eager", "fused", "graph"
  std::string source;  // file it was read from
  int64_t n_seq = 1;
  int64_t decode_steps = 0;       // n_decode_evals
  double tg_tokens_per_s = 0;     // decode tokens/s (all sequences)
  int64_t launches_per_step = 0;  // host launches the engine counted in its last decode step
  int64_t kernels_per_step = 0;   // kernels in that step (graph: the graph's kernels)
};

// The figures of one fusion length, per decode step where it says so.
struct LoopPrediction {
  int length = 0;
  double kernels_per_step = 0;           // K_fused / steps: launches left after fusing
  double launches_removed_per_step = 0;  // (K_eager - K_fused) / steps
  ns_t launch_time_saved = 0;            // over all steps of the trace
  double ideal_speedup = 1;              // K_eager / K_fused (SKIP Eq. 8)
  ns_t predicted_il = 0;
  double predicted_speedup = 1;
};

// The prediction for a measured mode if exactly its launches were removed, each saving the eager
// trace's mean launch part: separates "the fusion the tool found differs from the engine's" from
// "the launch-time model is off".
struct LaunchMatched {
  double launches_removed_per_step = 0;
  ns_t launch_time_saved = 0;
  ns_t predicted_il = 0;
  double predicted_speedup = 1;
  double error = 0;
};

struct LoopComparison {
  MeasuredRun run;
  double measured_speedup = 0;  // run tg / baseline tg
  double best_error = 0;        // best prediction's speedup / measured - 1
  LaunchMatched matched;
};

struct FusionLoop {
  // The eager trace (already cut to the decode steps).
  int64_t decode_steps = 0;
  double kernels_per_step = 0;       // kernels in the trace / steps
  int64_t engine_kernels_per_step = 0;  // what the recorded run itself counted (a completeness check)
  ns_t inference_latency = 0, gpu_busy = 0, launch_part_total = 0;
  double mean_launch_part = 0;  // launch part per kernel with a launch call
  std::string bound;            // "cpu", "gpu" or "" (no verdict: analysis/bound_verdict.h)
  std::string bound_undefined_reason;  // why there is no verdict (LaunchAnalysis's), when bound is ""
  double recorded_tg = 0;       // tokens/s of the recorded run (the recorder's overhead included)
  MeasuredRun baseline;         // eager tokens/s the speedups are measured against
  double threshold = 1;
  std::vector<LoopPrediction> predictions;  // ascending length
  int best_length = 0;                      // highest predicted speedup (then ideal speedup, then shorter)
  std::vector<LoopComparison> comparisons;  // one per measured non-eager run, in the order given
  // Doubts about the decode window the trace was cut by (analysis/decode_window_check.h, set by
  // the caller): every per-step figure rests on it, so the summary repeats them (review DW M2).
  std::vector<std::string> window_doubts;
};

// IL after removing `saved` of launch time: max(GPU busy, IL - saved) when CPU-bound, else IL.
ns_t loop_predicted_il(const std::string& bound, ns_t il, ns_t gpu_busy, ns_t saved);

// `recorded`: the run whose trace was analyzed (its steps normalize per-step figures);
// `baseline`: the eager run the measured speedups are against (may be `recorded` itself);
// `measured`: the other modes. Throws UsageError when the runs' sequence counts differ, when the
// recorded run has no decode step, or when the baseline has no tokens/s.
FusionLoop analyze_fusion_loop(const FusionResult& fusion, const LaunchAnalysis& launch, const MeasuredRun& recorded,
                               const MeasuredRun& baseline, const std::vector<MeasuredRun>& measured);

}  // namespace infertrace
