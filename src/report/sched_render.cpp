#include "report/sched_render.h"

#include <optional>
#include <string>

#include "analysis/impact_unknown_reason.h"
#include "analysis/irq_stats.h"
#include "analysis/launch.h"
#include "analysis/launch_count_bound.h"
#include "analysis/launch_undercount.h"
#include "report/irq_sources_text.h"
#include "report/launch_mix_json.h"
#include "report/text_table.h"
#include "trace/recorder_drops.h"
#include "report/thread_reuse_text.h"
#include "util/plural.h"
#include "util/units.h"

namespace infertrace {

namespace {

using nlohmann::json;

std::string name_or(const Trace& t, StrId id, const std::string& fallback) {
  return id != kNoString ? std::string(t.str(id)) : fallback;
}

std::string syscall_name(const Trace& t, const SyscallStat& s) { return name_or(t, s.name, "nr_" + std::to_string(s.nr)); }

// The two shares the terminal prints beside counts and times, computed once here so that the text
// and `sched --json` (hence the HTML report) state the same value.
// A group's pairs as a share of all pairs; unset without pairs.
std::optional<double> pair_share(const SchedAnalysis& a, const IntervalStats& s) {
  if (a.all.count <= 0) return std::nullopt;
  return static_cast<double>(s.count) / static_cast<double>(a.all.count);
}
// IRQ time on the traced threads as a share of wall time; unset without wall time, or when the
// recording did not ask for IRQs (unknown, not 0).
std::optional<double> irq_wall_share(const SchedAnalysis& a) {
  if (a.wall <= 0 || !a.irqs_recorded) return std::nullopt;
  return static_cast<double>(a.irqs.stolen) / static_cast<double>(a.wall);
}

json share_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
std::string share_text(const std::optional<double>& v) { return v ? format_pct(*v) : "-"; }

// A pair group; null when the events that define it were not recorded (`known` false). An empty
// group has no median or percentiles: null, not the 0 its fields hold.
json interval_json(const SchedAnalysis& a, const IntervalStats& s, bool known = true) {
  if (!known) return nullptr;
  const auto v = [&](auto x) { return s.count > 0 ? json(x) : json(nullptr); };
  return {{"count", s.count}, {"share", share_json(pair_share(a, s))}, {"median_ns", v(s.median)},
          {"p50_ns", v(s.p50)}, {"p90_ns", v(s.p90)},                 {"p99_ns", v(s.p99)}};
}

// Why some pair groups and tail shares are null (empty when all are known).
std::string pairs_undefined_reason(const Trace& t, const SchedAnalysis& a) {
  // A trace that lists no events and has none (a profiler trace): no --events was ever given, so
  // name what the trace is and the command that records these events instead.
  if (!a.events_listed && !a.has_os_events)
    return std::string(t.source == TraceSource::Kineto ? "a Kineto trace carries no scheduler or IRQ events"
                                                       : "this trace has no scheduler or IRQ events and does not list "
                                                         "the events it recorded") +
           ": clean, interrupted, interrupted_only, switched, preempted and blocked pairs are unknown; record the run "
           "with `infertrace record` to measure them";
  std::string r;
  if (!a.switches_recorded)
    r = "context switches not recorded (--events): switched, preempted, blocked, interrupted_only and clean pairs "
        "are unknown";
  if (!a.irqs_recorded)
    r += std::string(r.empty() ? "" : "; ") + "IRQs not recorded (--events): interrupted and interrupted_only pairs are "
         "unknown" + (a.switches_recorded ? ", and clean pairs are those not switched out (IRQs may have run in them)" : "");
  return r;
}

double mean_of(ns_t total, int64_t count) { return count ? static_cast<double>(total) / static_cast<double>(count) : 0.0; }

json opt_json(const std::optional<ns_t>& v) { return v ? json(*v) : json(nullptr); }

// Shares of a cause whose events were not recorded are null, as are all shares of an empty tail.
json tail_json(const SchedAnalysis& a, const TailShares& t) {
  const bool any = t.pairs > 0, sw = any && a.switches_recorded, irq = any && a.irqs_recorded;
  const auto v = [](bool known, double x) { return known ? json(x) : json(nullptr); };
  return {{"threshold_ns", any ? json(t.threshold) : json(nullptr)},
          {"pairs", t.pairs},
          {"switched", v(sw, t.switched)},
          {"preempted", v(sw, t.preempted)},
          {"blocked", v(sw, t.blocked)},
          {"not_switched", v(sw, t.interrupted_only + t.application)},
          {"interrupted", v(irq, t.interrupted)},
          {"interrupted_only", v(sw && irq, t.interrupted_only)},
          {"application", v(sw && irq, t.application)}};
}

// Run-queue figures; p50/p99/max null without samples.
json runq_json(int64_t samples, ns_t p50, ns_t p99, ns_t max) {
  const auto v = [&](ns_t x) { return samples > 0 ? json(x) : json(nullptr); };
  return {{"samples", samples}, {"p50", v(p50)}, {"p99", v(p99)}, {"max", v(max)}};
}

// Keyed by irq_stat_label (a system vector "LOC (vector 236)", apart from a device IRQ 236);
// "source" says which a hard IRQ is (device / system_vector), "softirq" for a softirq,
// "softirq_own" for a table of softirqs the threads ran as their own work (`own`).
json irq_table_json(const Trace& t, const std::vector<IrqStat>& rows, bool own = false) {
  json o = json::object();
  for (size_t i = 0; i < rows.size(); ++i) {
    const IrqStat& s = rows[i];
    o[irq_stat_label(t, rows, i, "irq_" + std::to_string(s.irq))] = {
        {"irq", s.irq},      {"count", s.count}, {"total_ns", s.total},
        {"self_ns", s.self}, {"max_ns", s.max},  {"mean_ns", mean_of(s.total, s.count)},
        {"source", own ? "softirq_own" : s.kind == IrqKind::Soft ? "softirq" : s.system_vector ? "system_vector" : "device"}};
  }
  return o;
}

json syscall_table_json(const Trace& t, const std::vector<SyscallStat>& rows, ns_t wall) {
  json o = json::object();
  for (const SyscallStat& s : rows)
    o[syscall_name(t, s)] = {{"nr", s.nr},
                             {"count", s.count},
                             {"total_ns", s.total},
                             {"mean_ns", mean_of(s.total, s.count)},
                             {"max_ns", s.max >= 0 ? json(s.max) : json(nullptr)},      // null: counted in the kernel
                             {"errors", s.errors >= 0 ? json(s.errors) : json(nullptr)},
                             {"wall_share", wall > 0 ? static_cast<double>(s.total) / static_cast<double>(wall) : 0.0}};
  return o;
}

std::string pct_of(ns_t part, ns_t whole) {
  return whole > 0 ? format_pct(static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

// The rates over [first launch, last launch] (docs/sched.md "Two windows"), one line.
std::string launch_window_text(const SchedAnalysis& a) {
  const LaunchWindowRates& w = a.launch_window;
  // The same launches divide them: upper bounds as the whole trace's (per_1k_upper_bound_reason),
  // unless launch records lost beyond its ends may have shortened it (review LW M1). An exact 0
  // unmarked (per_1k_marked).
  const bool upper = !a.per_1k_upper_bound_reason.empty() && !w.ends_uncertain;
  // format_fixed: the decimal ties as the HTML report and compare round them (review HT L3).
  const auto rate = [&](double v) { return per_1k_marked(upper, v, "<= ", format_fixed(v, 1)); };
  std::string s = format_ns(w.wall) + " from first to last launch: Sched/1K ";
  if (a.switches_recorded)
    s += rate(w.sched_per_1k);
  else
    s += "not recorded";
  s += ", IRQ/1K hard/soft ";
  if (a.irqs_recorded)
    s += rate(w.irq_per_1k_hard) + " / " + rate(w.irq_per_1k_soft);
  else
    s += "not recorded";
  // Without switch events the impact is unknown for want of events, not of pairs; with them it is
  // unknown without clean pairs, or when a launching thread's pairs take all its window time out
  // for loss (sched.cpp), which a bare "n/a" read as "no pairs" (review EQ L5).
  s += ", scheduler impact " + (!a.switches_recorded  ? std::string("not recorded")
                                : w.scheduler_impact ? format_pct(*w.scheduler_impact)
                                                     : std::string(impact_unknown_reason(a.clean.count, a.pairs_spanning_loss, true, measured_launches(a))));
  // Summed over several launching threads it can pass 100% (as the whole-trace figure; review CP).
  if (w.scheduler_impact && a.pair_threads > 1)
    s += " summed over " + std::to_string(a.pair_threads) + " launching threads (" +
         format_pct(*w.scheduler_impact / static_cast<double>(a.pair_threads)) + " per thread on average)";
  return s;
}

// The launch window's rates' bound under recorder loss, in a row of its own under the window's
// (review LW L3: the whole trace's loss row comes before the window row and did not cover it; LW
// M1: launch records lost beyond the window's ends make its rates neither bound). "" without loss.
std::string launch_window_bound_text(const SchedAnalysis& a) {
  const LaunchWindowRates& w = a.launch_window;
  if (!(a.switches_recorded || a.irqs_recorded)) return "";
  if (w.ends_uncertain) return uncertain_window_text(w.launch_records_lost_outside);
  if (!a.loss) return "";
  if (a.per_1k_events_lost) return "neither bound, as the whole trace's (recorder loss: events they count were lost too)";
  if (!a.per_1k_upper_bound_reason.empty()) return "upper bounds (<=), as the whole trace's (recorder loss of launch records only)";
  return "";
}

// A penalty, or why there is none: the group that has no pairs (audit EE L5: "needs clean and
// switched pairs" read as if both were missing when only the blocked group was empty).
std::string opt_ns(const std::optional<ns_t>& v, int64_t clean, int64_t group, const char* name,
                   std::optional<int64_t> launches) {
  if (v) return format_ns(*v);
  if (const char* few = too_few_launches(launches, true)) return few;
  if (clean == 0) return "n/a (no clean pairs)";
  return group == 0 ? std::string("n/a (no ") + name + " pairs)" : std::string("n/a");
}

// Why GPU idle while the launching thread was off-CPU is unknown, where launches were measured:
// no GPU activities ("n/a (no GPU activities: record with --cuda cupti)", or for a CUPTI recording
// what happened instead: analysis/launch.h missing_gpu_side_hint; a Kineto trace "n/a (no GPU
// activities)"), else the switches missing: not recorded at all, or none of the launching thread.
std::string starvation_unknown_text(const Trace& t, const SchedAnalysis& a) {
  if (t.gpu.size() == 0) {
    const std::string hint = missing_gpu_side_hint(t);
    return "n/a (no GPU activities" + (hint.empty() ? "" : ": " + hint) + ")";
  }
  if (!a.switches_recorded) return "not recorded (--events)";
  return "n/a (no context switch of the launching thread recorded)";
}

// "N logical launches", marked ">= N" with why when the count is a lower bound: the recorder lost
// records that may be launch calls, or CUPTI refused some launch callbacks (launch_count_bound, as
// analyze's launch calls row). The partial note itself is printed apart, after it.
std::string logical_launches_text(const Trace& t, const SchedAnalysis& a) {
  const LaunchCountBound b = launch_count_bound(t);
  const bool marked = b.lower_bound && a.launches > 0;  // (no count to mark: 0 counted)
  return (marked ? ">= " : "") + format_count(a.launches) + plural(a.launches, " logical launch", " logical launches") +
         (b.lower_bound ? " (a lower bound: " + b.cause + ")" : "");
}

}  // namespace

json sched_analysis_json(const Trace& t, const SchedAnalysis& a) {
  json j;
  j["kind"] = "sched";
  j["schema_version"] = 1;
  j["source"] = t.file;
  j["has_os_events"] = a.has_os_events;
  // Launches of a recording that did not measure them: unknown (null), with why.
  j["launches"] = a.launches_measured ? json(a.launches) : json(nullptr);
  j["launches_measured"] = a.launches_measured;
  if (!a.launches_measured) j["launch_undefined_reason"] = t.launch_coverage.unmeasured_reason;
  if (!a.launch_partial_note.empty()) j["launch_partial_note"] = a.launch_partial_note;
  // Added 2026-12-08: whether `launches` counts fewer than ran, and why (as analyze --json's
  // launch_calls_bound; the HTML page marks the count with it).
  if (a.launches_measured) {
    const LaunchCountBound b = launch_count_bound(t);
    j["launches_bound"] = {{"lower_bound", b.lower_bound}, {"reason", b.lower_bound ? json(b.cause) : json(nullptr)}};
  }
  j["merged_launch_calls"] = a.merged_launch_calls;
  j["t_begin_ns"] = a.t_begin, j["t_end_ns"] = a.t_end, j["wall_ns"] = a.wall;
  j["wall_source"] = a.wall_source;  // "recording_window" or "event_span" (SchedAnalysis::wall_source)
  // Events the recorder lost, per type as its META says (dropped.<type>: its ring buffer was full),
  // and in CUPTI mode the CUPTI ring's and CUPTI's own (cupti_ring, cupti_activity) and the GPU
  // records the merge left out (cupti_gpu_without_clock, cupti_gpu_without_timestamps): the counts
  // below are lower bounds for any type listed with a non-zero value; rates, pair figures and the
  // impact are not (both sides of a ratio lose events; a pair can span the loss). Empty for Kineto.
  json dropped = json::object();
  for (const RecorderDrop& d : recorder_drops(t)) dropped[d.key] = d.count;
  // null when the recorder wrote no loss counters (killed before its end, which writes them): its
  // losses are unknown, where {} would read as none (review HR M1).
  j["dropped"] = a.loss_counts_unknown ? json(nullptr) : std::move(dropped);
  // A recording that is not complete (killed, cut off): the figures cover only what it holds, as
  // `incomplete_note` says (the stderr note's words), so a page made from this document says it too
  // (review HR M2). null for a trace that is no recording.
  j["recording_complete"] = a.recording_complete ? json(*a.recording_complete) : json(nullptr);
  j["incomplete_note"] = a.incomplete_note.empty() ? json(nullptr) : json(a.incomplete_note);
  // docs/sched.md: p90/p99, tail thresholds and run-queue p99 are nearest rank; medians (and p50)
  // the mean of the two middle values for an even count.
  j["percentile_method"] = "nearest_rank";
  j["median_method"] = "mean_of_two_middle";
  const bool sw = a.switches_recorded, irq = a.irqs_recorded;
  j["pairs"] = {{"all", interval_json(a, a.all)},
                {"clean", interval_json(a, a.clean, sw)},
                {"interrupted", interval_json(a, a.interrupted, irq)},
                {"interrupted_only", interval_json(a, a.interrupted_only, sw && irq)},
                {"preempted", interval_json(a, a.preempted, sw)},
                {"blocked", interval_json(a, a.blocked, sw)},
                {"switched", interval_json(a, a.switched, sw)}};
  if (const std::string r = pairs_undefined_reason(t, a); !r.empty()) j["pairs_undefined_reason"] = r;
  j["penalty_ns"] = {{"overall", opt_json(a.penalty)},
                     {"preempted", opt_json(a.penalty_preempted)},
                     {"blocked", opt_json(a.penalty_blocked)}};
  j["scheduler_impact"] = a.scheduler_impact ? json(*a.scheduler_impact) : json(nullptr);
  j["impact_preempted"] = a.impact_preempted ? json(*a.impact_preempted) : json(nullptr);
  j["impact_blocked"] = a.impact_blocked ? json(*a.impact_blocked) : json(nullptr);
  // The impact sums the pairs of every launching thread: with several it can pass 1.
  j["launch_pair_threads"] = a.pair_threads;
  j["scheduler_impact_per_thread"] = a.scheduler_impact && a.pair_threads > 0
                                         ? json(*a.scheduler_impact / static_cast<double>(a.pair_threads))
                                         : json(nullptr);
  // Counts and times of an event class the recording did not ask for (or a Kineto trace, which has
  // none) are unknown: null, where a 0 would read as "none happened" (the thread rows' too).
  const auto if_sw = [&](int64_t v) { return sw ? json(v) : json(nullptr); };
  const auto if_irq = [&](int64_t v) { return irq ? json(v) : json(nullptr); };
  j["switch_outs"] = if_sw(a.switch_outs), j["preemptions"] = if_sw(a.preemptions), j["blocks"] = if_sw(a.blocks);
  // Per 1000 launches: undefined (null) without launches, not 0.
  // Null too when the recording did not ask for those events (--events).
  const auto per_1k = [&](double v, bool recorded) { return a.launches > 0 && recorded ? json(v) : json(nullptr); };
  j["sched_per_1k"] = per_1k(a.sched_per_1k, a.switches_recorded);
  j["preempt_per_1k"] = per_1k(a.preempt_per_1k, a.switches_recorded);
  j["block_per_1k"] = per_1k(a.block_per_1k, a.switches_recorded);
  j["irq_per_1k_hard"] = per_1k(a.irq_per_1k_hard, a.irqs_recorded);
  j["irq_per_1k_soft"] = per_1k(a.irq_per_1k_soft, a.irqs_recorded);
  // Launches counted fewer than ran (review FC L6): every rate per 1000 launches above, and the
  // launch window's, is then an upper bound; the reason only then.
  j["per_1k_upper_bound"] = !a.per_1k_upper_bound_reason.empty();
  if (!a.per_1k_upper_bound_reason.empty()) j["per_1k_upper_bound_reason"] = a.per_1k_upper_bound_reason;
  // Neither bound: the recorder lost events the rates count (loss windows that lost anything but
  // launch records, or dropped switch or IRQ events), whatever the launches; said only where a rate
  // is shown, as the text says it. One key, so that a reader need not redo the rule over
  // `loss.lost_by_type` and `dropped` (`rates_over_loss` says only that loss windows exist).
  j["per_1k_neither_bound"] = a.per_1k_events_lost && (a.switches_recorded || a.irqs_recorded);
  j["switches_recorded"] = a.switches_recorded, j["irqs_recorded"] = a.irqs_recorded;
  j["irq_system_vectors"] = a.irq_system_vectors ? json(*a.irq_system_vectors) : json(nullptr);
  // Which ones: null when IRQs were not recorded; missing also null when the recording does not say.
  j["irq_system_vectors_traced"] = a.irqs_recorded ? json(a.irq_vectors_traced) : json(nullptr);
  j["irq_system_vectors_missing"] = a.irqs_recorded && a.irq_vectors_missing ? json(*a.irq_vectors_missing) : json(nullptr);
  // Only for a recording with LOSS records (docs/sched.md, "Lost events"): without loss the
  // document is what it was.
  if (a.loss) {
    j["pairs_spanning_loss"] = a.pairs_spanning_loss;
    // Switch events the recorder lost, seen as two switch-outs (or switch-ins) in a row across a
    // window; the counts below are unknown (null) where switches were not recorded.
    const auto if_switches = [&](int64_t v) { return a.switches_recorded ? json(v) : json(nullptr); };
    j["switch_ins_lost_by_recorder"] = if_switches(a.switch_ins_lost_by_recorder);
    j["switch_outs_lost_by_recorder"] = if_switches(a.switch_outs_lost_by_recorder);
    // Left out of off-CPU time (every thread's) and of run-queue latency (pooled and main's).
    j["offcpu_intervals_spanning_loss"] = if_switches(a.offcpu_intervals_spanning_loss);
    j["runq_waits_spanning_loss"] = if_switches(a.runq_waits_spanning_loss);
    // The rates above are over a recording that lost events: neither bound when the windows lost
    // switches or IRQs (both sides lost some), upper bounds by `per_1k_upper_bound` when they lost
    // launch records only (loss.lost_by_type, review FH L3).
    j["rates_over_loss"] = true;
    // Neither bound only when the windows lost switches or IRQs (review FH L3): the lost events by type.
    const auto outside = [&](double v, bool recorded) {
      return a.launches_outside_loss > 0 && recorded ? json(v) : json(nullptr);
    };
    j["loss"] = {{"windows", a.loss_windows},
                 {"lost_events", a.lost_events},
                 {"covered_ns", a.loss_covered},
                 {"launches_outside", a.launches_outside_loss},
                 {"switch_outs_outside", if_sw(a.switch_outs_outside_loss)},
                 {"irqs_hard_outside", if_irq(a.irqs_hard_outside_loss)},
                 {"irqs_soft_outside", if_irq(a.irqs_soft_outside_loss)},
                 {"sched_per_1k_outside", outside(a.sched_per_1k_outside_loss, a.switches_recorded)},
                 {"irq_per_1k_hard_outside", outside(a.irq_per_1k_hard_outside_loss, a.irqs_recorded)},
                 {"irq_per_1k_soft_outside", outside(a.irq_per_1k_soft_outside_loss, a.irqs_recorded)},
                 {"lost_by_type", a.lost_by_type},
                 {"per_1k_outside_upper_bound", !a.per_1k_outside_loss_upper_bound_reason.empty()},
                 {"per_1k_outside_events_lost", a.per_1k_outside_events_lost}};
    if (!a.per_1k_outside_loss_upper_bound_reason.empty())
      j["loss"]["per_1k_outside_upper_bound_reason"] = a.per_1k_outside_loss_upper_bound_reason;
  }
  {
    // The launch window [first launch, last launch] (sched_window.h); null when it has no length.
    const LaunchWindowRates& w = a.launch_window;
    const auto known = [&](double v, bool recorded) { return w.defined && recorded ? json(v) : json(nullptr); };
    // What the run launched, by shape (analysis/launch_mix.h): compare reads it back from a saved analysis.
  j["launch_mix"] = launch_mix_json(a.launch_mix);
  j["launch_window"] =
        w.defined ? json{{"begin_ns", w.begin},
                         {"end_ns", w.end},
                         {"wall_ns", w.wall},
                         {"switch_outs", w.defined && a.switches_recorded ? json(w.switch_outs) : json(nullptr)},
                         {"sched_per_1k", known(w.sched_per_1k, a.switches_recorded)},
                         {"irq_per_1k_hard", known(w.irq_per_1k_hard, a.irqs_recorded)},
                         {"irq_per_1k_soft", known(w.irq_per_1k_soft, a.irqs_recorded)},
                         {"scheduler_impact", w.scheduler_impact ? json(*w.scheduler_impact) : json(nullptr)},
                         {"scheduler_impact_per_thread", w.scheduler_impact && a.pair_threads > 0
                                                             ? json(*w.scheduler_impact / static_cast<double>(a.pair_threads))
                                                             : json(nullptr)},
                         {"launch_records_lost_outside", w.launch_records_lost_outside},
                         {"ends_uncertain", w.ends_uncertain}}
                  : json(nullptr);
  }
  j["irq_count_hard"] = if_irq(a.irqs.hard_count), j["irq_count_soft"] = if_irq(a.irqs.soft_count);
  j["irq_nested"] = if_irq(a.irqs.nested), j["irq_stolen_ns"] = if_irq(a.irqs.stolen);
  j["irq_stolen_share"] = share_json(irq_wall_share(a));
  j["hardirqs"] = irq_table_json(t, a.irqs.hard);
  j["softirqs"] = irq_table_json(t, a.irqs.soft);
  // Softirqs the threads ran as their own work (loopback sends): not in any figure above. Null when
  // IRQs were not recorded, or the recording does not tell them apart (softirq_context says why).
  const bool own_told = a.irqs_recorded && a.softirqs_own_told;
  j["softirqs_own_told"] = a.irqs_recorded ? json(a.softirqs_own_told) : json(nullptr);
  j["softirq_own_count"] = own_told ? json(a.irqs.own_count) : json(nullptr);
  j["softirq_own_ns"] = own_told ? json(a.irqs.own_total) : json(nullptr);
  j["softirqs_own"] = irq_table_json(t, a.irqs.own, true);
  // Why they are not told apart when they are not (docs/sched.md): the recording's own words.
  j["softirq_context"] = a.irqs_recorded && a.softirq_context ? json(*a.softirq_context) : json(nullptr);
  j["softirq_raise_untraced"] = a.irqs_recorded ? json(a.softirq_raise_untraced) : json(nullptr);
  j["softirq_tick_untraced"] = a.irqs_recorded ? json(a.softirq_tick_untraced) : json(nullptr);

  // Per-thread counts and times: null for an event class not recorded, as above.
  json offcpu = json::object(), threads = json::array();
  for (const ThreadSched& th : a.threads) {
    offcpu[std::to_string(th.tid)] = if_sw(th.offcpu);
    threads.push_back({{"pid", th.pid},
                       {"tid", th.tid},
                       {"comm", std::string(t.str(th.comm))},
                       {"launches", a.launches_measured ? json(th.launches) : json(nullptr)},
                       {"switch_outs", if_sw(th.switch_outs)},
                       {"preemptions", if_sw(th.preemptions)},
                       {"blocks", if_sw(th.blocks)},
                       {"irqs_hard", if_irq(th.irqs_hard)},
                       {"irqs_soft", if_irq(th.irqs_soft)},
                       {"softirqs_own", own_told ? json(th.softirqs_own) : json(nullptr)},
                       {"offcpu_ns", if_sw(th.offcpu)},
                       // `record --pid`: /proc's state letter at the attach and the off-CPU time from
                       // then to the first switch-in (part of offcpu_ns); null when not known.
                       {"attach_state", th.attach_state ? json(std::string(1, th.attach_state)) : json(nullptr)},
                       {"offcpu_at_attach_ns", th.attach_state ? if_sw(th.offcpu_at_attach) : json(nullptr)}});
  }
  j["offcpu_ns"] = offcpu;
  j["threads"] = threads;
  // The share over the wall less the main thread's intervals left out for a loss window (the wall
  // without loss), whose length is given only for a recording with loss.
  const ns_t offcpu_wall = main_offcpu_wall(a);
  // No launching thread: pid and tid null, not the model's -1 (review FMT M2).
  const bool main_known = a.main_tid >= 0;
  j["main_thread"] = {{"pid", main_known ? json(a.main_pid) : json(nullptr)},
                      {"tid", main_known ? json(a.main_tid) : json(nullptr)},
                      {"offcpu_ns", if_sw(a.main_offcpu)},
                      {"offcpu_share", a.main_tid >= 0 && offcpu_wall > 0 && a.switches_recorded
                                           ? json(static_cast<double>(a.main_offcpu) / static_cast<double>(offcpu_wall))
                                           : json(nullptr)}};
  if (a.loss) j["main_thread"]["offcpu_left_out_ns"] = if_sw(a.main_offcpu_left_out);
  // All traced threads pooled (the keys as before), and the main launching thread's own waits.
  j["runq_latency_ns"] = runq_json(a.runq_samples, a.runq_p50, a.runq_p99, a.runq_max);
  if (!sw) j["runq_latency_ns"]["samples"] = nullptr;  // no switch-ins to sample: unknown, not 0
  if (a.switches_recorded && a.main_tid >= 0) {
    json m = runq_json(a.main_runq_samples, a.main_runq_p50, a.main_runq_p99, a.main_runq_max);
    m["tid"] = a.main_tid;
    j["runq_latency_ns"]["main_thread"] = std::move(m);
  } else {
    j["runq_latency_ns"]["main_thread"] = nullptr;
  }
  j["switch_ins_missing"] = if_sw(a.switch_ins_missing);  // two switch-outs in a row: needs switches
  j["wakeups_recorded"] = a.wakeups_recorded;
  // Thread ids that named two threads in turn (analysis/thread_lives.h): a death is a switch-out,
  // so unknown (null) without switches; the pairs such a reuse would have made, left out.
  j["thread_ids_reused"] = if_sw(a.thread_ids_reused);
  j["pairs_across_thread_end"] = a.pairs_across_thread_end;
  j["tail"] = {{"p95", tail_json(a, a.tail95)}, {"p99", tail_json(a, a.tail99)}};
  {
    const GpuStarvation& g = a.gpu_starvation;
    // null when the recording has no GPU activities (uprobe mode, Kineto): not zero, unknown.
    j["gpu_starved_by_scheduler"] =
        g.available ? json{{"pid", g.pid},
                           {"tid", g.tid},
                           {"window_begin_ns", g.window_begin},
                           {"window_end_ns", g.window_end},
                           {"gpu_busy_ns", g.gpu_busy},
                           {"gpu_idle_ns", g.gpu_idle},
                           {"idle_gaps", g.idle_gaps},
                           {"idle_while_preempted_ns", g.idle_while_preempted},
                           {"idle_while_runqueue_ns", g.idle_while_runqueue},
                           {"idle_while_blocked_ns", g.idle_while_blocked},
                           {"starved_ns", g.starved_by_scheduler},
                           {"gaps_starved", g.gaps_starved},
                           // Null when loss windows took all the idle time out of its denominator (review EA L2).
                           {"share_of_idle", g.idle_left_out > 0 && g.gpu_idle - g.idle_left_out <= 0 ? json(nullptr)
                                                                                                    : json(g.share_of_idle)}}
                    : json(nullptr);
    // Only with LOSS records, as the other loss keys: a recording without gives the object it gave.
    // Why it is null, where launches were measured: how to get the GPU side (review DK L1).
    if (!g.available && a.launches_measured) j["gpu_starved_undefined_reason"] = starvation_unknown_text(t, a);
    if (g.available && a.loss) {
      j["gpu_starved_by_scheduler"]["offcpu_intervals_spanning_loss"] = g.intervals_spanning_loss;
      j["gpu_starved_by_scheduler"]["idle_left_out_ns"] = g.idle_left_out;
      j["gpu_starved_by_scheduler"]["lost_switch_gaps"] = g.lost_switch_gaps;
    }
  }

  j["syscall_totals"] = {{"count", a.syscalls.count},
                         {"total_ns", a.syscalls.total},
                         {"errors", a.syscalls.errors >= 0 ? json(a.syscalls.errors) : json(nullptr)},
                         {"counted_in_kernel", a.syscalls.counted_in_kernel}};
  j["syscalls"] = syscall_table_json(t, a.syscalls.by_name, a.wall);
  json ioctl = json::array();
  for (const IoctlTargetStat& s : a.syscalls.ioctl_targets)
    ioctl.push_back({{"target", s.target != kNoString ? json(std::string(t.str(s.target))) : json(nullptr)},
                     {"count", s.count}, {"total_ns", s.total}, {"errors", s.errors}});
  j["ioctl_targets"] = ioctl;
  if (!a.syscalls.by_thread.empty()) {
    json per = json::array();
    for (const ThreadSyscalls& th : a.syscalls.by_thread)
      per.push_back({{"pid", th.pid}, {"tid", th.tid}, {"syscalls", syscall_table_json(t, th.by_name, a.wall)}});
    j["syscalls_by_thread"] = per;
  }
  j["signature"] = a.signature, j["mitigation"] = a.mitigation, j["verdict"] = a.verdict;
  j["skipped"] = t.skipped;
  j["names_cleaned"] = t.names_cleaned;  // names kept with bytes replaced: not skipped (review CX L8)
  return j;
}

// The terminal's reader cannot see --json's percentile_method (review SC L2): numpy's default
// (linear interpolation) reads up to a third lower on these skewed intervals.
constexpr const char* kPercentileNote =
    "  (p90, p99: nearest rank, no interpolation; p50: the median, the mean of the two middle values for an even count)\n";

void print_sched_report(std::ostream& os, const Trace& t, const SchedAnalysis& a, const SchedPrintOptions& opts) {
  os << "\nScheduler and IRQ impact (docs/sched.md)\n";
  if (!a.has_os_events) {
    os << "  " << a.verdict << "\n";
    // The launch pairs need no OS event: the all-pairs group is known, as `--json` `pairs.all` says
    // (review FMT L2). Its subgroups need switches or IRQs, so only that row is shown.
    if (a.launches_measured && a.all.count > 0) {
      os << "  " << logical_launches_text(t, a);
      if (a.merged_launch_calls) os << " (" << format_count(a.merged_launch_calls) << " nested runtime/driver calls merged)";
      os << "; their intervals need no OS events:\n";
      TextTable pairs({"launch pairs", "count", "p50", "p90", "p99"});
      pairs.add_row({"all", format_count(a.all.count), format_ns(a.all.p50), format_ns(a.all.p90), format_ns(a.all.p99)});
      pairs.print(os);
      os << kPercentileNote;
    }
    return;
  }
  // Launches not measured: no count and no pair table (nothing was paired); the OS tables stand.
  os << "  wall " << format_ns(a.wall) << ", "
     << (a.launches_measured ? logical_launches_text(t, a) : std::string("launches not measured"));
  if (!a.launch_partial_note.empty()) os << " (" << a.launch_partial_note << ")";
  if (a.merged_launch_calls) os << " (" << format_count(a.merged_launch_calls) << " nested runtime/driver calls merged)";
  os << "\n";

  TextTable pairs({"launch pairs", "count", "share", "p50", "p90", "p99"});
  // An empty group has no percentiles: "-", not the "0 ns" its zero-initialised fields would print
  // (a CPU-only recording's "all 0 pairs, p50 0 ns" read as launches of no cost).
  auto pct_ns = [](const IntervalStats& s, ns_t v) { return s.count > 0 ? format_ns(v) : std::string("-"); };
  // A group whose events were not recorded is unknown: "not recorded", not a count of 0.
  auto pair_row = [&](const char* name, const IntervalStats& s, bool known = true) {
    if (!known) return pairs.add_row({name, "not recorded", "-", "-", "-", "-"});
    pairs.add_row({name, format_count(s.count), share_text(pair_share(a, s)), pct_ns(s, s.p50), pct_ns(s, s.p90),
                   pct_ns(s, s.p99)});
  };
  const bool sw = a.switches_recorded, irq = a.irqs_recorded;
  // Without IRQ events "clean" can only mean "not switched out".
  pair_row("all", a.all), pair_row(irq ? "clean (neither)" : "clean (not switched; IRQs not recorded)", a.clean, sw);
  pair_row("interrupted (any IRQ)", a.interrupted, irq);
  pair_row("  IRQ only (not switched)", a.interrupted_only, sw && irq);
  pair_row("switched", a.switched, sw), pair_row("  preempted", a.preempted, sw), pair_row("  blocked", a.blocked, sw);
  if (a.launches_measured) pairs.print(os), os << kPercentileNote;

  TextTable head({"metric", "value"}, {TextTable::Align::Left, TextTable::Align::Left});
  // Without switch events there is no switched group to compare: not recorded, not "needs pairs".
  const auto penalty = [&](const std::optional<ns_t>& v, const IntervalStats& g, const char* name) {
    return a.switches_recorded ? opt_ns(v, a.clean.count, g.count, name, measured_launches(a)) : std::string("not recorded (--events)");
  };
  head.add_row({"preemption penalty (switched - clean median)", penalty(a.penalty, a.switched, "switched")});
  head.add_row({"  preempted only", penalty(a.penalty_preempted, a.preempted, "preempted")});
  head.add_row({"  blocked only", penalty(a.penalty_blocked, a.blocked, "blocked")});
  const auto impact = [&](const std::optional<double>& v) {
    return !a.switches_recorded ? std::string("not recorded (--events)")
           : v                  ? format_pct(*v)
                                : std::string(impact_unknown_reason(a.clean.count, a.pairs_spanning_loss, false, measured_launches(a)));
  };
  // Under loss each thread's wall is less its left-out pairs (docs/sched.md): the label says so
  // (audit EE L1), as the GPU starvation row names its reduced denominator.
  // Summed over several launching threads, as the window row and the verdict say it (review DJ L5).
  const std::string summed = a.scheduler_impact && a.pair_threads > 1
                                 ? " summed over " + std::to_string(a.pair_threads) + " launching threads (" +
                                       format_pct(*a.scheduler_impact / static_cast<double>(a.pair_threads)) +
                                       " per thread on average)"
                                 : "";
  head.add_row({a.pairs_spanning_loss > 0 ? "scheduler impact (share of wall less left-out pairs)" : "scheduler impact (share of wall)",
                impact(a.scheduler_impact) + (a.switches_recorded ? summed : "")});
  head.add_row({"  in preempted pairs", impact(a.impact_preempted)});
  head.add_row({"  in blocked pairs", impact(a.impact_blocked)});
  // `upper`: launches counted fewer than ran make it an upper bound (review FC L6; the row below says
  // why), an exact 0 excepted (per_1k_marked).
  auto rate = [&](double v, bool recorded, bool upper) {
    if (!a.launches_measured) return std::string("n/a (launches not measured)");
    if (a.launches == 0) return std::string("n/a (no launch calls)");
    if (!recorded) return std::string("not recorded (--events)");
    return per_1k_marked(upper, v, "<= ", format_fixed(v, 1));  // (as the HTML report: review HT L3)
  };
  const bool upper = !a.per_1k_upper_bound_reason.empty();
  head.add_row({"Sched/1K (switch-outs per 1000 launches)",
                a.launches == 0 || !a.switches_recorded
                    ? rate(0, a.switches_recorded, upper)
                    : rate(a.sched_per_1k, true, upper) + "  (preempt " + rate(a.preempt_per_1k, true, upper) + ", block " +
                          rate(a.block_per_1k, true, upper) + ")"});
  head.add_row({"IRQ/1K hard", rate(a.irq_per_1k_hard, a.irqs_recorded, upper)});
  head.add_row({"IRQ/1K soft", rate(a.irq_per_1k_soft, a.irqs_recorded, upper)});
  if (!a.per_1k_upper_bound_reason.empty())
    head.add_row({"rates per 1000 launches", "upper bounds (<=): " + a.per_1k_upper_bound_reason});
  if (a.irqs_recorded)
    head.add_row({"hard IRQs counted", hard_irq_sources_text(a.irq_system_vectors, a.irq_vectors_traced, a.irq_vectors_missing)});
  // A killed recorder never wrote its loss counters: unknown, where no row would read as no loss
  // (review HR M1); the loss windows below are only those it wrote before.
  if (a.loss_counts_unknown)
    head.add_row({"recorder loss", std::string(kLossCountsUnknown) + (a.loss ? ": the windows below are only those recorded before its end" : "")});
  if (a.loss) {
    // A rate's bound is said only where a rate is shown (review FH L1, FQ L3): not when switches and
    // IRQs were both not recorded, not when there is no launch to count per (every rate row reads
    // n/a: review RL57 L1), nor outside the windows when no launch lies there.
    const bool rates_shown = a.launches_measured && a.launches > 0 && (a.switches_recorded || a.irqs_recorded);
    head.add_row({"recorder loss", format_count(a.lost_events) + plural(a.lost_events, " event", " events") +
                                       " lost in " + format_count(a.loss_windows) +
                                       plural(a.loss_windows, " window", " windows") + " covering " + format_ns(a.loss_covered) +
                                       (!rates_shown ? ""
                                        : a.per_1k_events_lost
                                            ? ": the rates above lost events on both sides, neither bound"
                                            : ": only launch records or ioctl file names lost (no switch, IRQ or other event): the rates above are upper bounds")});
    // Not recorded first, as the page says it (review EJ L4). Upper bounds by their own reason
    // (review FH L3: launch callbacks CUPTI refused are missing outside the windows too).
    const bool outside_upper = !a.per_1k_outside_loss_upper_bound_reason.empty();
    auto outside = [&](double v, bool recorded) {
      return a.launches_outside_loss > 0 || !recorded ? rate(v, recorded, outside_upper)
                                                      : std::string("n/a (no launch outside the loss)");
    };
    head.add_row({"  rates outside the loss windows",
                  "Sched/1K " + outside(a.sched_per_1k_outside_loss, a.switches_recorded) + ", IRQ/1K hard " +
                      outside(a.irq_per_1k_hard_outside_loss, a.irqs_recorded) + ", soft " +
                      outside(a.irq_per_1k_soft_outside_loss, a.irqs_recorded) + " (" +
                      format_count(a.launches_outside_loss) + " launches)" +
                      (outside_upper ? "; upper bounds (<=): " + a.per_1k_outside_loss_upper_bound_reason : "") +
                      (a.per_1k_outside_events_lost && rates_shown && a.launches_outside_loss > 0 ? "; neither bound: " + outside_loss_scope_words(loss_types_changing_outside_rates(a.lost_by_type))
                                                    : "")});
    head.add_row({"  launch pairs spanning a loss window", format_count(a.pairs_spanning_loss) +
                                                               " (left out of every pair figure above and below)"});
  }
  // The same rates without the start-up before the first launch (imports, weight loading).
  if (a.launches_measured && a.launch_window.defined) {
    head.add_row({"rates over the launch window", launch_window_text(a)});
    if (const std::string b = launch_window_bound_text(a); !b.empty()) head.add_row({"  their bound", b});
  }
  head.add_row({"IRQ time on traced threads (nesting counted once)",
                a.irqs_recorded ? format_ns(a.irqs.stolen) + " (" + share_text(irq_wall_share(a)) + " of wall)"
                                : std::string("not recorded (--events)")});
  // Kept apart from the IRQ figures: the thread ran these itself (docs/sched.md).
  if (a.irqs_recorded)
    head.add_row({"softirqs run by the threads themselves",
                  a.softirqs_own_told
                      ? format_count(a.irqs.own_count) + ", " + format_ns(a.irqs.own_total) +
                            " (in their own kernel code, e.g. loopback sends): not interruptions, in no IRQ figure"
                      : own_softirqs_untold_text(a.softirq_context.value_or(""), a.softirq_raise_untraced, a.softirq_tick_untraced)});
  // As the HTML page says it: without sched events there was nothing to sample, which "no
  // samples" alone hid.
  head.add_row({"run-queue latency p50 / p99 / max",
                !a.switches_recorded ? std::string("not recorded (--events)")
                : a.runq_samples > 0 ? format_ns(a.runq_p50) + " / " + format_ns(a.runq_p99) + " / " +
                                           format_ns(a.runq_max) + " (" + format_count(a.runq_samples) + plural(a.runq_samples, " sample)", " samples)")
                                     : std::string(a.wakeups_recorded ? "no samples (no wake-up or preemption was followed by a switch-in)"
                                                                      : "no samples (no preemption was followed by a switch-in; wake-ups not "
                                                                        "recorded: --events)")});
  // The launching thread's own waits: the pooled figures above include every traced thread.
  if (a.switches_recorded && a.main_tid >= 0)
    head.add_row({"  of the main launching thread", a.main_runq_samples > 0
                                                         ? format_ns(a.main_runq_p50) + " / " + format_ns(a.main_runq_p99) + " / " +
                                                               format_ns(a.main_runq_max) + " (" +
                                                               format_count(a.main_runq_samples) + " samples, tid " +
                                                               std::to_string(a.main_tid) + ")"
                                                         : "no samples (tid " + std::to_string(a.main_tid) + ")"});
  if (a.switch_ins_missing > 0)
    head.add_row({"switch-ins the kernel did not report", format_count(a.switch_ins_missing) +
                                                              " (a thread switched out twice; off-CPU time counts from the later one)"});
  if (a.thread_ids_reused > 0)
    head.add_row({"thread ids reused", thread_ids_reused_text(a.thread_ids_reused, a.pairs_across_thread_end)});
  if (a.switch_ins_lost_by_recorder > 0)
    head.add_row({"switch-ins the recorder may have lost", format_count(a.switch_ins_lost_by_recorder) +
                                                               " (switched out twice across a loss window)"});
  if (a.switch_outs_lost_by_recorder > 0)
    head.add_row({"switch-outs the recorder may have lost", format_count(a.switch_outs_lost_by_recorder) +
                                                       " (switched in twice across a loss window)"});
  if (a.loss && a.switches_recorded) {
    head.add_row({"off-CPU intervals spanning a loss window",
                  format_count(a.offcpu_intervals_spanning_loss) + " (left out of off-CPU time and its share of wall)"});
    head.add_row({"run-queue waits spanning a loss window",
                  format_count(a.runq_waits_spanning_loss) + " (left out of run-queue latency)"});
  }
  if (a.gpu_starvation.available) {
    const GpuStarvation& g = a.gpu_starvation;
    head.add_row({"GPU idle while launching thread off-CPU (scheduler)",
                  format_ns(g.starved_by_scheduler) + " of " + format_ns(g.gpu_idle) + " GPU idle (" +
                      pct_of(g.starved_by_scheduler, g.gpu_idle - g.idle_left_out) +
                      // The share is of the idle time not left out: said, or a reader divides by the total (review DX L1).
                      (g.idle_left_out > 0 && g.gpu_idle > g.idle_left_out ? " of the " + format_ns(g.gpu_idle - g.idle_left_out) + " not left out" : "") +
                      "; preempted " + format_ns(g.idle_while_preempted) +
                      ", run queue " + format_ns(g.idle_while_runqueue) + "; sleeping " + format_ns(g.idle_while_blocked) +
                      " not counted)"});
    if (a.loss)
      head.add_row({"GPU idle: launching thread off-CPU intervals spanning a loss window",
                    format_count(g.intervals_spanning_loss) +
                        (g.lost_switch_gaps > 0 ? ", and " + format_count(g.lost_switch_gaps) +
                                                      plural(g.lost_switch_gaps, " gap", " gaps") + " of lost switches" : "") +
                        " (left out; " + format_ns(g.idle_left_out) + " of GPU idle left out of the share)"});
  } else {
    head.add_row({"GPU idle while launching thread off-CPU",
                  a.launches_measured ? starvation_unknown_text(t, a)
                                      : "n/a (launches not measured: no launching thread)"});
  }
  // Off-CPU time needs switch events: "0 ns" without them would read as measured.
  head.add_row({"main launching thread off-CPU", a.main_tid >= 0 && !a.switches_recorded ? std::string("not recorded (--events)") : a.main_tid >= 0 ? format_ns(a.main_offcpu) + " (" + pct_of(a.main_offcpu, main_offcpu_wall(a)) + (a.loss && a.main_offcpu_left_out > 0 ? " of wall less left-out time, tid " : " of wall, tid ") + std::to_string(a.main_tid) + ")" : "-"});
  head.print(os);

  TextTable tail({"tail", "threshold", "pairs", "preempted", "blocked", "IRQ only", "application", "any IRQ"});
  auto tail_row = [&](const char* n, const TailShares& s) {
    if (s.pairs == 0) {  // no slow pairs (no pairs at all): no threshold and no shares to state
      tail.add_row({n, "-", "0", "-", "-", "-", "-", "-"});
      return;
    }
    // Shares of causes whose events were not recorded are unknown, as in the JSON (null).
    const auto share = [](bool known, double v) { return known ? format_pct(v) : std::string("not recorded"); };
    tail.add_row({n, format_ns(s.threshold), format_count(s.pairs), share(sw, s.preempted), share(sw, s.blocked),
                  share(sw && irq, s.interrupted_only), share(sw && irq, s.application), share(irq, s.interrupted)});
  };
  tail_row(">= P95", a.tail95), tail_row(">= P99", a.tail99);
  tail.print(os, "Tail attribution (share of slow pairs by cause; the first four add up to 100%, \"any IRQ\" also counts switched pairs)");

  // A table cut at --top says how much it left out.
  auto more = [&](size_t total, const char* what) {
    if (total > opts.top)
      os << "  ... " << total - opts.top << " more " << what << " (--top N shows more; --json has all)\n";
  };
  auto irq_table = [&](const std::vector<IrqStat>& rows, const char* title, const char* what) {
    if (rows.empty()) return;
    TextTable tb({what, "count", "total", "self", "mean", "max"});
    for (size_t i = 0; i < rows.size() && i < opts.top; ++i) {
      const IrqStat& s = rows[i];
      tb.add_row({irq_stat_label(t, rows, i, "irq " + std::to_string(s.irq)), format_count(s.count), format_ns(s.total),
                  format_ns(s.self), format_ns(mean_of(s.total, s.count)), format_ns(s.max)});
    }
    tb.print(os, title);
    more(rows.size(), "rows");
  };
  irq_table(a.irqs.soft, "Softirqs by vector", "vector");
  irq_table(a.irqs.own, "Softirqs run by the threads themselves (not interruptions), by vector", "vector");
  irq_table(a.irqs.hard, "Hard IRQs by handler", "handler");

  TextTable th({"tid", "comm", "launches", "switch-outs", "preempted", "blocked", "off-CPU", "IRQs h/s"});
  // The threads that matter first: the launching ones, then by time off the CPU (ties by tid).
  std::vector<const ThreadSched*> listed;
  for (const ThreadSched& x : a.threads)
    if (x.launches > 0 || x.switch_outs > 0) listed.push_back(&x);
  std::stable_sort(listed.begin(), listed.end(), [](const ThreadSched* p, const ThreadSched* q) {
    return p->launches != q->launches ? p->launches > q->launches : p->offcpu > q->offcpu;
  });
  // Cells of an event class that was not recorded say so (as the JSON's null): 0 would read as
  // "never switched out" or "no IRQ".
  const std::string unknown = "not recorded";
  for (size_t i = 0; i < listed.size() && i < opts.top; ++i) {
    const ThreadSched& x = *listed[i];
    th.add_row({std::to_string(x.tid), std::string(t.str(x.comm)), a.launches_measured ? format_count(x.launches) : "-",
                sw ? format_count(x.switch_outs) : unknown, sw ? format_count(x.preemptions) : unknown,
                sw ? format_count(x.blocks) : unknown, sw ? format_ns(x.offcpu) : unknown,
                irq ? std::to_string(x.irqs_hard) + "/" + std::to_string(x.irqs_soft) : unknown});
  }
  if (th.rows()) th.print(os, "Traced threads (most launches first, then most off-CPU time)");
  more(listed.size(), "threads");

  if (!a.syscalls.by_name.empty()) {
    // The call's time summed over every thread that made it, per wall time (JSON wall_share): not a
    // share of the wall, as threads in the call at once add up; 200% is two threads in it all along
    // (review RC L1: futex read 105.3% "% wall" for two threads each blocked half the time).
    TextTable sc({"syscall", "calls", "errors", "total", "mean", "max", "thread-time/wall"});
    bool over_wall = false;
    for (size_t i = 0; i < a.syscalls.by_name.size() && i < opts.top; ++i) {
      const SyscallStat& s = a.syscalls.by_name[i];
      over_wall = over_wall || (a.wall > 0 && s.total > a.wall);
      sc.add_row({syscall_name(t, s), format_count(s.count), s.errors >= 0 ? format_count(s.errors) : "-", format_ns(s.total),
                  format_ns(mean_of(s.total, s.count)), s.max >= 0 ? format_ns(s.max) : "-", pct_of(s.total, a.wall)});
    }
    sc.print(os, "Syscalls (" + format_count(a.syscalls.count) + " calls, " + format_ns(a.syscalls.total) + ")");
    more(a.syscalls.by_name.size(), "syscalls");
    if (over_wall)
      os << "(thread-time/wall: a call's time summed over its threads per wall time; over 100% when several threads "
            "were in it at once, 200% is two threads in it the whole wall)\n";
    if (a.syscalls.counted_in_kernel)
      os << "(counted in the kernel: record --events syscall-counts keeps counts and total times only, no errors or maxima)\n";
    if (!a.syscalls.ioctl_targets.empty()) {
      TextTable io({"ioctl target", "calls", "errors", "total"});
      for (size_t i = 0; i < a.syscalls.ioctl_targets.size() && i < opts.top; ++i) {
        const IoctlTargetStat& s = a.syscalls.ioctl_targets[i];
        io.add_row({name_or(t, s.target, "(unresolved fd)"), format_count(s.count), format_count(s.errors), format_ns(s.total)});
      }
      io.print(os, "ioctl by file");
      more(a.syscalls.ioctl_targets.size(), "files");
    }
    for (const ThreadSyscalls& x : a.syscalls.by_thread) {
      TextTable pt({"syscall", "calls", "errors", "total"});
      for (size_t i = 0; i < x.by_name.size() && i < opts.top; ++i)
        pt.add_row({syscall_name(t, x.by_name[i]), format_count(x.by_name[i].count), format_count(x.by_name[i].errors),
                    format_ns(x.by_name[i].total)});
      pt.print(os, "Syscalls of tid " + std::to_string(x.tid));
      more(x.by_name.size(), "syscalls");
    }
  }
  os << "\nVerdict (" << a.signature << "; mitigation: " << a.mitigation << "):\n  " << a.verdict << "\n";
}

}  // namespace infertrace
