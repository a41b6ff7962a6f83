#include "report/fusion_report.h"

#include "report/analyze_json.h"

#include <algorithm>
#include <cstdio>

#include "analysis/bound_verdict.h"
#include "analysis/fusion_loop.h"
#include "report/analyze_json.h"
#include "report/kernel_display_names.h"
#include "report/text_table.h"
#include "util/units.h"
#include "util/plural.h"

namespace infertrace {

namespace {

// The kernels of all candidates, each once, named for a chain (kernel_display_names.h: without
// namespaces, and told apart where PyTorch's elementwise kernels share a name).
KernelDisplayNames chain_names(const Trace& t, const FusionResult& r, size_t name_len) {
  std::vector<std::string> names;
  for (const FusionCandidate& c : r.candidates)
    for (StrId k : c.kernels) names.emplace_back(t.str(k));
  return KernelDisplayNames(names, name_len, /*drop_namespaces=*/true);
}

// "a -> b -> c" of shortened names; long chains keep their first and last kernels.
std::string chain_text(const Trace& t, const FusionCandidate& c, const KernelDisplayNames& names, size_t max_shown) {
  auto name = [&](size_t i) { return names(std::string(t.str(c.kernels[i]))); };
  std::string s;
  const size_t n = c.kernels.size();
  for (size_t i = 0; i < n; ++i) {
    if (n > max_shown && i == max_shown - 1 && i + 1 < n) {
      s += " -> ... (" + std::to_string(n - max_shown) + " more) -> " + name(n - 1);
      break;
    }
    s += (i ? " -> " : "") + name(i);
  }
  return s;
}

const ChainLengthResult* best_length(const FusionResult& r) {
  const ChainLengthResult* best = nullptr;
  for (auto& l : r.lengths)
    if (!best || l.ideal_speedup > best->ideal_speedup) best = &l;
  return best;
}

// The fusions of one length's chains seen at least twice: its figures less those of its chains seen
// once (a one-off prologue scores PS 1 and is fused once: review FU-1), from the same greedy scan.
struct RepeatedShare {
  int64_t fused = 0, kernels_fused = 0;
  double ideal_speedup = 1.0;
  ns_t launch_time_saved = 0;
};

RepeatedShare repeated_share(const ChainLengthResult& l) {
  RepeatedShare r;
  r.fused = l.fused_chains - l.fused_seen_once;
  r.kernels_fused = l.kernels_eager - r.fused * (l.length - 1);
  r.ideal_speedup = r.kernels_fused > 0 ? static_cast<double>(l.kernels_eager) / static_cast<double>(r.kernels_fused) : 1.0;
  r.launch_time_saved = l.launch_time_saved - l.launch_time_saved_seen_once;
  return r;
}

// The length whose chains seen at least twice alone give the best ideal speedup (the shorter on a
// tie, as best_length); null when no such chain is fused at any length.
const ChainLengthResult* best_repeated_length(const FusionResult& r) {
  const ChainLengthResult* best = nullptr;
  for (auto& l : r.lengths)
    if (repeated_share(l).fused > 0 && (!best || repeated_share(l).ideal_speedup > repeated_share(*best).ideal_speedup))
      best = &l;
  return best;
}

// A CPU- or GPU-bound verdict. Without one (e.g. TKLQT 0: every kernel started before its launch
// call) the launch analysis still has IL and GPU busy, and says why there is no verdict
// (LaunchAnalysis::bound_undefined_reason), as `analyze` reports them (audit DU F1).
bool has_bound(const FusionReport& rep) { return rep.launch && !rep.launch->bound.empty(); }

// Launch calls not recorded (Trace::launch_coverage): no launch time saved, no bound, no predicted
// IL can be stated from them.
bool launches_measured(const FusionReport& rep) { return rep.trace->launch_coverage.measured(); }

// A launch time or saving: unknown (null, "-") when the launches were not measured.
nlohmann::json launch_ns_json(const FusionReport& rep, ns_t v) {
  return launches_measured(rep) ? nlohmann::json(v) : nlohmann::json(nullptr);
}
std::string launch_ns_text(const FusionReport& rep, ns_t v, bool raw) {
  if (!launches_measured(rep)) return raw ? "" : "-";
  return raw ? std::to_string(v) : format_ns(v);
}

// When the best length's fusions include chains seen only once: how many, and the best length over
// chains seen at least twice (review FU-1: BERT's length 128 was one chain, seen once).
std::string seen_once_note(const FusionReport& rep, const ChainLengthResult& best) {
  const int64_t once = best.fused_seen_once, all = best.fused_chains;
  if (once == 0) return "";
  const bool measured = launches_measured(rep);
  std::string s = " ";
  if (once == all)
    s += all == 1 ? "Its 1 fused chain was" : "All " + format_count(all) + " of its fused chains were";
  else
    s += format_count(once) + " of its " + format_count(all) + " fused chains " + plural(once, "was", "were");
  s += " seen only once in the trace (a one-off stretch, fused once";
  if (measured) s += ": " + format_ns(best.launch_time_saved_seen_once) + " of the saving";
  s += ").";
  const ChainLengthResult* rep_best = best_repeated_length(*rep.result);
  if (!rep_best) return s + " No chain seen at least twice is fused at any of the requested lengths.";
  const RepeatedShare r = repeated_share(*rep_best);
  s += " Over chains seen at least twice, the best is length " + std::to_string(rep_best->length) + ": " +
       format_fixed(r.ideal_speedup, 2) + "x (" + format_count(rep_best->kernels_eager) + " -> " +
       format_count(r.kernels_fused) + " kernels) from " + format_count(r.fused) + plural(r.fused, " fusion", " fusions");
  if (measured) s += ", saving " + format_ns(r.launch_time_saved);
  return s + ".";
}

}  // namespace

ns_t predicted_il_after_fusion(const LaunchAnalysis& a, ns_t launch_time_saved) {
  if (a.bound != "cpu") return -1;
  // The closed loop's rule (one formula: the report and the loop must not drift apart).
  return loop_predicted_il(a.bound, a.inference_latency, a.gpu_busy, launch_time_saved);
}

std::string fused_chains_phrase(double threshold) {
  return threshold == 1.0 ? "deterministic chains" : "chains with proximity score >= " + format_shortest(threshold);
}

// A trace whose launch calls have no GPU activity at all (an `record --cuda uprobe` recording, a
// profile without CUDA activities): the GPU side was not captured, and the way to capture it is
// said, as sweep says it (review DW L3). "" otherwise.
static std::string uncaptured_gpu_side(const FusionReport& rep) {
  if (!rep.launch || !rep.launch->gpu_undefined() || rep.launch->skipped_gpu_events > 0 || !launches_measured(rep) ||
      rep.launch->orphan_launch_calls == 0)
    return "";
  const int64_t n = rep.launch->orphan_launch_calls;
  return "its " + format_count(n) + plural(n, " launch call has", " launch calls have") +
         " no GPU activity: the GPU side was not captured; capture it with the GPU's activity (`infertrace record "
         "--cuda cupti`, or CUDA activities in the PyTorch profiler)";
}

std::string fusion_verdict(const FusionReport& rep) {
  const FusionResult& r = *rep.result;
  const ChainLengthResult* best = best_length(r);
  if (!best || r.kernels == 0) {
    // Why, as the JSON's undefined_reason says it (review FU-9): no (usable) GPU activity, or GPU
    // work that is memory copies and memsets only.
    std::string why;
    if (rep.launch && rep.launch->gpu_undefined()) why = rep.launch->gpu_undefined_reason();
    else if (const size_t n = rep.trace->gpu.kind.size(); n > 0)
      why = "its " + format_count(static_cast<int64_t>(n)) + plural(static_cast<int64_t>(n), " GPU activity is a memory copy or memset",
                                                                     " GPU activities are memory copies and memsets");
    const std::string uncaptured = uncaptured_gpu_side(rep);
    return "No kernels in this trace" + (why.empty() ? std::string() : " (" + why + ")") + ": nothing to fuse." +
           (uncaptured.empty() ? "" : " Yet " + uncaptured + ".");
  }
  if (best->fused_chains == 0)
    return "No chain of the requested lengths has a proximity score of at least " + format_shortest(r.threshold) +
           ": nothing to fuse at this threshold.";
  std::string s = "Fusing " + fused_chains_phrase(r.threshold) + " of length " + std::to_string(best->length) + " gives the best ideal speedup, " +
                  format_fixed(best->ideal_speedup, 2) + "x (" + format_count(best->kernels_eager) + " -> " +
                  format_count(best->kernels_fused) + " kernels)";
  const LaunchCoverage& cov = rep.trace->launch_coverage;
  if (!cov.measured())
    return s + "." + seen_once_note(rep, *best) +
           " The launch time it would save, and whether the trace is CPU- or GPU-bound, are unknown: " +
           cov.unmeasured_reason + ".";
  s += ", saving " + format_ns(best->launch_time_saved) + " of measured launch time.";
  s += seen_once_note(rep, *best);
  if (cov.partial()) s += " Note: " + cov.partial_note + ": the saving is a lower bound.";
  if (!rep.launch) return s;
  const LaunchAnalysis& a = *rep.launch;
  if (a.bound.empty()) {
    if (!a.gpu_undefined()) s += " No CPU- or GPU-bound verdict: " + a.bound_undefined_reason + ".";
    return s;
  }
  // By the most idle device (review AK M2; with one device, GPU idle).
  const double idle_share =
      a.inference_latency > 0 ? static_cast<double>(a.most_idle_gpu_idle()) / static_cast<double>(a.inference_latency) : 0.0;
  const std::string idle = a.inference_latency > 0 ? format_pct(static_cast<double>(a.most_idle_gpu_idle()) /
                                                                  static_cast<double>(a.inference_latency))
                                                   : std::string();
  if (gpu_bound_in_bursts(a.bound, a.most_idle_gpu_idle(), a.inference_latency)) {
    // The queue criterion alone would say "only faster kernels help"; with the GPU idle half the run
    // or more, the host's gaps between bursts are as much of the latency (kBurstyGpuIdleShare).
    s += " This trace is GPU-bound by the queue criterion (queue part " + format_ns(a.tklqt_queue) + " > launch part " +
         format_ns(a.tklqt_launch) + "), yet " +
         (a.by_device.size() > 1 ? idle_gpu_words(a.by_device.size(), a.most_idle_device) : std::string("its GPU")) +
         " is idle " + idle + " of the " + format_ns(a.inference_latency) +
         " inference latency: kernels queue in bursts with host-side gaps between them. The saving can come off "
         "those gaps (at most all of it, where the GPU waits for the launches); faster kernels shorten the bursts.";
  } else if (a.bound == "gpu") {
    s += " This trace is GPU-bound (queue part " + format_ns(a.tklqt_queue) + " > launch part " + format_ns(a.tklqt_launch) +
         (idle.empty() ? std::string()
                       : std::string(", GPU idle ") + idle_only_word(idle_share) + idle +
                             " of the inference latency") +
         "): launches mostly hide behind queued GPU work, so fusing for launch savings will not shorten it much; "
         "faster kernels will.";
  } else {
    const ns_t il = predicted_il_after_fusion(a, best->launch_time_saved);
    const std::string change = format_ns(a.inference_latency) + " -> about " + format_ns(il) + " (" +
                               format_pct(a.inference_latency > 0 ? 1.0 - static_cast<double>(il) / a.inference_latency : 0.0) +
                               " less)";
    // The GPU's busy time floors the prediction: only IL - GPU busy of the saving comes off, the rest
    // would be hidden behind GPU work (review FU-5: "the saving comes off" with 61.5 of 400 us).
    const ns_t off = a.inference_latency - il;
    if (off < best->launch_time_saved)
      s += " The trace is CPU-bound (launch-dominated), but the GPU's busy time (" + format_ns(a.gpu_busy) +
           ") floors the inference latency: only " + format_ns(off) + " of the saving comes off it, " + change +
           "; the other " + format_ns(best->launch_time_saved - off) + " would be hidden behind GPU work.";
    else
      s += " The trace is CPU-bound (launch-dominated), so the saving comes off the inference latency: " + change + ".";
  }
  return s;
}

const std::vector<JsonColumn>& fusion_length_columns() {
  using F = CellFormat;
  static const std::vector<JsonColumn> cols = {
      {"length", "chain length L", F::Label},
      {"unique_chains", "unique chains", F::Count},
      {"chain_instances", "chain instances", F::Count},
      {"deterministic_chains", "deterministic chains", F::Count},
      {"fused_chains", "fused chains", F::Count},
      {"kernels_eager", "kernels eager (K_eager)", F::Count},
      {"kernels_fused", "kernels fused (K_fused)", F::Count},
      {"ideal_speedup", "ideal speedup (K_eager / K_fused)", F::Times3},
      {"launch_time_saved_ns", "launch time saved", F::Ns},
      {"predicted_il_ns", "IL after fusion (predicted)", F::Ns},
      {"fused_chains_seen_once", "fused chains seen only once", F::Count},
      {"launch_time_saved_seen_once_ns", "launch time saved by chains seen only once", F::Ns},
  };
  return cols;
}

const std::vector<JsonColumn>& fusion_candidate_columns() {
  using F = CellFormat;
  // "kernels" (the chain's names, an array) is not a column: "chain" names them in one cell.
  static const std::vector<JsonColumn> cols = {
      {"length", "L", F::Label},
      {"fused", "instances fused", F::Count},
      {"ps", "PS (proximity score)", F::Fixed3},
      {"occurrences", "occurrences", F::Count},
      {"first_kernel_occurrences", "first kernel's occurrences", F::Count},
      {"kernels_removed", "kernels removed", F::Count},
      {"launch_time_saved_ns", "launch time saved", F::Ns},
      {"chain", "chain", F::Text},
  };
  return cols;
}

nlohmann::json fusion_json(const FusionReport& rep) {
  const FusionResult& r = *rep.result;
  const Trace& t = *rep.trace;
  using nlohmann::json;
  json j;
  j["schema_version"] = 1;
  j["kind"] = "fusion";
  j["trace"] = t.file;
  j["threshold"] = r.threshold;
  j["kernels"] = r.kernels;
  j["distinct_kernels"] = r.distinct_kernels;
  j["streams"] = r.streams;
  j["segments"] = r.segments;
  j["sync_splits"] = r.sync_splits;
  j["unlinked_kernels"] = r.unlinked_kernels;
  j["skipped"] = t.skipped;  // input events the reader could not use: not in any chain
  j["names_cleaned"] = t.names_cleaned;  // names kept with characters replaced: their kernels are in chains
  j["launch_part_total_ns"] = launch_ns_json(rep, r.launch_part_total);
  if (!launches_measured(rep)) j["launch_undefined_reason"] = t.launch_coverage.unmeasured_reason;
  if (t.launch_coverage.partial()) j["launch_partial_note"] = t.launch_coverage.partial_note;
  // A trace without GPU activity has no IL or GPU busy: null with analyze's undefined_reason, as
  // analyze --json writes them, not 0s that read as measurements (review EA M1).
  const bool no_gpu = rep.launch && rep.launch->gpu_undefined();
  const bool have = rep.launch != nullptr && !no_gpu, bound_known = has_bound(rep) && launches_measured(rep);
  if (no_gpu) j["undefined_reason"] = rep.launch->gpu_undefined_reason();
  // Launch calls without GPU activity (as analyze and sweep count them); null when not measured.
  j["orphan_launch_calls"] = rep.launch && launches_measured(rep) ? json(rep.launch->orphan_launch_calls) : json(nullptr);
  if (const std::string uncaptured = uncaptured_gpu_side(rep); !uncaptured.empty()) j["gpu_side_not_captured"] = uncaptured;
  j["bound"] = bound_known ? json(rep.launch->bound) : json(nullptr);
  // As analyze --json: the reason where the launches were measured and the GPU ran but no verdict.
  if (have && rep.launch->bound.empty() && launches_measured(rep) && !rep.launch->gpu_undefined())
    j["bound_undefined_reason"] = rep.launch->bound_undefined_reason;
  j["inference_latency_ns"] = have ? json(rep.launch->inference_latency) : json(nullptr);
  j["gpu_busy_ns"] = have ? json(rep.launch->gpu_busy) : json(nullptr);
  json lengths = json::array();
  for (auto& l : r.lengths) {
    json o = {{"length", l.length},
              {"unique_chains", l.unique_chains},
              {"chain_instances", l.chain_instances},
              {"deterministic_chains", l.deterministic_chains},
              {"fused_chains", l.fused_chains},
              {"kernels_eager", l.kernels_eager},
              {"kernels_fused", l.kernels_fused},
              {"ideal_speedup", l.ideal_speedup},
              {"launch_time_saved_ns", launch_ns_json(rep, l.launch_time_saved)}};
    const ns_t il = bound_known ? predicted_il_after_fusion(*rep.launch, l.launch_time_saved) : -1;
    o["predicted_il_ns"] = il >= 0 ? json(il) : json(nullptr);
    o["fused_chains_seen_once"] = l.fused_seen_once;
    o["launch_time_saved_seen_once_ns"] = launch_ns_json(rep, l.launch_time_saved_seen_once);
    lengths.push_back(std::move(o));
  }
  j["lengths"] = std::move(lengths);
  // The verdict's length, and the best over chains seen at least twice (review FU-1): null when
  // nothing is fused (and, for the second, when only chains seen once are).
  const ChainLengthResult* best = r.kernels > 0 ? best_length(r) : nullptr;
  j["best_length"] = best && best->fused_chains > 0
                         ? json{{"length", best->length},
                                {"ideal_speedup", best->ideal_speedup},
                                {"fused_chains", best->fused_chains},
                                {"fused_chains_seen_once", best->fused_seen_once},
                                {"launch_time_saved_ns", launch_ns_json(rep, best->launch_time_saved)}}
                         : json(nullptr);
  const ChainLengthResult* best_rep = r.kernels > 0 ? best_repeated_length(r) : nullptr;
  if (best_rep) {
    const RepeatedShare sh = repeated_share(*best_rep);
    j["best_length_repeated"] = {{"length", best_rep->length},
                                 {"ideal_speedup", sh.ideal_speedup},
                                 {"fused_chains", sh.fused},
                                 {"kernels_fused", sh.kernels_fused},
                                 {"launch_time_saved_ns", launch_ns_json(rep, sh.launch_time_saved)}};
  } else {
    j["best_length_repeated"] = nullptr;
  }
  json cands = json::array();
  const KernelDisplayNames display = chain_names(t, r, 40);
  for (auto& c : r.candidates) {
    json names = json::array();
    for (StrId k : c.kernels) names.push_back(std::string(t.str(k)));
    cands.push_back({{"length", c.length},
                     {"chain", chain_text(t, c, display, 8)},
                     {"kernels", std::move(names)},
                     {"occurrences", c.occurrences},
                     {"first_kernel_occurrences", c.first_occurrences},
                     {"ps", c.proximity},
                     {"fused", c.fused},
                     {"kernels_removed", c.kernels_removed},
                     {"launch_time_saved_ns", launch_ns_json(rep, c.launch_time_saved)}});
  }
  j["candidates"] = std::move(cands);
  const GraphLaunchCost& g = r.graphs;
  const bool graphs_known = launches_measured(rep);
  // API time over the calls with a known duration only; null when none has one.
  const bool api_known = graphs_known && g.timed_launches > 0;
  j["graphs"] = {{"launches", graphs_known ? json(g.launches) : json(nullptr)},
                 {"kernels", g.kernels},
                 {"timed_launches", graphs_known ? json(g.timed_launches) : json(nullptr)},
                 {"api_ns", api_known ? json(g.api_time) : json(nullptr)},
                 {"launch_part_ns", launch_ns_json(rep, g.launch_part)},
                 {"api_ns_per_launch", api_known ? json(static_cast<double>(g.api_time) / g.timed_launches) : json(nullptr)},
                 {"api_ns_per_kernel", api_known && g.timed_kernels ? json(static_cast<double>(g.api_time) / g.timed_kernels) : json(nullptr)}};
  j["verdict"] = fusion_verdict(rep);
  return j;
}

namespace {

TextTable length_table(const FusionReport& rep, bool raw) {
  const bool have = has_bound(rep) && launches_measured(rep) && rep.launch->bound == "cpu";
  std::vector<std::string> head = {"L", "unique", "instances", "deterministic", "fused", "K_eager", "K_fused", "speedup",
                                   raw ? "launch_time_saved_ns" : "launch saved"};
  // The CSV keeps one header whatever the trace (a script reading several traces' tables gets the
  // same columns): predicted_il_ns is empty where there is no prediction (FMT L5); the text table
  // shows "IL after" only where there is one.
  if (have || raw) head.push_back(raw ? "predicted_il_ns" : "IL after");
  TextTable tab(head);
  for (auto& l : rep.result->lengths) {
    std::vector<std::string> row = {std::to_string(l.length), std::to_string(l.unique_chains),
                                    std::to_string(l.chain_instances), std::to_string(l.deterministic_chains),
                                    std::to_string(l.fused_chains), std::to_string(l.kernels_eager),
                                    std::to_string(l.kernels_fused), raw ? format_fixed(l.ideal_speedup, 6) : format_fixed(l.ideal_speedup, 3) + "x",
                                    launch_ns_text(rep, l.launch_time_saved, raw)};
    if (have) {
      const ns_t il = predicted_il_after_fusion(*rep.launch, l.launch_time_saved);
      row.push_back(raw ? std::to_string(il) : format_ns(il));
    } else if (raw) {
      row.push_back("");
    }
    tab.add_row(std::move(row));
  }
  return tab;
}

}  // namespace

void print_fusion(std::ostream& os, const FusionReport& rep) {
  const FusionResult& r = *rep.result;
  const Trace& t = *rep.trace;
  os << "fusion: " << t.file << "\n  " << format_count(r.kernels) << " kernels (" << r.distinct_kernels << " distinct) on "
     << r.streams << plural(r.streams, " stream, ", " streams, ") << r.segments << plural(r.segments, " segment (", " segments (") << r.sync_splits << " split at sync calls), threshold T = "
     << format_shortest(r.threshold) << "\n";
  if (r.unlinked_kernels > 0)
    os << "  " << format_count(r.unlinked_kernels) << " kernels have no launch call: they save no launch time and never split a segment\n";
  for (auto& [reason, n] : t.skipped)
    os << "  skipped: " << reason << " " << format_count(n) << " (input events the reader could not use: in no chain)\n";
  for (auto& [reason, n] : t.names_cleaned)
    os << "  names cleaned: " << reason << " " << format_count(n) << " (" << kNamesCleanedMeaning << ")\n";
  os << "\n";
  // No kernels (a CPU-only trace): a table of zeros and "1.000x" speedups would look measured;
  // the verdict below says there is nothing to fuse.
  if (r.kernels > 0)
    length_table(rep, false).print(os, "Proximity-score fusion per chain length (PS = f(chain) / f(first kernel))");
  if (!r.candidates.empty()) {
    TextTable c({"#", "L", "fused", "PS", "occurrences", "kernels removed", "launch saved", "chain"},
                {TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Right,
                 TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Left});
    size_t i = 0;
    const KernelDisplayNames display = chain_names(t, r, 40);
    for (auto& k : r.candidates)
      c.add_row({std::to_string(++i), std::to_string(k.length), std::to_string(k.fused), format_fixed_not_whole(k.proximity, 3),
                 std::to_string(k.occurrences), std::to_string(k.kernels_removed), launch_ns_text(rep, k.launch_time_saved, false),
                 chain_text(t, k, display, 4)});
    os << "\n";
    c.print(os, "Top fusion candidates");
  }
  const GraphLaunchCost& g = r.graphs;
  os << "\n";
  if (g.launches > 0 && launches_measured(rep)) {
    os << "CUDA graphs: " << g.launches << plural(g.launches, " graph launch ran ", " graph launches ran ") << g.kernels << " kernels; ";
    if (g.timed_launches > 0)
      os << "measured API time " << format_ns(static_cast<double>(g.api_time) / g.timed_launches) << " per graph launch, "
         << format_ns(static_cast<double>(g.api_time) / g.timed_kernels) << " per kernel inside graphs";
    else
      os << "API time unknown (no graph launch call has a known duration)";
    if (g.timed_launches > 0 && g.timed_launches < g.launches)
      os << ", over the " << g.timed_launches << " of them with a known duration";
    os << " (launch part " << format_ns(static_cast<double>(g.launch_part) / g.launches)
       << " per graph launch): this is what full fusion reaches.\n";
  }
  os << fusion_verdict(rep) << "\n";
}

void print_fusion_csv(std::ostream& os, const FusionReport& rep) { length_table(rep, true).print_csv(os); }

}  // namespace infertrace
