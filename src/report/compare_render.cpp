#include <cmath>
#include "report/compare_render.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include "analysis/launch_undercount.h"

#include "report/json_brief.h"
#include "report/launch_mix_json.h"
#include "report/schema_version.h"
#include "report/text_table.h"
#include "trace/gpu_models.h"
#include "trace/recorder_drops.h"
#include "util/error.h"
#include "util/json_int.h"
#include "util/units.h"

namespace infertrace {

using nlohmann::json;

namespace {

double number(const json& o, const char* key, const std::string& file) {
  if (!o.contains(key)) return 0.0;
  if (!o[key].is_number()) throw InputError(file, -1, std::string("\"") + key + "\" is not a number");
  return o[key].get<double>();
}

// A figure that may be undefined (null: e.g. per 1000 launches of a run without launches).
std::optional<double> optional_number(const json& o, const char* key, const std::string& file) {
  if (!o.contains(key) || o[key].is_null()) return std::nullopt;
  if (!o[key].is_number()) throw InputError(file, -1, std::string("\"") + key + "\" is not a number or null");
  return o[key].get<double>();
}

// A count or duration in ns, `v` a number: within int64_t's range, a float truncated toward zero
// as the cast before json_int_truncating did (a saved analysis writes integers; a hand-edited one may not).
int64_t whole(const json& v, const char* key, const std::string& file) {
  if (const std::optional<int64_t> x = json_int_truncating(v)) return *x;
  throw InputError(file, -1, std::string("\"") + key + "\" is out of range: " + json_brief(v));
}

// The same for a member that may be absent (0 then); it must be a number.
int64_t whole_member(const json& o, const char* key, const std::string& file) {
  number(o, key, file);
  return o.contains(key) ? whole(o[key], key, file) : 0;
}

// o[key], or null when o is no object or lacks it.
const json& member_or_null(const json& o, const char* key) {
  static const json none;
  return o.is_object() && o.contains(key) ? o[key] : none;
}

json opt_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json opt_reason(const std::string& r) { return r.empty() ? json(nullptr) : json(r); }

// A figure whose events the input does not hold (a Kineto trace has no context switches or IRQs):
// said so, as `sched` says it, where "-" would read as "no launches" or "nothing happened".
constexpr const char* kNotRecorded = "not recorded";

// The names of the scenarios `pick` selects, comma-separated, then `one` or `many` (the verb that
// agrees with them: "k holds", "k, j hold"); "" when it selects none.
template <typename Pick>
std::string scenario_names(const Comparison& c, Pick pick, const char* one, const char* many) {
  std::string names;
  size_t n = 0;
  for (const ComparisonRow& r : c.rows)
    if (pick(r)) names += (names.empty() ? "" : ", ") + r.m.name, ++n;
  return n == 0 ? "" : names + (n == 1 ? one : many);
}

// The scenarios without switches (or IRQs): "k holds", "k, j hold"; "" when every one has them.
std::string unrecorded_names(const Comparison& c, bool ScenarioMetrics::*recorded) {
  return scenario_names(c, [&](const ComparisonRow& r) { return !(r.m.*recorded); }, " holds", " hold");
}

}  // namespace

SavedPer1kBound per_1k_bound_of_saved_sched(const json& s, const std::string& file) {
  SavedPer1kBound out;
  // The drop counters, summed as for the recording (tally_per_1k_drop).
  Per1kDropTally drops;
  if (s.contains("dropped") && s["dropped"].is_object())
    for (const auto& [key, n] : s["dropped"].items())
      if (n.is_number()) tally_per_1k_drop(drops, key, whole(n, "dropped", file));
  // Loss windows lost switches or IRQs too (`loss.lost_by_type`, since 2026-12-04); a document
  // saved before it says only that there was loss: neither bound, as its recording was then read.
  if (s.contains("rates_over_loss") && s["rates_over_loss"] == true) {
    const json& loss = s.contains("loss") ? s["loss"] : json(nullptr);
    const json& by_type = loss.is_object() && loss.contains("lost_by_type") ? loss["lost_by_type"] : json(nullptr);
    std::map<std::string, int64_t> lost;
    if (by_type.is_object())
      for (const auto& [key, n] : by_type.items()) lost[key] = whole(n, "loss.lost_by_type", file);
    if (!by_type.is_object()) drops.rate_events_lost = drops.outside_rate_events_lost = true;
    tally_loss_window(drops, lost);
    out.outside_types_lost = loss_types_changing_outside_rates(lost);
  }
  out.outside_events_lost = drops.outside_rate_events_lost;
  const bool rate_events_lost = drops.rate_events_lost;
  out.launch_records_lost = per_1k_launch_records_lost(drops), out.events_lost = rate_events_lost;
  out.launch_records_lost_up_to = drops.launch_records_lost_up_to;
  // Launch APIs CUPTI refused (sched --json writes the note only then): the rate is a lower bound.
  if (s.contains("launch_partial_note") && s["launch_partial_note"].is_string())
    out.launch_partial_note = s["launch_partial_note"].get<std::string>();
  const int64_t launches = s.contains("launches") && s["launches"].is_number() ? whole(s["launches"], "launches", file) : 0;
  // As the document says (`per_1k_upper_bound`, since 2026-12-03); a document saved before the key,
  // by the same rule from what it holds, so that it reads as its recording does.
  const json& bound = s.contains("per_1k_upper_bound") ? s["per_1k_upper_bound"] : json(nullptr);
  if (!bound.is_null() && !bound.is_boolean()) throw InputError(file, -1, "\"per_1k_upper_bound\" is not true, false or null");
  const std::string rule = per_1k_upper_bound_reason(launches, out.launch_records_lost, out.launch_partial_note, rate_events_lost,
                                                     drops.launch_records_lost_up_to);
  if (bound.is_boolean() && bound.get<bool>()) {
    const json& why = s.contains("per_1k_upper_bound_reason") ? s["per_1k_upper_bound_reason"] : json(nullptr);
    out.upper_bound_reason = why.is_string() && !why.get<std::string>().empty() ? why.get<std::string>()
                             : !rule.empty()                                     ? rule
                                                                                 : std::string("fewer launches counted than ran");
  } else if (!bound.is_boolean()) {
    out.upper_bound_reason = rule;
  }
  return out;
}

ScenarioMetrics scenario_from_json(const json& doc, const std::string& name, const std::string& file) {
  if (!doc.is_object()) throw InputError(file, -1, "expected a JSON object with a scheduler analysis");
  // As `report` reads it (review HR L1: compare never looked).
  if (const std::string problem = schema_version_problem(doc); !problem.empty()) throw InputError(file, -1, problem);
  const json* s = &doc;
  if (!doc.contains("sched_per_1k") && doc.contains("sched") && doc["sched"].is_object()) s = &doc["sched"];
  if (!s->contains("sched_per_1k") || !s->contains("launches"))
    throw InputError(file, -1, "no scheduler analysis in this JSON (expected \"sched_per_1k\" and \"launches\", from "
                               "`infertrace sched --json` or `infertrace analyze --json` of a recording)");
  ScenarioMetrics m;
  m.name = name, m.source = file;
  // null: the recording did not measure its launches (no launch rate to compare).
  m.launches_measured = !(*s)["launches"].is_null();
  m.launches = m.launches_measured ? whole_member(*s, "launches", file) : 0;
  m.wall = whole_member(*s, "wall_ns", file);
  m.sched_per_1k = optional_number(*s, "sched_per_1k", file);
  m.irq_per_1k_hard = optional_number(*s, "irq_per_1k_hard", file);
  m.irq_per_1k_soft = optional_number(*s, "irq_per_1k_soft", file);
  // The launch window (null when it has no length; absent from analyses saved before 2026-12-02).
  if (s->contains("launch_window") && !(*s)["launch_window"].is_null()) {
    if (!(*s)["launch_window"].is_object()) throw InputError(file, -1, "\"launch_window\" is not an object or null");
    m.window_sched_per_1k = optional_number((*s)["launch_window"], "sched_per_1k", file);
    // Since 2026-12-06 (review LW M1); absent from analyses saved before: not known to be uncertain.
    if (const json& lw = (*s)["launch_window"]; lw.contains("ends_uncertain")) {
      if (!lw["ends_uncertain"].is_boolean()) throw InputError(file, -1, "\"launch_window.ends_uncertain\" is not true or false");
      m.window_ends_uncertain = lw["ends_uncertain"].get<bool>();
    }
  }
  if (s->contains("penalty_ns")) {
    const json& p = (*s)["penalty_ns"];
    if (p.is_object() && p.contains("overall") && p["overall"].is_number()) m.penalty = whole(p["overall"], "penalty_ns", file);
    else if (p.is_number()) m.penalty = whole(p, "penalty_ns", file);
  }
  if (s->contains("main_thread") && (*s)["main_thread"].is_object())
    m.offcpu_share = optional_number((*s)["main_thread"], "offcpu_share", file);
  if (s->contains("signature") && (*s)["signature"].is_string()) m.signature = (*s)["signature"].get<std::string>();
  // Whether the events behind the rates were recorded (a Kineto trace's analysis says false).
  for (auto [key, flag] : {std::pair{"switches_recorded", &m.switches_recorded}, std::pair{"irqs_recorded", &m.irqs_recorded}}) {
    if (!s->contains(key) || (*s)[key].is_null()) continue;
    if (!(*s)[key].is_boolean()) throw InputError(file, -1, std::string("\"") + key + "\" is not true, false or null");
    *flag = (*s)[key].get<bool>();
  }
  // Absent from analyses saved before it existed, null without IRQs: unknown either way.
  if (s->contains("irq_system_vectors") && !(*s)["irq_system_vectors"].is_null()) {
    if (!(*s)["irq_system_vectors"].is_boolean()) throw InputError(file, -1, "\"irq_system_vectors\" is not a boolean or null");
    m.irq_system_vectors = (*s)["irq_system_vectors"].get<bool>();
  }
  // Which ones (added later on 2026-12-03): the lists are kept only beside a true flag, as
  // scenario_from_analysis keeps them.
  for (auto [key, list] : {std::pair{"irq_system_vectors_traced", &m.irq_vectors_traced},
                           std::pair{"irq_system_vectors_missing", &m.irq_vectors_missing}}) {
    if (!s->contains(key) || (*s)[key].is_null() || !m.irq_system_vectors.value_or(false)) continue;
    const json& v = (*s)[key];
    if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](const json& n) { return n.is_string(); }))
      throw InputError(file, -1, std::string("\"") + key + "\" is not a list of names or null");
    *list = v.get<std::vector<std::string>>();
  }
  // The recorder's loss (sched --json writes `rates_over_loss` and `loss` only with LOSS records;
  // `dropped` per counter since 2026-12-01): what marks the rates in the table, as for a recording.
  if (s->contains("rates_over_loss") && (*s)["rates_over_loss"].is_boolean()) m.rates_over_loss = (*s)["rates_over_loss"].get<bool>();
  if (s->contains("loss") && (*s)["loss"].is_object()) m.lost_events = whole_member((*s)["loss"], "lost_events", file);
  // The drops that may be launch calls, the launch partial note (a launch rate from either is a
  // lower bound) and whether the rates per 1000 launches are upper bounds or neither bound.
  const SavedPer1kBound bound = per_1k_bound_of_saved_sched(*s, file);
  m.launch_records_lost = bound.launch_records_lost, m.launch_partial_note = bound.launch_partial_note;
  m.launch_records_lost_up_to = bound.launch_records_lost_up_to;
  m.per_1k_upper_bound_reason = bound.upper_bound_reason, m.per_1k_events_lost = bound.events_lost;
  m.per_1k_outside_events_lost = bound.outside_events_lost;
  // The flags are as the analysis decides them (the recording's META events, else whether the trace
  // holds any OS event) in documents written since 2026-12-02 06:24, which all have
  // `launches_measured`. Older ones have no flags (before 2026-11-30 22:46) or flags that were
  // true by default whatever the trace held (a Kineto trace's analysis claimed both, with rates 0):
  // there `has_os_events`, which every scheduler analysis has written (false: not one switch,
  // wakeup, IRQ or syscall in the trace), decides as the analysis now would. A trace without any
  // OS event recorded none; one with some keeps the flag, or without it counts as recorded, as
  // before.
  if (!s->contains("launches_measured") && s->contains("has_os_events") && (*s)["has_os_events"].is_boolean() &&
      !(*s)["has_os_events"].get<bool>())
    m.switches_recorded = m.irqs_recorded = false;
  // A figure of events not recorded is unknown, as scenario_from_analysis leaves it: such an old
  // document's 0.0 rates must not reach the ratios, the verdict or compare --json.
  if (!m.switches_recorded) m.sched_per_1k.reset(), m.window_sched_per_1k.reset(), m.penalty.reset(), m.offcpu_share.reset();
  if (!m.irqs_recorded) m.irq_per_1k_hard.reset(), m.irq_per_1k_soft.reset();
  // No rate shown, none to bound (review FH L1), as scenario_from_analysis has it.
  if (!m.switches_recorded && !m.irqs_recorded) m.per_1k_upper_bound_reason.clear();
  // Why a null figure is null, as sched says it, from what the saved analysis holds; unknown ("")
  // where it lacks what decides it; none for rates whose events were not recorded (review EZ L1).
  if (m.switches_recorded || m.irqs_recorded)
    m.rates_undefined_reason = rates_undefined_reason(m.launches_measured ? std::optional<int64_t>(m.launches) : std::nullopt);
  const auto pair_count = [&](const char* group) -> std::optional<int64_t> {
    if (!s->contains("pairs") || !(*s)["pairs"].is_object()) return std::nullopt;
    const json& g = (*s)["pairs"].contains(group) ? (*s)["pairs"][group] : json(nullptr);
    if (!g.is_object() || !g.contains("count") || !g["count"].is_number()) return std::nullopt;
    return whole(g["count"], "count", file);
  };
  if (m.switches_recorded && !m.penalty)
    if (const auto clean = pair_count("clean"), switched = pair_count("switched"); clean && switched)
      m.penalty_undefined_reason = penalty_undefined_reason(*clean, *switched, m.launches_measured ? std::optional<int64_t>(m.launches) : std::nullopt);
  if (m.switches_recorded && !m.offcpu_share && s->contains("main_thread") && (*s)["main_thread"].is_object()) {
    const json& mt = (*s)["main_thread"];
    const int64_t left_out = mt.contains("offcpu_left_out_ns") && mt["offcpu_left_out_ns"].is_number()
                                 ? whole(mt["offcpu_left_out_ns"], "offcpu_left_out_ns", file) : 0;
    // tid null: no launching thread (a document saved before 2026-12-05 wrote -1 for it).
    if (mt.contains("tid") && (mt["tid"].is_number() || mt["tid"].is_null()))
      m.offcpu_undefined_reason =
          offcpu_undefined_reason(mt["tid"].is_null() ? -1 : whole(mt["tid"], "tid", file), m.wall - left_out);
  }
  // An incomplete recording (since 2026-12-07; review HR M1, M2): `dropped` null when its recorder
  // wrote no loss counters, `incomplete_note` what it lacks (a `recording_complete` false without
  // one, hand-edited, still says it is incomplete).
  if (s->contains("dropped") && (*s)["dropped"].is_null()) m.loss_counts_unknown = true;
  if (const json& note = member_or_null(*s, "incomplete_note"); note.is_string() && !note.get<std::string>().empty())
    m.incomplete_note = note.get<std::string>();
  else if (member_or_null(*s, "recording_complete") == false)
    m.incomplete_note = "incomplete recording";
  // What it launched, by shape (absent from analyses saved before 2026-12-05: unknown, not compared).
  if (s->contains("launch_mix")) m.launch_mix = launch_mix_from_json((*s)["launch_mix"], file);
  else m.launch_mix_unknown = true;
  // A throughput that is there must be usable: a string or a zero silently dropped would switch
  // the whole comparison to the launch-rate basis.
  for (const json* o : {&doc, s}) {
    if (!o->contains("throughput") || (*o)["throughput"].is_null()) continue;
    const json& tp = (*o)["throughput"];
    if (!tp.is_number() || !(tp.get<double>() > 0) || !std::isfinite(tp.get<double>()))
      throw InputError(file, -1, "\"throughput\" must be a positive number (work per second), not " + json_brief(tp));
    m.throughput = tp.get<double>();
  }
  return m;
}

