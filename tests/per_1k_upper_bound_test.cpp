// Rates per 1000 launches when launches were counted fewer than ran (review FC L6): CUPTI refused
// some launch callbacks (LaunchCoverage::partial_note) or the recorder lost records that may be
// launch calls (META dropped.api, cupti.ring_dropped_records) while the switches and IRQs were
// whole. Sched/1K, IRQ/1K (and the launch window's) are then upper bounds: marked in `sched` (text,
// --json, HTML), in `compare` (cells, the Sched/1K increase, --json, HTML; from recordings and from
// saved analyses, old ones included) and in bench interference's medians. Every expected rate is
// worked out here from the events the test inserts.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "analysis/compare.h"
#include "analysis/launch_undercount.h"
#include "analysis/sched.h"
#include "bench/interference_summary.h"
#include "html_text.h"
#include "one_thread_launches.h"
#include "report/compare_render.h"
#include "report/compare_trace.h"
#include "report/sched_render.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace {
namespace {

using html_text::has;
using html_text::row;
using nlohmann::json;

constexpr int kLaunches = 8;
const char* const kPartialNote = "launch figures are partial: they leave out, in pid 100: the calls of cuLaunchKernelEx";

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

double per_1k(int events, int launches) { return 1000.0 * events / launches; }

void sw(Trace& t, ns_t ts, int64_t prev_tid, bool preempted, int64_t next_tid) {
  ContextSwitch s;
  s.ts = ts, s.cpu = 0, s.prev_pid = prev_tid == 101 ? 100 : 0, s.prev_tid = prev_tid, s.preempted = preempted;
  s.prev_state = preempted ? 0 : 1, s.next_pid = next_tid == 101 ? 100 : 0, s.next_tid = next_tid;
  t.switches.push(s);
}

void irq(Trace& t, IrqKind kind, ns_t ts) {
  Irq q;
  q.ts = ts, q.dur = 10, q.cpu = 0, q.kind = kind, q.irq = kind == IrqKind::Hard ? 42 : 3;
  q.name = t.strings.intern(kind == IrqKind::Hard ? "eth0" : "TIMER"), q.pid = 100, q.tid = 101;
  t.irqs.push(q);
}

// Thread 101 launches 8 times, 1000 ns apart (0 .. 7000); it is preempted at 1500 (back at 1600)
// and blocks at 4500 (back at 4800): 2 switch-outs, 1 preemption, 1 block. One hard IRQ (3300) and
// three softirqs (500, 2500, 6500), all inside [0, 7000], the launch window: Sched/1K 2 / 8 x 1000
// = 250.0 (preempt 125.0, block 125.0), IRQ/1K hard 125.0, soft 375.0, the window's the same.
Trace recording() {
  Trace t = one_thread_launches(kLaunches, TraceSource::Recording);
  t.meta["events"] = "launch,sched,wakeup,irq";
  sw(t, 1500, 101, true, 0), sw(t, 1600, 0, false, 101);
  sw(t, 4500, 101, false, 0), sw(t, 4800, 0, false, 101);
  irq(t, IrqKind::Hard, 3300);
  for (ns_t ts : {500, 2500, 6500}) irq(t, IrqKind::Soft, ts);
  return t;
}

Trace partial_recording() {
  Trace t = recording();
  t.launch_coverage.partial_pids = {100};
  t.launch_coverage.partial_note = kPartialNote;
  return t;
}

const std::string kPartialReason = "fewer launches counted than ran (CUPTI refused some launch callbacks, whose calls it leaves out)";

std::string text_of(const Trace& t, const SchedAnalysis& a) {
  std::ostringstream os;
  print_sched_report(os, t, a);
  return os.str();
}

TEST(Per1kUpperBound, TheRuleAndItsCauses) {
  EXPECT_EQ(per_1k_upper_bound_reason(10, 0, "", false), "");
  EXPECT_EQ(per_1k_upper_bound_reason(10, 0, kPartialNote, false), kPartialReason);
  EXPECT_EQ(per_1k_upper_bound_reason(10, 7, "", false),
            "fewer launches counted than ran (the recorder lost 7 records that may be launch calls)");
  EXPECT_EQ(per_1k_upper_bound_reason(10, 7, kPartialNote, false),
            "fewer launches counted than ran (the recorder lost 7 records that may be launch calls; CUPTI refused some "
            "launch callbacks, whose calls it leaves out)");
  // One record in the singular (review: "the recorder lost 1 records").
  EXPECT_EQ(per_1k_upper_bound_reason(10, 1, "", false),
            "fewer launches counted than ran (the recorder lost 1 record that may be a launch call)");
  // The numerators lost events too: neither bound. No launches: no rate to bound.
  EXPECT_EQ(per_1k_upper_bound_reason(10, 7, kPartialNote, true), "");
  EXPECT_EQ(per_1k_upper_bound_reason(0, 7, kPartialNote, false), "");
  EXPECT_EQ(ratio_of_upper_bounds(false, false), "");
  EXPECT_EQ(ratio_of_upper_bounds(true, false), "at_most");
  EXPECT_EQ(ratio_of_upper_bounds(false, true), "at_least");
  EXPECT_EQ(ratio_of_upper_bounds(true, true), "either_way");
}

TEST(Per1kUpperBound, SchedMarksRatesOfAPartialRecording) {
  const double sched = per_1k(2, kLaunches), half = per_1k(1, kLaunches), soft = per_1k(3, kLaunches);
  const Trace exact_t = recording(), t = partial_recording();
  const SchedAnalysis exact = analyze_sched(exact_t), a = analyze_sched(t);
  ASSERT_EQ(a.launches, kLaunches);
  EXPECT_DOUBLE_EQ(a.sched_per_1k, sched);
  EXPECT_DOUBLE_EQ(a.irq_per_1k_soft, soft);
  EXPECT_EQ(exact.per_1k_upper_bound_reason, "");
  EXPECT_EQ(a.per_1k_upper_bound_reason, kPartialReason);

  const std::string text = text_of(t, a);
  EXPECT_TRUE(has(text, "<= " + fixed1(sched) + "  (preempt <= " + fixed1(half) + ", block <= " + fixed1(half) + ")")) << text;
  EXPECT_TRUE(has(text, "IRQ/1K soft")) << text;
  EXPECT_TRUE(has(text, "<= " + fixed1(soft))) << text;
  EXPECT_TRUE(has(text, "upper bounds (<=): " + kPartialReason)) << text;
  EXPECT_TRUE(has(text, "from first to last launch: Sched/1K <= " + fixed1(sched) + ", IRQ/1K hard/soft <= " + fixed1(half) +
                            " / <= " + fixed1(soft)))
      << text;
  EXPECT_TRUE(has(a.verdict, "at most " + fixed1(sched) + " context switches and at most " + fixed1(half) + " hard and at most " +
                                 fixed1(soft) + " soft IRQs per 1000 launches (upper bounds: " + kPartialReason + ")"))
      << a.verdict;
  const std::string exact_text = text_of(exact_t, exact);
  EXPECT_FALSE(has(exact_text, "<=")) << exact_text;
  EXPECT_FALSE(has(exact_text, "upper bound")) << exact_text;
  EXPECT_TRUE(has(exact.verdict, fixed1(sched) + " context switches and " + fixed1(half) + " hard")) << exact.verdict;

  const json j = sched_analysis_json(t, a), je = sched_analysis_json(exact_t, exact);
  EXPECT_EQ(j["per_1k_upper_bound"], true);
  EXPECT_EQ(j["per_1k_upper_bound_reason"], kPartialReason);
  EXPECT_EQ(je["per_1k_upper_bound"], false);
  EXPECT_FALSE(je.contains("per_1k_upper_bound_reason"));
  EXPECT_EQ(j["per_1k_neither_bound"], false);  // nothing lost that the rates count
  EXPECT_EQ(je["per_1k_neither_bound"], false);

  const std::string page = html_text::doc_page(j), exact_page = html_text::doc_page(je);
  EXPECT_TRUE(has(page, row({"Sched/1K (switch-outs per 1000 launches)",
                             "≤ " + fixed1(sched) + " (preempt ≤ " + fixed1(half) + ", block ≤ " + fixed1(half) + ")"})))
      << page;
  EXPECT_TRUE(has(page, row({"IRQ/1K hard (hard IRQs per 1000 launches)", "≤ " + fixed1(half)}))) << page;
  EXPECT_TRUE(has(page, row({"IRQ/1K soft (softirqs per 1000 launches)", "≤ " + fixed1(soft)}))) << page;
  EXPECT_TRUE(has(page, row({"rates per 1000 launches", "upper bounds (≤): " + kPartialReason}))) << page;
  EXPECT_TRUE(has(page, "Sched/1K ≤ " + fixed1(sched) + ", IRQ/1K hard/soft ≤ " + fixed1(half))) << page;
  EXPECT_TRUE(has(exact_page, row({"IRQ/1K hard (hard IRQs per 1000 launches)", fixed1(half)}))) << exact_page;
  EXPECT_FALSE(has(exact_page, "≤")) << exact_page;
}

// Records lost that may be launch calls, switches and IRQs whole: upper bounds with the count; with
// switch or IRQ events dropped too, or loss windows, neither bound (and not marked).
TEST(Per1kUpperBound, SchedMarksRatesOfARecordingThatLostLaunchRecords) {
  Trace t = recording();
  t.meta["dropped.api"] = "5";
  t.meta["dropped.switch"] = "0";
  t.meta["cupti.ring_dropped_records"] = "3";
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.launch_records_lost, 5 + 3);
  const std::string reason = "fewer launches counted than ran (the recorder lost 8 records that may be launch calls)";
  EXPECT_EQ(a.per_1k_upper_bound_reason, reason);
  EXPECT_TRUE(has(text_of(t, a), "<= " + fixed1(per_1k(2, kLaunches)))) << text_of(t, a);
  EXPECT_EQ(sched_analysis_json(t, a)["per_1k_upper_bound_reason"], reason);

