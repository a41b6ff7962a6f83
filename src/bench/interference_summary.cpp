#include "bench/interference_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/text_table.h"
#include "trace/recorder_drops.h"
#include "util/plural.h"
#include "util/units.h"

namespace infertrace::bench {

using nlohmann::json;

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double a = v[n / 2 - (n % 2 ? 0 : 1)], b = v[n / 2];
  if (n % 2) return b;
  // Halves first when the sum would overflow (two runs of 1e308: inf, review TI L2); otherwise the
  // sum, which keeps a subnormal's last bits.
  return std::isfinite(a + b) ? (a + b) / 2.0 : a / 2.0 + b / 2.0;
}

double no_overlap_chance(int r1, int r2) {
  // C(r1 + r2, r1) as a product of ratios: close (not exact) in a double, which overflows to inf from
  // 511 and 511 runs (10^307), the chance then 0; fine for the test against kApartChanceLevel. The
  // figure printed comes from chance_words(), exact or bounded.
  double c = 1;
  for (int k = 1; k <= r1; ++k) c = c * (r2 + k) / k;
  return 2.0 / c;
}

std::string chance_words(int r1, int r2) {
  // C(n, k) step by step, each step C(r2 + k, k) an integer: exact in 128 bits while below the limit.
  constexpr unsigned __int128 kExactBelow = static_cast<unsigned __int128>(2'000'000'000'000'000ULL);  // C/2 < 10^15
  unsigned __int128 c = 1;
  bool exact = r1 >= 0 && r2 >= 0;
  for (int k = 1; k <= r1 && exact; ++k) {
    c = c * static_cast<unsigned __int128>(r2 + k) / static_cast<unsigned __int128>(k);
    exact = c < kExactBelow;
  }
  const auto grouped = [](unsigned long long v) {
    std::string d = std::to_string(v), out;
    for (size_t i = 0; i < d.size(); ++i) {
      if (i > 0 && (d.size() - i) % 3 == 0) out += ',';
      out += d[i];
    }
    return out;
  };
  if (exact) {
    const auto n = static_cast<unsigned long long>(c);
    // 2 of the C orders: "1 time in C/2", or for an odd C (3 and 4 runs: 35) "2 times in C".
    return n % 2 == 0 ? "1 time in " + grouped(n / 2) : "2 times in " + grouped(n);
  }
  // Too large to print: the power of ten below C/2 (log10 by lgamma; 10^305 for 511 and 511 runs).
  const double log10_half = (std::lgamma(r1 + r2 + 1.0) - std::lgamma(r1 + 1.0) - std::lgamma(r2 + 1.0)) / std::log(10.0) -
                            std::log10(2.0);
  return "less than 1 time in 10^" + std::to_string(static_cast<long long>(std::floor(log10_half)));
}

namespace {

std::optional<double> median_opt(const std::vector<double>& v) {
  return v.empty() ? std::nullopt : std::optional<double>(median_of(v));
}

std::string fixed(const std::optional<double>& v, int digits, const char* suffix = "") {
  // Not finite: "-", as the JSON's null (review TI L2: "-inf%" beside a null slowdown_pct).
  if (!v || !std::isfinite(*v)) return "-";
  char buf[64];
  // Huge values compactly (1e308 printed %.3f was 309 digits): 6 significant digits and an exponent.
  if (std::abs(*v) >= 1e15) std::snprintf(buf, sizeof buf, "%.6g%s", *v, suffix);
  else std::snprintf(buf, sizeof buf, "%.*f%s", digits, *v, suffix);
  return buf;
}

json opt(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

// A ratio that overflowed (or underflowed to nothing useful) is no figure: none, as for a zero base.
std::optional<double> finite_or_none(double v) { return std::isfinite(v) ? std::optional<double>(v) : std::nullopt; }

// A median difference means something only when it stands out of the run-to-run spread: on a
// shared machine a slow stretch can move one scenario's median by more than the load does.
std::string verdict_against(const ScenarioSummary& s, const ScenarioSummary& base) {
  if (!s.median || !s.min || !base.min) return "no usable runs";
  // A slowdown is a share of the baseline's median: none of 0 or less (review BI L3: this said "no
  // usable runs" of a scenario with usable runs).
  if (!s.slowdown_pct) {
    char buf[160];
    if (*base.median > 0)  // a share too large for a double (a baseline of 1e-320, review TI L2)
      std::snprintf(buf, sizeof buf, "no slowdown: the difference is not a finite share of the baseline median %g", *base.median);
    else
      std::snprintf(buf, sizeof buf, "no slowdown: the baseline median is %g (a slowdown is a share of it)", *base.median);
    return buf;
  }
  const double pct = *s.slowdown_pct;
  char buf[320];
  const char* dir = pct >= 0 ? "slower" : "faster";
  if (s.runs_ok < 2 || base.runs_ok < 2) {
    std::snprintf(buf, sizeof buf, "%.1f%% %s (one run: no spread to judge it by)", std::abs(pct), dir);
  } else if (*s.max < *base.min || *s.min > *base.max) {
    // Apart is not yet beyond chance: with no effect at all, 2 and 2 runs fall apart 1 time in 3, 3
    // and 3 1 time in 10 (review BX M1: 4 of 12 null experiments at -r 2 said "beyond").
    const double chance = no_overlap_chance(s.runs_ok, base.runs_ok);
    // Exact or bounded, never %.4g's "2.431e+04" or "inf" (review TI L1).
    const std::string one_in = chance_words(s.runs_ok, base.runs_ok);
    if (chance <= kApartChanceLevel) {
      std::snprintf(buf, sizeof buf, "%.1f%% %s, beyond the run-to-run spread (no run overlaps the baseline's; "
                    "%s by chance with %d and %d runs)", std::abs(pct), dir, one_in.c_str(), s.runs_ok, base.runs_ok);
    } else {
      int r = 2;
      while (no_overlap_chance(r, r) > kApartChanceLevel) ++r;
      std::snprintf(buf, sizeof buf, "%.1f%% %s by the medians; no run overlaps the baseline's, but with %d and %d runs "
                    "that happens %s by chance: too few runs to tell (%d usable runs of each, -r %d, would tell)",
                    std::abs(pct), dir, s.runs_ok, base.runs_ok, one_in.c_str(), r, r);
    }
  } else {
    std::snprintf(buf, sizeof buf, "within the run-to-run spread (%.1f%% %s by the medians)", std::abs(pct), dir);
  }
  return buf;
}

}  // namespace

std::string lost_cell(const ScenarioSummary& s) {
  if (!s.lost_events) return "-";
  const int64_t slots = s.unpublished_slots.value_or(0);
  if (slots <= 0) return std::to_string(*s.lost_events);
  return "<=" + std::to_string(saturating_add_drops(*s.lost_events, slots));
}

bool per_1k_medians_upper_bounds(const ScenarioSummary& s) {
  return s.runs_per_1k_upper_bound > 0 && s.runs_per_1k_neither_bound == 0;
}

std::vector<ScenarioSummary> summarize_interference(const std::vector<ScenarioResult>& results,
                                                    const std::vector<std::vector<std::optional<ScenarioMetrics>>>& sched,
                                                    bool metric_from_output) {
  std::vector<ScenarioSummary> out;
  for (size_t i = 0; i < results.size(); ++i) {
    const ScenarioResult& r = results[i];
    ScenarioSummary s;
    s.name = r.name, s.description = r.description, s.skip_reason = r.skip_reason;
    s.runs = static_cast<int>(r.runs.size());
    std::vector<double> walls;
    for (const RunResult& run : r.runs) {
      if (run.lost_events) {
        s.lost_events = saturating_add_drops(s.lost_events.value_or(0), *run.lost_events);
        s.runs_with_lost_events += *run.lost_events > 0;
      }
      if (run.unpublished_slots) {
        s.unpublished_slots = saturating_add_drops(s.unpublished_slots.value_or(0), *run.unpublished_slots);
        s.runs_with_unpublished_slots += *run.unpublished_slots > 0;
      }
      if (!run.error.empty()) continue;
      ++s.runs_ok;
      walls.push_back(run.wall_s);
      s.throughput.push_back(metric_from_output ? *run.metric : 1.0 / run.wall_s);
    }
    s.wall_median_s = median_opt(walls);
    s.median = median_opt(s.throughput);
    if (s.median) {
      s.min = *std::min_element(s.throughput.begin(), s.throughput.end());
      s.max = *std::max_element(s.throughput.begin(), s.throughput.end());
      if (*s.median > 0) s.spread_pct = finite_or_none((*s.max - *s.min) / *s.median * 100.0);
    }
    std::vector<double> sp, ih, is, pen, off;
    if (i < sched.size())
      for (const auto& m : sched[i]) {
        if (!m) continue;
        ++s.analysed;
        s.runs_per_1k_upper_bound += m->per_1k_upper_bound_reason.empty() ? 0 : 1;
        s.runs_per_1k_neither_bound += m->per_1k_events_lost ? 1 : 0;
        if (m->sched_per_1k) sp.push_back(*m->sched_per_1k);
        if (m->irq_per_1k_hard) ih.push_back(*m->irq_per_1k_hard);
        if (m->irq_per_1k_soft) is.push_back(*m->irq_per_1k_soft);
        if (m->offcpu_share) off.push_back(*m->offcpu_share);
        if (m->penalty) pen.push_back(static_cast<double>(*m->penalty));
      }
    s.sched_per_1k = median_opt(sp), s.irq_per_1k_hard = median_opt(ih), s.irq_per_1k_soft = median_opt(is);
    s.penalty_ns = median_opt(pen), s.offcpu_share = median_opt(off);
    // Why a column stays "-": the distinct reasons of the analysed runs (none of which had the figure).
    const auto reasons_for = [&](const char* column, bool missing, auto reason_of) {
      if (!missing || i >= sched.size()) return;
      std::vector<std::string> rs;
      for (const auto& m : sched[i])
        if (m)
          if (std::string r = reason_of(*m); !r.empty() && std::find(rs.begin(), rs.end(), r) == rs.end()) rs.push_back(r);
      std::string joined;
      for (const std::string& r : rs) joined += (joined.empty() ? "" : "; ") + r;
      if (!joined.empty()) s.undefined_reasons.emplace_back(column, joined);
    };
    constexpr const char* kNoSwitches = "no context switches recorded";
    reasons_for("Sched/1K", !s.sched_per_1k, [&](const ScenarioMetrics& m) {
      return m.switches_recorded ? m.rates_undefined_reason : std::string(kNoSwitches);
    });
    reasons_for("IRQ/1K", !s.irq_per_1k_hard, [](const ScenarioMetrics& m) {
      return m.irqs_recorded ? m.rates_undefined_reason : std::string("no IRQs recorded");
    });
    reasons_for("penalty", !s.penalty_ns, [&](const ScenarioMetrics& m) {
      return m.switches_recorded ? m.penalty_undefined_reason : std::string(kNoSwitches);
    });
    reasons_for("off-CPU", !s.offcpu_share, [&](const ScenarioMetrics& m) {
      return m.switches_recorded ? m.offcpu_undefined_reason : std::string(kNoSwitches);
    });
    out.push_back(s);
  }
  // Only the scenario named baseline is the reference: with it missing or without a usable run,
  // no slowdown is given (another scenario taken in its place would make up a comparison).
  const ScenarioSummary* base = nullptr;
  for (const ScenarioSummary& s : out)
    if (s.name == "baseline" && s.median) base = &s;
  if (!base) {
    for (ScenarioSummary& s : out)
      if (s.skip_reason.empty()) s.verdict = s.name == "baseline" ? "baseline (no usable run)" : "no baseline to compare with";
  } else {
    const ScenarioSummary b = *base;
    for (ScenarioSummary& s : out) {
      if (s.median && *b.median > 0) s.slowdown_pct = finite_or_none((*b.median - *s.median) / *b.median * 100.0);
      if (s.sched_per_1k && b.sched_per_1k && *b.sched_per_1k > 0)
        s.sched_increase = finite_or_none(*s.sched_per_1k / *b.sched_per_1k);
      if (s.sched_increase && &s != base)
        s.sched_increase_bound = ratio_of_per_1k_rates(s.runs_per_1k_upper_bound > 0, s.runs_per_1k_neither_bound > 0,
                                                       b.runs_per_1k_upper_bound > 0, b.runs_per_1k_neither_bound > 0);
      // A skipped scenario has no verdict, as without a baseline (it said "no usable runs" in JSON).
      if (s.skip_reason.empty()) s.verdict = &s == base ? "baseline" : verdict_against(s, b);
    }
  }
  return out;
}

std::string undefined_columns_note(const std::vector<ScenarioSummary>& v) {
  // Scenarios with the same reasons share a line: the built-in workload gives every scenario the
  // same ones.
  std::vector<std::pair<std::vector<std::string>, const ScenarioSummary*>> groups;
  for (const ScenarioSummary& s : v) {
    if (!s.skip_reason.empty() || s.undefined_reasons.empty()) continue;
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.second->undefined_reasons == s.undefined_reasons; });
    if (g == groups.end()) groups.push_back({{s.name}, &s});
    else g->first.push_back(s.name);
  }
  const auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (size_t k = 0; k < names.size(); ++k)
      out += (k == 0 ? "" : k + 1 == names.size() ? " and " : ", ") + names[k];
    return out;
  };
  std::string note;
  for (const auto& [names, s] : groups) {
    // Columns with one reason together: "Sched/1K, x base and IRQ/1K (no launch calls)"; x base is a
    // ratio of Sched/1K, so it goes with it.
    std::vector<std::pair<std::vector<std::string>, std::string>> parts;
    for (const auto& [column, reason] : s->undefined_reasons) {
      std::vector<std::string> cols{column};
      if (column == "Sched/1K") cols.push_back("x base");
      if (!parts.empty() && parts.back().second == reason) parts.back().first.insert(parts.back().first.end(), cols.begin(), cols.end());
      else parts.push_back({cols, reason});
    }
    std::string said;
    for (const auto& [cols, reason] : parts) said += (said.empty() ? "" : "; ") + list(cols) + " (" + reason + ")";
    note += "  \"-\" for " + list(names) + ": " + said + ", from each run's analysis (RECORDING.sched.json)\n";
  }
  return note;
}