void print_comparison(std::ostream& os, const Comparison& c) {
  // "window": the launch window (first to last launch), beside the whole-trace Sched/1K and its ratio.
  TextTable t({"scenario", c.basis == "throughput" ? "throughput" : "launches/s", "slowdown", "Sched/1K", "x base",
               "window Sched/1K", "window x base", "IRQ/1K hard", "IRQ/1K soft", "penalty", "off-CPU", "verdict"},
              {TextTable::Align::Left, TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Right,
               TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Right,
               TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Right, TextTable::Align::Left});
  const auto ratio = [](const std::optional<double>& v) { return v ? format_fixed(*v, 2) + "x" : "-"; };
  for (const ComparisonRow& r : c.rows) {
    // A null figure is "-" (as every table of the project shows one); one whose events this input
    // does not hold is "not recorded" (comparison_unrecorded_flag lists the same cells for the HTML).
    const auto sw = [&](std::string v) { return r.m.switches_recorded ? v : std::string(kNotRecorded); };
    const auto irq = [&](std::string v) { return r.m.irqs_recorded ? v : std::string(kNotRecorded); };
    // A null whose reason is known reads "n/a", as sched's "n/a (reason)", the reason in a note
    // below (comparison_notes), so the columns stay narrow; "-" where it is not known.
    const auto na = [](std::string v, const std::string& reason) { return v == "-" && !reason.empty() ? "n/a" : v; };
    // A rate of recorded launches while launch records were lost is a lower bound (">="); the
    // slowdown from it is bounded one way ("<=", ">=") or, both rates bounds, neither ("~").
    const std::string rate_cell = r.rate ? (r.rate_lower_bound ? ">=" : "") + format_rate(*r.rate) : "-";
    const std::string slow_cell =
        r.slowdown_pct ? slowdown_mark(r.slowdown_bound) + format_fixed(*r.slowdown_pct, 1) + "%" : "-";
    // A rate per 1000 launches of launches counted fewer than ran is an upper bound ("<="), and the
    // Sched/1K increase from it bounded one way or neither, with the slowdown's marks (review FC L6).
    // An exact 0 unmarked (per_1k_marked).
    const bool per_1k_upper = !r.m.per_1k_upper_bound_reason.empty();
    const auto per_1k = [&](const std::optional<double>& v) {
      return v ? per_1k_marked(per_1k_upper, *v, "<=", format_fixed(*v, 1)) : std::string("-");
    };
    const auto increase = [&](const std::optional<double>& v, const std::string& bound) {
      return v ? slowdown_mark(bound) + ratio(v) : "-";
    };
    // The launch window's rate is no upper bound when lost launches may lie beyond its ends (LW M1).
    const auto window_per_1k = [&](const std::optional<double>& v) {
      return v ? per_1k_marked(per_1k_upper && !r.m.window_ends_uncertain, *v, "<=", format_fixed(*v, 1)) : std::string("-");
    };
    t.add_row({r.m.name, rate_cell, slow_cell,
               sw(na(per_1k(r.m.sched_per_1k), r.m.rates_undefined_reason)), sw(increase(r.sched_increase, r.sched_increase_bound)),
               sw(na(window_per_1k(r.m.window_sched_per_1k), r.m.rates_undefined_reason)),
               sw(increase(r.window_sched_increase, r.window_sched_increase_bound)),
               irq(na(per_1k(r.m.irq_per_1k_hard), r.m.rates_undefined_reason)),
               irq(na(per_1k(r.m.irq_per_1k_soft), r.m.rates_undefined_reason)),
               sw(na(r.m.penalty ? format_ns(*r.m.penalty) : "-", r.m.penalty_undefined_reason)),
               sw(na(r.m.offcpu_share ? format_pct(*r.m.offcpu_share) : "-", r.m.offcpu_undefined_reason)), r.verdict});
  }
  // A baseline without a rate (its launch calls not measured) leaves no slowdown to compute; no
  // basis at all (CPU-only recordings, no launches) none either: "(slowdown from none)" read as a
  // bug (audit EW L7). The HTML page's basis line says the same (html_doc_sections.cpp).
  const std::string header =
      c.basis == "none"                 ? " (no slowdown: no scenario has a launch rate, and not every one has a throughput)"
      : c.rows.front().rate.has_value() ? " (slowdown from " + c.basis + ")"
                                        : " (no slowdown: the baseline has no " + c.basis + ")";
  t.print(os, "Scenarios against " + c.rows.front().m.name + header);
  for (const std::string& n : comparison_notes(c)) os << n << "\n";
}