  for (const char* key : {"dropped.switch", "dropped.irq"}) {
    Trace both = recording();
    both.meta["dropped.api"] = "5";
    both.meta[key] = "2";
    const SchedAnalysis b = analyze_sched(both);
    EXPECT_EQ(b.launch_records_lost, 5) << key;
    EXPECT_EQ(b.per_1k_upper_bound_reason, "") << key;
    EXPECT_EQ(sched_analysis_json(both, b)["per_1k_upper_bound"], false) << key;
    EXPECT_FALSE(has(text_of(both, b), "<=")) << key;
  }
  // Review FH L3: a loss window that lost only launch records (api) leaves switches and IRQs whole:
  // upper bounds, with both causes; the window's rates outside the loss are upper bounds by both
  // too (review FN M1: a recording made before 2026-12-04 started a window at its first failed
  // reserve, after a lost launch's time). One that lost switches or IRQs too: neither bound.
  LossWindow w;
  w.first = 10, w.last = 20, w.cpu = 0, w.lost = {{"api", 4}};
  const auto lossy_recording = [&] {
    Trace t = partial_recording();
    t.meta["dropped.api"] = "4";
    t.loss_windows.push_back(w);
    return t;
  };
  const Trace lossy = lossy_recording();
  const SchedAnalysis l = analyze_sched(lossy);
  ASSERT_TRUE(l.loss);
  EXPECT_FALSE(l.per_1k_events_lost);
  const std::string lreason =
      "fewer launches counted than ran (the recorder lost 4 records that may be launch calls; CUPTI refused some "
      "launch callbacks, whose calls it leaves out)";
  EXPECT_EQ(l.per_1k_upper_bound_reason, lreason);
  EXPECT_EQ(l.per_1k_outside_loss_upper_bound_reason, lreason);
  // The window [10, 20] holds no launch (they are at 0, 1000, ..): all 8 are outside it, as are
  // both switch-outs and every IRQ.
  ASSERT_EQ(l.launches_outside_loss, kLaunches);
  const std::string ltext = text_of(lossy, l);
  EXPECT_FALSE(has(ltext, "neither bound")) << ltext;
  EXPECT_TRUE(has(ltext, "4 events lost in 1 window covering 10 ns: only launch records or ioctl file names lost (no switch, IRQ or other "
                         "event): the rates above are upper bounds"))
      << ltext;
  EXPECT_TRUE(has(ltext, "Sched/1K <= " + fixed1(per_1k(2, kLaunches)) + ", IRQ/1K hard <= " + fixed1(per_1k(1, kLaunches)) +
                             ", soft <= " + fixed1(per_1k(3, kLaunches)) + " (8 launches); upper bounds (<=): " + lreason))
      << ltext;
  const json lj = sched_analysis_json(lossy, l);
  EXPECT_EQ(lj["per_1k_upper_bound"], true);
  EXPECT_EQ(lj["per_1k_neither_bound"], false);  // only launch records lost
  EXPECT_EQ(lj["loss"]["lost_by_type"], json({{"api", 4}}));
  EXPECT_EQ(lj["loss"]["per_1k_outside_upper_bound"], true);
  const std::string lpage = html_text::doc_page(lj);
  EXPECT_TRUE(has(lpage, "Sched/1K ≤ " + fixed1(per_1k(2, kLaunches)) + ", IRQ/1K hard ≤ " + fixed1(per_1k(1, kLaunches)))) << lpage;
  EXPECT_FALSE(has(lpage, "neither bound")) << lpage;
  EXPECT_TRUE(has(lpage, "only launch records or ioctl file names lost (no switch, IRQ or other event): the rates above are upper bounds"))
      << lpage;
  // The saved analysis reads as its recording does.
  EXPECT_EQ(scenario_from_json(lj, "l", "l.json").per_1k_upper_bound_reason, l.per_1k_upper_bound_reason);
  EXPECT_FALSE(scenario_from_json(lj, "l", "l.json").per_1k_events_lost);
  for (const char* type : {"switch", "irq"}) {
    Trace both = lossy_recording();
    both.loss_windows[0].lost[type] = 1;
    const SchedAnalysis b = analyze_sched(both);
    EXPECT_TRUE(b.per_1k_events_lost) << type;
    EXPECT_EQ(b.per_1k_upper_bound_reason, "") << type;
    EXPECT_TRUE(has(text_of(both, b), "neither bound")) << type << text_of(both, b);
    const json bj = sched_analysis_json(both, b);
    EXPECT_EQ(bj["per_1k_upper_bound"], false) << type;
    EXPECT_EQ(bj["per_1k_neither_bound"], true) << type;
    EXPECT_TRUE(scenario_from_json(bj, "b", "b.json").per_1k_events_lost) << type;
    // Saved before `loss.lost_by_type`: the loss alone, neither bound as then.
    json old = bj;
    old["loss"].erase("lost_by_type");
    old.erase("per_1k_upper_bound");
    EXPECT_TRUE(scenario_from_json(old, "o", "o.json").per_1k_events_lost) << type;
  }
  // Review FN M3: wakeups, task or syscall records (or a type this build does not know) lost in the
  // window may decide which threads the rates count: neither bound, beside the partial note too.
  for (const char* type : {"wakeup", "task", "syscall", "a_type_from_a_later_recorder"}) {
    Trace other = partial_recording();
    LossWindow ow = w;
    ow.lost = {{"api", 1}, {type, 3}};
    other.loss_windows.push_back(ow);
    const SchedAnalysis o = analyze_sched(other);
    EXPECT_TRUE(o.per_1k_events_lost) << type;
    EXPECT_EQ(o.per_1k_upper_bound_reason, "") << type;
    const json oj = sched_analysis_json(other, o);
    EXPECT_EQ(oj["per_1k_upper_bound"], false) << type;
    EXPECT_EQ(oj["per_1k_neither_bound"], true) << type;
    EXPECT_TRUE(scenario_from_json(oj, "o", "o.json").per_1k_events_lost) << type;
  }
}