void print_interference(std::ostream& os, const std::vector<ScenarioSummary>& v, bool metric_from_output) {
  TextTable t({"scenario", "runs", metric_from_output ? "metric (median)" : "runs/s (median)", "min", "max", "spread",
               "wall", "slowdown", "Sched/1K", "x base", "IRQ/1K h/s", "penalty", "off-CPU", "lost"});
  for (const ScenarioSummary& s : v) {
    if (!s.skip_reason.empty()) {
      t.add_row({s.name, "-", "skipped: " + s.skip_reason, "", "", "", "", "", "", "", "", "", "", ""});
      continue;
    }
    // Medians of rates some of which are upper bounds (launches counted fewer than ran): "<=", and
    // the increase from them with compare's marks (review FC L6); not when some run's rates are
    // neither bound (review FH M1). A median of exactly 0 unmarked: at least half the runs counted
    // no event, exact whatever their launches (per_1k_marked).
    const auto bounded = [&](const std::optional<double>& v, int digits) {
      return v ? per_1k_marked(per_1k_medians_upper_bounds(s), *v, "<=", fixed(v, digits)) : fixed(v, digits);
    };
    const std::string increase =
        s.sched_increase ? slowdown_mark(s.sched_increase_bound) + fixed(s.sched_increase, 2, "x") : std::string("-");
    t.add_row({s.name, std::to_string(s.runs_ok) + "/" + std::to_string(s.runs), fixed(s.median, 3), fixed(s.min, 3),
               fixed(s.max, 3), fixed(s.spread_pct, 1, "%"), s.wall_median_s ? format_ns(*s.wall_median_s * 1e9) : std::string("-"), fixed(s.slowdown_pct, 1, "%"),
               bounded(s.sched_per_1k, 1), increase,
               s.irq_per_1k_hard ? bounded(s.irq_per_1k_hard, 1) + "/" + bounded(s.irq_per_1k_soft, 1) : "-",
               s.penalty_ns ? format_ns(*s.penalty_ns) : "-", s.offcpu_share ? format_pct(*s.offcpu_share) : "-",
               lost_cell(s)});
  }
  // Slowdowns exist only against a baseline with a usable run (summarize_interference).
  const bool has_baseline =
      std::any_of(v.begin(), v.end(), [](const ScenarioSummary& s) { return s.name == "baseline" && s.median; });
  const bool positive_baseline = std::any_of(v.begin(), v.end(), [](const ScenarioSummary& s) {
    return s.name == "baseline" && s.median && *s.median > 0;
  });
  t.print(os, positive_baseline ? "Interference scenarios (slowdown against the baseline median: the share of its "
                                  "throughput lost; 50% slower = half the work per second)"
              : has_baseline    ? "Interference scenarios (baseline median not above 0: no slowdown)"
                                : "Interference scenarios (no baseline run to compare with: no slowdown)");
  for (const ScenarioSummary& s : v) {
    if (!s.skip_reason.empty()) continue;
    os << "  " << s.name << ": " << s.description << (s.verdict.empty() ? "" : " -> ") << s.verdict;
    // A lossy recording is most likely here (its recorder shares the machine with the loads); its
    // Sched/1K, IRQ/1K, penalty and off-CPU come from an incomplete record.
    if (s.runs_with_lost_events > 0)
      os << "; the recorder lost " << *s.lost_events << plural(*s.lost_events, " event", " events") << " in "
         << s.runs_with_lost_events << " of " << s.analysed
         << " analysed run" << (s.analysed == 1 ? "" : "s") << ": its scheduler figures are from an incomplete record";
    // Apart from the exact count: a slot count bounds the records lost (the "lost" cell's "<=").
    if (s.runs_with_unpublished_slots > 0)
      os << "; up to " << *s.unpublished_slots << plural(*s.unpublished_slots, " CUPTI record", " CUPTI records")
         << " unread in " << s.runs_with_unpublished_slots << " of " << s.analysed << " analysed run"
         << (s.analysed == 1 ? "" : "s") << " (a process was killed mid-write: CUPTI ring slots never published), "
         << "so its lost count is an upper bound (<=)";
    if (s.runs_per_1k_upper_bound > 0) {
      os << "; launches were counted fewer than ran in " << s.runs_per_1k_upper_bound << " of " << s.analysed
         << " analysed run" << (s.analysed == 1 ? "" : "s") << " (records lost that may be launch calls, or launch callbacks CUPTI refused): ";
      if (per_1k_medians_upper_bounds(s))
        os << "its Sched/1K and IRQ/1K medians are upper bounds (<=)";
      else
        os << "with the rates of " << s.runs_per_1k_neither_bound << " run" << (s.runs_per_1k_neither_bound == 1 ? "" : "s")
           << " neither bound (switches or IRQs lost too), its Sched/1K and IRQ/1K medians are neither bound (not marked)";
    }
    os << "\n";
  }
  os << undefined_columns_note(v);
}