std::vector<std::string> comparison_notes(const Comparison& c) {
  std::vector<std::string> notes;
  // Said only when some scenario has a window rate: the columns are all "-" otherwise.
  if (std::any_of(c.rows.begin(), c.rows.end(), [](const ComparisonRow& r) { return r.m.window_sched_per_1k.has_value(); }))
    notes.push_back("window: from the first launch to the last (docs/sched.md \"Two windows\"), without the start-up the "
                    "whole-trace Sched/1K counts");
  // A window that may be shorter than its launches (review LW M1): its rate unmarked, its increase ~.
  if (const std::string n = scenario_names(
          c, [](const ComparisonRow& r) { return r.m.window_ends_uncertain && r.m.window_sched_per_1k.has_value(); }, "", "");
      !n.empty())
    notes.push_back("window Sched/1K of " + n +
                    ": neither bound (launch records lost beyond the first or last recorded launch, or at unknown times, may "
                    "lie outside the launch window, so it may be shorter than the run's launches); an increase from it is marked ~");
  if (const std::string n = unrecorded_names(c, &ScenarioMetrics::switches_recorded); !n.empty())
    notes.push_back("not recorded: " + n + " no context switches (a Kineto trace, or a recording without --events sched)");
  if (const std::string n = unrecorded_names(c, &ScenarioMetrics::irqs_recorded); !n.empty())
    notes.push_back("not recorded: " + n + " no IRQs (a Kineto trace, or a recording without --events irq)");
  // Old recordings count device IRQs only: their IRQ/1K hard is several times lower on the same
  // workload, a jump a reader would otherwise take for the scenario's (review DB L5).
  if (std::any_of(c.rows.begin(), c.rows.end(),
                  [](const ComparisonRow& r) { return r.irq_sources_differ.value_or(false) && !r.irq_vector_sets_differ; }))
    notes.push_back(std::string("IRQ/1K hard: ") +
                    (*c.rows.front().m.irq_system_vectors ? "the baseline counts" : "the baseline does not count") +
                    " the x86 system vectors (timer tick, IPIs) and some scenarios " +
                    (*c.rows.front().m.irq_system_vectors ? "do not" : "do") +
                    " (recordings made before 2026-12-03, or on a kernel without them, have device IRQs only): not comparable");
  // Both count system vectors, but not the same ones (kernels with other irq_vectors tracepoints).
  if (const std::string n = scenario_names(
          c, [](const ComparisonRow& r) { return r.irq_vector_sets_differ; }, " counts", " count");
      !n.empty())
    notes.push_back("IRQ/1K hard: " + n + " other x86 system vectors than the baseline (their verdicts list which): not comparable");
  // Unknown beside known: an analysis saved before irq_system_vectors existed may count device IRQs
  // only, so its hard rate beside a recording that counts the vectors may be several times lower
  // for that reason alone. Said, not taken as "the same kind" (review DX M3).
  {
    const auto with_irqs = [](const ComparisonRow& r) { return r.m.irqs_recorded && r.m.irq_per_1k_hard.has_value(); };
    const bool some_known = std::any_of(c.rows.begin(), c.rows.end(), [&](const ComparisonRow& r) {
      return with_irqs(r) && r.m.irq_system_vectors.has_value();
    });
    const std::string unknown = scenario_names(
        c, [&](const ComparisonRow& r) { return with_irqs(r) && !r.m.irq_system_vectors; }, " counts", " count");
    if (some_known && !unknown.empty())
      notes.push_back("IRQ/1K hard: whether " + unknown +
                      " the x86 system vectors (timer tick, IPIs) is unknown (an analysis saved before sched --json wrote "
                      "irq_system_vectors, late on 2026-12-03, does not say; recordings made before that day have device IRQs "
                      "only): compare hard IRQ/1K with care");
    // The same for the set: an analysis saved before the lists existed counts vectors but not
    // which (review EK M3). Wherever that leaves a row's irq_sources_differ null (both it and the
    // baseline count vectors, one does not list them: beside a listing one, or beside another
    // unlisted one, review EQ L6) the null is explained.
    const auto counts_vectors = [&](const ComparisonRow& r) { return with_irqs(r) && r.m.irq_system_vectors.value_or(false); };
    const bool set_unknown = std::any_of(c.rows.begin(), c.rows.end(), [&](const ComparisonRow& r) {
      return counts_vectors(r) && counts_vectors(c.rows.front()) && !r.irq_sources_differ.has_value();
    });
    const std::string unlisted = scenario_names(
        c, [&](const ComparisonRow& r) { return counts_vectors(r) && !r.m.irq_vectors_traced; }, " counts", " count");
    if (set_unknown && !unlisted.empty())
      notes.push_back("IRQ/1K hard: which x86 system vectors " + unlisted +
                      " is unknown (an analysis saved before sched --json wrote irq_system_vectors_traced, late on "
                      "2026-12-03, does not say; kernels without some irq_vectors tracepoints trace fewer): compare "
                      "hard IRQ/1K with care");
  }
  // Launch rates of recorded launches while the recorder lost some (audit EE L4): the wall time is
  // whole, the count is not, so the rate is a lower bound and a slowdown from it bounded one way.
  if (const std::string n = scenario_names(c, [](const ComparisonRow& r) { return r.rate_lower_bound; }, "", "");
      !n.empty())
    notes.push_back("launches/s >=: a lower bound for " + n +
                    ": the recorder lost records that may be launch calls (API events, or CUPTI ring records), or "
                    "CUPTI refused some launch callbacks, and the rate counts recorded launches only; a slowdown from it is marked <= (its rate is the "
                    "bound), >= (the baseline's is) or ~ (both are: it may be off either way)");
  // Rates per 1000 launches of launches counted fewer than ran (review FC L6): upper bounds, each
  // scenario with its reason, and what the marks on the increase mean.
  {
    std::string bounded;
    for (const ComparisonRow& r : c.rows)
      if (!r.m.per_1k_upper_bound_reason.empty())
        bounded += (bounded.empty() ? "" : "; ") + r.m.name + ": " + r.m.per_1k_upper_bound_reason;
    if (!bounded.empty())
      notes.push_back("Sched/1K, IRQ/1K <=: upper bounds (they divide by the launches counted) for " + bounded +
                      "; a Sched/1K increase (x base) from them is marked <= (its rates are the bounds), >= (the "
                      "baseline's are) or ~ (both are, or one side's are neither bound for recorder loss: it may be off either way)");
  }
  // The rates per 1000 launches of a recording with loss windows, in sched's words; sched's rates
  // outside the windows are neither bound too when the windows lost records that decide which
  // threads they count (per_1k_outside_events_lost).
  if (const std::string n = scenario_names(
          c, [](const ComparisonRow& r) { return r.m.rates_over_loss && r.m.per_1k_events_lost && !r.m.per_1k_outside_events_lost; },
          "", "");
      !n.empty())
    notes.push_back("recorder loss in " + n +
                    ": its Sched/1K and IRQ/1K lost events on both sides, neither bound, as `infertrace sched` says (its loss windows lost "
                    "records besides launches: switches, IRQs or records that decide which threads are counted); "
                    "it gives them outside the loss windows");
  if (const std::string n = scenario_names(
          c, [](const ComparisonRow& r) { return r.m.rates_over_loss && r.m.per_1k_events_lost && r.m.per_1k_outside_events_lost; },
          "", "");
      !n.empty())
    notes.push_back("recorder loss in " + n +
                    ": its Sched/1K and IRQ/1K are neither bound (the recorder lost events they count, or that decide their "
                    "threads), as are the rates `infertrace sched` "
                    "gives outside the loss windows (the windows lost records that decide which threads are counted)");
  // Incomplete recordings (review HR M1, M2): what each lacks, and loss counts that are unknown.
  for (const ComparisonRow& r : c.rows)
    if (!r.m.incomplete_note.empty() || r.m.loss_counts_unknown)
      notes.push_back("incomplete: " + r.m.name + ": " + (r.m.incomplete_note.empty() ? "incomplete recording" : r.m.incomplete_note) +
                      (r.m.loss_counts_unknown ? std::string(" Its recorder loss: ") + kLossCountsUnknown +
                                                     ": the events it lost and the launch records among them are unknown, not 0"
                                               : std::string()));
  // The reasons behind the table's "n/a" cells (review: sched says "n/a (reason)" for them).
  {
    std::string why;
    const auto add = [&](const ComparisonRow& r, bool null_shown, const char* what, const std::string& reason) {
      if (null_shown && !reason.empty()) why += (why.empty() ? "" : "; ") + r.m.name + " " + what + ": " + reason;
    };
    for (const ComparisonRow& r : c.rows) {
      const bool sw = r.m.switches_recorded, irq = r.m.irqs_recorded;
      const bool rates_null = (sw && !r.m.sched_per_1k) || (irq && (!r.m.irq_per_1k_hard || !r.m.irq_per_1k_soft));
      add(r, rates_null, "rates per 1000 launches", r.m.rates_undefined_reason);
      add(r, sw && !r.m.penalty, "penalty", r.m.penalty_undefined_reason);
      add(r, sw && !r.m.offcpu_share, "off-CPU", r.m.offcpu_undefined_reason);
    }
    if (!why.empty()) notes.push_back("n/a: " + why);
  }
  // Launch counts apart from the baseline's (review UX M3): why those rows have no slowdown, or
  // what their slowdown assumes.
  {
    char tol[16];
    std::snprintf(tol, sizeof tol, "%.0f%%", kLaunchCountTolerance * 100.0);
    const std::string base_n = std::to_string(c.rows.front().m.launches);
    if (const std::string n = scenario_names(
            c, [](const ComparisonRow& r) { return r.launch_count_mismatch == "different_work" && !same_shapes_other_amount(r); }, "", "");
        !n.empty())
      notes.push_back("launches/s: " + n + " launched more than " + tol + " more or fewer times than the baseline (" +
                      base_n + ") in a wall time more than " + tol +
                      " apart: different work, where a launch rate is not throughput, so no slowdown or verdict is "
                      "given; to compare them, give each a \"throughput\" (a saved analysis with that key)");
    // The same shapes in another amount (review SW L4): a capture of the same work over another length.
    if (const std::string n = scenario_names(c, [](const ComparisonRow& r) { return same_shapes_other_amount(r); }, "", "");
        !n.empty()) {
      char min_pct[16];
      std::snprintf(min_pct, sizeof min_pct, "%.0f%%", kLaunchMixMinSimilarity * 100.0);
      notes.push_back("launches/s: " + n + " launched more than " + tol + " more or fewer times than the baseline (" +
                      base_n + ") in a wall time more than " + tol + " apart, with the baseline's launch shapes (at least " +
                      min_pct + " in common): the same work captured over another length (a capture cut short, or a "
                      "longer one), whose launch rate is not throughput, so no slowdown or verdict is given; capture "
                      "the same steps in each, or give each a \"throughput\" (a saved analysis with that key)");
    }
    // Other launch shapes than the baseline's (analysis/launch_mix.h), each row with its share.
    std::string mixes;
    for (const ComparisonRow& r : c.rows)
      if (r.launch_mix_differs && r.launch_count_mismatch != "different_work") {
        char pct[16];
        std::snprintf(pct, sizeof pct, "%.0f%%", *r.launch_mix_similarity * 100.0);
        mixes += (mixes.empty() ? "" : ", ") + r.m.name + " " + pct + " " + launch_mix_basis_words(r.m.launch_mix->basis) +
                 (r.launch_mix_difference_note.empty() ? "" : " (" + r.launch_mix_difference_note + ")");
      }
    if (!mixes.empty()) {
      char min_pct[16];
      std::snprintf(min_pct, sizeof min_pct, "%.0f%%", kLaunchMixMinSimilarity * 100.0);
      notes.push_back("launches/s: launches in common with the baseline's: " + mixes + " (under " + min_pct +
                      "): they launched other kernels or grids (another batch size, sequence length or model), "
                      "different work where a launch rate is not throughput, so no slowdown or verdict is given; "
                      "to compare them, give each a \"throughput\" (a saved analysis with that key)");
    }
    // The launch mix not compared (review CS M1): each row with why, and what that leaves.
    {
      std::string withheld, unchecked;
      for (const ComparisonRow& r : c.rows) {
        // (Neither side with a mix: nothing was there to compare, as before the key; JSON has the reason.)
        if (r.launch_mix_unchecked_reason.empty() || r.launch_count_mismatch == "different_work" ||
            (!r.m.launch_mix && !c.rows.front().m.launch_mix && !r.m.launch_mix_unknown && !c.rows.front().m.launch_mix_unknown))
          continue;
        // A row with no slowdown for another reason (rates a million times apart) has none that
        // the unchecked mix could qualify (review WD56 L4); its own note says why it has none.
        if (!r.launch_mix_unchecked_withholds && !r.slowdown_pct) continue;
        std::string& to = r.launch_mix_unchecked_withholds ? withheld : unchecked;
        to += (to.empty() ? "" : "; ") + r.m.name + ": " + r.launch_mix_unchecked_reason;
      }
      if (!withheld.empty())
        notes.push_back("launches/s: launch mix not compared with the baseline's (" + withheld +
                        "): one side's capture holds GPU work and the other's none, so whether they ran the same work "
                        "is not known and no slowdown or verdict is given; capture the GPU side in both (CUDA activities "
                        "in the PyTorch profiler, or `infertrace record --cuda cupti`), or give each a \"throughput\"");
      if (!unchecked.empty())
        notes.push_back("launches/s: launch mix not compared with the baseline's (" + unchecked +
                        "): the slowdown assumes both ran the same work, which the launch mix could not check");
    }
    // Rates too far apart for a slowdown (review CS M3).
    for (const ComparisonRow& r : c.rows)
      if (!r.slowdown_undefined_reason.empty()) notes.push_back("no slowdown for " + r.m.name + ": " + r.slowdown_undefined_reason);
    // Other GPU models (review CS M2).
    if (const std::string n = scenario_names(c, [](const ComparisonRow& r) { return r.gpu_models_differ; }, "", "");
        !n.empty()) {
      std::string models;
      for (const ComparisonRow& r : c.rows)
        if (!r.m.gpu_models.empty()) models += (models.empty() ? "" : "; ") + r.m.name + ": " + gpu_models_text(r.m.gpu_models);
      notes.push_back("GPU: " + n + " ran on another GPU model than the baseline (" + models +
                      "), so a slowdown or a Sched/1K change compares the machines too, not only the scenario");
    }
    if (const std::string n = scenario_names(
            c, [](const ComparisonRow& r) { return r.launch_count_mismatch == "same_wall"; }, "", "");
        !n.empty())
      notes.push_back("launches/s: " + n + " launched more than " + tol + " more or fewer times than the baseline (" +
                      base_n + ") in about the same wall time: the slowdown holds only for one workload run for a "
                      "fixed time (its launch count is the work done), not for different work");
  }
  if (!c.rate_not_measured.empty()) {
    std::string names;
    for (const std::string& n : c.rate_not_measured) names += (names.empty() ? "" : ", ") + n;
    notes.push_back("no launch rate for " + names + ": their recordings did not measure launch calls (the other scenarios keep theirs)");
  }
  // Measured, but no launch call or no wall time (review SW M1): each with its reason.
  if (!c.no_launch_rate.empty()) {
    std::string names;
    const auto without = [](const ComparisonRow& r) { return r.m.launches_measured && !r.rate; };
    for (const ComparisonRow& r : c.rows)
      if (without(r)) names += (names.empty() ? "" : ", ") + r.m.name + " (" + no_launch_rate_reason(r.m) + ")";
    const bool baseline = without(c.rows.front());
    notes.push_back("no launch rate for " + names +
                    ": a capture that missed the run (empty, GPU-only, or the wrong file)? " +
                    (baseline ? "Without the baseline's rate no scenario has a slowdown: give a baseline that launched "
                                "(put it first)"
                              : "The other scenarios keep their rates and slowdowns"));
  }
  // Throughputs some inputs carry are still shown when not every scenario has one (the slowdown
  // then had to use the launch rate).
  if (c.basis != "throughput") {
    std::string known;
    for (const ComparisonRow& r : c.rows)
      known += (known.empty() ? "" : ", ") + r.m.name + " " + (r.m.throughput ? format_rate(*r.m.throughput) : "-");
    for (const ComparisonRow& r : c.rows)
      if (r.m.throughput) {
        notes.push_back("throughput where known (not every scenario has one, so " +
                        std::string(c.basis == "none" ? "there is no slowdown: no scenario has a launch rate either"
                                                      : "the slowdown uses " + c.basis) +
                        "): " + known);
        break;
      }
  }
  return notes;
}