// Review FN: the rates outside the loss windows follow an allow-list too. A window that lost launch
// records, switches (a lost switch lies inside its window, which those rates leave out) or fdname
// records leaves them upper bounds (launches under-counted); one that lost wake-up, IRQ, syscall or
// task records (they put their process in the scope) or a type this build does not know makes them
// neither bound, in the text, the JSON, the page, a saved analysis and compare alike.
TEST(Per1kUpperBound, RatesOutsideTheLossFollowTheScopeAllowList) {
  const std::string sched = fixed1(per_1k(2, kLaunches)), hard = fixed1(per_1k(1, kLaunches)),
                    soft = fixed1(per_1k(3, kLaunches));
  // The window [10, 20] holds no launch, switch or IRQ: every one is outside it.
  const auto lossy = [&](const char* type) {
    Trace t = partial_recording();
    LossWindow w;
    w.first = 10, w.last = 20, w.cpu = 0, w.lost = {{"api", 4}, {type, 2}};
    t.loss_windows.push_back(w);
    return t;
  };
  const std::string reason =
      "fewer launches counted than ran (the recorder lost 4 records that may be launch calls; CUPTI refused some "
      "launch callbacks, whose calls it leaves out)";
  for (const char* type : {"switch", "fdname"}) {
    const Trace t = lossy(type);
    const SchedAnalysis a = analyze_sched(t);
    ASSERT_EQ(a.launches_outside_loss, kLaunches) << type;
    // The whole recording's: neither bound beside a lost switch, an upper bound beside lost ioctl
    // file names, which no rate counts (review FQ L1).
    EXPECT_EQ(a.per_1k_events_lost, std::string(type) == "switch") << type;
    EXPECT_EQ(a.per_1k_upper_bound_reason.empty(), std::string(type) == "switch") << type;
    EXPECT_FALSE(a.per_1k_outside_events_lost) << type;
    EXPECT_EQ(a.per_1k_outside_loss_upper_bound_reason, reason) << type;
    const std::string text = text_of(t, a);
    EXPECT_TRUE(has(text, "Sched/1K <= " + sched + ", IRQ/1K hard <= " + hard + ", soft <= " + soft +
                              " (8 launches); upper bounds (<=): " + reason + "\n"))
        << type << text;
    const json j = sched_analysis_json(t, a);
    EXPECT_EQ(j["loss"]["per_1k_outside_events_lost"], false) << type;
    EXPECT_EQ(j["loss"]["per_1k_outside_upper_bound"], true) << type;
    const std::string page = html_text::doc_page(j);
    EXPECT_TRUE(has(page, "Sched/1K ≤ " + sched + ", IRQ/1K hard ≤ " + hard + ", soft ≤ " + soft)) << type << page;
    EXPECT_FALSE(has(page, "which may decide which threads are counted")) << type << page;
    EXPECT_FALSE(scenario_from_json(j, "s", "s.json").per_1k_outside_events_lost) << type;
    EXPECT_FALSE(scenario_from_trace(t, "r", "r.itrace").per_1k_outside_events_lost) << type;
  }
  for (const char* type : {"wakeup", "irq", "syscall", "task", "a_type_from_a_later_recorder"}) {
    const Trace t = lossy(type);
    const SchedAnalysis a = analyze_sched(t);
    ASSERT_EQ(a.launches_outside_loss, kLaunches) << type;
    EXPECT_TRUE(a.per_1k_events_lost) << type;
    EXPECT_TRUE(a.per_1k_outside_events_lost) << type;
    EXPECT_EQ(a.per_1k_outside_loss_upper_bound_reason, "") << type;
    const std::string why = std::string("neither bound: the loss windows lost ") + type +
                            " records, which may decide which threads are counted";
    const std::string text = text_of(t, a);
    EXPECT_TRUE(has(text, "Sched/1K " + sched + ", IRQ/1K hard " + hard + ", soft " + soft + " (8 launches); " + why + "\n"))
        << type << text;
    EXPECT_FALSE(has(text, "<=")) << type << text;
    const json j = sched_analysis_json(t, a);
    EXPECT_EQ(j["loss"]["per_1k_outside_events_lost"], true) << type;
    EXPECT_EQ(j["loss"]["per_1k_outside_upper_bound"], false) << type;
    const std::string page = html_text::doc_page(j);
    EXPECT_TRUE(has(page, "Sched/1K " + sched + ", IRQ/1K hard " + hard + ", soft " + soft + " (8 launches); " + why))
        << type << page;
    EXPECT_FALSE(has(page, "≤")) << type << page;
    // Saved before `per_1k_outside_events_lost`, and with the outside rates still marked as then:
    // read from `loss.lost_by_type` as the recording is.
    json old = j;
    old["loss"].erase("per_1k_outside_events_lost");
    old["loss"]["per_1k_outside_upper_bound"] = true;
    old["loss"]["per_1k_outside_upper_bound_reason"] = reason;
    const std::string old_page = html_text::doc_page(old);
    EXPECT_TRUE(has(old_page, why)) << type << old_page;
    EXPECT_FALSE(has(old_page, "≤ " + sched)) << type << old_page;
    EXPECT_TRUE(scenario_from_json(old, "s", "s.json").per_1k_outside_events_lost) << type;
    // compare, from the recording and from its saved analysis: the note says the outside rates are
    // neither bound too.
    const std::string note = "recorder loss in r: its Sched/1K and IRQ/1K are neither bound (the recorder lost events they "
                             "count, or that decide their threads), as are "
                             "the rates `infertrace sched` gives outside the loss windows";
    for (const ScenarioMetrics& m : {scenario_from_trace(t, "r", "r.itrace"), scenario_from_json(j, "r", "r.json")}) {
      EXPECT_TRUE(m.per_1k_outside_events_lost) << type;
      std::string notes;
      const ScenarioMetrics base = scenario_from_trace(recording(), "base", "b.itrace");
      for (const std::string& n : comparison_notes(compare_scenarios({base, m}))) notes += n + "\n";
      EXPECT_TRUE(has(notes, note)) << type << notes;
      EXPECT_FALSE(has(notes, "neither bound; `infertrace sched` gives them outside")) << type << notes;
    }
  }
  // A saved analysis without `loss.lost_by_type` says only that there was loss: neither bound outside
  // too, the types unknown.
  const Trace t = lossy("switch");
  json old = sched_analysis_json(t, analyze_sched(t));
  old["loss"].erase("lost_by_type");
  old["loss"].erase("per_1k_outside_events_lost");
  EXPECT_TRUE(scenario_from_json(old, "o", "o.json").per_1k_outside_events_lost);
  EXPECT_TRUE(has(html_text::doc_page(old), "neither bound: the loss windows lost records of types not saved"));
}

