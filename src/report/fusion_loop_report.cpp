#include "report/fusion_loop_report.h"

#include <cmath>
#include <cstdio>

#include "report/text_table.h"
#include "util/units.h"

namespace infertrace {

namespace {

// A prediction error in words: "12.5% low", "3.0% high" (to one decimal), "exact".
std::string how_far(double error) {
  const std::string pct = format_fixed(std::fabs(error) * 100.0, 1);
  if (pct == "0.0") return "exact";
  return pct + (error < 0 ? "% low" : "% high");
}

const LoopPrediction* best_prediction(const FusionLoop& loop) {
  for (const LoopPrediction& p : loop.predictions)
    if (p.length == loop.best_length) return &p;
  return nullptr;
}

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

double per_step(ns_t total, int64_t steps) { return steps > 0 ? static_cast<double>(total) / steps : 0.0; }

nlohmann::json run_json(const MeasuredRun& r) {
  return {{"mode", r.mode},
          {"source", r.source},
          {"n_seq", r.n_seq},
          {"decode_steps", r.decode_steps},
          {"tg_tokens_per_second", r.tg_tokens_per_s},
          {"launches_per_step", r.launches_per_step},
          {"kernels_per_step", r.kernels_per_step}};
}

// As analyze prints it ("undefined: <reason>", analysis/bound_verdict.h).
std::string undefined_reason(const FusionLoop& loop) {
  return loop.bound_undefined_reason.empty() ? "no reason recorded" : loop.bound_undefined_reason;
}

}  // namespace

std::string fusion_loop_summary(const FusionLoop& loop) {
  const LoopPrediction* best = best_prediction(loop);
  if (!best) return "No fusion length was analyzed: nothing predicted.";
  std::string s = "Proximity-score fusion of the eager trace predicts at best " + format_fixed(best->predicted_speedup, 2) +
                  "x (length " + std::to_string(best->length) + ", " + format_fixed(best->kernels_per_step, 1) +
                  " launches per step left)";
  if (loop.bound.empty())
    s += "; the eager trace has no CPU- or GPU-bound verdict (" + undefined_reason(loop) +
         "), so the method predicts no launch gain";
  else if (loop.bound != "cpu")
    s += "; the eager trace is not CPU-bound, so the method predicts no launch gain";
  s += ".";
  for (const LoopComparison& c : loop.comparisons)
    s += " " + capitalized(c.run.mode) + " mode measured " + format_fixed(c.measured_speedup, 2) + "x: the best prediction is " +
         how_far(c.best_error) + "; with exactly its " + format_fixed(c.matched.launches_removed_per_step, 0) +
         " launches per step removed the method predicts " + format_fixed(c.matched.predicted_speedup, 2) + "x (" +
         how_far(c.matched.error) + ").";
  // A window that may not be this run's makes every per-step figure above doubtful (review DW M2:
  // a run document with twice the steps halved the kernels per step, and the launch-matched
  // prediction with them, without a word).
  if (!loop.window_doubts.empty())
    s += " Caution: " + loop.window_doubts.front() + (loop.window_doubts.size() > 1 ? " (and more: see above)" : "") +
         "; the per-step figures and predictions rest on the window and the run's step count.";
  return s;
}

nlohmann::json fusion_loop_json(const FusionLoop& loop) {
  using nlohmann::json;
  json j;
  j["threshold"] = loop.threshold;
  j["eager"] = {{"decode_steps", loop.decode_steps},
                {"kernels_per_step", loop.kernels_per_step},
                {"engine_kernels_per_step", loop.engine_kernels_per_step},
                {"inference_latency_ns", loop.inference_latency},
                {"gpu_busy_ns", loop.gpu_busy},
                {"launch_part_total_ns", loop.launch_part_total},
                {"mean_launch_part_ns", loop.mean_launch_part},
                {"bound", loop.bound.empty() ? json(nullptr) : json(loop.bound)},
                {"recorded_tg_tokens_per_second", loop.recorded_tg},
                {"baseline", run_json(loop.baseline)}};
  json preds = json::array();
  for (const LoopPrediction& p : loop.predictions)
    preds.push_back({{"length", p.length},
                     {"kernels_per_step", p.kernels_per_step},
                     {"launches_removed_per_step", p.launches_removed_per_step},
                     {"launch_time_saved_ns", p.launch_time_saved},
                     {"ideal_speedup", p.ideal_speedup},
                     {"predicted_il_ns", p.predicted_il},
                     {"predicted_speedup", p.predicted_speedup},
                     {"predicted_tg_tokens_per_second", p.predicted_speedup * loop.baseline.tg_tokens_per_s}});
  // As analyze's JSON: the reason only beside a null verdict.
  if (loop.bound.empty()) j["eager"]["bound_undefined_reason"] = undefined_reason(loop);
  j["predictions"] = std::move(preds);
  j["best_length"] = loop.best_length ? json(loop.best_length) : json(nullptr);
  json meas = json::array();
  for (const LoopComparison& c : loop.comparisons) {
    json o = run_json(c.run);
    o["measured_speedup"] = c.measured_speedup;
    o["best_prediction_error"] = c.best_error;
    o["launch_matched"] = {{"launches_removed_per_step", c.matched.launches_removed_per_step},
                           {"launch_time_saved_ns", c.matched.launch_time_saved},
                           {"predicted_il_ns", c.matched.predicted_il},
                           {"predicted_speedup", c.matched.predicted_speedup},
                           {"error", c.matched.error}};
    meas.push_back(std::move(o));
  }
  j["measured"] = std::move(meas);
  j["summary"] = fusion_loop_summary(loop);
  return j;
}

const std::vector<JsonColumn>& fusion_loop_eager_columns() {
  using F = CellFormat;
  // "baseline" (the eager mode's measured run, an object): the divisor of every measured speedup,
  // which the measured table's rows (the other modes) do not show (review DN).
  static const std::vector<JsonColumn> cols = {
      {"decode_steps", "decode steps", F::Count},
      {"kernels_per_step", "kernels per step", F::Fixed1},
      {"engine_kernels_per_step", "kernels per step (counted by the run)", F::Count},
      {"inference_latency_ns", "inference latency", F::Ns},
      {"gpu_busy_ns", "GPU busy", F::Ns},
      {"launch_part_total_ns", "launch part (total)", F::Ns},
      {"mean_launch_part_ns", "launch part (mean per launch)", F::Ns},
      {"bound", "bound", F::Text},
      {"bound_undefined_reason", "why no bound", F::Text},
      {"recorded_tg_tokens_per_second", "recorded run tg (tokens/s)", F::Fixed1},
      {"mode", "eager baseline mode", F::Text, "baseline"},
      {"source", "eager baseline file", F::Text, "baseline"},
      {"n_seq", "eager baseline sequences", F::Label, "baseline"},
      {"decode_steps", "eager baseline decode steps", F::Count, "baseline"},
      {"tg_tokens_per_second", "eager baseline tg (tokens/s)", F::Fixed1, "baseline"},
      {"launches_per_step", "eager baseline launches per step", F::Fixed1, "baseline"},
      {"kernels_per_step", "eager baseline kernels per step", F::Fixed1, "baseline"},
  };
  return cols;
}

const std::vector<JsonColumn>& fusion_loop_prediction_columns() {
  using F = CellFormat;
  static const std::vector<JsonColumn> cols = {
      {"length", "chain length L", F::Label},
      {"kernels_per_step", "kernels per step", F::Fixed1},
      {"launches_removed_per_step", "launches removed per step", F::Fixed1},
      {"launch_time_saved_ns", "launch time saved (total)", F::Ns},
      {"ideal_speedup", "ideal speedup", F::Times2},
      {"predicted_il_ns", "IL after fusion (predicted)", F::Ns},
      {"predicted_speedup", "predicted speedup", F::Times2},
      {"predicted_tg_tokens_per_second", "predicted tg (tokens/s)", F::Fixed1},
  };
  return cols;
}

const std::vector<JsonColumn>& fusion_loop_measured_columns() {
  using F = CellFormat;
  static const std::vector<JsonColumn> cols = {
      {"mode", "mode", F::Text},
      {"n_seq", "sequences", F::Label},
      {"decode_steps", "decode steps", F::Count},
      {"launches_per_step", "launches per step", F::Count},
      {"kernels_per_step", "kernels per step", F::Count},
      {"tg_tokens_per_second", "tg (tokens/s)", F::Fixed1},
      {"measured_speedup", "measured speedup", F::Times2},
      {"best_prediction_error", "best prediction's error", F::SignedShare},
      {"launches_removed_per_step", "launch-matched: launches removed per step", F::Fixed1, "launch_matched"},
      {"launch_time_saved_ns", "launch-matched: launch time saved", F::Ns, "launch_matched"},
      {"predicted_il_ns", "launch-matched: IL (predicted)", F::Ns, "launch_matched"},
      {"predicted_speedup", "launch-matched: predicted speedup", F::Times2, "launch_matched"},
      {"error", "launch-matched: error", F::SignedShare, "launch_matched"},
      {"source", "file", F::Text},
  };
  return cols;
}

void print_fusion_loop(std::ostream& os, const FusionLoop& loop) {
  const int64_t n = loop.decode_steps;
  os << "\nClosed loop: the eager trace's decode steps against the measured modes\n";
  os << "eager trace: " << n << " decode steps, " << format_fixed(loop.kernels_per_step, 1) << " kernels/step (the run counted "
     << loop.engine_kernels_per_step << "), IL " << format_ns(loop.inference_latency) << " ("
     << format_ns(per_step(loop.inference_latency, n)) << "/step), GPU busy " << format_ns(per_step(loop.gpu_busy, n))
     << "/step, launch part " << format_ns(per_step(loop.launch_part_total, n)) << "/step, "
     << (loop.bound.empty() ? "bound undefined: " + undefined_reason(loop) : loop.bound + "-bound") << "\n";
  os << "eager tokens/s: " << format_fixed(loop.baseline.tg_tokens_per_s, 1) << " (baseline, " << loop.baseline.source
     << "); the recorded run " << format_fixed(loop.recorded_tg, 1) << " (recorder included)\n";

  TextTable pred({"L", "launches/step", "removed/step", "saved/step", "ideal speedup", "predicted speedup",
                  "predicted tok/s"});
  for (const LoopPrediction& p : loop.predictions)
    pred.add_row({std::to_string(p.length) + (p.length == loop.best_length ? " *" : ""), format_fixed(p.kernels_per_step, 1),
                  format_fixed(p.launches_removed_per_step, 1), format_ns(per_step(p.launch_time_saved, n)),
                  format_fixed(p.ideal_speedup, 2) + "x", format_fixed(p.predicted_speedup, 2) + "x",
                  format_fixed(p.predicted_speedup * loop.baseline.tg_tokens_per_s, 1)});
  os << "\n";
  pred.print(os, "Predicted (threshold " + format_fixed(loop.threshold, 2) + "; * = best)");

  if (!loop.comparisons.empty()) {
    TextTable meas({"mode", "launches/step", "kernels/step", "tok/s", "measured speedup", "best predicted", "error",
                    "launch-matched", "error"});
    const LoopPrediction* best = best_prediction(loop);
    for (const LoopComparison& c : loop.comparisons)
      meas.add_row({c.run.mode, std::to_string(c.run.launches_per_step), std::to_string(c.run.kernels_per_step),
                    format_fixed(c.run.tg_tokens_per_s, 1), format_fixed(c.measured_speedup, 2) + "x",
                    best ? format_fixed(best->predicted_speedup, 2) + "x" : "-", format_signed_pct(c.best_error),
                    format_fixed(c.matched.predicted_speedup, 2) + "x", format_signed_pct(c.matched.error)});
    os << "\n";
    meas.print(os, "Measured");
  }
  os << "\n" << fusion_loop_summary(loop) << "\n";
}

}  // namespace infertrace