const std::vector<JsonColumn>& comparison_scenario_columns() {
  using F = CellFormat;
  // In print_comparison's order. "rate" is per second of whichever basis the document names
  // (throughput, or launches per second of wall time): the report says which above the table.
  static const std::vector<JsonColumn> cols = {
      {"name", "scenario", F::Text},
      {"throughput", "throughput (work/s)", F::Rate},
      {"rate", "rate (basis/s)", F::Rate},
      {"slowdown_pct", "slowdown", F::Percent},
      {"launches", "launches", F::Count},
      {"wall_ns", "wall time", F::Ns},
      {"sched_per_1k", "Sched/1K (switches per 1000 launches)", F::Fixed1},
      {"sched_increase", "Sched/1K x base", F::Times2},
      {"launch_window_sched_per_1k", "window Sched/1K", F::Fixed1},
      {"launch_window_sched_increase", "window Sched/1K x base", F::Times2},
      {"irq_per_1k_hard", "IRQ/1K hard", F::Fixed1},
      {"irq_per_1k_soft", "IRQ/1K soft", F::Fixed1},
      {"penalty_ns", "preemption penalty", F::Ns},
      {"offcpu_share", "launching thread off-CPU (% of wall)", F::Share},
      {"signature", "signature", F::Signature},
      {"irq_system_vectors", "IRQ/1K hard counts system vectors (tick, IPIs)", F::YesNo},
      {"irq_system_vectors_traced", "system vectors traced", F::Text},
      {"irq_system_vectors_missing", "system-vector tracepoints missing", F::Text},
      {"irq_sources_differ", "hard IRQs of another kind than the baseline's", F::YesNo},
      {"launch_records_lost", "records lost that may be launch calls", F::Count},
      {"launch_records_lost_up_to", "records lost an upper bound (up to: CUPTI ring slots never published)", F::YesNo},
      {"launch_partial_note", "launch calls left out (CUPTI refused their callbacks, or a library probed late)", F::Text},
      {"lost_events", "events the recorder lost", F::Count},
      {"verdict", "verdict", F::Text},
      {"source", "file", F::Text},
      // Shown as "n/a (reason)" in the cells they explain (compare_section), not columns of their own.
      {"rates_undefined_reason", "why the rates per 1000 launches are n/a", F::Text},
      {"penalty_undefined_reason", "why the penalty is n/a", F::Text},
      {"offcpu_undefined_reason", "why the off-CPU share is n/a", F::Text},
      // The HTML report shows these as "not recorded" in the cells they empty
      // (comparison_unrecorded_flag), not as columns of their own.
      {"switches_recorded", "context switches recorded", F::YesNo},
      {"irqs_recorded", "IRQs recorded", F::YesNo},
      // Shown as marks in the rate and slowdown cells (slowdown_mark) and the notes.
      {"rate_lower_bound", "launch rate a lower bound", F::YesNo},
      {"slowdown_bound", "slowdown bound", F::Text},
      {"rates_over_loss", "rates over recorder loss", F::YesNo},
      // Shown as marks in the per-1000-launch and increase cells, the reason in the notes.
      {"per_1k_upper_bound", "rates per 1000 launches upper bounds", F::YesNo},
      {"per_1k_upper_bound_reason", "why the rates per 1000 launches are upper bounds", F::Text},
      {"sched_increase_bound", "Sched/1K increase bound", F::Text},
      {"launch_window_sched_increase_bound", "window Sched/1K increase bound", F::Text},
      {"launch_window_ends_uncertain", "launch window may be shorter than its launches (records lost beyond its ends)", F::YesNo},
      // The reason for a null slowdown, said in the verdict and the notes.
      {"launch_count_mismatch", "launch count apart from the baseline's (different_work: no slowdown)", F::Text},
      {"launch_mix_similarity", "share of launches in common with the baseline's, by shape", F::Share},
      {"launch_mix_differs", "launched other shapes than the baseline (no slowdown)", F::YesNo},
      // Said in the notes (and its loss cells "unknown"), not a column of its own on the page.
      {"incomplete_note", "incomplete recording: what it lacks", F::Text},
      // Said in the verdict and the notes (review CS M1, M3, M2).
      {"launch_mix_unchecked_reason", "why the launch mix was not compared with the baseline's", F::Text},
      {"slowdown_undefined_reason", "why there is no slowdown (rates too far apart)", F::Text},
      {"gpu_models", "GPU models (Kineto deviceProperties)", F::Text},
      {"gpu_models_differ", "ran on another GPU model than the baseline", F::YesNo},
      {"launch_mix_difference", "kernels only on one side (launch mix differs)", F::Text},
  };
  return cols;
}