// Review FN M2: a recorder killed before its stop writes no drop counters (META dropped.*), only
// its loss windows: the launch records the windows lost make the rates upper bounds all the same.
// With both, the same loss is not counted twice (the larger); the CUPTI ring's (no windows) add.
TEST(Per1kUpperBound, ACutRecordingBoundsItsRatesByTheLaunchRecordsItsWindowsLost) {
  LossWindow w;
  w.first = 10, w.last = 20, w.cpu = 0, w.lost = {{"api", 4}};
  LossWindow w2 = w;
  w2.first = 30, w2.last = 40, w2.lost = {{"api", 2}};
  const auto cut_recording = [&] {
    Trace t = recording();
    t.loss_windows = {w, w2};
    return t;
  };
  const Trace cut = cut_recording();
  const SchedAnalysis c = analyze_sched(cut);
  EXPECT_FALSE(c.per_1k_events_lost);
  EXPECT_EQ(c.launch_records_lost, 6);
  const std::string reason = "fewer launches counted than ran (the recorder lost 6 records that may be launch calls)";
  EXPECT_EQ(c.per_1k_upper_bound_reason, reason);
  EXPECT_EQ(c.per_1k_outside_loss_upper_bound_reason, reason);
  const json cj = sched_analysis_json(cut, c);
  EXPECT_EQ(cj["per_1k_upper_bound"], true);
  EXPECT_EQ(scenario_from_json(cj, "c", "c.json").per_1k_upper_bound_reason, reason);

  Trace stopped = cut_recording();
  stopped.meta["dropped.api"] = "6";
  EXPECT_EQ(analyze_sched(stopped).launch_records_lost, 6) << "one loss, counted by the counter and the windows";
  stopped.meta["cupti.ring_dropped_records"] = "3";
  EXPECT_EQ(analyze_sched(stopped).launch_records_lost, 9);
  Trace cupti_cut = cut_recording();
  cupti_cut.meta["cupti.ring_dropped_records"] = "3";
  EXPECT_EQ(analyze_sched(cupti_cut).launch_records_lost, 9) << "the CUPTI ring's losses have no windows";
  const json sj = sched_analysis_json(cupti_cut, analyze_sched(cupti_cut));
  EXPECT_EQ(scenario_from_json(sj, "s", "s.json").per_1k_upper_bound_reason,
            "fewer launches counted than ran (the recorder lost 9 records that may be launch calls)");
}

ScenarioMetrics rates(const char* name, double sched, bool bounded);

// Review FH L2: an exact 0 (no event counted) is exact however many launches ran: no mark on it,
// in the text, the page and compare's cells; `per_1k_upper_bound` stays the recording's flag.
TEST(Per1kUpperBound, AnExactZeroIsNotMarked) {
  Trace t = partial_recording();
  t.irqs = IrqTable{};  // no IRQ at all: IRQ/1K hard and soft are 0
  for (ns_t ts : {500, 2500, 6500}) irq(t, IrqKind::Soft, ts);  // soft ones back: 375.0, marked
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.irqs.hard_count, 0);
  ASSERT_EQ(a.per_1k_upper_bound_reason, kPartialReason);
  const std::string text = text_of(t, a);
  EXPECT_TRUE(has(text, "IRQ/1K hard")) << text;
  EXPECT_FALSE(has(text, "<= 0.0")) << text;
  EXPECT_TRUE(has(text, "IRQ/1K hard/soft 0.0 / <= " + fixed1(per_1k(3, kLaunches)))) << text;
  // The verdict says it the same way: each bounded rate its own "at most", none on the 0.
  EXPECT_TRUE(has(a.verdict, "at most " + fixed1(per_1k(2, kLaunches)) + " context switches and 0.0 hard and at most " +
                                 fixed1(per_1k(3, kLaunches)) + " soft IRQs per 1000 launches"))
      << a.verdict;
  const json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["per_1k_upper_bound"], true);
  const std::string page = html_text::doc_page(j);
  EXPECT_TRUE(has(page, row({"IRQ/1K hard (hard IRQs per 1000 launches)", "0.0"}))) << page;
  EXPECT_TRUE(has(page, row({"IRQ/1K soft (softirqs per 1000 launches)", "≤ " + fixed1(per_1k(3, kLaunches))}))) << page;
  EXPECT_FALSE(has(page, "≤ 0.0")) << page;
  // compare: a bounded row whose IRQ/1K hard is 0 and soft 3.0.
  ScenarioMetrics m = rates("row", 24.0, true);
  m.irq_per_1k_hard = 0.0;
  const Comparison c = compare_scenarios({rates("base", 10.0, false), m});
  std::ostringstream ctext;
  print_comparison(ctext, c);
  EXPECT_FALSE(has(ctext.str(), "<=0.0")) << ctext.str();
  EXPECT_TRUE(has(ctext.str(), "<=" + fixed1(24.0 / 8))) << ctext.str();
  const std::string cpage = html_text::doc_page(comparison_json(c));
  EXPECT_TRUE(has(cpage, row({"≤ 24.0", "≤ 2.40x", "≤ 12.0", "≤ 2.40x", "0.0", "≤ 3.0"}))) << cpage;
}

ScenarioMetrics rates(const char* name, double sched, bool bounded) {
  ScenarioMetrics m;
  m.name = name, m.launches = 1000, m.wall = 1'000'000'000;
  m.sched_per_1k = sched, m.window_sched_per_1k = sched / 2;
  m.irq_per_1k_hard = sched / 4, m.irq_per_1k_soft = sched / 8;
  m.throughput = 10.0;  // a throughput basis: the launch rate's own bound stays out of it
  if (bounded) m.per_1k_upper_bound_reason = kPartialReason;
  return m;
}

TEST(Per1kUpperBound, CompareMarksCellsAndBoundsTheIncrease) {
  // base 10.0 exact, row 24.0 an upper bound: the increase 2.40x is at most that.
  const Comparison c = compare_scenarios({rates("base", 10.0, false), rates("row", 24.0, true)});
  ASSERT_TRUE(c.rows[1].sched_increase.has_value());
  EXPECT_DOUBLE_EQ(*c.rows[1].sched_increase, 24.0 / 10.0);
  EXPECT_EQ(c.rows[0].sched_increase_bound, "");
  EXPECT_EQ(c.rows[1].sched_increase_bound, "at_most");
  std::ostringstream text;
  print_comparison(text, c);
  const std::string s = text.str();
  for (double v : {24.0, 24.0 / 2, 24.0 / 4, 24.0 / 8}) EXPECT_TRUE(has(s, "<=" + fixed1(v))) << v << "\n" << s;
  EXPECT_TRUE(has(s, "<=2.40x")) << s;
  EXPECT_FALSE(has(s, "<=" + fixed1(10.0))) << s;  // the baseline's are exact
  EXPECT_TRUE(has(s, "Sched/1K, IRQ/1K <=: upper bounds (they divide by the launches counted) for row: " + kPartialReason)) << s;

  const json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][0]["per_1k_upper_bound"], false);
  EXPECT_TRUE(j["scenarios"][0]["per_1k_upper_bound_reason"].is_null());
  EXPECT_TRUE(j["scenarios"][0]["sched_increase_bound"].is_null());
  EXPECT_EQ(j["scenarios"][1]["per_1k_upper_bound"], true);
  EXPECT_EQ(j["scenarios"][1]["per_1k_upper_bound_reason"], kPartialReason);
  EXPECT_EQ(j["scenarios"][1]["sched_increase_bound"], "at_most");
  const std::string page = html_text::doc_page(j);
  // The row's cells, Sched/1K to IRQ/1K soft, in the table's order; the baseline's unmarked.
  EXPECT_TRUE(has(page, row({"≤ 24.0", "≤ 2.40x", "≤ 12.0", "≤ 2.40x", "≤ 6.0", "≤ 3.0"}))) << page;
  // The baseline's, unmarked: its Sched/1K, x base, window Sched/1K, x base and IRQ/1K hard (review FH L4).
  EXPECT_TRUE(has(page, row({fixed1(10.0), "1.00x", fixed1(10.0 / 2), "1.00x", fixed1(10.0 / 4)}))) << page;
  EXPECT_FALSE(has(page, "≤ 10.0")) << page;
  EXPECT_TRUE(has(page, "Sched/1K, IRQ/1K ≤: upper bounds")) << page;
  EXPECT_FALSE(has(page, "per_1k_upper_bound")) << page;

  // The baseline's rates are the bounds: a smaller true baseline rate makes the increase larger.
  const Comparison b = compare_scenarios({rates("base", 10.0, true), rates("row", 24.0, false)});
  EXPECT_EQ(b.rows[1].sched_increase_bound, "at_least");
  std::ostringstream btext;
  print_comparison(btext, b);
  EXPECT_TRUE(has(btext.str(), ">=2.40x")) << btext.str();
  EXPECT_TRUE(has(btext.str(), "<=" + fixed1(10.0))) << btext.str();
  EXPECT_TRUE(has(html_text::doc_page(comparison_json(b)), "≥ 2.40x"));
  // Both: either way.
  const Comparison e = compare_scenarios({rates("base", 10.0, true), rates("row", 24.0, true)});
  EXPECT_EQ(e.rows[1].sched_increase_bound, "either_way");
  std::ostringstream etext;
  print_comparison(etext, e);
  EXPECT_TRUE(has(etext.str(), "~2.40x")) << etext.str();
  EXPECT_TRUE(has(html_text::doc_page(comparison_json(e)), "~ 2.40x"));
}

