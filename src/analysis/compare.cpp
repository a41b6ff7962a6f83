#include "analysis/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <utility>

#include "analysis/impact_unknown_reason.h"
#include "trace/gpu_models.h"
#include "util/error.h"
#include "util/plural.h"
#include "util/units.h"
#include "util/utf8_cut.h"

namespace infertrace {

ScenarioMetrics scenario_from_analysis(const SchedAnalysis& a, const std::string& name, const std::string& source) {
  ScenarioMetrics m;
  m.name = name, m.source = source;
  // Launches not measured (Trace::launch_coverage): no launch rate, no per-1000 rate (left unset).
  m.launches = a.launches_measured ? a.launches : 0, m.wall = a.wall;
  m.launches_measured = a.launches_measured;
  if (a.launches > 0 && a.switches_recorded) m.sched_per_1k = a.sched_per_1k;
  // The launch window's rate as `sched --json` states it (launch_window.sched_per_1k), so a scenario
  // read from a recording and one read from its saved analysis compare alike.
  if (a.launches > 0 && a.switches_recorded && a.launch_window.defined) m.window_sched_per_1k = a.launch_window.sched_per_1k;
  if (a.launches > 0 && a.irqs_recorded) m.irq_per_1k_hard = a.irq_per_1k_hard, m.irq_per_1k_soft = a.irq_per_1k_soft;
  m.penalty = a.penalty;
  // Over the wall less the intervals left out for meeting a loss window (sched.h; the wall without loss).
  if (a.main_tid >= 0 && main_offcpu_wall(a) > 0 && a.switches_recorded)
    m.offcpu_share = static_cast<double>(a.main_offcpu) / static_cast<double>(main_offcpu_wall(a));
  m.signature = a.signature;
  m.switches_recorded = a.switches_recorded, m.irqs_recorded = a.irqs_recorded;
  m.irq_system_vectors = a.irq_system_vectors;
  if (a.irq_system_vectors.value_or(false)) m.irq_vectors_traced = a.irq_vectors_traced, m.irq_vectors_missing = a.irq_vectors_missing;
  m.rates_over_loss = a.loss, m.lost_events = a.lost_events;
  m.launch_partial_note = a.launch_partial_note;
  // The drops that may have been launch calls (audit EE L4), as the analysis read them from the
  // recording's META, and what they and the partial note make of the rates per 1000 launches.
  m.launch_records_lost = a.launch_records_lost, m.launch_records_lost_up_to = a.launch_records_lost_up_to;
  m.per_1k_upper_bound_reason = a.per_1k_upper_bound_reason;
  m.per_1k_events_lost = a.per_1k_events_lost;  // loss windows only when they lost switches or IRQs (review FH L3)
  m.per_1k_outside_events_lost = a.per_1k_outside_events_lost;
  m.launch_mix = a.launch_mix;
  m.window_ends_uncertain = a.launch_window.defined && a.launch_window.ends_uncertain;
  m.loss_counts_unknown = a.loss_counts_unknown, m.incomplete_note = a.incomplete_note;
  // Not for figures whose events were not recorded: those read "not recorded" already.
  if (a.switches_recorded || a.irqs_recorded)
    m.rates_undefined_reason = rates_undefined_reason(a.launches_measured ? std::optional<int64_t>(a.launches) : std::nullopt);
  if (a.switches_recorded && !m.penalty) m.penalty_undefined_reason = penalty_undefined_reason(a.clean.count, a.switched.count, measured_launches(a));
  if (a.switches_recorded && !m.offcpu_share) m.offcpu_undefined_reason = offcpu_undefined_reason(a.main_tid, main_offcpu_wall(a));
  return m;
}

std::string slowdown_mark(const std::string& bound) {
  return bound == "at_most" ? "<=" : bound == "at_least" ? ">=" : bound == "either_way" ? "~" : "";
}

std::string no_launch_rate_reason(const ScenarioMetrics& m) {
  if (!m.launches_measured) return "launch calls not measured in its recording";
  if (m.launches <= 0) return "no launch calls in its capture";
  return m.wall <= 0 ? "no wall time in its capture" : "";
}

std::string rates_undefined_reason(std::optional<int64_t> launches) {
  if (!launches) return "launches not measured";
  return *launches == 0 ? "no launch calls" : "";
}

// In sched's order (sched_render.cpp opt_ns): the clean group first, the median every penalty is from.
std::string penalty_undefined_reason(int64_t clean_pairs, int64_t switched_pairs, std::optional<int64_t> launches) {
  if (const char* few = too_few_launches(launches)) return few;  // review UX L2
  if (clean_pairs == 0) return "no clean pairs";
  return switched_pairs == 0 ? "no switched pairs" : "";
}

// `sched` prints the share over "wall less left-out time" (its off-CPU intervals meeting a loss span
// and the gaps of lost switches) and "-" where none is left; the reason says that in its words
// (review EZ L2).
std::string offcpu_undefined_reason(int64_t main_tid, ns_t offcpu_wall) {
  if (main_tid < 0) return "no launching thread";
  return offcpu_wall <= 0 ? "no wall time less left-out time" : "";
}

void add_launch_records_lost(ScenarioMetrics& m, const std::string& drop_key, int64_t count) {
  Per1kDropTally t{.launch_records_lost = m.launch_records_lost, .launch_records_lost_up_to = m.launch_records_lost_up_to};
  tally_per_1k_drop(t, drop_key, count);
  m.launch_records_lost = t.launch_records_lost, m.launch_records_lost_up_to = t.launch_records_lost_up_to;
}

bool same_shapes_other_amount(const ComparisonRow& r) {
  return r.launch_count_mismatch == "different_work" && r.launch_mix_similarity &&
         *r.launch_mix_similarity >= kLaunchMixMinSimilarity && r.m.launch_mix;
}

bool launch_counts_differ(const ScenarioMetrics& a, const ScenarioMetrics& b) {
  // [lowest, highest] possible count of each: the recorded launches, plus what may have been lost.
  const auto highest = [](const ScenarioMetrics& m) -> double {
    if (!m.launch_partial_note.empty()) return std::numeric_limits<double>::infinity();
    return static_cast<double>(m.launches) + static_cast<double>(m.launch_records_lost);
  };
  const auto apart = [](double low, double high) { return low < high * (1.0 - kLaunchCountTolerance); };
  const double la = static_cast<double>(a.launches), lb = static_cast<double>(b.launches);
  // Disjoint by more than the tolerance on either side.
  return apart(highest(a), lb) || apart(highest(b), la);
}

namespace {

// The scheduler analysis's signature in the verdict's words: the sentence read "...; too_few_launches"
// (review DW58 L2). The id itself stays in the row's `signature`.
std::string signature_words(const std::string& sig) {
  static const std::pair<const char*, const char*> words[] = {
      {"cpu_contention", "CPU contention"}, {"irq_pressure", "IRQ pressure"}, {"blocking", "blocking"},
      {"too_few_launches", "too few launches for the scheduler signature"},
      {"not_recorded", "context switches not recorded"}, {"launches_not_measured", "launches not measured"}};
  for (const auto& [id, text] : words)
    if (sig == id) return text;
  return sig;  // (a signature added later reads as its id until it has words here)
}


// A slowdown under this is within run-to-run noise on a shared machine.
constexpr double kNoisePct = 2.0;

// The words for a row without a launch rate because a recording did not measure its launch calls.
constexpr const char* kNotMeasured = "launch calls not measured in its recording (no launch rate)";

// Whether a scenario has a launch rate: launches measured, some, over a wall time.
bool has_launch_rate(const ScenarioMetrics& m) { return m.launches_measured && m.launches > 0 && m.wall > 0; }

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// "LOC,RES,CAL; not traced: thermal_apic" (the names traced, then the tracepoints missing).
std::string vector_set_text(const ScenarioMetrics& m) {
  std::string s = joined(m.irq_vectors_traced.value_or(std::vector<std::string>{}));
  if (m.irq_vectors_missing && !m.irq_vectors_missing->empty()) s += "; not traced: " + joined(*m.irq_vectors_missing);
  return s;
}

// Both count system vectors and say which, and not the same ones: the names traced differ, or (both
// saying) the tracepoints missing do (call_function_single missing still leaves CAL traced).
bool vector_sets_differ(const ScenarioMetrics& a, const ScenarioMetrics& b) {
  if (!a.irq_system_vectors.value_or(false) || !b.irq_system_vectors.value_or(false)) return false;
  if (!a.irq_vectors_traced || !b.irq_vectors_traced) return false;
  const auto sorted = [](std::vector<std::string> v) { return std::sort(v.begin(), v.end()), v; };
  if (sorted(*a.irq_vectors_traced) != sorted(*b.irq_vectors_traced)) return true;
  return a.irq_vectors_missing && b.irq_vectors_missing && sorted(*a.irq_vectors_missing) != sorted(*b.irq_vectors_missing);
}

// Why a scenario's launch rate is a lower bound, for its verdict: the records lost (a count) and
// the launch callbacks CUPTI refused (no count: their calls were never seen), either or both. A count
// that includes the CUPTI ring's unpublished slots is "up to" it (a slot count bounds the records).
std::string lower_bound_cause(const ScenarioMetrics& m) {
  return launch_undercount_cause(m.launch_records_lost, m.launch_partial_note, m.launch_records_lost_up_to);
}

// Why two scenarios' launch mixes were not compared (launch_mix_similarity gave none), and whether
// that leaves their work unknown: one side's capture holds GPU kernels (or launch calls of a known
// shape) and the other's neither, so its launch calls reached no GPU work that was captured
// (review CS M1: such a capture read "no measurable change").
std::string launch_mix_unchecked(const ScenarioMetrics& base, const ScenarioMetrics& r, bool& withholds) {
  withholds = false;
  const auto calls = [](const ScenarioMetrics& m) {
    return std::to_string(m.launches) + plural(m.launches, " launch call", " launch calls");
  };
  if (base.launch_mix_unknown || r.launch_mix_unknown)
    return std::string(base.launch_mix_unknown ? "the baseline's" : "its") +
           " saved analysis does not say what it launched (saved before sched --json wrote launch_mix)";
  if (!base.launch_mix && !r.launch_mix) return "neither capture holds a GPU kernel or a launch call of a known shape";
  if (!base.launch_mix || !r.launch_mix) {
    withholds = true;
    return r.launch_mix ? "the baseline's " + calls(base) + " reached no GPU work in its capture (no GPU kernel)"
                        : "its " + calls(r) + " reached no GPU work in its capture (no GPU kernel)";
  }
  if (base.launch_mix->basis != r.launch_mix->basis)
    return std::string("its launches are known ") + launch_mix_basis_words(r.launch_mix->basis) + ", the baseline's " +
           launch_mix_basis_words(base.launch_mix->basis);
  const int64_t fewer = std::min(base.launch_mix->launches, r.launch_mix->launches);
  return std::string(r.launch_mix->launches == fewer ? "it" : "the baseline") + " launched " + std::to_string(fewer) +
         ", fewer than " + std::to_string(kLaunchMixMinLaunches) + " to compare";
}

// `s` with only its start, `window` bytes from a little before `at` (where it differs from a name
// that would otherwise read alike) and its end kept, each cut at a UTF-8 character boundary and
// joined by "..."; whole when that keeps it all.
std::string keep_around(const std::string& s, size_t at, size_t max_bytes, size_t window) {
  const size_t n = s.size(), end_bytes = max_bytes / 3;
  const size_t from = at > 16 ? at - 16 : 0;  // a little of what leads up to the difference
  std::vector<std::pair<size_t, size_t>> keep = {
      {0, std::min(n, end_bytes)}, {std::min(n, from), std::min(n, from + window)}, {n > end_bytes ? n - end_bytes : 0, n}};
  const auto continuation = [&](size_t i) { return i < n && utf8_continuation_byte(s[i]); };
  for (auto& [b, e] : keep) {
    while (b > 0 && continuation(b)) --b;
    while (continuation(e)) ++e;
  }
  std::string out;
  size_t done = 0;  // kept up to here
  for (const auto& [b, e] : keep) {
    if (e <= done) continue;
    if (b > done) out += "...";
    out += s.substr(std::max(b, done), e - std::max(b, done));
    done = e;
  }
  return out;
}

// Names as a note shows them: each cut to `max_bytes` (middle_ellipsis). Two different names that
// would read alike (templated CUDA names that differ only inside) keep the part where they differ
// too, a wider part while still alike, so that the names shown stay distinct. 0: uncut.
std::vector<std::string> cut_distinct(const std::vector<std::string>& full, size_t max_bytes) {
  if (max_bytes == 0) return full;
  std::vector<std::string> cut;
  for (const std::string& f : full) cut.push_back(middle_ellipsis(f, max_bytes));
  std::vector<size_t> window(full.size(), 0);
  for (;;) {
    std::vector<size_t> at(full.size(), std::string::npos);
    for (size_t i = 0; i < full.size(); ++i)
      for (size_t j = i + 1; j < full.size(); ++j)
        if (cut[i] == cut[j] && full[i] != full[j]) {
          const size_t p = static_cast<size_t>(
              std::mismatch(full[i].begin(), full[i].begin() + static_cast<std::ptrdiff_t>(std::min(full[i].size(), full[j].size())),
                            full[j].begin())
                  .first -
              full[i].begin());
          at[i] = std::min(at[i], p), at[j] = std::min(at[j], p);
        }
    if (std::all_of(at.begin(), at.end(), [](size_t a) { return a == std::string::npos; })) return cut;
    // Each round widens the window of every name still alike with another; once the window is as
    // long as the name, the name is shown whole, and whole names differ: this ends.
    for (size_t i = 0; i < full.size(); ++i)
      if (at[i] != std::string::npos) {
        window[i] = window[i] ? window[i] * 2 : std::max<size_t>(max_bytes / 3, 1);
        cut[i] = window[i] >= full[i].size() ? full[i] : keep_around(full[i], at[i], max_bytes, window[i]);
      }
  }
}

// What differs between two sorted name lists, three names of each side at most (sweep's
// operators_differ names operators alike); with the same names, that the shapes differ. Names cut
// to `max_name_bytes` (0: whole), kept distinct: a templated CUDA name can run to kilobytes
// (review WD56 M2).
std::string kernel_difference(const ScenarioMetrics& base, const ScenarioMetrics& r, size_t max_name_bytes) {
  const auto only = [](const std::vector<std::string>& x, const std::vector<std::string>& y) {
    std::vector<std::string> d;
    std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(d));
    return d;
  };
  const std::vector<std::string> in_r = only(r.kernel_names, base.kernel_names), in_base = only(base.kernel_names, r.kernel_names);
  // The names shown, both sides together: a name only in one side never reads as one of the other's.
  std::vector<std::string> shown;
  for (const auto* d : {&in_r, &in_base})
    for (size_t i = 0; i < d->size() && i < 3; ++i) shown.push_back((*d)[i]);
  const std::vector<std::string> cut = cut_distinct(shown, max_name_bytes);
  size_t next = 0;
  const auto words = [&](const std::vector<std::string>& d, const std::string& who) -> std::string {
    if (d.empty()) return "";
    std::string s = "only in " + who + ": ";
    for (size_t i = 0; i < d.size() && i < 3; ++i) s += (i == 0 ? "" : ", ") + cut[next++];
    if (d.size() > 3) s += " and " + std::to_string(d.size() - 3) + " more";
    return s;
  };
  const std::string r_words = words(in_r, r.name);
  const std::string base_words = words(in_base, "the baseline");
  // The mix compares shares per kernel and shape: with the same names, the same kernels ran in
  // other proportions, or with other grids or blocks (review WD56 M2: it said the latter only).
  if (r_words.empty() && base_words.empty()) return "the same kernel names, in other proportions or with other grids or blocks";
  return r_words + (r_words.empty() || base_words.empty() ? "" : "; ") + base_words;
}


std::string row_verdict(const ComparisonRow& r, bool baseline, const ComparisonRow& base, const std::string& basis) {
  // On the launch-rate basis a scenario whose launches were not measured has no rate: said in its
  // verdict (the baseline's too), and in a measured row the baseline's lack of one.
  const bool rate_basis = basis == "launch_rate";
  if (baseline && r.rate_lower_bound)
    return "baseline; its launch rate is a lower bound (" + lower_bound_cause(r.m) + ")";
  if (baseline && rate_basis && !r.m.launches_measured) return std::string("baseline; ") + kNotMeasured;
  if (baseline && rate_basis && !r.rate) return "baseline; " + no_launch_rate_reason(r.m) + " (no launch rate)";
  if (baseline) return "baseline";
  std::string v;
  const std::string counts =
      std::to_string(r.m.launches) + plural(r.m.launches, " launch", " launches") + " against the baseline's " +
      std::to_string(base.m.launches);
  if (same_shapes_other_amount(r)) {
    // Launched the same shapes, only fewer or more of them: the same work captured over another
    // length (a capture cut short, or a longer one), not different work (review SW L4).
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", *r.launch_mix_similarity * 100.0);
    v = "no verdict: " + counts + " in another wall time; " + pct + " of its launches match the baseline's " +
        launch_mix_basis_words(r.m.launch_mix->basis) +
        ", so the shapes match and the amount differs (a capture of the same work over another length), and the "
        "launch rate of another amount is not throughput (capture the same steps in each, or give each a throughput)";
  } else if (r.launch_count_mismatch == "different_work") {
    v = "no verdict: " + counts + " in another wall time, so they ran different work and the launch rate is not "
        "throughput (give each a throughput to compare)";
  } else if (r.launch_mix_differs) {
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", *r.launch_mix_similarity * 100.0);
    v = "no verdict: " + std::string(pct) + " of its launches match the baseline's " + launch_mix_basis_words(r.m.launch_mix->basis) +
        ", so they ran different work (another batch size, sequence length or model) and the launch rate is not "
        "throughput (give each a throughput to compare)";
  } else if (r.launch_mix_unchecked_withholds) {
    v = "no verdict: " + r.launch_mix_unchecked_reason +
        ", so its launch mix could not be compared with the baseline's: whether they ran the same work is not known, "
        "and the launch rate is not throughput (capture the GPU side in both, or give each a throughput to compare)";
  } else if (!r.slowdown_undefined_reason.empty()) {
    v = "no verdict: " + r.slowdown_undefined_reason;
  } else if (!r.slowdown_pct && rate_basis && !r.m.launches_measured) {
    v = kNotMeasured;
  } else if (!r.slowdown_pct && rate_basis && !r.rate) {
    // A capture that missed the run (empty, GPU-only): its own row says so (review SW M1).
    v = no_launch_rate_reason(r.m) + " (no launch rate)";
  } else if (!r.slowdown_pct && rate_basis && !base.m.launches_measured) {
    v = "no launch rate of the baseline to compare (its launch calls were not measured)";
  } else if (!r.slowdown_pct && rate_basis && !base.rate) {
    v = "no launch rate of the baseline to compare (" + no_launch_rate_reason(base.m) + ")";
  } else if (!r.slowdown_pct) {
    v = "no throughput or launch rate to compare";
  } else {
    char buf[96];
    if (*r.slowdown_pct >= kNoisePct) std::snprintf(buf, sizeof buf, "%.1f%% slower", *r.slowdown_pct);
    else if (*r.slowdown_pct <= -kNoisePct) std::snprintf(buf, sizeof buf, "%.1f%% faster", -*r.slowdown_pct);
    else  // same sign as the slowdown column; never "-0.0"
      std::snprintf(buf, sizeof buf, "no measurable change (slowdown %.1f%%)",
                    std::abs(*r.slowdown_pct) < 0.05 ? 0.0 : *r.slowdown_pct);
    v = buf;
  }
  // A rate that counts recorded launches only (audit EE L4): which way the slowdown may be off.
  // Said of the verdict's own word: a slowdown at most x% is "at least" |x|% faster. Inside the
  // noise band the verdict says "no measurable change (slowdown x%)", so the bound is said of the
  // slowdown, never "this much faster" (review EZ L6).
  const bool faster = r.slowdown_pct && *r.slowdown_pct <= -kNoisePct;
  if (r.slowdown_bound == "at_most")
    v += "; its launch rate is a lower bound (" + lower_bound_cause(r.m) + "), so " +
         (faster ? "it is at least this much faster" : "the slowdown is at most this");
  else if (r.slowdown_bound == "at_least")
    v += "; the baseline's launch rate is a lower bound (" + lower_bound_cause(base.m) + "), so " +
         (faster ? "it is at most this much faster" : "the slowdown is at least this");
  else if (r.slowdown_bound == "either_way")
    v += "; both launch rates are lower bounds (their recorders lost records that may be launch calls, or CUPTI "
         "refused launch callbacks), so the slowdown may be off either way";
  if (r.launch_count_mismatch == "same_wall" && !r.launch_mix_differs)
    v += "; " + counts + " in about the same wall time: a slowdown only if both ran one workload for a fixed time";
  // (launches_not_measured repeats what an unmeasured row's verdict already says)
  if (!r.m.signature.empty() && r.m.signature != "clean" && r.m.signature != "no_os_events" &&
      !(v == kNotMeasured && r.m.signature == "launches_not_measured"))
    v += "; " + signature_words(r.m.signature);
  if (r.gpu_models_differ)
    v += "; ran on another GPU model (" + gpu_models_text(r.m.gpu_models) + ") than the baseline (" +
         gpu_models_text(base.m.gpu_models) + "): the slowdown compares the machines too";
  if (r.irq_vector_sets_differ)
    v += "; hard IRQ/1K not comparable: other x86 system vectors were traced (" + vector_set_text(r.m) +
         ") than in the baseline's recording (" + vector_set_text(base.m) + ")";
  else if (r.irq_sources_differ.value_or(false))
    v += std::string("; hard IRQ/1K not comparable: the x86 system vectors (timer tick, IPIs) were traced in ") +
         (*r.m.irq_system_vectors ? "this recording, not in the baseline's" : "the baseline's recording, not in this one");
  return v;
}

}  // namespace