namespace {

// A column's reason in ScenarioSummary::undefined_reasons, null without one: under compare --json's
// keys (rates_undefined_reason: Sched/1K's, else IRQ/1K's), which the HTML report shows as
// "n/a (reason)" in the null cells (review DJ M2).
json undefined_reason_json(const ScenarioSummary& s, std::initializer_list<const char*> columns) {
  for (const char* c : columns)
    for (const auto& [column, reason] : s.undefined_reasons)
      if (column == c) return reason;
  return nullptr;
}

}  // namespace

bool every_run_made(const std::vector<ScenarioResult>& results, int repetitions) {
  for (const ScenarioResult& r : results) {
    if (!r.skip_reason.empty()) continue;
    if (r.runs.size() != static_cast<size_t>(repetitions)) return false;
    for (const RunResult& run : r.runs)
      if (run.error == "interrupted") return false;
  }
  return true;
}

json interference_json(const InterferenceOptions& o, const std::vector<ScenarioResult>& results,
                       const std::vector<ScenarioSummary>& sums, bool complete) {
  json scen = json::array();
  for (size_t i = 0; i < sums.size(); ++i) {
    const ScenarioSummary& s = sums[i];
    json runs = json::array();
    for (const RunResult& r : results[i].runs)
      runs.push_back({{"exit_code", r.exit_code},
                      {"wall_s", r.wall_s},
                      {"metric", r.metric ? json(*r.metric) : json(nullptr)},
                      {"recording", r.recording.empty() ? json(nullptr) : json(r.recording)},
                      {"error", r.error.empty() ? json(nullptr) : json(r.error)},
                      {"lost_events", r.lost_events ? json(*r.lost_events) : json(nullptr)},
                      {"unpublished_slots", r.unpublished_slots ? json(*r.unpublished_slots) : json(nullptr)}});
    scen.push_back({{"name", s.name},
                    {"description", s.description},
                    {"skipped", !s.skip_reason.empty()},
                    {"skip_reason", s.skip_reason.empty() ? json(nullptr) : json(s.skip_reason)},
                    {"runs_ok", s.runs_ok},
                    {"throughput", opt(s.median)},
                    {"throughput_min", opt(s.min)},
                    {"throughput_max", opt(s.max)},
                    {"spread_pct", opt(s.spread_pct)},
                    {"wall_s", opt(s.wall_median_s)},
                    {"slowdown_pct", opt(s.slowdown_pct)},
                    {"verdict", s.verdict.empty() ? json(nullptr) : json(s.verdict)},
                    {"analysed_recordings", s.analysed},
                    {"sched_per_1k", opt(s.sched_per_1k)},
                    {"sched_increase", opt(s.sched_increase)},
                    {"irq_per_1k_hard", opt(s.irq_per_1k_hard)},
                    {"irq_per_1k_soft", opt(s.irq_per_1k_soft)},
                    {"penalty_ns", opt(s.penalty_ns)},
                    {"offcpu_share", opt(s.offcpu_share)},
                    {"lost_events", s.lost_events ? json(*s.lost_events) : json(nullptr)},
                    {"runs_with_lost_events", s.runs_with_lost_events},
                    {"unpublished_slots", s.unpublished_slots ? json(*s.unpublished_slots) : json(nullptr)},
                    {"runs_with_unpublished_slots", s.runs_with_unpublished_slots},
                    {"per_1k_upper_bound", per_1k_medians_upper_bounds(s)},
                    {"runs_per_1k_upper_bound", s.runs_per_1k_upper_bound},
                    {"runs_per_1k_neither_bound", s.runs_per_1k_neither_bound},
                    {"sched_increase_bound", s.sched_increase_bound.empty() ? json(nullptr) : json(s.sched_increase_bound)},
                    {"rates_undefined_reason", undefined_reason_json(s, {"Sched/1K", "IRQ/1K"})},
                    {"penalty_undefined_reason", undefined_reason_json(s, {"penalty"})},
                    {"offcpu_undefined_reason", undefined_reason_json(s, {"off-CPU"})},
                    {"runs", runs},
                    // pinned: whether CMD ran with nice -10 (review BX H1); null for other scenarios.
                    {"nice_applied", results[i].nice_applied ? json(*results[i].nice_applied) : json(nullptr)},
                    // A disk load on tmpfs, a pinning to every CPU (review BT57 L2, L3); [] when none.
                    {"warnings", results[i].warnings}});
  }
  return {{"kind", "compare"},
          {"experiment", "interference"},
          {"schema_version", 1},
          {"command", o.command},
          {"repetitions", o.repetitions},
          {"metric_regex", o.metric_regex.empty() ? json(nullptr) : json(o.metric_regex)},
          {"basis", o.metric_regex.empty() ? "runs_per_second" : "metric"},
          {"recorded", o.record},
          {"scenarios", scen},
          {"complete", complete}};
}

}  // namespace infertrace::bench