// compare of two saved `sched --json` documents: the flag and its reason carried through, the
// same as from the recordings; a document saved before the key read by the same rule.
TEST(Per1kUpperBound, CompareOfSavedAnalysesCarriesTheBound) {
  const Trace exact_t = recording(), partial_t = partial_recording();
  const json exact_doc = sched_analysis_json(exact_t, analyze_sched(exact_t));
  const json partial_doc = sched_analysis_json(partial_t, analyze_sched(partial_t));
  const ScenarioMetrics base = scenario_from_json(exact_doc, "base", "base.json");
  const ScenarioMetrics part = scenario_from_json(partial_doc, "partial", "partial.json");
  EXPECT_EQ(base.per_1k_upper_bound_reason, "");
  EXPECT_EQ(part.per_1k_upper_bound_reason, kPartialReason);
  EXPECT_EQ(scenario_from_trace(partial_t, "partial", "p.itrace").per_1k_upper_bound_reason, kPartialReason);
  EXPECT_EQ(scenario_from_trace(exact_t, "base", "b.itrace").per_1k_upper_bound_reason, "");

  const Comparison c = compare_scenarios({base, part});
  // Both have 2 switch-outs over 8 launches: the ratio 1.00x, at most that.
  ASSERT_TRUE(c.rows[1].sched_increase.has_value());
  EXPECT_DOUBLE_EQ(*c.rows[1].sched_increase, per_1k(2, kLaunches) / per_1k(2, kLaunches));
  EXPECT_EQ(c.rows[1].sched_increase_bound, "at_most");
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_TRUE(has(text.str(), "<=" + fixed1(per_1k(2, kLaunches)))) << text.str();
  EXPECT_TRUE(has(text.str(), "<=1.00x")) << text.str();
  EXPECT_EQ(comparison_json(c)["scenarios"][1]["per_1k_upper_bound"], true);

  // Saved before the key: the launch partial note decides, as does an API drop count.
  json old = partial_doc;
  old.erase("per_1k_upper_bound"), old.erase("per_1k_upper_bound_reason");
  EXPECT_EQ(scenario_from_json(old, "old", "old.json").per_1k_upper_bound_reason, kPartialReason);
  json old_drop = exact_doc;
  old_drop.erase("per_1k_upper_bound");
  old_drop["dropped"] = {{"api", 6}, {"switch", 0}};
  EXPECT_EQ(scenario_from_json(old_drop, "d", "d.json").per_1k_upper_bound_reason,
            "fewer launches counted than ran (the recorder lost 6 records that may be launch calls)");
  old_drop["dropped"]["switch"] = 1;  // switches lost too: neither bound
  EXPECT_EQ(scenario_from_json(old_drop, "d", "d.json").per_1k_upper_bound_reason, "");
  json old_exact = exact_doc;
  old_exact.erase("per_1k_upper_bound");
  EXPECT_EQ(scenario_from_json(old_exact, "e", "e.json").per_1k_upper_bound_reason, "");
  // The document's own word stands; a malformed one is refused.
  json said_false = partial_doc;
  said_false["per_1k_upper_bound"] = false;
  EXPECT_EQ(scenario_from_json(said_false, "f", "f.json").per_1k_upper_bound_reason, "");
  json bad = partial_doc;
  bad["per_1k_upper_bound"] = "yes";
  EXPECT_THROW(scenario_from_json(bad, "b", "b.json"), InputError);
}

// A bench scenario of three runs of 1.0, 1.1 and 1.2 s wall time.
bench::ScenarioResult three_runs(const char* name) {
  bench::ScenarioResult r;
  r.name = name;
  for (int i = 0; i < 3; ++i) {
    bench::RunResult run;
    run.wall_s = 1.0 + 0.1 * i;
    r.runs.push_back(run);
  }
  return r;
}

// bench interference: the median of runs any of which is an upper bound is one too.
TEST(Per1kUpperBound, InterferenceMediansOfBoundedRunsAreMarked) {
  bench::ScenarioResult base = three_runs("baseline"), cpu = three_runs("cpu");
  // Baseline Sched/1K 10, 12, 14 (median 12), exact; cpu 30, 36, 40 (median 36), one run bounded.
  std::vector<std::vector<std::optional<ScenarioMetrics>>> sched(2);
  for (double v : {10.0, 12.0, 14.0}) sched[0].push_back(rates("baseline", v, false));
  for (double v : {30.0, 36.0, 40.0}) sched[1].push_back(rates("cpu", v, v == 40.0));
  const auto s = bench::summarize_interference({base, cpu}, sched, false);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].runs_per_1k_upper_bound, 0);
  EXPECT_EQ(s[1].runs_per_1k_upper_bound, 1);
  EXPECT_DOUBLE_EQ(s[1].sched_per_1k.value_or(-1), 36.0);
  EXPECT_DOUBLE_EQ(s[1].sched_increase.value_or(-1), 36.0 / 12.0);
  EXPECT_EQ(s[0].sched_increase_bound, "");
  EXPECT_EQ(s[1].sched_increase_bound, "at_most");
  std::ostringstream text;
  bench::print_interference(text, s, false);
  EXPECT_TRUE(has(text.str(), "<=" + fixed1(36.0))) << text.str();
  EXPECT_TRUE(has(text.str(), "<=3.00x")) << text.str();
  EXPECT_TRUE(has(text.str(), "<=" + fixed1(36.0 / 4) + "/<=" + fixed1(36.0 / 8))) << text.str();
  EXPECT_FALSE(has(text.str(), "<=" + fixed1(12.0))) << text.str();
  EXPECT_TRUE(has(text.str(), "launches were counted fewer than ran in 1 of 3 analysed runs")) << text.str();
  const json j = bench::interference_json(bench::InterferenceOptions{}, {base, cpu}, s);
  EXPECT_EQ(j["scenarios"][0]["per_1k_upper_bound"], false);
  EXPECT_EQ(j["scenarios"][1]["per_1k_upper_bound"], true);
  EXPECT_EQ(j["scenarios"][1]["runs_per_1k_upper_bound"], 1);
  EXPECT_EQ(j["scenarios"][1]["sched_increase_bound"], "at_most");
  EXPECT_TRUE(j["scenarios"][0]["sched_increase_bound"].is_null());
  // Its page (no `notes`): what "≤" means, and the count under a label (review FH L6).
  const std::string page = html_text::doc_page(j);
  EXPECT_TRUE(has(page, "Sched/1K, IRQ/1K ≤: medians over runs some of which counted fewer launches than ran")) << page;
  EXPECT_TRUE(has(page, "analysed runs whose rates per 1000 launches are upper bounds")) << page;
}