const char* comparison_unrecorded_flag(const std::string& key) {
  // print_comparison's cells wrapped in sw() and irq().
  for (const char* k : {"sched_per_1k", "sched_increase", "launch_window_sched_per_1k", "launch_window_sched_increase",
                        "penalty_ns", "offcpu_share"})
    if (key == k) return "switches_recorded";
  for (const char* k : {"irq_per_1k_hard", "irq_per_1k_soft"})
    if (key == k) return "irqs_recorded";
  return nullptr;
}

json comparison_json(const Comparison& c) {
  json rows = json::array();
  for (const ComparisonRow& r : c.rows)
    rows.push_back({{"name", r.m.name},
                    {"source", r.m.source},
                    {"throughput", r.m.throughput ? json(*r.m.throughput) : json(nullptr)},
                    {"rate", r.rate ? json(*r.rate) : json(nullptr)},
                    {"slowdown_pct", r.slowdown_pct ? json(*r.slowdown_pct) : json(nullptr)},
                    {"launches", r.m.launches_measured ? json(r.m.launches) : json(nullptr)},
                    {"wall_ns", r.m.wall},
                    {"sched_per_1k", opt_json(r.m.sched_per_1k)},
                    {"sched_increase", r.sched_increase ? json(*r.sched_increase) : json(nullptr)},
                    {"launch_window_sched_per_1k", opt_json(r.m.window_sched_per_1k)},
                    {"launch_window_sched_increase", opt_json(r.window_sched_increase)},
                    {"launch_window_ends_uncertain", r.m.window_ends_uncertain},
                    {"launch_window_sched_increase_bound", opt_reason(r.window_sched_increase_bound)},
                    {"irq_per_1k_hard", opt_json(r.m.irq_per_1k_hard)},
                    {"irq_per_1k_soft", opt_json(r.m.irq_per_1k_soft)},
                    {"penalty_ns", r.m.penalty ? json(*r.m.penalty) : json(nullptr)},
                    {"offcpu_share", opt_json(r.m.offcpu_share)},
                    {"signature", r.m.signature},
                    {"irq_system_vectors", r.m.irq_system_vectors ? json(*r.m.irq_system_vectors) : json(nullptr)},
                    {"irq_system_vectors_traced", r.m.irq_vectors_traced ? json(*r.m.irq_vectors_traced) : json(nullptr)},
                    {"irq_system_vectors_missing", r.m.irq_vectors_missing ? json(*r.m.irq_vectors_missing) : json(nullptr)},
                    {"irq_sources_differ", r.irq_sources_differ ? json(*r.irq_sources_differ) : json(nullptr)},
                    {"verdict", r.verdict},
                    {"switches_recorded", r.m.switches_recorded},
                    {"irqs_recorded", r.m.irqs_recorded},
                    {"rate_lower_bound", r.rate_lower_bound},
                    // Unknown (null) when the recorder wrote no loss counters (review HR M1).
                    {"launch_records_lost", r.m.loss_counts_unknown ? json(nullptr) : json(r.m.launch_records_lost)},
                    {"launch_records_lost_up_to", r.m.launch_records_lost_up_to},
                    {"launch_partial_note", opt_reason(r.m.launch_partial_note)},
                    {"slowdown_bound", r.slowdown_bound.empty() ? json(nullptr) : json(r.slowdown_bound)},
                    {"rates_over_loss", r.m.rates_over_loss},
                    {"lost_events", r.m.loss_counts_unknown ? json(nullptr) : json(r.m.lost_events)},
                    {"incomplete_note", opt_reason(r.m.incomplete_note)},
                    {"rates_undefined_reason", opt_reason(r.m.rates_undefined_reason)},
                    {"penalty_undefined_reason", opt_reason(r.m.penalty_undefined_reason)},
                    {"offcpu_undefined_reason", opt_reason(r.m.offcpu_undefined_reason)},
                    {"per_1k_upper_bound", !r.m.per_1k_upper_bound_reason.empty()},
                    {"per_1k_upper_bound_reason", opt_reason(r.m.per_1k_upper_bound_reason)},
                    {"sched_increase_bound", opt_reason(r.sched_increase_bound)},
                    {"launch_count_mismatch", opt_reason(r.launch_count_mismatch)},
                    {"launch_mix_similarity", opt_json(r.launch_mix_similarity)},
                    {"launch_mix_differs", r.launch_mix_differs},
                    // (added 2026-12-07, review CS M1, M3, M2: docs/sched.md)
                    {"launch_mix_unchecked_reason", opt_reason(r.launch_mix_unchecked_reason)},
                    {"slowdown_undefined_reason", opt_reason(r.slowdown_undefined_reason)},
                    {"gpu_models", r.m.gpu_models.empty() ? json(nullptr) : json(r.m.gpu_models)},
                    {"gpu_models_differ", r.gpu_models_differ},
                    {"launch_mix_difference", opt_reason(r.launch_mix_difference)}});
  return {{"kind", "compare"}, {"schema_version", 1}, {"basis", c.basis}, {"baseline", c.rows.front().m.name},
          {"rate_not_measured", c.rate_not_measured}, {"scenarios", rows}, {"notes", comparison_notes(c)},
          {"no_launch_rate", c.no_launch_rate}};
}

}  // namespace infertrace
