// The recorder's loss windows (LOSS records, docs/recording-format.md): read from a file, exported,
// and used by the scheduler analysis (docs/sched.md, "Lost events"). Expected values are computed in
// the tests from the events they insert.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/compare.h"
#include "analysis/loss_windows.h"
#include "analysis/sched.h"
#include "one_process_events.h"
#include "file_text.h"
#include "html_text.h"
#include "ingest/recording/itrace_format.h"
#include "ingest/recording/recording_reader.h"
#include "record/itrace_writer.h"
#include "report/exports.h"
#include "report/html_report.h"
#include "report/sched_render.h"
#include "report/sqlite_export.h"
#include "sqlite_query.h"
#include "temp_dir.h"

namespace infertrace {
namespace {

using namespace one_process;

void irq(Trace& t, ns_t ts, IrqKind kind, int64_t tid) {
  Irq q;
  q.ts = ts, q.dur = 10, q.cpu = 0, q.kind = kind, q.irq = 3, q.name = t.strings.intern("TIMER"), q.pid = kPid, q.tid = tid;
  t.irqs.push(q);
}

void wake(Trace& t, ns_t ts, int64_t tid) {
  Wakeup w;
  w.ts = ts, w.cpu = 0, w.pid = kPid, w.tid = tid;
  t.wakeups.push(w);
}

LossWindow window(ns_t first, ns_t last, int32_t cpu, int64_t api, int64_t sw_lost) {
  LossWindow w;
  w.first = first, w.last = last, w.cpu = cpu;
  if (api) w.lost["api"] = api;
  if (sw_lost) w.lost["switch"] = sw_lost;
  return w;
}

const std::vector<ns_t> kMainLaunches = {0, 1000, 2000, 5000, 6000, 10000, 11000, 12000};
const std::vector<ns_t> kSideLaunches = {100, 300, 7000};

// Main launches every so often; it is preempted at 2500 (back at 4000) and blocks at 6500 (back
// at 9000); a side thread launches three times; IRQs on both.
Trace base_trace() {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched,wakeup,irq";
  for (ns_t ts : kMainLaunches) launch(t, kMain, ts);
  for (ns_t ts : kSideLaunches) launch(t, kSide, ts);
  sw(t, 2500, kMain, true, kOther);
  sw(t, 4000, kOther, true, kMain);
  sw(t, 6500, kMain, false, kOther);
  sw(t, 9000, kOther, true, kMain);
  irq(t, 500, IrqKind::Soft, kMain);
  irq(t, 5500, IrqKind::Hard, kMain);
  irq(t, 7100, IrqKind::Soft, kSide);
  return t;
}

bool meets(ns_t a, ns_t b, const std::vector<LossWindow>& ws) {
  for (const LossWindow& w : ws)
    if (w.first <= b && w.last >= a) return true;
  return false;
}

bool inside(ns_t ts, const std::vector<LossWindow>& ws) { return meets(ts, ts, ws); }

TEST(LossSpans, MergesWindowsOfAllCpusAndTestsClosedOverlap) {
  Trace t;
  t.loss_windows = {window(100, 200, 0, 5, 0), window(150, 300, 1, 0, 2), window(500, 500, 0, 1, 0)};
  const LossSpans l(t);
  EXPECT_EQ(l.windows(), 3u);
  EXPECT_EQ(l.lost_events(), 8);
  EXPECT_EQ(l.covered(), (300 - 100) + 0);
  EXPECT_TRUE(l.overlaps(0, 100));   // ends exactly where a window starts
  EXPECT_TRUE(l.overlaps(300, 400)); // starts where one ends
  EXPECT_FALSE(l.overlaps(301, 499));
  EXPECT_TRUE(l.contains(500));
  EXPECT_FALSE(l.contains(501));
}

TEST(SchedLoss, PairsOverlappingAWindowAreLeftOutAndCounted) {
  Trace t = base_trace();
  // On another CPU than the switches: a window on any CPU counts (threads migrate).
  t.loss_windows = {window(5400, 5600, 1, 3, 0), window(7050, 7060, 0, 1, 0)};
  int64_t all = 0, spanning = 0, switched_kept = 0;
  for (const auto* v : {&kMainLaunches, &kSideLaunches})
    for (size_t k = 1; k < v->size(); ++k) {
      ++all;
      const ns_t a = (*v)[k - 1], b = (*v)[k];
      if (meets(a, b, t.loss_windows)) ++spanning;
      else if (v == &kMainLaunches && ((a <= 2500 && 2500 < b) || (a <= 6500 && 6500 < b))) ++switched_kept;
    }
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_GT(spanning, 0);
  EXPECT_TRUE(a.loss);
  EXPECT_EQ(a.pairs_spanning_loss, spanning);
  EXPECT_EQ(a.all.count, all - spanning);
  EXPECT_EQ(a.switched.count, switched_kept);
  EXPECT_EQ(static_cast<int64_t>(a.pair_interval.size()), all - spanning);
  for (size_t i = 0; i < a.pair_interval.size(); ++i) EXPECT_LT(a.pair_interval[i], 5000);  // no kept pair spans 5000..6000+
  // The rates stay over the whole recording; the outside ones count only events outside windows.
  const int64_t launches = static_cast<int64_t>(kMainLaunches.size() + kSideLaunches.size());
  EXPECT_EQ(a.launches, launches);
  int64_t l_out = 0, s_out = 0, hard_out = 0, soft_out = 0;
  for (const auto* v : {&kMainLaunches, &kSideLaunches})
    for (ns_t ts : *v) l_out += inside(ts, t.loss_windows) ? 0 : 1;
  for (ns_t ts : {2500, 6500}) s_out += inside(ts, t.loss_windows) ? 0 : 1;  // traced switch-outs
  for (size_t i = 0; i < t.irqs.size(); ++i)
    if (!inside(t.irqs.ts[i], t.loss_windows)) ++(t.irqs.kind[i] == IrqKind::Hard ? hard_out : soft_out);
  EXPECT_EQ(a.launches_outside_loss, l_out);
  EXPECT_EQ(a.switch_outs_outside_loss, s_out);
  EXPECT_EQ(a.irqs_hard_outside_loss, hard_out);
  EXPECT_EQ(a.irqs_soft_outside_loss, soft_out);
  EXPECT_DOUBLE_EQ(a.sched_per_1k, 1000.0 * 2 / static_cast<double>(launches));
  EXPECT_DOUBLE_EQ(a.sched_per_1k_outside_loss, 1000.0 * static_cast<double>(s_out) / static_cast<double>(l_out));
  EXPECT_DOUBLE_EQ(a.irq_per_1k_hard_outside_loss, 1000.0 * static_cast<double>(hard_out) / static_cast<double>(l_out));
  EXPECT_EQ(a.loss_windows, 2);
  EXPECT_EQ(a.lost_events, 4);
  EXPECT_EQ(a.loss_covered, 200 + 10);
  // The scheduler impact: each thread's kept switched pairs' excess over the clean median, over the
  // wall less the time of THAT thread's pairs left out (reviews DE M2, DI; audit EE M1), summed over
  // the threads. The wall runs from the first launch (0) to the last launch's end (12000 + 100).
  // Left out here: main's [5000, 6000] and [6000, 10000] (5000 ns) and the side thread's
  // [300, 7000]; only main has switched pairs, so the side thread's loss does not shorten main's
  // wall (the union of both, [300, 10000], did before).
  EXPECT_EQ(a.wall, 12'100);
  double excess = 0;
  std::vector<bool> covered(12'100, false);  // 1 ns cells of the wall that a left-out pair of main holds
  for (size_t k = 1; k < kMainLaunches.size(); ++k) {
    const ns_t p = kMainLaunches[k - 1], q = kMainLaunches[k];
    if (meets(p, q, t.loss_windows))
      for (ns_t c = p; c < q; ++c) covered[static_cast<size_t>(c)] = true;
    else if ((p <= 2500 && 2500 < q) || (p <= 6500 && 6500 < q))
      excess += static_cast<double>(q - p) - a.clean.median;
  }
  const ns_t left_out = static_cast<ns_t>(std::count(covered.begin(), covered.end(), true));
  EXPECT_EQ(left_out, 10'000 - 5'000);
  ASSERT_TRUE(a.scheduler_impact);
  EXPECT_DOUBLE_EQ(*a.scheduler_impact, excess / static_cast<double>(12'100 - left_out));

  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j.at("pairs_spanning_loss"), spanning);
  EXPECT_EQ(j.at("rates_over_loss"), true);
  EXPECT_EQ(j.at("loss").at("launches_outside"), l_out);
  EXPECT_EQ(j.at("pairs").at("all").at("count"), all - spanning);
}

// A loss before the first launch leaves no pair out: the impact is the one without loss (review DI).
TEST(SchedLoss, LossOutsideEveryPairLeavesTheImpactAlone) {
  Trace t = base_trace();
  const SchedAnalysis none = analyze_sched(t);
  t.loss_windows = {window(-500, -100, 0, 2, 0)};
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.pairs_spanning_loss, 0);
  ASSERT_TRUE(none.scheduler_impact && a.scheduler_impact);
  EXPECT_DOUBLE_EQ(*a.scheduler_impact, *none.scheduler_impact);
}

// Two launching threads, each preempted in a kept pair and each with a pair left out at a different
// time: each thread's excess is over the wall less its own left-out time, and the shares add (audit
// EE M1: one wall less the union of both threads' left-out pairs measured each thread's kept pairs
// over time only the other had lost, and read high).
TEST(SchedLoss, EachThreadsImpactIsOverItsOwnKnownWall) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched,wakeup,irq";
  // Main launches over [0, 10000], the side thread over [12000, 22000]: a window in one's launches
  // takes out none of the other's pairs.
  for (ns_t ts : {0, 1000, 2000, 5000, 6000, 7000, 7500, 9000, 10000}) launch(t, kMain, ts);
  for (ns_t ts : {12000, 13000, 14000, 15000, 19000, 21000, 22000}) launch(t, kSide, ts);
  sw(t, 2500, kMain, true, kOther);
  sw(t, 4000, kOther, true, kMain);
  sw(t, 16500, kSide, true, kOther);
  sw(t, 18000, kOther, true, kSide);
  t.loss_windows = {window(8000, 8100, 0, 1, 0), window(20000, 20100, 1, 1, 0)};
  const SchedAnalysis a = analyze_sched(t);
  // Worked by hand. Main's pairs: 1000, 1000, 3000 [2000, 5000] (preempted at 2500), 1000, 1000,
  // 500, [7500, 9000] left out (1500 ns), 1000. The side's: 1000, 1000, 1000, 4000 [15000, 19000]
  // (preempted at 16500), [19000, 21000] left out (2000 ns), 1000. Clean: 500 and nine of 1000:
  // median 1000.
  EXPECT_EQ(a.pairs_spanning_loss, 2);
  EXPECT_EQ(a.clean.count, 10);
  EXPECT_DOUBLE_EQ(a.clean.median, 1000.0);
  EXPECT_EQ(a.switched.count, 2);
  // Wall [0, 22100] (the last launch's end). Main: excess 3000 - 1000 = 2000 over 22100 - 1500;
  // side: 4000 - 1000 = 3000 over 22100 - 2000. (The union of both left-out pairs, 3500 ns, taken
  // from one wall for both gave 5000 / 18600.)
  EXPECT_EQ(a.wall, 22'100);
  const double want = 2000.0 / 20'600.0 + 3000.0 / 20'100.0;
  ASSERT_TRUE(a.scheduler_impact && a.impact_preempted && a.impact_blocked);
  EXPECT_NEAR(*a.scheduler_impact, want, 1e-15);
  EXPECT_NEAR(*a.impact_preempted, want, 1e-15);
  EXPECT_EQ(*a.impact_blocked, 0.0);
  // The launch window [0, 22000] (first to last launch start): the same excess over 20500 and 20000.
  ASSERT_TRUE(a.launch_window.defined && a.launch_window.scheduler_impact);
  EXPECT_EQ(a.launch_window.wall, 22'000);
  EXPECT_NEAR(*a.launch_window.scheduler_impact, 2000.0 / 20'500.0 + 3000.0 / 20'000.0, 1e-15);

  // The terminal names the shorter wall, and the one empty group as why a penalty is missing
  // (audit EE L1, L5): clean and preempted pairs exist, blocked ones do not.
  std::ostringstream text;
  print_sched_report(text, t, a);
  const std::string s = text.str();
  EXPECT_NE(s.find("scheduler impact (share of wall less left-out pairs)"), std::string::npos) << s;
  const size_t blocked = s.find("  blocked only ");
  ASSERT_NE(blocked, std::string::npos) << s;
  EXPECT_NE(s.substr(blocked, s.find('\n', blocked) - blocked).find("n/a (no blocked pairs)"), std::string::npos) << s;
  // The verdict's impact phrase names the same wall (review EJ L3).
  EXPECT_NE(a.verdict.find("of wall time less the pairs left out for loss summed over 2 launching threads"), std::string::npos)
      << a.verdict;

  // A third thread launching at the launch window's two ends, its one pair across a window: all of
  // its time in the window is left out, so what the scheduler cost it there is unknown, and so is
  // the window's sum (review EJ L1). Over the whole trace its wall keeps the last launch's 100 ns.
  launch(t, 103, 0);
  launch(t, 103, 22'000);
  const SchedAnalysis b = analyze_sched(t);
  EXPECT_EQ(b.pairs_spanning_loss, 3);
  ASSERT_TRUE(b.launch_window.defined);
  EXPECT_EQ(b.launch_window.wall, 22'000);
  EXPECT_FALSE(b.launch_window.scheduler_impact.has_value());
  ASSERT_TRUE(b.scheduler_impact.has_value());
  EXPECT_NEAR(*b.scheduler_impact, want, 1e-15);  // the third thread's excess is 0 over its 100 ns

  // The terminal and the HTML report say why the window's impact is missing, not a bare "n/a"
  // that reads as "no pairs" (review EQ L5); with a known impact neither says it.
  const std::string why = "scheduler impact n/a (a thread's whole window time left out for loss)";
  std::ostringstream b_text;
  print_sched_report(b_text, t, b);
  const size_t line = b_text.str().find("rates over the launch window");
  ASSERT_NE(line, std::string::npos) << b_text.str();
  EXPECT_NE(b_text.str().substr(line, b_text.str().find('\n', line) - line).find(why), std::string::npos) << b_text.str();
  EXPECT_EQ(s.find("whole window time left out"), std::string::npos) << s;
  const auto html_section = [&](const SchedAnalysis& x) {
    html::ReportInputs in;
    in.docs.push_back({"run.itrace (scheduler)", sched_analysis_json(t, x)});
    return html_text::section_text(html::render_report(in), "doc-0");
  };
  const std::string b_html = html_section(b);
  const size_t row = b_html.find("rates over the launch window");
  ASSERT_NE(row, std::string::npos) << b_html;
  EXPECT_NE(b_html.find(why, row), std::string::npos) << b_html;
  EXPECT_EQ(html_section(a).find("whole window time left out"), std::string::npos);

  // A fourth thread whose one pair runs from the trace's start to its end (its last launch ends
  // the trace: no measured duration) and meets the loss windows: all of its whole-trace wall is left
  // out, so the whole trace's impact is unknown too, and each of its rows, the verdict included,
  // says why (review FC M2, M3: the verdict said "no clean or no switched pairs").
  launch(t, 104, 0);
  ApiCall end;
  end.start = 22'100, end.dur = 0, end.pid = kPid, end.tid = 104, end.name = t.strings.intern("cudaLaunchKernel");
  end.kind = classify_api("cudaLaunchKernel");
  t.api.push(end);
  const SchedAnalysis c = analyze_sched(t);
  EXPECT_EQ(c.wall, 22'100);
  EXPECT_GT(c.clean.count, 0);
  EXPECT_FALSE(c.scheduler_impact.has_value());
  const std::string whole = "n/a (a thread's whole time left out for loss)";
  std::ostringstream c_text;
  print_sched_report(c_text, t, c);
  for (const char* label : {"scheduler impact (share of wall less left-out pairs)", "  in preempted pairs", "  in blocked pairs"}) {
    const size_t at = c_text.str().find(label);
    ASSERT_NE(at, std::string::npos) << label << "\n" << c_text.str();
    EXPECT_NE(c_text.str().substr(at, c_text.str().find('\n', at) - at).find(whole), std::string::npos) << label << "\n" << c_text.str();
  }
  EXPECT_NE(c.verdict.find("scheduler impact " + whole), std::string::npos) << c.verdict;
  EXPECT_EQ(c.verdict.find("no switched pairs"), std::string::npos) << c.verdict;
  const std::string c_html = html_section(c);
  // (The page's text is one line, cells a space apart: each row's value right after its label.)
  for (const char* label : {"scheduler impact (share of wall less left-out pairs)", "scheduler impact, preempted pairs",
                            "scheduler impact, blocked pairs"})
    EXPECT_TRUE(html_text::has(c_html, html_text::row({label, whole}))) << label << "\n" << c_html;
}

TEST(SchedLoss, SwitchInGapOverAWindowIsTheRecordersNotTheKernels) {
  Trace t = base_trace();
  // Main switched out again at 3500 with no switch-in since 2500: a switch-in is missing.
  sw(t, 3500, kMain, true, kOther);
  const SchedAnalysis plain = analyze_sched(t);
  EXPECT_EQ(plain.switch_ins_missing, 1);
  EXPECT_EQ(plain.switch_ins_lost_by_recorder, 0);
  // A window inside that gap: the recorder may have lost it.
  t.loss_windows = {window(3000, 3100, 1, 0, 1)};
  const SchedAnalysis lossy = analyze_sched(t);
  EXPECT_EQ(lossy.switch_ins_missing, 0);
  EXPECT_EQ(lossy.switch_ins_lost_by_recorder, 1);
  // A window outside every gap changes nothing there.
  t.loss_windows = {window(11500, 11600, 1, 1, 0)};
  const SchedAnalysis elsewhere = analyze_sched(t);
  EXPECT_EQ(elsewhere.switch_ins_missing, 1);
  EXPECT_EQ(elsewhere.switch_ins_lost_by_recorder, 0);
  std::ostringstream text;
  print_sched_report(text, t, lossy);
  EXPECT_EQ(text.str().find("switch-ins the kernel did not report"), std::string::npos);
}

// A switch-in or a switch-out the recorder lost shows as two switch-outs (switch-ins) in a row across
// a window: where in that gap the thread was on the CPU is unknown, so the gap is left out of the
// main thread's off-CPU share of wall like a left-out interval (review DO: it stayed in the wall).
TEST(SchedLoss, GapsOfLostSwitchesAreLeftOutOfTheOffCpuShare) {
  struct Switch {
    ns_t ts;
    bool out;  // main switched out (preempted) / in
  };
  // out 2000, [switch-in lost at ~2450], out 3000, in 3400, [switch-out lost at ~4950], in 5200,
  // out 6000, in 7600.
  const std::vector<Switch> main_switches = {{2000, true}, {3000, true}, {3400, false},
                                             {5200, false}, {6000, true}, {7600, false}};
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched,wakeup,irq";
  for (ns_t ts : kMainLaunches) launch(t, kMain, ts);
  for (const Switch& x : main_switches) x.out ? sw(t, x.ts, kMain, true, kOther) : sw(t, x.ts, kOther, true, kMain);
  t.loss_windows = {window(2400, 2500, 0, 0, 1), window(4900, 5100, 1, 0, 1)};

  // Expected, from the list: an out followed by an in is an off-CPU interval (kept: neither meets a
  // window); two outs or two ins in a row are a gap of a lost switch, and both gaps meet a window.
  ns_t offcpu = 0, left_out = 0;
  int64_t ins_lost = 0, outs_lost = 0;
  for (size_t i = 1; i < main_switches.size(); ++i) {
    const Switch &p = main_switches[i - 1], &c = main_switches[i];
    ASSERT_FALSE(p.out && !c.out && meets(p.ts, c.ts, t.loss_windows));
    if (p.out && !c.out) offcpu += c.ts - p.ts;
    if (p.out == c.out) {
      ASSERT_TRUE(meets(p.ts, c.ts, t.loss_windows));
      left_out += c.ts - p.ts;
      ++(p.out ? ins_lost : outs_lost);
    }
  }
  ASSERT_EQ(ins_lost, 1);
  ASSERT_EQ(outs_lost, 1);

  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.switch_ins_lost_by_recorder, ins_lost);
  EXPECT_EQ(a.switch_outs_lost_by_recorder, outs_lost);
  EXPECT_EQ(a.switch_ins_missing, 0);
  EXPECT_EQ(a.offcpu_intervals_spanning_loss, 0);
  EXPECT_EQ(a.main_offcpu, offcpu);
  EXPECT_EQ(a.main_offcpu_left_out, left_out);
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j.at("switch_outs_lost_by_recorder"), outs_lost);
  EXPECT_EQ(j.at("main_thread").at("offcpu_left_out_ns"), left_out);
  // The wall runs from the first launch (0) to the last one's end (12,100).
  EXPECT_DOUBLE_EQ(j.at("main_thread").at("offcpu_share").get<double>(),
                   static_cast<double>(offcpu) / static_cast<double>(12'100 - left_out));
  std::ostringstream text;
  print_sched_report(text, t, a);
  EXPECT_NE(text.str().find("switch-outs the recorder may have lost"), std::string::npos) << text.str();
  // The main thread's share is over the wall less what was left out, and its label says so.
  EXPECT_NE(text.str().find(" of wall less left-out time, tid " + std::to_string(kMain)), std::string::npos) << text.str();

  // Switches not recorded: the lost-switch counts are unknown, not 0.
  t.meta["events"] = "launch,irq";
  const nlohmann::json no_sw = sched_analysis_json(t, analyze_sched(t));
  for (const char* k : {"switch_ins_lost_by_recorder", "switch_outs_lost_by_recorder", "offcpu_intervals_spanning_loss",
                        "runq_waits_spanning_loss"}) {
    ASSERT_TRUE(no_sw.contains(k)) << k;
    EXPECT_TRUE(no_sw.at(k).is_null()) << k;
  }

  // Two switch-ins in a row whose gap meets no window are not the recorder's loss: not counted as a
  // lost switch-out, and the gap stays in the wall (only the first gap, 2000..3000, is left out).
  t.meta["events"] = "launch,sched,wakeup,irq";
  t.loss_windows = {window(2400, 2500, 0, 0, 1)};
  ASSERT_FALSE(meets(3400, 5200, t.loss_windows));
  const SchedAnalysis one = analyze_sched(t);
  EXPECT_EQ(one.switch_outs_lost_by_recorder, 0);
  EXPECT_EQ(one.switch_ins_lost_by_recorder, 1);
  EXPECT_EQ(one.main_offcpu_left_out, 3000 - 2000);
  EXPECT_EQ(one.main_offcpu, offcpu);
}

// Without any loss window, every figure is what it was: the JSON has no loss key, and a window
// that overlaps nothing only adds the loss keys and the verdict's loss sentence, byte for byte; the
// text report only adds its loss rows.
TEST(SchedLoss, WithoutLossEveryFigureIsUnchanged) {
  Trace t = base_trace();
  sw(t, 3500, kMain, true, kOther);
  wake(t, 8000, kMain);  // a run-queue wait after the block at 6500
  const char* loss_keys[] = {"pairs_spanning_loss", "switch_ins_lost_by_recorder", "switch_outs_lost_by_recorder",
                             "offcpu_intervals_spanning_loss",
                             "runq_waits_spanning_loss", "rates_over_loss", "loss"};
  const SchedAnalysis plain_a = analyze_sched(t);
  const nlohmann::json plain = sched_analysis_json(t, plain_a);
  for (const char* k : loss_keys) EXPECT_FALSE(plain.contains(k)) << k;
  EXPECT_FALSE(plain.at("main_thread").contains("offcpu_left_out_ns"));
  EXPECT_EQ(plain.at("verdict").get<std::string>().find("recorder lost"), std::string::npos);
  // After every event. Switches lost, not launch records: launch records lost make the rates
  // upper bounds (review FN M2), a figure that changes; switches lost leave them as they read.
  t.loss_windows = {window(20000, 20100, 0, 0, 2)};
  const SchedAnalysis lossy_a = analyze_sched(t);
  nlohmann::json lossy = sched_analysis_json(t, lossy_a);
  EXPECT_EQ(lossy.at("pairs_spanning_loss"), 0);
  EXPECT_EQ(lossy.at("offcpu_intervals_spanning_loss"), 0);
  EXPECT_EQ(lossy.at("runq_waits_spanning_loss"), 0);
  EXPECT_EQ(lossy.at("main_thread").at("offcpu_left_out_ns"), 0);
  for (const char* k : loss_keys) lossy.erase(k);
  lossy["main_thread"].erase("offcpu_left_out_ns");
  // The rates read the same, but the switches they count were lost: neither bound now.
  EXPECT_EQ(plain.at("per_1k_neither_bound"), false);
  EXPECT_EQ(lossy.at("per_1k_neither_bound"), true);
  lossy["per_1k_neither_bound"] = false;
  // The verdict: the one without loss, then one sentence about the loss.
  const std::string v = lossy.at("verdict"), v0 = plain.at("verdict");
  ASSERT_EQ(v.compare(0, v0.size() + 1, v0 + " "), 0) << v;
  EXPECT_NE(v.find("The recorder lost 2 events in 1 loss window covering", v0.size()), std::string::npos) << v;
  lossy["verdict"] = v0;
  EXPECT_EQ(lossy.dump(), plain.dump());

  // The text report: every line without loss is there, in order; the lines added name the loss.
  std::ostringstream plain_text, lossy_text;
  print_sched_report(plain_text, t, plain_a);
  print_sched_report(lossy_text, t, lossy_a);
  // The verdict is one line: it ends in the loss sentence, taken off here.
  std::string lt = lossy_text.str();
  const std::string sentence = " " + v.substr(v0.size() + 1);
  const size_t at = lt.find(sentence);
  ASSERT_NE(at, std::string::npos);
  lt.erase(at, sentence.size());
  std::istringstream p(plain_text.str()), l(lt);
  std::string pl, ll;
  int added = 0;
  while (std::getline(p, pl)) {
    while (std::getline(l, ll) && ll != pl) {
      ++added;
      EXPECT_NE(ll.find("loss"), std::string::npos) << ll;
    }
    EXPECT_EQ(ll, pl);
  }
  EXPECT_GT(added, 0);
}

// Counts of one in the singular (review: "the recorder lost 1 records"): one event in one window,
// met by one launch pair, in the verdict and the text report. Launches only, so that the pairs are
// the verdict's one count ("the 1 launch pair that meets one").
TEST(SchedLoss, CountsOfOneAreSaidInTheSingular) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch";
  for (ns_t ts : kMainLaunches) launch(t, kMain, ts);
  for (ns_t ts : kSideLaunches) launch(t, kSide, ts);
  t.loss_windows = {window(10500, 10500, 0, 1, 0)};
  int64_t spanning = 0;
  for (const auto* v : {&kMainLaunches, &kSideLaunches})
    for (size_t k = 1; k < v->size(); ++k) spanning += meets((*v)[k - 1], (*v)[k], t.loss_windows);
  ASSERT_EQ(spanning, 1);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.pairs_spanning_loss, spanning);
  ASSERT_FALSE(a.switches_recorded);
  EXPECT_NE(a.verdict.find("The recorder lost 1 event in 1 loss window covering 0 ns"), std::string::npos) << a.verdict;
  EXPECT_NE(a.verdict.find("the figures above leave out the 1 launch pair that meets one."), std::string::npos)
      << a.verdict;
  // The text report's loss row (a recording with switches: one without prints the verdict alone).
  Trace sched = base_trace();
  sched.loss_windows = {window(20000, 20100, 0, 1, 0)};  // after every event
  std::ostringstream text;
  print_sched_report(text, sched, analyze_sched(sched));
  EXPECT_NE(text.str().find("1 event lost in 1 window covering 100 ns"), std::string::npos) << text.str();
}

// Off-CPU intervals and run-queue waits that meet a window are left out of off-CPU time and
// run-queue latency and counted; the rest are what they were. The expected values come from the
// interval table below, filtered by the windows here.
TEST(SchedLoss, OffCpuIntervalsAndRunqWaitsMeetingAWindowAreLeftOut) {
  struct Off {
    int64_t tid;
    ns_t out, wake, in;  // wake -1: preempted (runnable from the switch-out on)
  };
  const std::vector<Off> offs = {
      {kMain, 2500, -1, 4000},      // a window inside: interval and wait left out
      {kMain, 6500, 8000, 9000},    // a window while asleep: the interval left out, the wait kept
      {kMain, 10500, -1, 10800},    // kept
      {kSide, 1000, 1500, 1800},    // kept
      {kSide, 3000, 3150, 3200},    // the window ends where the wait starts (closed spans): both left out
  };
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched,wakeup,irq";
  for (ns_t ts : kMainLaunches) launch(t, kMain, ts);
  for (ns_t ts : kSideLaunches) launch(t, kSide, ts);
  for (const Off& o : offs) {
    sw(t, o.out, o.tid, o.wake < 0, kOther);
    if (o.wake >= 0) wake(t, o.wake, o.tid);
    sw(t, o.in, kOther, true, o.tid);
  }
  t.loss_windows = {window(3050, 3150, 1, 0, 2), window(7000, 7100, 0, 1, 0)};

  std::map<int64_t, ns_t> offcpu, left_out;
  int64_t off_spanning = 0, runq_spanning = 0;
  std::vector<ns_t> waits, main_waits;
  for (const Off& o : offs) {
    if (meets(o.out, o.in, t.loss_windows)) ++off_spanning, left_out[o.tid] += o.in - o.out;
    else offcpu[o.tid] += o.in - o.out;
    const ns_t ready = o.wake < 0 ? o.out : o.wake;
    if (meets(ready, o.in, t.loss_windows)) {
      ++runq_spanning;
    } else {
      waits.push_back(o.in - ready);
      if (o.tid == kMain) main_waits.push_back(o.in - ready);
    }
  }
  ASSERT_EQ(off_spanning, 3);  // the table and windows do test both sides
  ASSERT_EQ(runq_spanning, 2);

  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.offcpu_intervals_spanning_loss, off_spanning);
  EXPECT_EQ(a.runq_waits_spanning_loss, runq_spanning);
  for (const ThreadSched& th : a.threads) {
    EXPECT_EQ(th.offcpu, offcpu[th.tid]) << th.tid;
    EXPECT_EQ(th.offcpu_left_out, left_out[th.tid]) << th.tid;
  }
  ASSERT_EQ(a.main_tid, kMain);
  EXPECT_EQ(a.main_offcpu, offcpu[kMain]);
  EXPECT_EQ(a.main_offcpu_left_out, left_out[kMain]);
  EXPECT_EQ(a.runq_samples, static_cast<int64_t>(waits.size()));
  EXPECT_EQ(a.runq_max, *std::max_element(waits.begin(), waits.end()));
  EXPECT_EQ(a.main_runq_samples, static_cast<int64_t>(main_waits.size()));
  EXPECT_EQ(a.main_runq_max, *std::max_element(main_waits.begin(), main_waits.end()));

  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j.at("offcpu_intervals_spanning_loss"), off_spanning);
  EXPECT_EQ(j.at("runq_waits_spanning_loss"), runq_spanning);
  EXPECT_EQ(j.at("offcpu_ns").at(std::to_string(kSide)), offcpu[kSide]);
  EXPECT_EQ(j.at("main_thread").at("offcpu_left_out_ns"), left_out[kMain]);
  // The share over the wall (first launch to the last one's end) less main's left-out intervals.
  EXPECT_DOUBLE_EQ(j.at("main_thread").at("offcpu_share").get<double>(),
                   static_cast<double>(offcpu[kMain]) / static_cast<double>(12'100 - left_out[kMain]));
  EXPECT_EQ(j.at("runq_latency_ns").at("samples"), static_cast<int64_t>(waits.size()));
  // compare's share is the same one, so a scenario read from the recording and one from its saved
  // analysis agree.
  const ScenarioMetrics m = scenario_from_analysis(a, "lossy", "lossy.itrace");
  ASSERT_TRUE(m.offcpu_share);
  EXPECT_DOUBLE_EQ(*m.offcpu_share, j.at("main_thread").at("offcpu_share").get<double>());

  // The verdict says how much was lost, the share of the launch window [0, 12000] the windows
  // cover (100 + 100 ns), and what was left out.
  const std::string v = a.verdict;
  EXPECT_NE(v.find("The recorder lost 3 events in 2 loss windows covering 200 ns"), std::string::npos) << v;
  char share[32];
  std::snprintf(share, sizeof share, "(%.1f%%) of the launch window", 100.0 * 200 / 12000);
  EXPECT_NE(v.find(share), std::string::npos) << v;
  const auto counted = [](int64_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); };
  EXPECT_NE(v.find(counted(off_spanning, "off-CPU interval") + " and " + counted(runq_spanning, "run-queue wait") +
                   " that meet one."),
            std::string::npos)
      << v;
  std::ostringstream text;
  print_sched_report(text, t, a);
  EXPECT_NE(text.str().find("off-CPU intervals spanning a loss window"), std::string::npos);
  EXPECT_NE(text.str().find("run-queue waits spanning a loss window"), std::string::npos);
}

std::vector<unsigned char> loss_bytes(uint64_t first, uint64_t last, uint32_t cpu, uint64_t api, uint64_t sw_lost) {
  it_loss l{};
  l.h.type = IT_EV_LOSS, l.h.cpu = cpu, l.h.ts = first;
  l.last_ts = last;
  l.lost[IT_EV_API] = api, l.lost[IT_EV_SWITCH] = sw_lost;
  std::vector<unsigned char> b(sizeof(l));
  std::memcpy(b.data(), &l, sizeof(l));
  return b;
}

// Damaged LOSS records the recorder never writes (review DE L5): one that lost nothing is no span
// (it would leave pairs out for no loss), one that ends before it starts is out of range, and a CPU
// beyond int32 reads as unknown (-1), not negative.
TEST(LossRecords, DamagedRecordsAreLeftOutAndCounted) {
  const infertrace::TempDir tmp("infertrace-loss-damaged");  // unique: other checkouts run ctest too
  const std::filesystem::path& dir = tmp.path;
  const std::string path = (dir / "damaged.itrace").string();
  {
    ItraceWriter w(path);
    const auto empty = loss_bytes(100, 200, 0, 0, 0), backwards = loss_bytes(900, 800, 0, 1, 0),
               big_cpu = loss_bytes(300, 400, 0x80000000u, 2, 0);
    for (const auto* b : {&empty, &backwards, &big_cpu}) w.record(IT_EV_LOSS, b->data(), static_cast<uint32_t>(b->size()));
    w.finish();
  }
  const Trace t = read_recording(path);
  ASSERT_EQ(t.loss_windows.size(), 1u);
  EXPECT_EQ(t.loss_windows[0].cpu, -1);
  EXPECT_EQ(t.loss_windows[0].first, 300);
  EXPECT_EQ(t.skipped.at("loss_without_counts"), 1);
  EXPECT_EQ(t.skipped.at("time_out_of_range"), 1);
}

TEST(LossRecords, ReadExportedToCsvAndSqlite) {
  const infertrace::TempDir tmp("infertrace-loss");  // unique: other checkouts run ctest too
  const std::filesystem::path& dir = tmp.path;
  std::filesystem::create_directories(dir / "csv");
  const std::string path = (dir / "loss.itrace").string();
  {
    ItraceWriter w(path);
    w.meta("dropped.api", "7");
    const auto a = loss_bytes(5000, 9000, 1, 5, 0), b = loss_bytes(12000, 12000, 0, 2, 3);
    w.record(IT_EV_LOSS, a.data(), static_cast<uint32_t>(a.size()));
    w.record(IT_EV_LOSS, b.data(), static_cast<uint32_t>(b.size()));
    w.finish();
  }
  const Trace t = read_recording(path);
  ASSERT_EQ(t.loss_windows.size(), 2u);
  EXPECT_EQ(t.loss_windows[0].first, 5000);
  EXPECT_EQ(t.loss_windows[0].last, 9000);
  EXPECT_EQ(t.loss_windows[0].cpu, 1);
  EXPECT_EQ(t.loss_windows[0].lost, (std::map<std::string, int64_t>{{"api", 5}}));
  EXPECT_EQ(t.loss_windows[1].lost, (std::map<std::string, int64_t>{{"api", 2}, {"switch", 3}}));
  EXPECT_EQ(t.skipped.count("unknown_record_type"), 0u);

  write_csv_tables(t, (dir / "csv").string());
  EXPECT_EQ(slurp(dir / "csv" / "loss_windows.csv"),
            "cpu,first_ts_ns,last_ts_ns,lost_total,api,switch,wakeup,irq,syscall,task,fdname\n"
            "1,5000,9000,5,5,0,0,0,0,0,0\n0,12000,12000,5,2,3,0,0,0,0,0\n");
  // A trace without loss leaves no such file (nor an old one from an earlier export).
  write_csv_tables(Trace{}, (dir / "csv").string());
  EXPECT_FALSE(std::filesystem::exists(dir / "csv" / "loss_windows.csv"));

  const std::string db_path = (dir / "loss.sqlite").string();
  const SqliteSummary rows = write_sqlite_file(t, db_path, {});
  EXPECT_EQ(rows.at("loss_window"), 2);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(scalar(db, "SELECT sum(api) FROM loss_window"), "7");
  EXPECT_EQ(scalar(db, "SELECT last_ts_ns - first_ts_ns FROM loss_window WHERE cpu = 1"), "4000");
  EXPECT_EQ(scalar(db, "SELECT lost_total FROM loss_window WHERE cpu = 0"), "5");
  // The per-type columns are the recorder's list of lossable types, in its order (one list:
  // IT_LOSSABLE_EVENTS), as are the reader's keys (the CSV's header is checked above, spelled out).
  std::string names;
  for (const itrace::LossableEvent& e : itrace::kLossableEvents) {
    names += (names.empty() ? "" : ",") + std::string(e.name);
    EXPECT_EQ(itrace::event_type_key(e.type), e.name);
  }
  EXPECT_EQ(scalar(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('loss_window') "
                       "WHERE cid >= 4 ORDER BY cid)"),
            names);

  sqlite3_close(db);
  EXPECT_EQ(write_sqlite_file(Trace{}, (dir / "none.sqlite").string(), {}).count("loss_window"), 0u);
}

}  // namespace
}  // namespace infertrace