// Every figure of a bench interference scenario under a label with its unit (review HR L8: wall_s,
// spread_pct, throughput_min/max, runs_ok, ... showed as their keys, "wall_s 1.1").
TEST(Per1kUpperBound, InterferencePageLabelsEveryScenarioFigure) {
  bench::ScenarioResult base = three_runs("baseline"), cpu = three_runs("cpu");
  const auto s = bench::summarize_interference({base, cpu}, {}, false);
  const json j = bench::interference_json(bench::InterferenceOptions{}, {base, cpu}, s);
  const std::string page = html_text::doc_page(j);
  for (const auto& [key, value] : j["scenarios"][0].items()) {
    if (value.is_structured() || key.find('_') == std::string::npos) continue;
    EXPECT_FALSE(has(page, key)) << "raw key " << key << " on the page:\n" << page;
  }
  EXPECT_TRUE(has(page, "wall time per run (median)")) << page;
  EXPECT_TRUE(has(page, format_ns(1.1e9))) << page;  // the median of 1.0, 1.1 and 1.2 s
  // Runs per second of those runs, at the terminal's three decimals (review S41 L5).
  for (double runs_per_s : {1 / 1.2, 1 / 1.1, 1 / 1.0}) {
    char want[32];
    std::snprintf(want, sizeof want, "%.3f", runs_per_s);
    EXPECT_TRUE(has(page, want)) << want << "\n" << page;
  }
}

// Review FH M1: a side whose rates are neither bound (recorder loss, switch or IRQ drops) beside an
// upper bound leaves the increase's direction unknown: "~", never "<=" or ">=".
TEST(Per1kUpperBound, IncreaseAgainstRatesOverLossIsEitherWay) {
  EXPECT_EQ(ratio_of_per_1k_rates(true, false, false, true), "either_way");
  EXPECT_EQ(ratio_of_per_1k_rates(false, true, true, false), "either_way");
  EXPECT_EQ(ratio_of_per_1k_rates(false, true, false, false), "");
  EXPECT_EQ(ratio_of_per_1k_rates(true, false, false, false), "at_most");

  ScenarioMetrics lossy = rates("base", 10.0, false);
  lossy.rates_over_loss = lossy.per_1k_events_lost = true;  // loss windows that lost switches
  const Comparison c = compare_scenarios({lossy, rates("row", 24.0, true)});
  EXPECT_EQ(c.rows[1].sched_increase_bound, "either_way");
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_TRUE(has(text.str(), "~2.40x")) << text.str();
  EXPECT_FALSE(has(text.str(), "<=2.40x")) << text.str();
  ScenarioMetrics dropped = rates("row", 24.0, false);
  dropped.per_1k_events_lost = true;  // switch events dropped, no loss window
  EXPECT_EQ(compare_scenarios({rates("base", 10.0, true), dropped}).rows[1].sched_increase_bound, "either_way");
  // Without an upper bound anywhere the loss alone marks nothing, as before.
  EXPECT_EQ(compare_scenarios({lossy, rates("row", 24.0, false)}).rows[1].sched_increase_bound, "");

  // From recordings and saved analyses: a baseline with dropped switch events and a partial row.
  Trace base_t = recording();
  base_t.meta["dropped.switch"] = "2";
  const SchedAnalysis ba = analyze_sched(base_t);
  EXPECT_TRUE(ba.per_1k_events_lost);
  const Trace part_t = partial_recording();
  const Comparison r = compare_scenarios({scenario_from_analysis(ba, "base", "b.itrace"), scenario_from_trace(part_t, "p", "p.itrace")});
  EXPECT_EQ(r.rows[1].sched_increase_bound, "either_way");
  json lossy_doc = sched_analysis_json(recording(), analyze_sched(recording()));
  lossy_doc["rates_over_loss"] = true;  // a saved analysis with loss windows
  const json part_doc = sched_analysis_json(part_t, analyze_sched(part_t));
  const Comparison saved = compare_scenarios({scenario_from_json(lossy_doc, "base", "b.json"), scenario_from_json(part_doc, "p", "p.json")});
  EXPECT_EQ(saved.rows[1].sched_increase_bound, "either_way");
  std::ostringstream stext;
  print_comparison(stext, saved);
  EXPECT_TRUE(has(stext.str(), "~1.00x")) << stext.str();
  EXPECT_FALSE(has(stext.str(), "<=1.00x")) << stext.str();
}

// Review FH M1, bench: one run over loss beside a bounded one: the medians are not marked and the
// increase is "~".
TEST(Per1kUpperBound, InterferenceMediansWithARunOverLossAreNotMarked) {
  bench::ScenarioResult base = three_runs("baseline"), cpu = three_runs("cpu");
  std::vector<std::vector<std::optional<ScenarioMetrics>>> sched(2);
  for (double v : {10.0, 12.0, 14.0}) sched[0].push_back(rates("baseline", v, false));
  for (double v : {30.0, 36.0, 40.0}) {
    ScenarioMetrics m = rates("cpu", v, v == 40.0);
    m.rates_over_loss = m.per_1k_events_lost = v == 30.0;
    sched[1].push_back(m);
  }
  const auto s = bench::summarize_interference({base, cpu}, sched, false);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].runs_per_1k_upper_bound, 1);
  EXPECT_EQ(s[1].runs_per_1k_neither_bound, 1);
  EXPECT_DOUBLE_EQ(s[1].sched_increase.value_or(-1), 36.0 / 12.0);
  EXPECT_EQ(s[1].sched_increase_bound, "either_way");
  std::ostringstream text;
  bench::print_interference(text, s, false);
  EXPECT_FALSE(has(text.str(), "<=")) << text.str();
  EXPECT_TRUE(has(text.str(), "~3.00x")) << text.str();
  EXPECT_TRUE(has(text.str(), "medians are neither bound (not marked)")) << text.str();
  const json j = bench::interference_json(bench::InterferenceOptions{}, {base, cpu}, s);
  EXPECT_EQ(j["scenarios"][1]["per_1k_upper_bound"], false);
  EXPECT_EQ(j["scenarios"][1]["runs_per_1k_neither_bound"], 1);
  EXPECT_EQ(j["scenarios"][1]["sched_increase_bound"], "either_way");
  // Its page (no `notes`, no "≤" cell): what "~" means all the same, and the counts under labels
  // (review FK b). The second run of cpu lost 5 events: one run with lost events.
  cpu.runs[1].lost_events = 5;
  const auto s2 = bench::summarize_interference({base, cpu}, sched, false);
  ASSERT_EQ(s2[1].runs_with_lost_events, 1);
  const std::string page = html_text::doc_page(bench::interference_json(bench::InterferenceOptions{}, {base, cpu}, s2));
  EXPECT_FALSE(has(page, "≤ 36.0")) << page;
  EXPECT_TRUE(has(page, "~ 3.00x")) << page;
  EXPECT_TRUE(has(page, "~ (it may be off either way: both are bounds, or one side's medians are upper bounds while the other "
                        "side has a neither-bound run"))
      << page;
  // The table's header labels the three counts side by side; the cpu row has them 1, 1, 1 after
  // its 3 analysed recordings (the baseline's 0, 0, 0; since review HR L8 the recordings' count has
  // a label too, "recordings analysed", before them, after the description and skip columns).
  EXPECT_TRUE(has(page, row({"analysed runs whose rates per 1000 launches are upper bounds",
                             "analysed runs whose rates per 1000 launches are neither bound (recorder loss)",
                             "analysed runs whose recorder lost events"})))
      << page;
  EXPECT_TRUE(has(page, row({"baseline", "no", "-", "3", "0", "0", "0"}))) << page;
  EXPECT_TRUE(has(page, row({"no", "-", "3", "1", "1", "1"}))) << page;
  for (const char* key : {"runs_per_1k_upper_bound", "runs_per_1k_neither_bound", "runs_with_lost_events"})
    EXPECT_FALSE(has(page, key)) << key;
  // Without any mark (every run exact) no such note.
  std::vector<std::vector<std::optional<ScenarioMetrics>>> exact(2);
  for (double v : {10.0, 12.0, 14.0}) exact[0].push_back(rates("baseline", v, false));
  for (double v : {30.0, 36.0, 40.0}) exact[1].push_back(rates("cpu", v, false));
  const auto s3 = bench::summarize_interference({base, cpu}, exact, false);
  EXPECT_FALSE(has(html_text::doc_page(bench::interference_json(bench::InterferenceOptions{}, {base, cpu}, s3)),
                   "it may be off either way"));
}

