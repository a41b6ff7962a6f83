// The scheduler / IRQ / syscall section of the HTML report (docs/metrics.md section 5,
// docs/sched.md), drawn from a `sched --json` document: a saved one, or the one `report` builds for
// a recording with sched_analysis_json(). It reads like `infertrace sched` in a terminal: the same
// labels and units, every figure taken as the JSON has it (no arithmetic here, so the page and
// `sched --json` cannot disagree), and what the recording did not ask for said in words instead of
// shown as zeros.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "analysis/impact_unknown_reason.h"
#include "analysis/launch_undercount.h"
#include "analysis/sched_window.h"
#include "report/compare_render.h"
#include "report/html_parts.h"
#include "report/html_sections.h"
#include "report/html_svg.h"
#include "report/irq_sources_text.h"
#include "report/thread_reuse_text.h"
#include "trace/recorder_drops.h"
#include "util/error.h"
#include "util/plural.h"
#include "util/units.h"

namespace infertrace::html {

namespace {

// After the GPU-starvation share: " of the N not left out" when loss windows took idle time out of
// its denominator (the share is of that, not of all GPU idle; review DX L1).
std::string known_idle_note(const nlohmann::json& g) {
  if (!g.contains("idle_left_out_ns") || !g["idle_left_out_ns"].is_number_integer() || g["idle_left_out_ns"].get<int64_t>() <= 0 ||
      !g.contains("gpu_idle_ns") || !g["gpu_idle_ns"].is_number_integer())
    return "";
  const int64_t known = g["gpu_idle_ns"].get<int64_t>() - g["idle_left_out_ns"].get<int64_t>();
  return known > 0 ? " of the " + format_ns(known) + " not left out" : "";  // none left: the share is "-"
}

// ", and N gaps of lost switches" after the count of intervals left out, when there are any.
std::string lost_gaps_note(const nlohmann::json& g) {
  if (!g.contains("lost_switch_gaps") || !g["lost_switch_gaps"].is_number_integer() || g["lost_switch_gaps"].get<int64_t>() <= 0)
    return "";
  const int64_t gaps = g["lost_switch_gaps"].get<int64_t>();
  return ", and " + format_count(gaps) + plural(gaps, " gap", " gaps") + " of lost switches";
}

using json = nlohmann::json;

// A per-1000-launches rate as the terminal prints it (one decimal).
std::string rate_text(const json& v) { return format_fixed(v.get<double>(), 1); }

bool flag_or(const json& doc, const char* key, bool fallback) {
  const json& v = member(doc, key);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

// What the recording held: the switch and IRQ flags (true when a document does not say) and
// whether any launch pair exists.
struct Recorded {
  bool os_events, switches, irqs;
  double launches;  // -1: the document does not say
  bool pairs;
  bool launches_measured = true;  // false: CUPTI recorded no launch call of some process (launch_undefined_reason)
};

Recorded recorded(const json& doc) {
  Recorded r{flag_or(doc, "has_os_events", true), flag_or(doc, "switches_recorded", true),
             flag_or(doc, "irqs_recorded", true), num(doc, "launches").value_or(-1), false,
             flag_or(doc, "launches_measured", true)};
  const json& pairs = member(doc, "pairs");
  if (pairs.is_object()) {
    const json& all = member(pairs, "all");
    // An older document without "all": any group with pairs counts.
    if (all.is_object()) r.pairs = num(all, "count").value_or(0) > 0;
    else
      for (auto& [k, v] : pairs.items()) r.pairs |= num(v, "count").value_or(v.is_number() ? v.get<double>() : 0) > 0;
  }
  return r;
}

std::string verdict_box(const json& doc) {
  const std::string verdict = str_or(doc, "verdict", "");
  if (verdict.empty()) return "";
  const std::string sig = str_or(doc, "signature", ""), mit = str_or(doc, "mitigation", "");
  std::string head = "Verdict";
  if (!sig.empty()) head += ": " + signature_label(sig);
  if (!mit.empty()) head += " (mitigation: " + mit + ")";
  return "<div class=\"verdict-box\"><p class=\"verdict\">" + escape(head) + "</p><p>" + escape(verdict) + "</p></div>";
}

// Under the verdict: that the recording is incomplete, and what of it is unknown (review HR M2: only
// stderr said it, and the page is what gets shared).
std::string incomplete_box(const json& doc) {
  const std::string words = sched_incomplete_words(doc);
  if (words.empty()) return "";
  return "<div class=\"verdict-box\"><p class=\"verdict\">" + escape(words) + "</p></div>";
}

// Notes on what was not recorded, so absent tables and "-" cells are not read as "none happened".
std::string recorded_notes(const Recorded& r) {
  std::string s;
  if (!r.switches)
    s += "<p class=\"note\">Context switches were not recorded (record --events sched,wakeup): switch-outs, "
         "preemptions, off-CPU time, run-queue latency, the switched / preempted / blocked pair groups and the tail "
         "shares of those causes are unknown, not zero, and read \"not recorded\".</p>";
  if (!r.irqs)
    s += "<p class=\"note\">IRQs were not recorded (record --events irq): IRQ rates, IRQ time, per-thread IRQ counts "
         "and the tail shares of IRQs are unknown, not zero, and read \"not recorded\"; the IRQ tables are left out; "
         "\"clean\" pairs are those not switched out (IRQs may have run in them).</p>";
  return s;
}

std::string overview_line(const json& doc) {
  std::vector<std::string> parts;
  if (auto w = member(doc, "wall_ns"); w.is_number()) parts.push_back("wall " + format_ns(w.get<double>()));
  if (auto l = member(doc, "launches"); l.is_number()) {
    // Marked "≥" with why when the count is a lower bound (launches_bound, as the terminal's ">=").
    const json& bound = member(doc, "launches_bound");
    const bool lower = flag_or(bound, "lower_bound", false);
    std::string s = (lower && num(doc, "launches").value_or(0) > 0 ? "≥ " : "") + count_or(l) + " logical launches";
    if (lower) s += " (a lower bound: " + str_or(bound, "reason", "") + ")";
    if (auto m = num(doc, "merged_launch_calls"); m && *m > 0)
      s += " (" + count_or(member(doc, "merged_launch_calls")) + " nested runtime/driver calls merged)";
    parts.push_back(s);
  }
  if (parts.empty()) return "";
  std::string line = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) line += ", " + parts[i];
  return "<p>" + escape(line) + ".</p>";
}

// Launch pairs by group: counts and interval percentiles, chart and table.
std::string pairs_part(const json& doc, const Recorded& r) {
  const json& pairs = member(doc, "pairs");
  if (!pairs.is_object()) return "";
  if (!r.launches_measured)
    return "<p class=\"note\">No launch pairs: " + escape(str_or(doc, "launch_undefined_reason", "the launches were not measured")) + ".</p>";
  if (!r.pairs)
    return r.launches == 0 ? "<p class=\"note\">No launch pairs: the recording has no CUDA launches (a CPU-only run).</p>"
                           : "<p class=\"note\">No launch pairs: fewer than two launches on any thread.</p>";
  struct Group {
    const char* key;
    const char* chart;  // short name under a bar
    const char* label;  // the terminal's row label (HTML drops its indent: the parent group is named)
    bool needs_switches, needs_irqs;
  };
  static const Group groups[] = {{"all", "all", "all", false, false},
                                 {"clean", "clean", "clean (neither)", true, false},
                                 {"interrupted", "any IRQ", "interrupted (any IRQ)", false, true},
                                 {"interrupted_only", "IRQ only", "IRQ only (not switched)", true, true},
                                 {"switched", "switched", "switched", true, false},
                                 {"preempted", "preempted", "switched: preempted", true, false},
                                 {"blocked", "blocked", "switched: blocked", true, false}};
  std::vector<std::string> cats, pct_cats;
  BarGroup counts{"pairs", {}};
  std::vector<BarGroup> pct = {{"p50", {}}, {"p90", {}}, {"p99", {}}};
  // "share" (of all pairs) as `sched --json` states it; documents saved before it existed show "-".
  HtmlTable tb({"launch pairs", "count", "share", "p50", "p90", "p99"});
  for (const Group& g : groups) {
    // Without IRQ events "clean" can only mean "not switched out" (the terminal's label).
    const std::string label = g.key == std::string("clean") && !r.irqs ? "clean (not switched; IRQs not recorded)" : g.label;
    // A group whose events were not recorded is unknown: a row that says so (the terminal's), no bar.
    if ((g.needs_switches && !r.switches) || (g.needs_irqs && !r.irqs)) {
      tb.add_row({label, "not recorded", "-", "-", "-", "-"});
      continue;
    }
    const json& v = member(pairs, g.key);
    if (v.is_number()) {  // a bare count (older documents)
      cats.push_back(g.chart), counts.values.push_back(v.get<double>());
      tb.add_row({label, count_or(v), "-", "-", "-", "-"});
      continue;
    }
    if (!v.is_object()) continue;
    if (auto c = num(v, "count")) cats.push_back(g.chart), counts.values.push_back(*c);
    // An empty group has no percentiles (null in the JSON; 0 in documents saved before
    // 2026-12-02): "-" as in the terminal, and no bars in the percentile chart.
    const bool empty = member(v, "count").is_number() && member(v, "count").get<double>() == 0;
    auto p50 = num(v, "p50_ns"), p90 = num(v, "p90_ns"), p99 = num(v, "p99_ns");
    if (p50 && p90 && p99 && !empty)
      pct_cats.push_back(g.chart), pct[0].values.push_back(*p50), pct[1].values.push_back(*p90), pct[2].values.push_back(*p99);
    auto pct_ns = [&](const char* key) { return empty ? std::string("-") : ns_or(member(v, key)); };
    tb.add_row({label, count_or(member(v, "count")), pct_or(member(v, "share")), pct_ns("p50_ns"), pct_ns("p90_ns"),
                pct_ns("p99_ns")});
  }
  ChartOptions o;
  o.title = "Launch pairs by what happened between them";
  o.x_label = "group", o.y_label = "pairs", o.y_count = true;  // whole ticks (review HT L4)
  ChartOptions o2;
  o2.title = "Launch-pair interval distribution (clean vs switched)";
  o2.x_label = "group", o2.y_label = "interval between launches", o2.y_unit = "ns";
  // Clean pairs' microseconds beside switched ones' milliseconds: on a linear axis the clean bars
  // were under a pixel high (review HR L4); a log axis over more than 1.5 decades, as the sweep's.
  std::vector<Series> spread;
  for (const BarGroup& g : pct) spread.push_back({g.name, std::vector<double>(g.values.size(), 1.0), g.values});
  o2.log10_y = wide_y_span(spread);
  return "<div class=\"cols\">" + bar_chart(cats, {counts}, o) + bar_chart(pct_cats, pct, o2) + "</div>" +
         tb.render("Launch pairs (interval d between consecutive launches of a thread)");
}

// Without OS events only the all-pairs group is known (as `sched` prints it in the terminal): the
// overview line and that row.
std::string all_pairs_part(const json& doc, const Recorded& r) {
  const json& all = member(member(doc, "pairs"), "all");
  if (!r.launches_measured || !all.is_object() || num(all, "count").value_or(0) <= 0) return "";
  HtmlTable tb({"launch pairs", "count", "p50", "p90", "p99"});
  tb.add_row({"all", count_or(member(all, "count")), ns_or(member(all, "p50_ns")), ns_or(member(all, "p90_ns")),
              ns_or(member(all, "p99_ns"))});
  return overview_line(doc) + tb.render("Launch pairs (interval d between consecutive launches of a thread)");
}

// A list of names a saved analysis gives under `key`; unset when it has none.
std::optional<std::vector<std::string>> names_of(const json& doc, const char* key) {
  const json& v = member(doc, key);
  if (!v.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const json& n : v)
    if (n.is_string()) out.push_back(n.get<std::string>());
  return out;
}

// As the terminal's "hard IRQs counted" row, from the document's keys (a document saved before
// irq_system_vectors existed: unknown; before its lists existed: without the names).
std::string hard_irq_sources(const json& doc) {
  const auto names = [&](const char* key) { return names_of(doc, key); };
  const json& flag = member(doc, "irq_system_vectors");
  return hard_irq_sources_text(flag.is_boolean() ? std::optional<bool>(flag.get<bool>()) : std::nullopt,
                               names("irq_system_vectors_traced").value_or(std::vector<std::string>{}),
                               names("irq_system_vectors_missing"));
}

// Why own softirqs are not told apart, as the terminal says it: META irq.softirq_context as the
// document gives it (no key: a document saved before it said, so no reason; null: the recording
// had none) and the raising vectors left untraced.
std::optional<std::string> untold_context(const json& doc) {
  if (!doc.is_object() || !doc.contains("softirq_context")) return std::nullopt;
  const json& c = doc["softirq_context"];
  return c.is_string() ? c.get<std::string>() : std::string();
}
std::vector<std::string> untold_names(const json& doc, const char* key) {
  return names_of(doc, key).value_or(std::vector<std::string>{});
}

// A whole-number field of a saved analysis, unset when it has none.
std::optional<int64_t> whole_number_of(const json& obj, const char* key) {
  const std::optional<double> n = num(obj, key);
  if (!n) return std::nullopt;
  return static_cast<int64_t>(*n);
}

// The clean pairs' count of a saved analysis (`pairs.clean.count`), unset when it has none.
std::optional<int64_t> clean_pair_count(const json& doc) {
  return whole_number_of(member(member(doc, "pairs"), "clean"), "count");
}

// The terminal's "metric / value" table: penalty, impact, rates, IRQ time, run queue, GPU starvation.
std::string impact_table(const json& doc, const Recorded& r) {
  HtmlTable tb({"metric", "value"}, 2);
  const std::string not_recorded = "not recorded (--events)";
  const json& pen = member(doc, "penalty_ns");
  // Why a penalty is missing: no launch or one (too_few_launches, the terminal's words: review HT
  // M2), else the group without pairs, as the terminal says it (audit EE L5). A document without
  // pair counts says only "n/a".
  const auto no_penalty = [&](const char* group) {
    // (launches not measured: no count to judge, as measured_launches gives the terminal none)
    const std::optional<int64_t> launches = r.launches_measured ? whole_number_of(doc, "launches") : std::nullopt;
    if (const char* few = too_few_launches(launches, true)) return std::string(few);
    const json& pairs = member(doc, "pairs");
    const auto count = [&](const char* g) { return num(member(pairs, g), "count"); };
    if (count("clean") == std::optional<double>(0.0)) return std::string("n/a (no clean pairs)");
    if (count(group) == std::optional<double>(0.0)) return "n/a (no " + std::string(group) + " pairs)";
    return std::string("n/a");
  };
  if (pen.is_object()) {
    if (r.switches) {
      tb.add_row({"preemption penalty (switched - clean median)", ns_or(member(pen, "overall"), no_penalty("switched"))});
      tb.add_row({"preemption penalty, preempted pairs only", ns_or(member(pen, "preempted"), no_penalty("preempted"))});
      tb.add_row({"preemption penalty, blocked pairs only", ns_or(member(pen, "blocked"), no_penalty("blocked"))});
    } else {
      // All three rows, as the terminal prints them (review HR L7: the two parts were left out).
      tb.add_row({"preemption penalty (switched - clean median)", not_recorded});
      tb.add_row({"preemption penalty, preempted pairs only", not_recorded});
      tb.add_row({"preemption penalty, blocked pairs only", not_recorded});
    }
  } else if (pen.is_number()) {
    tb.add_row({"preemption penalty (switched - clean median)", ns_or(pen)});
  }
  // Under loss each thread's wall is less its left-out pairs (docs/sched.md): said in the label
  // (audit EE L1), as the terminal says it.
  const char* unknown_impact = impact_unknown_reason(clean_pair_count(doc), whole_number_of(doc, "pairs_spanning_loss"), false, whole_number_of(doc, "launches"));
  if (doc.contains("scheduler_impact")) {
    // Summed over several launching threads, as the terminal says it (review DJ L5).
    std::string summed;
    if (const json& n = member(doc, "launch_pair_threads"); n.is_number() && n.get<int64_t>() > 1 &&
                                                            member(doc, "scheduler_impact").is_number())
      summed = " summed over " + std::to_string(n.get<int64_t>()) + " launching threads (" +
               pct_or(member(doc, "scheduler_impact_per_thread")) + " per thread on average)";
    tb.add_row({num(doc, "pairs_spanning_loss").value_or(0) > 0 ? "scheduler impact (share of wall less left-out pairs)"
                                                                 : "scheduler impact (share of wall)",
                r.switches ? pct_or(member(doc, "scheduler_impact"), unknown_impact) + summed : not_recorded});
  }
  // Its two parts (analyses saved before they existed lack them: no row then).
  if (doc.contains("impact_preempted") && doc.contains("impact_blocked")) {
    tb.add_row({"scheduler impact, preempted pairs", r.switches ? pct_or(member(doc, "impact_preempted"), unknown_impact) : not_recorded});
    tb.add_row({"scheduler impact, blocked pairs", r.switches ? pct_or(member(doc, "impact_blocked"), unknown_impact) : not_recorded});
  }
  // Rates per 1000 launches: null without launches or when the events were not recorded. Upper
  // bounds ("≤ ", the terminal's "<= ") when launches were counted fewer than ran, read as compare
  // reads it (`per_1k_upper_bound`; a document saved before the key by the same rule: review FH M3);
  // a malformed key or count leaves them unmarked, and a row says why (compare refuses such a
  // document with the same message). Not said where no rate is shown (review FH L1). Read once: the
  // loss rows below take the rest of it.
  std::string bound_reason, bound_unreadable;
  std::optional<SavedPer1kBound> saved_bound;
  try {
    saved_bound = per_1k_bound_of_saved_sched(doc, "the saved analysis");
    bound_reason = saved_bound->upper_bound_reason;
  } catch (const InputError& e) {
    bound_unreadable = e.what();
  }
  // The loss rows' "neither bound" (review FH L3); kept where unreadable.
  const bool rates_events_lost = !saved_bound || saved_bound->events_lost;
  if (!r.switches && !r.irqs) bound_reason.clear(), bound_unreadable.clear();
  // The mark on each rate, an exact 0 unmarked (per_1k_marked).
  const auto marked = [&](const json& v) { return per_1k_marked(!bound_reason.empty(), v.get<double>(), "≤ ", rate_text(v)); };
  auto rate = [&](const char* key, bool rec) {
    const json& v = member(doc, key);
    // In the terminal's order: no launches say so before the events not recorded (review HT M2).
    if (!r.launches_measured) return std::string("n/a (launches not measured)");
    if (r.launches == 0) return std::string("n/a (no launch calls)");
    if (!rec) return not_recorded;
    return v.is_number() ? marked(v) : std::string("n/a");
  };
  if (doc.contains("sched_per_1k")) {
    std::string s = rate("sched_per_1k", r.switches);
    if (r.switches && member(doc, "sched_per_1k").is_number() && member(doc, "preempt_per_1k").is_number() &&
        member(doc, "block_per_1k").is_number())
      s += "  (preempt " + marked(member(doc, "preempt_per_1k")) + ", block " + marked(member(doc, "block_per_1k")) + ")";
    tb.add_row({"Sched/1K (switch-outs per 1000 launches)", s});
  }
  if (doc.contains("irq_per_1k_hard")) tb.add_row({"IRQ/1K hard (hard IRQs per 1000 launches)", rate("irq_per_1k_hard", r.irqs)});
  if (doc.contains("irq_per_1k_soft")) tb.add_row({"IRQ/1K soft (softirqs per 1000 launches)", rate("irq_per_1k_soft", r.irqs)});
  if (!bound_reason.empty())
    tb.add_row({"rates per 1000 launches", "upper bounds (≤): " + bound_reason});
  if (!bound_unreadable.empty())
    tb.add_row({"rates per 1000 launches", "bound unknown (unreadable: " + bound_unreadable + ")"});
  if (r.irqs && doc.contains("irq_per_1k_hard")) tb.add_row({"hard IRQs counted", hard_irq_sources(doc)});
  // A recording whose ring was full: how much was lost, and the rates again over the launches and
  // events outside every loss window, as the terminal's two rows (audit EE L2: the page had neither).
  if (const json& loss = member(doc, "loss"); loss.is_object()) {
    tb.add_row({"recorder loss", count_or(member(loss, "lost_events")) + count_noun(member(loss, "lost_events"), " event", " events") +
                                     " lost in " + count_or(member(loss, "windows")) +
                                     count_noun(member(loss, "windows"), " window", " windows") + " covering " +
                                     ns_or(member(loss, "covered_ns")) +
                                     // Said only where a rate is shown, as the terminal does (review FQ L3): not
                                     // with no launch, where every rate reads n/a (review RL57 L1).
                                     (!r.launches_measured || r.launches == 0 || (!r.switches && !r.irqs) ? ""
                                      : rates_events_lost
                                          ? ": the rates above lost events on both sides, neither bound"
                                          : ": only launch records or ioctl file names lost (no switch, IRQ or other event): the rates above are upper bounds")});
    const bool any_outside = num(loss, "launches_outside").value_or(0) > 0;
    // Upper bounds by their own reason (review FH L3), as the terminal marks them; neither bound when
    // the windows lost records that decide which threads they count (SavedPer1kBound, from
    // `loss.lost_by_type`: a document saved before `per_1k_outside_events_lost` reads as it would now).
    // Unreadable (the rates row above says why): as the document's own key says.
    const bool outside_neither =
        saved_bound ? saved_bound->outside_events_lost : member(loss, "per_1k_outside_events_lost") == true;
    const std::string outside_types = saved_bound ? saved_bound->outside_types_lost : std::string();
    const bool outside_upper = !outside_neither && member(loss, "per_1k_outside_upper_bound") == true;
    const auto outside = [&](const char* key, bool rec) {
      if (!rec) return not_recorded;
      if (!any_outside) return std::string("n/a (no launch outside the loss)");
      const json& v = member(loss, key);
      return v.is_number() ? per_1k_marked(outside_upper, v.get<double>(), "≤ ", rate_text(v)) : std::string("n/a");
    };
    tb.add_row({"rates outside the loss windows",
                "Sched/1K " + outside("sched_per_1k_outside", r.switches) + ", IRQ/1K hard " +
                    outside("irq_per_1k_hard_outside", r.irqs) + ", soft " + outside("irq_per_1k_soft_outside", r.irqs) +
                    " (" + count_or(member(loss, "launches_outside")) + " launches)" +
                    (outside_upper && member(loss, "per_1k_outside_upper_bound_reason").is_string()
                         ? "; upper bounds (≤): " + member(loss, "per_1k_outside_upper_bound_reason").get<std::string>()
                         : std::string()) +
                    (outside_neither && (r.switches || r.irqs) && any_outside ? "; neither bound: " + outside_loss_scope_words(outside_types) : std::string())});
  }
  // The same rates over [first launch, last launch] (docs/sched.md "Two windows"), as the terminal's
  // line; analyses saved before the key existed have no row.
  if (const json& w = member(doc, "launch_window"); w.is_object()) {
    // Launch records lost beyond its ends: neither bound, unmarked (review LW M1), said below it.
    const bool uncertain = member(w, "ends_uncertain") == true;
    const auto known = [&](const char* key, bool rec) {
      const json& v = member(w, key);
      return !rec ? std::string("not recorded") : !v.is_number() ? std::string("n/a") : uncertain ? rate_text(v) : marked(v);
    };
    // IRQs not recorded: one "not recorded" for the pair, not "not recorded / not recorded" (review HR L7).
    std::string s = ns_or(member(w, "wall_ns")) + " from first to last launch: Sched/1K " + known("sched_per_1k", r.switches) +
                    ", IRQ/1K hard/soft " +
                    (r.irqs ? known("irq_per_1k_hard", r.irqs) + " / " + known("irq_per_1k_soft", r.irqs) : std::string("not recorded")) +
                    ", scheduler impact " +
                    (r.switches ? pct_or(member(w, "scheduler_impact"), impact_unknown_reason(clean_pair_count(doc), whole_number_of(doc, "pairs_spanning_loss"), true, whole_number_of(doc, "launches")))
                                : "not recorded");
    if (const json& n = member(doc, "launch_pair_threads"); n.is_number() && n.get<int64_t>() > 1 &&
                                                            member(w, "scheduler_impact").is_number())
      s += " summed over " + std::to_string(n.get<int64_t>()) + " launching threads (" +
           pct_or(member(w, "scheduler_impact_per_thread")) + " per thread on average)";
    tb.add_row({"rates over the launch window", s});
    if (uncertain && (r.switches || r.irqs)) {
      const json& n = member(w, "launch_records_lost_outside");
      tb.add_row({"  their bound", uncertain_window_text(n.is_number_integer() ? n.get<int64_t>() : 0)});
    }
  }
  if (doc.contains("irq_stolen_ns")) {
    std::string s = not_recorded;
    if (r.irqs) {
      // As the terminal: "X (Y% of wall)" with the share the JSON states; a document saved before
      // irq_stolen_share existed reads "X of W wall".
      s = ns_or(member(doc, "irq_stolen_ns"));
      std::vector<std::string> notes;
      if (const json& sh = member(doc, "irq_stolen_share"); sh.is_number()) notes.push_back(pct_or(sh) + " of wall");
      else if (auto w = member(doc, "wall_ns"); w.is_number()) s += " of " + ns_or(w) + " wall";
      if (doc.contains("irq_count_hard") && doc.contains("irq_count_soft"))
        notes.push_back(count_or(member(doc, "irq_count_hard")) + " hard, " + count_or(member(doc, "irq_count_soft")) + " soft IRQs");
      for (size_t i = 0; i < notes.size(); ++i) s += (i ? "; " : " (") + notes[i] + (i + 1 == notes.size() ? ")" : "");
    }
    tb.add_row({"IRQ time on traced threads (nesting counted once)", s});
  }
  // As the terminal: softirqs the threads ran as their own work, apart from the IRQ figures (a
  // document saved before 2026-12-06 has no such key: no row).
  if (const json& told = member(doc, "softirqs_own_told"); told.is_boolean() && r.irqs)
    tb.add_row({"softirqs run by the threads themselves",
                told.get<bool>() ? count_or(member(doc, "softirq_own_count")) + ", " + ns_or(member(doc, "softirq_own_ns")) +
                                       " (in their own kernel code, e.g. loopback sends): not interruptions, in no IRQ figure"
                                 : own_softirqs_untold_text(untold_context(doc), untold_names(doc, "softirq_raise_untraced"),
                                                          untold_names(doc, "softirq_tick_untraced"))});
  if (const json& rq = member(doc, "runq_latency_ns"); rq.is_object()) {
    std::string s = not_recorded;
    if (r.switches)
      s = num(rq, "samples").value_or(0) > 0
              ? ns_or(member(rq, "p50")) + " / " + ns_or(member(rq, "p99")) + " / " + ns_or(member(rq, "max")) + " (" +
                    count_or(member(rq, "samples")) + " samples)"
              : member(doc, "wakeups_recorded") == json(false)
                  ? "no samples (no preemption was followed by a switch-in; wake-ups not recorded: --events)"
                  : "no samples (no wake-up or preemption was followed by a switch-in)";
    tb.add_row({"run-queue latency p50 / p99 / max", s});
    // The main launching thread's own waits (documents saved before 2026-12-02 lack them).
    if (const json& m = member(rq, "main_thread"); m.is_object() && r.switches)
      tb.add_row({"  of the main launching thread",
                  num(m, "samples").value_or(0) > 0
                      ? ns_or(member(m, "p50")) + " / " + ns_or(member(m, "p99")) + " / " + ns_or(member(m, "max")) + " (" +
                            count_or(member(m, "samples")) + " samples, tid " + label_or(member(m, "tid")) + ")"
                      : "no samples (tid " + label_or(member(m, "tid")) + ")"});
  }
  if (auto m = num(doc, "switch_ins_missing"); m && *m > 0)
    tb.add_row({"switch-ins the kernel did not report",
                count_or(member(doc, "switch_ins_missing")) + " (a thread switched out twice; off-CPU time counts from the later one)"});
  // As the terminal says it (docs/sched.md, "Thread ids reused"); documents saved before have no key.
  if (auto m = num(doc, "thread_ids_reused"); m && *m > 0)
    tb.add_row({"thread ids reused", thread_ids_reused_text(static_cast<int64_t>(*m),
                                                            static_cast<int64_t>(num(doc, "pairs_across_thread_end").value_or(0)))});
  // A recording whose ring was full (docs/sched.md, "Lost events"): these keys exist only then.
  if (auto m = num(doc, "switch_ins_lost_by_recorder"); m && *m > 0)
    tb.add_row({"switch-ins the recorder may have lost",
                count_or(member(doc, "switch_ins_lost_by_recorder")) + " (switched out twice across a loss window)"});
  if (auto m = num(doc, "switch_outs_lost_by_recorder"); m && *m > 0)
    tb.add_row({"switch-outs the recorder may have lost",
                count_or(member(doc, "switch_outs_lost_by_recorder")) + " (switched in twice across a loss window)"});
  // Left out of off-CPU time and run-queue latency (documents saved before 2026-12-03 lack them).
  if (doc.contains("offcpu_intervals_spanning_loss") && r.switches)
    tb.add_row({"off-CPU intervals spanning a loss window",
                count_or(member(doc, "offcpu_intervals_spanning_loss")) + " (left out of off-CPU time and its share of wall)"});
  if (doc.contains("runq_waits_spanning_loss") && r.switches)
    tb.add_row({"run-queue waits spanning a loss window",
                count_or(member(doc, "runq_waits_spanning_loss")) + " (left out of run-queue latency)"});
  if (doc.contains("pairs_spanning_loss"))
    tb.add_row({"launch pairs spanning a loss window",
                count_or(member(doc, "pairs_spanning_loss")) +
                    (rates_events_lost && (r.switches || r.irqs) ? " (left out of every pair figure; the rates lost events on both sides, neither bound)"
                                       : " (left out of every pair figure)")});
  if (doc.contains("gpu_starved_by_scheduler")) {
    const json& g = member(doc, "gpu_starved_by_scheduler");
    if (g.is_object())
      tb.add_row({"GPU idle while launching thread off-CPU (scheduler)",
                  ns_or(member(g, "starved_ns")) + " of " + ns_or(member(g, "gpu_idle_ns")) + " GPU idle (" +
                      pct_or(member(g, "share_of_idle")) + known_idle_note(g) + "; preempted " +
                      ns_or(member(g, "idle_while_preempted_ns")) +
                      ", run queue " + ns_or(member(g, "idle_while_runqueue_ns")) + "; sleeping " +
                      ns_or(member(g, "idle_while_blocked_ns")) + " not counted)"});
    if (g.is_object() && g.contains("offcpu_intervals_spanning_loss"))
      tb.add_row({"GPU idle: launching thread off-CPU intervals spanning a loss window",
                  count_or(member(g, "offcpu_intervals_spanning_loss")) + lost_gaps_note(g) + " (left out; " +
                      ns_or(member(g, "idle_left_out_ns")) + " of GPU idle left out of the share)"});
    // The document's reason where it gives one (a CUPTI recording gets no "record with --cuda cupti").
    const json& why = member(doc, "gpu_starved_undefined_reason");
    if (!g.is_object())
      tb.add_row({"GPU idle while launching thread off-CPU",
                  why.is_string()                             ? why.get<std::string>()
                  : flag_or(doc, "launches_measured", true) ? "n/a (no GPU activities: record with --cuda cupti)"
                                                              : "n/a (launches not measured: no launching thread)"});
  }
  if (const json& mt = member(doc, "main_thread"); mt.is_object()) {
    std::string s = "-";  // no launching thread: as the terminal (review HT M2)
    if (num(mt, "tid").value_or(-1) >= 0)
      s = !r.switches ? not_recorded
                      : ns_or(member(mt, "offcpu_ns")) + " (" + pct_or(member(mt, "offcpu_share")) +
                            (num(mt, "offcpu_left_out_ns").value_or(0) > 0 ? " of wall less left-out time, tid " : " of wall, tid ") +
                            label_or(member(mt, "tid")) + ")";
    tb.add_row({"main launching thread off-CPU", s});
  }
  // Penalties below 0, said (review HR L6).
  std::vector<std::pair<std::string, double>> penalties;
  if (pen.is_object() && r.switches) {
    for (auto [key, what] : {std::pair<const char*, const char*>{"overall", "overall"}, {"preempted", "preempted pairs"}, {"blocked", "blocked pairs"}})
      if (const json& v = member(pen, key); v.is_number()) penalties.emplace_back(what, v.get<double>());
  } else if (pen.is_number()) {
    penalties.emplace_back("overall", pen.get<double>());
  }
  return tb.empty() ? "" : tb.render("Scheduler and IRQ impact") + negative_penalty_note(penalties);
}

std::string tail_table(const json& doc, const Recorded& r) {
  const json& tail = member(doc, "tail");
  if (!tail.is_object() || !r.pairs) return "";
  HtmlTable tb({"tail", "threshold", "pairs", "preempted", "blocked", "IRQ only", "application", "any IRQ"});
  for (auto [key, label] : {std::pair{"p95", ">= P95"}, std::pair{"p99", ">= P99"}}) {
    const json& t = member(tail, key);
    if (!t.is_object()) continue;
    // Shares of causes whose events were not recorded are unknown: "not recorded" as the terminal
    // says, where a "-" could be read as 0% or as an empty tail. A group needs the same events as
    // the JSON's share: IRQ only is "not switched" and so needs both.
    auto share = [&](const char* key, bool rec) { return rec ? pct_or(member(t, key)) : std::string("not recorded"); };
    tb.add_row({label, ns_or(member(t, "threshold_ns")),
                count_or(member(t, "pairs")), share("preempted", r.switches), share("blocked", r.switches),
                share("interrupted_only", r.switches && r.irqs), share("application", r.switches && r.irqs),
                share("interrupted", r.irqs)});
  }
  return tb.empty() ? "" : tb.render("Tail attribution (share of slow pairs by cause; the first four add up to 100%, "
                                     "\"any IRQ\" also counts switched pairs)");
}

// Rows of an object keyed by name, largest total first (the terminal's order; JSON objects are
// kept sorted by name).
std::vector<std::pair<std::string, const json*>> by_total(const json& obj) {
  std::vector<std::pair<std::string, const json*>> rows;
  if (obj.is_object())
    for (auto& [name, v] : obj.items())
      if (v.is_object()) rows.emplace_back(name, &v);
  std::stable_sort(rows.begin(), rows.end(), [](auto& x, auto& y) {
    return num(*x.second, "total_ns").value_or(0) > num(*y.second, "total_ns").value_or(0);
  });
  return rows;
}

constexpr size_t kMaxRows = 50;

std::string more_note(size_t total, const char* what) { return more_rows_note(total, kMaxRows, what, "sched --json"); }

std::string total_chart(const std::vector<std::pair<std::string, const json*>>& rows, const std::string& title,
                        const std::string& x_label) {
  std::vector<std::string> cats;
  BarGroup g{"total time", {}};
  for (size_t i = 0; i < rows.size() && i < 15; ++i)
    if (auto v = num(*rows[i].second, "total_ns")) cats.push_back(rows[i].first), g.values.push_back(*v);
  ChartOptions o;
  o.title = title, o.x_label = x_label, o.y_label = "total time", o.y_unit = "ns";
  return bar_chart(cats, {g}, o);
}

std::string irq_part(const json& doc, const Recorded& r, const char* key, const char* title, const char* what) {
  if (!doc.contains(key) || !r.irqs) return "";
  const auto rows = by_total(member(doc, key));
  if (rows.empty()) return fmt::format("<p class=\"note\">{}: none ran on the traced threads' CPUs.</p>", title);
  HtmlTable tb({what, "count", "total", "self", "mean", "max"});
  for (size_t i = 0; i < rows.size() && i < kMaxRows; ++i) {
    const json& v = *rows[i].second;
    tb.add_row({rows[i].first, count_or(member(v, "count")), ns_or(member(v, "total_ns")), ns_or(member(v, "self_ns")),
                ns_or(member(v, "mean_ns")), ns_or(member(v, "max_ns"))});
  }
  return total_chart(rows, std::string(title) + ": total time", what) + tb.render(title) + more_note(rows.size(), "rows");
}

std::string threads_part(const json& doc, const Recorded& r) {
  const json& threads = member(doc, "threads");
  if (!threads.is_array()) return "";
  // The threads that matter first: by launches, then by time off the CPU (as the terminal).
  std::vector<const json*> listed;
  for (auto& t : threads)
    if (num(t, "launches").value_or(0) > 0 || num(t, "switch_outs").value_or(0) > 0) listed.push_back(&t);
  std::stable_sort(listed.begin(), listed.end(), [](const json* p, const json* q) {
    const double lp = num(*p, "launches").value_or(0), lq = num(*q, "launches").value_or(0);
    return lp != lq ? lp > lq : num(*p, "offcpu_ns").value_or(0) > num(*q, "offcpu_ns").value_or(0);
  });
  HtmlTable tb({"tid", "comm", "launches", "switch-outs", "preempted", "blocked", "off-CPU", "IRQs hard/soft"}, 2);
  // Cells of events that were not recorded say so, as the terminal's (by the flags: documents saved
  // before 2026-12-03 hold 0 there, not null). A thread's launches stay known without them.
  const std::string unknown = "not recorded";
  const auto sw = [&](const std::string& v) { return r.switches ? v : unknown; };
  for (size_t i = 0; i < listed.size() && i < kMaxRows; ++i) {
    const json& t = *listed[i];
    tb.add_row({label_or(member(t, "tid")), str_or(t, "comm", ""), count_or(member(t, "launches")),
                sw(count_or(member(t, "switch_outs"))), sw(count_or(member(t, "preemptions"))),
                sw(count_or(member(t, "blocks"))), sw(ns_or(member(t, "offcpu_ns"))),
                r.irqs ? count_or(member(t, "irqs_hard")) + "/" + count_or(member(t, "irqs_soft")) : unknown});
  }
  return tb.empty() ? "" : tb.render("Traced threads: off-CPU time (most launches first, then most off-CPU time)") +
                               more_note(listed.size(), "threads");
}

std::string syscall_rows_table(const json& obj, const std::string& caption, bool full) {
  const auto rows = by_total(obj);
  HtmlTable tb = full ? HtmlTable({"syscall", "calls", "errors", "total", "mean", "max", "thread time / wall"})
                      : HtmlTable({"syscall", "calls", "errors", "total"});
  bool over_wall = false;
  for (size_t i = 0; i < rows.size() && i < kMaxRows; ++i) {
    const json& v = *rows[i].second;
    // errors and max are null when the kernel only counted the calls (--events syscall-counts).
    std::vector<std::string> cells = {rows[i].first, count_or(member(v, "count")), count_or(member(v, "errors")), ns_or(member(v, "total_ns"))};
    if (full) cells.insert(cells.end(), {ns_or(member(v, "mean_ns")), ns_or(member(v, "max_ns")), pct_or(member(v, "wall_share"))});
    const json& share = member(v, "wall_share");
    over_wall = over_wall || (full && share.is_number() && share.get<double>() > 1.0);
    tb.add_row(std::move(cells));
  }
  // As the terminal (sched_render.cpp): the call's time summed over its threads, not a share.
  return tb.render(caption) + more_note(rows.size(), "syscalls") +
         (over_wall ? "<p class=\"note\">Thread time / wall: a call's time summed over its threads per wall time; over "
                      "100% when several threads were in it at once, 200% is two threads in it the whole wall.</p>"
                    : "");
}

std::string syscall_part(const json& doc) {
  if (!doc.contains("syscalls")) return "";
  const json& totals = member(doc, "syscall_totals");
  const auto rows = by_total(member(doc, "syscalls"));
  if (rows.empty())
    return "<p class=\"note\">No syscalls in this input (a recording has them with --events syscall or "
           "syscall-counts).</p>";
  std::string caption = "Syscalls";
  if (totals.is_object()) caption += " (" + count_or(member(totals, "count")) + " calls, " + ns_or(member(totals, "total_ns")) + ")";
  std::string s = total_chart(rows, "Syscalls: total time", "syscall") + syscall_rows_table(member(doc, "syscalls"), caption, true);
  if (member(totals, "counted_in_kernel").is_boolean() && member(totals, "counted_in_kernel").get<bool>())
    s += "<p class=\"note\">Counted in the kernel: record --events syscall-counts keeps counts and total times only, "
         "so errors and maxima are unknown (\"-\").</p>";
  const json& ioctl = member(doc, "ioctl_targets");
  if (ioctl.is_array() && !ioctl.empty()) {
    HtmlTable tb({"ioctl target", "calls", "errors", "total"});
    for (size_t i = 0; i < ioctl.size() && i < kMaxRows; ++i) {
      const json& v = ioctl[i];
      tb.add_row({member(v, "target").is_string() ? member(v, "target").get<std::string>() : "(unresolved fd)",
                  count_or(member(v, "count")), count_or(member(v, "errors")), ns_or(member(v, "total_ns"))});
    }
    s += tb.render("ioctl by file") + more_note(ioctl.size(), "files");
  }
  const json& per = member(doc, "syscalls_by_thread");
  if (per.is_array())
    for (auto& th : per) s += syscall_rows_table(member(th, "syscalls"), "Syscalls of tid " + label_or(member(th, "tid")), false);
  return s;
}

}  // namespace

std::string sched_incomplete_words(const json& doc) {
  std::string words;
  if (const json& note = member(doc, "incomplete_note"); note.is_string()) words = note.get<std::string>();
  else if (member(doc, "recording_complete") == false) words = "incomplete recording: the figures cover only what was recorded.";
  // A document saved before `incomplete_note` (2026-12-07) keeps only the bytes its reader cut off.
  else if (const auto cut = num(member(doc, "skipped"), "truncated_tail_bytes"); cut && *cut >= 1 && *cut < 9e18)
    words = "incomplete recording: the last " + format_count(static_cast<int64_t>(*cut)) +
            " bytes, a record cut off while it was written, were left out. The figures cover only what was recorded up to there.";
  if (member(doc, "dropped").is_null() && doc.contains("dropped"))
    words += std::string(words.empty() ? "" : " ") + "Recorder loss: " + kLossCountsUnknown +
             ": the events it lost are unknown, not 0, and so is which way the rates per 1000 launches are off.";
  if (!words.empty()) words[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(words[0])));
  return words;
}

std::string sched_section(const json& doc) {
  const Recorded r = recorded(doc);
  std::string body = verdict_box(doc) + incomplete_box(doc);
  if (!r.os_events) {
    // The launch pairs as a whole need no OS event; without two launches there are none to show.
    const std::string pairs = all_pairs_part(doc, r);
    return body + "<p class=\"note\">This input has no scheduler, IRQ or syscall events, so there is nothing more "
                  "to show here" + (pairs.empty() ? std::string() : " than the launch pairs as a whole") +
           "; record the run with infertrace record.</p>" + pairs;
  }
  body += overview_line(doc);
  body += recorded_notes(r);
  body += pairs_part(doc, r);
  body += impact_table(doc, r);
  body += tail_table(doc, r);
  body += irq_part(doc, r, "softirqs", "Softirqs by vector", "vector");
  if (const json& n = member(doc, "softirq_own_count"); n.is_number() && n.get<int64_t>() > 0)
    body += irq_part(doc, r, "softirqs_own", "Softirqs run by the threads themselves (not interruptions), by vector", "vector");
  body += irq_part(doc, r, "hardirqs", "Hard IRQs by handler", "handler");
  body += threads_part(doc, r);
  body += syscall_part(doc);
  return body;
}

}  // namespace infertrace::html