Comparison compare_scenarios(const std::vector<ScenarioMetrics>& scenarios) {
  if (scenarios.size() < 2) throw Error("compare needs at least two scenarios (the first is the baseline)");
  Comparison c;
  // The launch rate is the basis when any scenario has one. A scenario without one does not take
  // the others' away: one whose recording did not measure its launch calls (review AR, L5), and one
  // whose capture holds no launch call or no wall time (an empty or GPU-only capture, review SW M1:
  // it made the basis "none" for all, and a measured row read "no throughput or launch rate to
  // compare"). Each such row says why; a baseline without a rate leaves no slowdown to compute.
  bool all_tp = true, any_rate = false;
  for (const ScenarioMetrics& s : scenarios) {
    all_tp = all_tp && s.throughput && *s.throughput > 0;
    any_rate = any_rate || has_launch_rate(s);
  }
  c.basis = all_tp ? "throughput" : any_rate ? "launch_rate" : "none";
  for (const ScenarioMetrics& s : scenarios) {
    ComparisonRow r;
    r.m = s;
    if (all_tp) r.rate = *s.throughput;
    else if (any_rate && has_launch_rate(s)) {
      r.rate = static_cast<double>(s.launches) * 1e9 / static_cast<double>(s.wall);
      r.rate_lower_bound = s.launch_records_lost > 0 || !s.launch_partial_note.empty();
    }
    else if (any_rate && !s.launches_measured) c.rate_not_measured.push_back(s.name);
    else if (any_rate) c.no_launch_rate.push_back(s.name);
    c.rows.push_back(r);
  }
  const ComparisonRow& base = c.rows.front();
  for (size_t i = 0; i < c.rows.size(); ++i) {
    ComparisonRow& r = c.rows[i];
    // Launch rates of different work (launch counts and walls too far apart) are not throughputs:
    // no slowdown. Counts apart over one wall time: a fixed-time run's work done, said in the verdict.
    if (i > 0 && c.basis == "launch_rate" && r.rate && base.rate && launch_counts_differ(base.m, r.m)) {
      const double wa = static_cast<double>(base.m.wall), wb = static_cast<double>(r.m.wall);
      r.launch_count_mismatch =
          std::min(wa, wb) < std::max(wa, wb) * (1.0 - kLaunchCountTolerance) ? "different_work" : "same_wall";
    }
    if (i > 0 && base.m.launch_mix && r.m.launch_mix)
      r.launch_mix_similarity = launch_mix_similarity(*base.m.launch_mix, *r.m.launch_mix);
    // (A measured row without a rate, an empty or GPU-only capture, has none to withhold: its verdict
    // says why it has none.)
    r.launch_mix_differs = c.basis == "launch_rate" && r.launch_mix_similarity && *r.launch_mix_similarity < kLaunchMixMinSimilarity &&
                           !(r.m.launches_measured && !r.rate);
    if (i > 0 && c.basis == "launch_rate" && r.rate && base.rate && !r.launch_mix_similarity)
      r.launch_mix_unchecked_reason = launch_mix_unchecked(base.m, r.m, r.launch_mix_unchecked_withholds);
    // Rates more than kMaxRateRatio apart are not one workload in one unit, and their slowdown may
    // not even be finite (throughputs 1 and 1e308 read "-inf%": review CS M3).
    const bool rates_apart = r.rate && base.rate &&
                             !(*r.rate / *base.rate <= kMaxRateRatio && *base.rate / *r.rate <= kMaxRateRatio);
    if (i > 0 && rates_apart)
      r.slowdown_undefined_reason = "the rates (" + format_rate(*base.rate) + " and " + format_rate(*r.rate) +
                                    ") are more than a million times apart, so they are not one workload measured in one "
                                    "unit and give no slowdown (check each scenario's " +
                                    // On the launch-rate basis no scenario has a throughput to check
                                    // (review WD56 L4): its rate is launches over wall time.
                                    (c.basis == "throughput" ? "throughput)" : "launch count and wall time)");
    if (r.rate && base.rate && r.launch_count_mismatch != "different_work" && !r.launch_mix_differs &&
        !r.launch_mix_unchecked_withholds && !rates_apart)
      r.slowdown_pct = (*base.rate - *r.rate) / *base.rate * 100.0;
    if (r.launch_mix_differs && !r.m.kernel_names.empty() && !base.m.kernel_names.empty()) {
      r.launch_mix_difference = kernel_difference(base.m, r.m, 0);
      r.launch_mix_difference_note = kernel_difference(base.m, r.m, kNoteKernelNameBytes);
    }
    r.gpu_models_differ = i > 0 && !r.m.gpu_models.empty() && !base.m.gpu_models.empty() && r.m.gpu_models != base.m.gpu_models;
    // (base - r) / base falls as r rises and rises as base rises: a lower-bound rate of this row
    // bounds the slowdown from above, the baseline's from below.
    if (r.slowdown_pct && i > 0 && (r.rate_lower_bound || base.rate_lower_bound))
      r.slowdown_bound = r.rate_lower_bound && base.rate_lower_bound ? "either_way" : r.rate_lower_bound ? "at_most" : "at_least";
    if (base.m.sched_per_1k && r.m.sched_per_1k && *base.m.sched_per_1k > 0)
      r.sched_increase = *r.m.sched_per_1k / *base.m.sched_per_1k;
    if (base.m.window_sched_per_1k && r.m.window_sched_per_1k && *base.m.window_sched_per_1k > 0)
      r.window_sched_increase = *r.m.window_sched_per_1k / *base.m.window_sched_per_1k;
    // Both ratios divide this row's launches-counted rate by the baseline's (the window's rates count
    // the same launches): an upper-bound numerator bounds the ratio from above, an upper-bound
    // denominator from below, both leave it either way (review FC L6); so does one side's rates
    // being neither bound (their own events lost) beside an upper bound (review FH M1).
    if (i > 0 && (r.sched_increase || r.window_sched_increase))
      r.sched_increase_bound =
          ratio_of_per_1k_rates(!r.m.per_1k_upper_bound_reason.empty(), r.m.per_1k_events_lost,
                                !base.m.per_1k_upper_bound_reason.empty(), base.m.per_1k_events_lost);
    // A launch window that may be shorter than its launches has rates neither bound (review LW M1).
    if (i > 0 && r.window_sched_increase)
      r.window_sched_increase_bound =
          r.m.window_ends_uncertain || base.m.window_ends_uncertain ? "either_way" : r.sched_increase_bound;
    if (base.m.irq_system_vectors && r.m.irq_system_vectors) {
      r.irq_vector_sets_differ = vector_sets_differ(base.m, r.m);
      // Both count vectors but one does not say which (an analysis saved before sched --json listed
      // them): unknown, not "the same set" (review EK M3, the DX M3 rule for the flag).
      const bool set_unknown = *base.m.irq_system_vectors && *r.m.irq_system_vectors &&
                               (!base.m.irq_vectors_traced || !r.m.irq_vectors_traced);
      if (!set_unknown)
        r.irq_sources_differ = *base.m.irq_system_vectors != *r.m.irq_system_vectors || r.irq_vector_sets_differ;
    }
    r.verdict = row_verdict(r, i == 0, base, c.basis);
  }
  return c;
}

}  // namespace infertrace