// Review FH L5: compare of recordings and compare of the saved `sched --json` of the same
// recordings say the same, text and JSON, once `source` (the file named) is set aside: an exact
// baseline, a partial recording, one with META dropped.api, one whose loss window lost only api
// records and one whose window lost switches too.
TEST(Per1kUpperBound, CompareFromRecordingsEqualsCompareFromSavedAnalyses) {
  std::vector<Trace> traces;
  for (int i = 0; i < 5; ++i) traces.push_back(i == 0 || i == 2 ? recording() : partial_recording());
  traces[2].meta["dropped.api"] = "5";
  traces[2].meta["dropped.switch"] = "0";
  LossWindow w;
  w.first = 10, w.last = 20, w.cpu = 0, w.lost = {{"api", 4}};
  traces[3].meta["dropped.api"] = "4";
  traces[3].loss_windows.push_back(w);
  w.lost["switch"] = 1;
  traces[4].meta["dropped.api"] = "4";
  traces[4].meta["dropped.switch"] = "1";
  traces[4].loss_windows.push_back(w);
  std::vector<ScenarioMetrics> from_traces, from_docs;
  for (size_t i = 0; i < traces.size(); ++i) {
    const std::string name = i == 0 ? "baseline" : "s" + std::to_string(i);
    from_traces.push_back(scenario_from_trace(traces[i], name, name + ".itrace"));
    from_docs.push_back(scenario_from_json(sched_analysis_json(traces[i], analyze_sched(traces[i])), name, name + ".json"));
  }
  Comparison a = compare_scenarios(from_traces), b = compare_scenarios(from_docs);
  // What the cases are meant to be, so that equal outputs are not equal for want of a bound.
  EXPECT_EQ(a.rows[1].sched_increase_bound, "at_most");
  EXPECT_EQ(a.rows[3].sched_increase_bound, "at_most");
  EXPECT_EQ(a.rows[4].sched_increase_bound, "");
  EXPECT_TRUE(a.rows[4].m.per_1k_events_lost);
  json ja = comparison_json(a), jb = comparison_json(b);
  ASSERT_EQ(ja["scenarios"].size(), traces.size());
  for (size_t i = 0; i < traces.size(); ++i) {
    EXPECT_NE(ja["scenarios"][i]["source"], jb["scenarios"][i]["source"]);
    ja["scenarios"][i].erase("source"), jb["scenarios"][i].erase("source");
  }
  EXPECT_EQ(ja, jb) << ja.dump(1) << "\n" << jb.dump(1);
  for (Comparison* c : {&a, &b})
    for (ComparisonRow& r : c->rows) r.m.source.clear();
  std::ostringstream ta, tb;
  print_comparison(ta, a);
  print_comparison(tb, b);
  EXPECT_EQ(ta.str(), tb.str());
}

// Review FH M3: the report page of a `sched --json` saved before `per_1k_upper_bound` reads it by
// the same rule as compare (its launch_partial_note): marked, with the reason.
TEST(Per1kUpperBound, HtmlOfAnOldSavedAnalysisIsMarkedByTheRule) {
  const double sched = per_1k(2, kLaunches), half = per_1k(1, kLaunches), soft = per_1k(3, kLaunches);
  const Trace t = partial_recording();
  json old = sched_analysis_json(t, analyze_sched(t));
  old.erase("per_1k_upper_bound"), old.erase("per_1k_upper_bound_reason");
  ASSERT_TRUE(old.contains("launch_partial_note"));
  EXPECT_EQ(per_1k_bound_of_saved_sched(old, "old.json").upper_bound_reason, kPartialReason);
  const std::string page = html_text::doc_page(old);
  EXPECT_TRUE(has(page, row({"Sched/1K (switch-outs per 1000 launches)",
                             "≤ " + fixed1(sched) + " (preempt ≤ " + fixed1(half) + ", block ≤ " + fixed1(half) + ")"})))
      << page;
  EXPECT_TRUE(has(page, row({"IRQ/1K soft (softirqs per 1000 launches)", "≤ " + fixed1(soft)}))) << page;
  EXPECT_TRUE(has(page, row({"rates per 1000 launches", "upper bounds (≤): " + kPartialReason}))) << page;
  // The same old document of the exact recording: unmarked.
  const Trace e = recording();
  json old_exact = sched_analysis_json(e, analyze_sched(e));
  old_exact.erase("per_1k_upper_bound");
  EXPECT_FALSE(has(html_text::doc_page(old_exact), "≤"));
}

// Review FH L1: without switches or IRQs recorded no rate is shown, so none is called a bound.
TEST(Per1kUpperBound, NoBoundWhereNoRateIsShown) {
  Trace t = partial_recording();
  t.meta["events"] = "launch";
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_FALSE(a.switches_recorded);
  ASSERT_FALSE(a.irqs_recorded);
  EXPECT_EQ(a.per_1k_upper_bound_reason, "");
  EXPECT_FALSE(has(text_of(t, a), "upper bound")) << text_of(t, a);
  const json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["per_1k_upper_bound"], false);
  EXPECT_FALSE(has(html_text::doc_page(j), "≤"));
  // An old document of it (no key) and one that claims the bound: compare names neither.
  json old = j;
  old.erase("per_1k_upper_bound");
  EXPECT_EQ(scenario_from_json(old, "o", "o.json").per_1k_upper_bound_reason, "");
  json said = j;
  said["per_1k_upper_bound"] = true;
  EXPECT_EQ(scenario_from_json(said, "s", "s.json").per_1k_upper_bound_reason, "");
  EXPECT_FALSE(has(html_text::doc_page(said), "≤"));
  // With switches recorded (IRQs not) the bound stands.
  t.meta["events"] = "launch,sched";
  EXPECT_EQ(analyze_sched(t).per_1k_upper_bound_reason, kPartialReason);
}

