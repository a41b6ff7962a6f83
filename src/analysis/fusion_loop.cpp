#include "analysis/fusion_loop.h"

#include <algorithm>

#include "util/error.h"

namespace infertrace {

namespace {

double speedup_of(ns_t il, ns_t predicted_il) {
  return predicted_il > 0 ? static_cast<double>(il) / static_cast<double>(predicted_il) : 1.0;
}

void check_runs(const MeasuredRun& recorded, const MeasuredRun& baseline, const std::vector<MeasuredRun>& measured) {
  if (recorded.decode_steps <= 0)
    throw UsageError(recorded.source + ": the recorded run has no decode step (n_decode_evals is 0): nothing to compare");
  if (!(baseline.tg_tokens_per_s > 0))
    throw UsageError(baseline.source + ": the eager baseline has no decode tokens/s");
  // Tokens/s of different batch sizes are not comparable as speedups.
  auto same_batch = [&](const MeasuredRun& r) {
    if (r.n_seq != recorded.n_seq)
      throw UsageError(r.source + ": batch " + std::to_string(r.n_seq) + ", but the recorded eager run has batch " +
                       std::to_string(recorded.n_seq) + "; compare runs of one batch size");
  };
  same_batch(baseline);
  for (const MeasuredRun& r : measured) {
    same_batch(r);
    if (!(r.tg_tokens_per_s > 0)) throw UsageError(r.source + ": no decode tokens/s (n_decode_evals is 0)");
  }
}

}  // namespace

ns_t loop_predicted_il(const std::string& bound, ns_t il, ns_t gpu_busy, ns_t saved) {
  if (bound != "cpu") return il;
  return std::max(gpu_busy, il - saved);
}

FusionLoop analyze_fusion_loop(const FusionResult& fusion, const LaunchAnalysis& launch, const MeasuredRun& recorded,
                               const MeasuredRun& baseline, const std::vector<MeasuredRun>& measured) {
  check_runs(recorded, baseline, measured);
  FusionLoop loop;
  const double steps = static_cast<double>(recorded.decode_steps);
  loop.decode_steps = recorded.decode_steps;
  loop.kernels_per_step = static_cast<double>(fusion.kernels) / steps;
  loop.engine_kernels_per_step = recorded.kernels_per_step;
  loop.inference_latency = launch.inference_latency;
  loop.gpu_busy = launch.gpu_busy;
  loop.launch_part_total = fusion.launch_part_total;
  const int64_t with_call = fusion.kernels - fusion.unlinked_kernels;
  loop.mean_launch_part = with_call > 0 ? static_cast<double>(fusion.launch_part_total) / static_cast<double>(with_call) : 0;
  loop.bound = launch.bound;
  if (loop.bound.empty()) loop.bound_undefined_reason = launch.bound_undefined_reason;
  loop.recorded_tg = recorded.tg_tokens_per_s;
  loop.baseline = baseline;
  loop.threshold = fusion.threshold;

  const LoopPrediction* best = nullptr;
  for (const ChainLengthResult& l : fusion.lengths) {
    LoopPrediction p;
    p.length = l.length;
    p.kernels_per_step = static_cast<double>(l.kernels_fused) / steps;
    p.launches_removed_per_step = static_cast<double>(l.kernels_eager - l.kernels_fused) / steps;
    p.launch_time_saved = l.launch_time_saved;
    p.ideal_speedup = l.ideal_speedup;
    p.predicted_il = loop_predicted_il(loop.bound, loop.inference_latency, loop.gpu_busy, l.launch_time_saved);
    p.predicted_speedup = speedup_of(loop.inference_latency, p.predicted_il);
    loop.predictions.push_back(p);
  }
  for (const LoopPrediction& p : loop.predictions) {
    const bool better = !best || p.predicted_speedup > best->predicted_speedup ||
                        (p.predicted_speedup == best->predicted_speedup && p.ideal_speedup > best->ideal_speedup);
    if (better) best = &p;  // ascending lengths: a tie keeps the shorter one
  }
  loop.best_length = best ? best->length : 0;

  for (const MeasuredRun& r : measured) {
    LoopComparison c;
    c.run = r;
    c.measured_speedup = r.tg_tokens_per_s / baseline.tg_tokens_per_s;
    const double best_speedup = best ? best->predicted_speedup : 1.0;
    c.best_error = best_speedup / c.measured_speedup - 1.0;
    LaunchMatched& m = c.matched;
    m.launches_removed_per_step = std::max(0.0, loop.kernels_per_step - static_cast<double>(r.launches_per_step));
    m.launch_time_saved = static_cast<ns_t>(m.launches_removed_per_step * steps * loop.mean_launch_part + 0.5);
    m.predicted_il = loop_predicted_il(loop.bound, loop.inference_latency, loop.gpu_busy, m.launch_time_saved);
    m.predicted_speedup = speedup_of(loop.inference_latency, m.predicted_il);
    m.error = m.predicted_speedup / c.measured_speedup - 1.0;
    loop.comparisons.push_back(c);
  }
  return loop;
}

}  // namespace infertrace