// Review FQ L3: a loss of wake-ups (which decide the rates' scope) in a recording with neither
// switches nor IRQs: no rate is shown, so neither the loss row nor the rates outside the windows
// call one "neither bound"; with switches recorded both do.
TEST(Per1kUpperBound, NoNeitherBoundWhereNoRateIsShown) {
  const auto lossy = [](const char* events) {
    Trace t = recording();
    t.meta["events"] = events;
    LossWindow w;
    w.first = 10, w.last = 20, w.cpu = 0, w.lost = {{"wakeup", 2}};
    t.loss_windows.push_back(w);
    return t;
  };
  const Trace none = lossy("launch,wakeup");
  const SchedAnalysis a = analyze_sched(none);
  ASSERT_TRUE(a.loss);
  ASSERT_GT(a.launches_outside_loss, 0);
  ASSERT_TRUE(a.per_1k_outside_events_lost);
  EXPECT_FALSE(has(text_of(none, a), "neither bound")) << text_of(none, a);
  EXPECT_FALSE(has(html_text::doc_page(sched_analysis_json(none, a)), "neither bound"));
  EXPECT_EQ(sched_analysis_json(none, a)["per_1k_neither_bound"], false);  // no rate shown
  const Trace shown = lossy("launch,sched,wakeup");
  const SchedAnalysis b = analyze_sched(shown);
  const std::string text = text_of(shown, b);
  EXPECT_TRUE(has(text, "the rates above lost events on both sides, neither bound")) << text;
  EXPECT_TRUE(has(text, "; neither bound: the loss windows lost wakeup records, which may decide which threads are counted"))
      << text;
  EXPECT_EQ(sched_analysis_json(shown, b)["per_1k_neither_bound"], true);
  const std::string page = html_text::doc_page(sched_analysis_json(shown, b));
  EXPECT_TRUE(has(page, "the rates above lost events on both sides, neither bound")) << page;
  EXPECT_TRUE(has(page, "neither bound: the loss windows lost wakeup records")) << page;
}

// Review LW M1: the launch window runs from the first to the last RECORDED launch. Launch records
// lost in a loss window after the last recorded launch (7000) may have been launches beyond it: the
// window may be too short, so its rates are neither bound, while the whole trace's stay upper
// bounds (only launch records lost). A window holding its lost records inside [0, 7000] leaves the
// window's rates upper bounds; lost records at unknown times (more dropped than any window holds)
// make them neither bound too. compare: the window's increase "~", the whole trace's "<=".
TEST(Per1kUpperBound, LaunchWindowWithLaunchRecordsLostBeyondItsEndsIsNeitherBound) {
  const auto lossy = [](ns_t first, ns_t last, const char* dropped) {
    Trace t = recording();
    t.meta["dropped.api"] = dropped;
    LossWindow w;
    w.first = first, w.last = last, w.cpu = 0, w.lost = {{"api", 4}};
    t.loss_windows.push_back(w);
    return t;
  };
  const double sched = per_1k(2, kLaunches), hard = per_1k(1, kLaunches);
  const Trace after = lossy(7500, 7600, "4");
  const SchedAnalysis a = analyze_sched(after);
  ASSERT_TRUE(a.launch_window.defined);
  EXPECT_EQ(a.launch_window.end, 7000);
  EXPECT_FALSE(a.per_1k_upper_bound_reason.empty());  // the whole trace: upper bounds
  EXPECT_TRUE(a.launch_window.ends_uncertain);
  EXPECT_EQ(a.launch_window.launch_records_lost_outside, 4);
  const std::string text = text_of(after, a);
  EXPECT_TRUE(has(text, "Sched/1K (switch-outs per 1000 launches)")) << text;
  EXPECT_TRUE(has(text, "from first to last launch: Sched/1K " + fixed1(sched) + ", IRQ/1K hard/soft " + fixed1(hard) + " / ")) << text;
  EXPECT_TRUE(has(text, "neither bound: 4 launch records lost in loss windows reaching beyond its first or last recorded launch")) << text;
  EXPECT_TRUE(has(a.verdict, "(and 4 launch records lost in windows reaching beyond its first or last recorded launch")) << a.verdict;
  const json j = sched_analysis_json(after, a);
  EXPECT_EQ(j["launch_window"]["ends_uncertain"], true);
  EXPECT_EQ(j["launch_window"]["launch_records_lost_outside"], 4);
  const std::string spage = html_text::doc_page(j);
  EXPECT_TRUE(has(spage, "from first to last launch: Sched/1K " + fixed1(sched) + ", IRQ/1K hard/soft " + fixed1(hard))) << spage;
  EXPECT_TRUE(has(spage, "neither bound: 4 launch records lost in loss windows reaching beyond its first or last recorded launch"))
      << spage;

  // The same loss inside the window: its rates upper bounds, as the whole trace's.
  const Trace inside = lossy(2010, 2020, "4");
  const SchedAnalysis b = analyze_sched(inside);
  EXPECT_FALSE(b.launch_window.ends_uncertain);
  EXPECT_EQ(b.launch_window.launch_records_lost_outside, 0);
  const std::string btext = text_of(inside, b);
  EXPECT_TRUE(has(btext, "from first to last launch: Sched/1K <= " + fixed1(sched))) << btext;
  EXPECT_TRUE(has(btext, "upper bounds (<=), as the whole trace's (recorder loss of launch records only)")) << btext;
  // 6 dropped, 4 of them in the window: 2 lost at unknown times.
  const Trace unknown = lossy(2010, 2020, "6");
  const SchedAnalysis u = analyze_sched(unknown);
  EXPECT_TRUE(u.launch_window.ends_uncertain);
  EXPECT_TRUE(has(text_of(unknown, u), "neither bound: launch records lost at unknown times")) << text_of(unknown, u);

  // compare against the exact recording: the whole trace's increase at most, the window's either way.
  const Trace exact = recording();
  const Comparison c = compare_scenarios({scenario_from_analysis(analyze_sched(exact), "base", "base.itrace"),
                                          scenario_from_analysis(a, "lossy", "lossy.itrace")});
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[1].sched_increase_bound, "at_most");
  EXPECT_EQ(c.rows[1].window_sched_increase_bound, "either_way");
  std::ostringstream ctext;
  print_comparison(ctext, c);
  EXPECT_TRUE(has(ctext.str(), "window Sched/1K of lossy: neither bound")) << ctext.str();
  const json cj = comparison_json(c);
  EXPECT_EQ(cj["scenarios"][1]["launch_window_sched_increase_bound"], "either_way");
  EXPECT_EQ(cj["scenarios"][1]["launch_window_ends_uncertain"], true);
  // A saved analysis gives the same (compare reads launch_window.ends_uncertain back).
  EXPECT_TRUE(scenario_from_json(j, "lossy", "lossy.json").window_ends_uncertain);
  const std::string page = html_text::doc_page(cj);
  EXPECT_TRUE(has(page, "~ 1.00x")) << page;
}

}  // namespace
// Only the CUPTI ring's unpublished slots lost (a producer killed mid-write), switches and IRQs
// whole: the rates per 1000 launches are upper bounds, the count said as "up to"; 0 slots: exact.
TEST(Per1kUpperBound, UnpublishedSlotsAloneMakeTheRatesUpperBounds) {
  const int64_t slots = 7;
  Trace t = recording();
  t.meta["cupti.ring_unpublished_slots"] = std::to_string(slots);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.launch_records_lost, slots);
  EXPECT_FALSE(a.per_1k_events_lost);
  const std::string reason =
      "fewer launches counted than ran (the recorder lost up to " + std::to_string(slots) + " records that may be launch calls)";
  EXPECT_EQ(a.per_1k_upper_bound_reason, reason);
  EXPECT_TRUE(has(text_of(t, a), "<= " + fixed1(per_1k(2, kLaunches)))) << text_of(t, a);
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["per_1k_upper_bound"], true);
  EXPECT_EQ(j["per_1k_upper_bound_reason"], reason);
  EXPECT_EQ(j["dropped"]["cupti_ring_unpublished"], slots);

  Trace clean = recording();
  clean.meta["cupti.ring_unpublished_slots"] = "0";
  const SchedAnalysis c = analyze_sched(clean);
  EXPECT_EQ(c.launch_records_lost, 0);
  EXPECT_EQ(c.per_1k_upper_bound_reason, "");
  EXPECT_FALSE(has(text_of(clean, c), "<=")) << text_of(clean, c);
}

}  // namespace infertrace
