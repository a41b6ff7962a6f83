// Scheduler analysis on hand-built traces: every expected value below is worked out by hand in the
// comments from the events the test inserts (docs/metrics.md §5).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "analysis/irq_stats.h"
#include "analysis/sched.h"
#include "report/sched_render.h"
#include "trace/attach_states.h"
#include "util/units.h"

namespace infertrace {
namespace {

constexpr int64_t kPid = 100, kMain = 101, kSide = 102, kOther = 999;

void launch(Trace& t, int64_t tid, ns_t ts, ns_t dur, const char* name = "cudaLaunchKernel") {
  ApiCall c;
  c.start = ts, c.dur = dur, c.pid = kPid, c.tid = tid, c.name = t.strings.intern(name), c.kind = classify_api(name);
  t.api.push(c);
}

void sw(Trace& t, ns_t ts, int64_t prev_pid, int64_t prev_tid, bool preempted, int64_t next_pid, int64_t next_tid) {
  ContextSwitch s;
  s.ts = ts, s.cpu = 0, s.prev_pid = prev_pid, s.prev_tid = prev_tid, s.preempted = preempted;
  s.prev_state = preempted ? 0 : 1, s.next_pid = next_pid, s.next_tid = next_tid;
  t.switches.push(s);
}

void irq(Trace& t, IrqKind kind, const char* name, ns_t ts, ns_t dur, int64_t tid, int32_t cpu = 0) {
  Irq q;
  q.ts = ts, q.dur = dur, q.cpu = cpu, q.kind = kind, q.irq = kind == IrqKind::Hard ? 42 : 3;
  q.name = t.strings.intern(name), q.pid = kPid, q.tid = tid;
  t.irqs.push(q);
}

// The main thread's scheduling in the traces below: preempted at 2500 and back at 4000; blocks at
// 7000, is woken at 8000 and back at 9000 (the analysis orders each thread's events by time).
void main_thread_preempted_then_blocked(Trace& t) {
  sw(t, 2500, kPid, kMain, true, kOther, kOther);
  sw(t, 4000, 0, 0, false, kPid, kMain);
  sw(t, 7000, kPid, kMain, false, 0, 0);
  Wakeup w;
  w.ts = 8000, w.cpu = 0, w.pid = kPid, w.tid = kMain;
  t.wakeups.push(w);
  sw(t, 9000, 0, 0, false, kPid, kMain);
}

// Main thread launches at 0, 1000, 2000, 5000, 6000, 10000 (each 100 ns) plus a driver call nested
// in the launch at 1000; a side thread launches at 100 and 300.
//  pair [0,1000)      d=1000  TIMER softirq at 500                  -> interrupted (IRQ only)
//  pair [1000,2000)   d=1000  nothing                                -> clean
//  pair [2000,5000)   d=3000  SCHED softirq at 2400, preempted at
//                             2500, back at 4000                     -> preempted, and interrupted
//  pair [5000,6000)   d=1000  NET_RX at 5200 (300) with eth0 inside  -> interrupted (IRQ only)
//  pair [6000,10000)  d=4000  blocks at 7000, woken 8000, back 9000  -> blocked
//  side pair          d=200                                          -> clean
Trace build_trace() {
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t ts : {0, 1000, 2000, 5000, 6000, 10000}) launch(t, kMain, ts, 100);
  launch(t, kMain, 1010, 50, "cuLaunchKernel");
  launch(t, kSide, 100, 50);
  launch(t, kSide, 300, 50);
  main_thread_preempted_then_blocked(t);
  sw(t, 3000, kOther, kOther, true, 0, 0);  // an untraced thread's switch-out: not counted
  irq(t, IrqKind::Soft, "TIMER", 500, 100, kMain);
  irq(t, IrqKind::Soft, "SCHED", 2400, 50, kMain);
  irq(t, IrqKind::Soft, "NET_RX", 5200, 300, kMain);
  irq(t, IrqKind::Hard, "eth0", 5300, 50, kMain);
  return t;
}

TEST(SchedAnalysis, PairsPenaltyAndRatesFromHandBuiltTrace) {
  const Trace t = build_trace();
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_TRUE(a.has_os_events);
  EXPECT_EQ(a.launches, 8);
  EXPECT_EQ(a.merged_launch_calls, 1);
  EXPECT_EQ(a.all.count, 6);
  EXPECT_EQ(a.clean.count, 2);
  // Interrupted: every pair an IRQ ran in (the preempted one too); IRQ only: not switched as well.
  EXPECT_EQ(a.interrupted.count, 3);
  EXPECT_EQ(a.interrupted_only.count, 2);
  EXPECT_EQ(a.preempted.count, 1);
  EXPECT_EQ(a.blocked.count, 1);
  EXPECT_EQ(a.switched.count, 2);
  // Medians of an even count are the mean of the middle two: clean d = {200, 1000} -> 600;
  // switched d = {3000, 4000} -> 3500; interrupted d = {1000, 1000, 3000} -> 1000.
  EXPECT_DOUBLE_EQ(a.clean.median, 600.0);
  EXPECT_EQ(a.clean.p50, 600);
  EXPECT_EQ(a.switched.p50, 3500);
  EXPECT_EQ(a.interrupted.p50, 1000);
  ASSERT_TRUE(a.penalty && a.penalty_preempted && a.penalty_blocked);
  EXPECT_EQ(*a.penalty, 2900);
  EXPECT_EQ(*a.penalty_preempted, 2400);
  EXPECT_EQ(*a.penalty_blocked, 3400);
  // Wall: first event at 0, last event ends at 10000 + 100.
  EXPECT_EQ(a.wall, 10100);
  ASSERT_TRUE(a.scheduler_impact);
  EXPECT_DOUBLE_EQ(*a.scheduler_impact, ((3000.0 - 600.0) + (4000.0 - 600.0)) / 10100.0);
  // Two switch-outs of traced threads (the untraced one is ignored) per 8 launches.
  EXPECT_EQ(a.switch_outs, 2);
  EXPECT_EQ(a.preemptions, 1);
  EXPECT_EQ(a.blocks, 1);
  EXPECT_DOUBLE_EQ(a.sched_per_1k, 250.0);
  EXPECT_DOUBLE_EQ(a.irq_per_1k_hard, 125.0);
  EXPECT_DOUBLE_EQ(a.irq_per_1k_soft, 375.0);
  // Off-CPU: 2500->4000 and 7000->9000. Run queue: preempted 2500->4000 = 1500, woken 8000->9000 =
  // 1000: median 1250, nearest-rank p99 1500.
  EXPECT_EQ(a.main_tid, kMain);
  EXPECT_EQ(a.main_offcpu, 3500);
  EXPECT_EQ(a.switch_ins_missing, 0);
  EXPECT_EQ(a.runq_samples, 2);
  EXPECT_EQ(a.runq_p50, 1250);
  EXPECT_EQ(a.runq_p99, 1500);
  // d sorted {200,1000,1000,1000,3000,4000}: P95 and P99 are 4000, the blocked pair alone.
  EXPECT_EQ(a.tail95.threshold, 4000);
  EXPECT_EQ(a.tail95.pairs, 1);
  EXPECT_DOUBLE_EQ(a.tail95.blocked, 1.0);
  EXPECT_DOUBLE_EQ(a.tail95.application, 0.0);
  EXPECT_DOUBLE_EQ(a.tail95.interrupted, 0.0);
  EXPECT_EQ(a.signature, "blocking");
}

// The same run, but the launching thread is woken 100 ns after it blocks at 7000 and gets a CPU
// only at 9000: 100 ns asleep, 1900 ns runnable and waiting. The blocked pair is still the tail,
// but the time went to contention, so the verdict is CPU contention, not blocking.
TEST(SchedAnalysis, BlockStretchedByWaitingForACpuIsContention) {
  Trace t = build_trace();
  for (size_t i = 0; i < t.wakeups.size(); ++i) t.wakeups.ts[i] = 7100;
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_DOUBLE_EQ(a.tail95.blocked, 1.0);
  const ThreadSched* main = nullptr;
  for (const ThreadSched& th : a.threads)
    if (th.tid == kMain) main = &th;
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->blocked_sleep, 100);
  EXPECT_EQ(main->blocked_wait, 1900);
  EXPECT_EQ(a.signature, "cpu_contention");
  EXPECT_NE(a.verdict.find("waited runnable for a CPU longer than it slept"), std::string::npos) << a.verdict;
  // Review SC L3: the impact's blocked part is that contention, not "its own waits" a sentence later.
  ASSERT_TRUE(a.impact_blocked && *a.impact_blocked > 0);
  EXPECT_EQ(a.verdict.find("its own waits, not preemption"), std::string::npos) << a.verdict;
  EXPECT_NE(a.verdict.find("in pairs where the thread blocked, then waited runnable for a CPU longer than it slept "
                           "(contention, not its own waits)"),
            std::string::npos)
      << a.verdict;
}

// 200 launch pairs of 1 us, every tenth one 5 us long with a 10 ns TIMER softirq inside: the slow
// pairs are all "IRQ only", but IRQs took 200 ns of ~280 us (0.07%): they cannot be why the pairs
// are slow, so the run is not called IRQ pressure (the slowness is the application's own).
TEST(SchedAnalysis, IrqsThatTookNoTimeAreNotTheCause) {
  Trace t;
  t.source = TraceSource::Recording;
  ns_t ts = 0;
  for (int i = 0; i < 200; ++i) {
    launch(t, kMain, ts, 100);
    const ns_t d = i % 10 == 9 ? 5000 : 1000;
    if (d == 5000) irq(t, IrqKind::Soft, "TIMER", ts + 2000, 10, kMain);
    ts += d;
  }
  launch(t, kMain, ts, 100);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_GT(a.tail99.interrupted_only, 0.5);
  EXPECT_EQ(a.irqs.stolen, 200);
  EXPECT_NE(a.signature, "irq_pressure") << a.verdict;
}

// A recording made without switch events (META events says what was asked for): its pairs all
// look clean, which says nothing, so there is no verdict and the rates are unknown.
TEST(SchedAnalysis, NoVerdictWithoutSwitchEvents) {
  Trace t = build_trace();
  t.meta["events"] = "launch,syscall";
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_FALSE(a.switches_recorded);
  EXPECT_FALSE(a.irqs_recorded);
  EXPECT_EQ(a.signature, "not_recorded");
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_TRUE(j["sched_per_1k"].is_null() && j["irq_per_1k_hard"].is_null());
  // Without switch events every pair looks clean: no impact (rather than 0).
  EXPECT_FALSE(a.scheduler_impact.has_value());
  EXPECT_TRUE(j["scheduler_impact"].is_null());
  t.meta["events"] = "launch,sched,syscall";  // switches but no IRQs: a verdict, but not about IRQs
  const SchedAnalysis b = analyze_sched(t);
  EXPECT_EQ(b.signature, "blocking");
  EXPECT_NE(b.verdict.find("IRQs were not recorded"), std::string::npos) << b.verdict;
}

// A CUPTI recording whose launches were not measured (Trace::launch_coverage): the recorded launches
// of the other threads do not stand for all of them, so no pair, rate or launching thread is formed,
// and the verdict says why instead of "record a longer run" (review AN, H2). A partial one keeps its
// figures and verdict, and the verdict says what they leave out.
TEST(SchedAnalysis, UnmeasuredLaunchesGiveNoPairsRatesOrVerdictFromThem) {
  Trace t = build_trace();
  t.launch_coverage.unmeasured_pids = {static_cast<uint32_t>(kPid)};
  t.launch_coverage.unmeasured_reason = "launch calls not measured in pid 100: no launch callback enabled";
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_FALSE(a.launches_measured);
  EXPECT_EQ(a.signature, "launches_not_measured");
  EXPECT_EQ(a.all.count, 0);
  EXPECT_EQ(a.main_tid, -1);
  EXPECT_FALSE(a.penalty.has_value());
  EXPECT_NE(a.verdict.find("No launch-pair analysis: launch calls not measured in pid 100"), std::string::npos) << a.verdict;
  // The OS side stands: main's preemption at 2500 and block at 7000.
  EXPECT_NE(a.verdict.find("Its 1 traced thread was switched out 2 times (1 preempted, 1 blocked)"), std::string::npos) << a.verdict;
  const nlohmann::json j = sched_analysis_json(t, a);
  for (const char* k : {"launches", "sched_per_1k", "preempt_per_1k", "block_per_1k", "irq_per_1k_hard", "irq_per_1k_soft"})
    EXPECT_TRUE(j[k].is_null()) << k;
  EXPECT_EQ(j["launch_undefined_reason"], t.launch_coverage.unmeasured_reason);
  EXPECT_EQ(j["switch_outs"], 2);

  Trace p = build_trace();
  p.launch_coverage.partial_pids = {static_cast<uint32_t>(kPid)};
  p.launch_coverage.partial_note = "launch figures are partial: they leave out, in pid 100: the calls of cuLaunchKernelEx";
  const SchedAnalysis b = analyze_sched(p), whole = analyze_sched(build_trace());
  EXPECT_EQ(b.signature, whole.signature);
  EXPECT_EQ(b.launches, whole.launches);
  // Its rates divide by fewer launches than ran: upper bounds, said in the verdict (review FC L6).
  // 8 launches; 2 traced switch-outs, 1 hard and 3 soft IRQs.
  char rates[160], bounded[200];
  std::snprintf(rates, sizeof rates, "%.1f context switches and %.1f hard + %.1f soft IRQs per 1000 launches", 2000.0 / 8,
                1000.0 / 8, 3000.0 / 8);
  std::snprintf(bounded, sizeof bounded, "at most %.1f context switches and at most %.1f hard and at most %.1f soft IRQs per 1000 launches",
                2000.0 / 8, 1000.0 / 8, 3000.0 / 8);
  std::string expected = whole.verdict;
  ASSERT_NE(expected.find(rates), std::string::npos) << expected;
  expected.replace(expected.find(rates), std::strlen(rates),
                   std::string(bounded) + " (upper bounds: " + b.per_1k_upper_bound_reason + ")");
  EXPECT_NE(b.per_1k_upper_bound_reason.find("CUPTI refused some launch callbacks"), std::string::npos);
  EXPECT_EQ(b.verdict, expected + " Note: " + p.launch_coverage.partial_note + ".");
  EXPECT_EQ(sched_analysis_json(p, b)["launch_partial_note"], p.launch_coverage.partial_note);
}

// The text report's run-queue latency line says why it has no figures, as the HTML page does:
// sched events not recorded, or recorded with nothing to sample (no switch-in of a traced thread).
TEST(SchedAnalysis, RunQueueLineSaysWhyItIsEmpty) {
  auto runq_line = [](const Trace& t) {
    std::ostringstream os;
    print_sched_report(os, t, analyze_sched(t));
    const std::string text = os.str();
    const size_t b = text.find("\nrun-queue latency");
    return b == std::string::npos ? std::string("<none>") : text.substr(b + 1, text.find('\n', b + 1) - b - 1);
  };
  Trace t = build_trace();
  t.meta["events"] = "launch,syscall";
  EXPECT_NE(runq_line(t).find("not recorded (--events)"), std::string::npos) << runq_line(t);
  Trace quiet;  // sched recorded, but the traced thread was never switched (one IRQ): no sample
  quiet.source = TraceSource::Recording;
  quiet.meta["events"] = "launch,sched,wakeup,irq";
  for (ns_t ts : {0, 1000, 2000}) launch(quiet, kMain, ts, 100);
  irq(quiet, IrqKind::Soft, "TIMER", 500, 100, kMain);
  const std::string l = runq_line(quiet);
  EXPECT_NE(l.find("no samples (no wake-up or preemption was followed by a switch-in)"), std::string::npos) << l;
  EXPECT_EQ(l.find("not recorded"), std::string::npos) << l;
  quiet.meta["events"] = "launch,sched";  // no wakeup: the empty line says they were not recorded (review S40 L2)
  const std::string no_wakeups = runq_line(quiet);
  EXPECT_NE(no_wakeups.find("no samples (no preemption was followed by a switch-in; wake-ups not recorded: --events)"),
            std::string::npos)
      << no_wakeups;
}

// The tail's shares when the slowest pair was both preempted and interrupted: it counts as
// preempted and as interrupted (any IRQ), not as interrupted only; the exclusive shares add up to 1.
TEST(SchedAnalysis, TailCountsASwitchedPairThatAnIrqAlsoHitUnderBoth) {
  Trace t;
  t.source = TraceSource::Recording;
  // Pairs of the main thread: [0,1000) clean, [1000,2000) clean, [2000,9000) preempted at 2500
  // (back at 4000) with a TIMER softirq at 2300: d = 1000, 1000, 7000.
  for (ns_t ts : {0, 1000, 2000, 9000}) launch(t, kMain, ts, 100);
  sw(t, 2500, kPid, kMain, true, kOther, kOther);
  sw(t, 4000, kOther, kOther, true, kPid, kMain);
  irq(t, IrqKind::Soft, "TIMER", 2300, 40, kMain);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.all.count, 3);
  EXPECT_EQ(a.tail99.threshold, 7000);
  EXPECT_EQ(a.tail99.pairs, 1);
  EXPECT_DOUBLE_EQ(a.tail99.preempted, 1.0);
  EXPECT_DOUBLE_EQ(a.tail99.interrupted, 1.0);
  EXPECT_DOUBLE_EQ(a.tail99.interrupted_only, 0.0);
  EXPECT_DOUBLE_EQ(a.tail99.preempted + a.tail99.blocked + a.tail99.interrupted_only + a.tail99.application, 1.0);
  EXPECT_EQ(a.signature, "cpu_contention");
}

// A thread switched out twice without a switch-in between (the kernel did not report it): it ran
// in between, so its off-CPU time runs from the later switch-out.
TEST(SchedAnalysis, OffCpuRestartsAtASecondSwitchOutWithoutSwitchIn) {
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t ts : {0, 10000}) launch(t, kMain, ts, 100);
  sw(t, 1000, kPid, kMain, true, kOther, kOther);   // out (preempted)
  sw(t, 5000, kPid, kMain, false, kOther, kOther);  // out again: the switch-in before it is missing
  sw(t, 6000, kOther, kOther, true, kPid, kMain);   // in
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.switch_ins_missing, 1);
  EXPECT_EQ(a.main_offcpu, 1000);  // 5000 -> 6000, not 1000 -> 6000
  // The later switch-out blocked and no wakeup was recorded: no run-queue sample.
  EXPECT_EQ(a.runq_samples, 0);
  EXPECT_EQ(a.switch_outs, 2);
}

// One thread switched in and out at the same ns (analysis/switch_tie_order.h): the order follows
// where it was, not how the rows were listed. Main thread launches at 0 and 10000.
//  off the CPU: preempted at 1000; at 3000 switched in and preempted again (the switch-out listed
//    first); back at 4000 -> off-CPU 2000 + 1000, run-queue samples 2000 and 1000;
//  on the CPU: at 6000 switched in and preempted (the switch-in listed first): it left and came
//    back at once -> off-CPU 0, a run-queue sample of 0; then blocks at 7000, back at 8000 -> 1000.
// Off-CPU 4000 in all, no switch-in missing, 3 run-queue samples (median 1000, max 2000). The
// switch-out first in both cases would count a missing switch-in at 3000 and lose the 2000 before
// it; the switch-in first in both would count one at 7000 and lose the sample at 6000.
TEST(SchedAnalysis, SwitchInAndOutAtOneNsFollowWhereTheThreadWas) {
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t ts : {0, 10000}) launch(t, kMain, ts, 100);
  sw(t, 1000, kPid, kMain, true, kOther, kOther);
  sw(t, 3000, kPid, kMain, true, kOther, kOther), sw(t, 3000, kOther, kOther, true, kPid, kMain);
  sw(t, 4000, kOther, kOther, true, kPid, kMain);
  sw(t, 6000, kOther, kOther, true, kPid, kMain), sw(t, 6000, kPid, kMain, true, kOther, kOther);
  sw(t, 7000, kPid, kMain, false, kOther, kOther);
  sw(t, 8000, kOther, kOther, true, kPid, kMain);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.switch_ins_missing, 0);
  EXPECT_EQ(a.main_offcpu, 4000);
  EXPECT_EQ(a.runq_samples, 3);
  EXPECT_EQ(a.runq_p50, 1000);
  EXPECT_EQ(a.runq_max, 2000);
  EXPECT_EQ(a.switch_outs, 4);
}

// Off the CPU with its switch-in unreported (this VM's agent threads hide some), the thread blocks
// again at 5000 and a wake-up on another CPU carries the same ns; back at 6000. With no switch-in in
// the tie, the switch-out comes first and the wake-up belongs to the stay it begins: one missing
// switch-in, off-CPU 1000 (5000 -> 6000), a run-queue sample of 1000. The wake-up applied first
// (review BM M2) is reset by the switch-out and the sample is lost.
TEST(SchedAnalysis, WakeupSharingANsWithASwitchOutAfterAMissingSwitchInStartsTheWait) {
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t ts : {0, 10000}) launch(t, kMain, ts, 100);
  sw(t, 1000, kPid, kMain, false, kOther, kOther);  // blocks; its switch-in is never reported
  sw(t, 5000, kPid, kMain, false, kOther, kOther);  // blocks again
  Wakeup w;
  w.ts = 5000, w.cpu = 1, w.pid = kPid, w.tid = kMain;
  t.wakeups.push(w);
  sw(t, 6000, kOther, kOther, true, kPid, kMain);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.switch_ins_missing, 1);
  EXPECT_EQ(a.main_offcpu, 1000);
  EXPECT_EQ(a.runq_samples, 1);
  EXPECT_EQ(a.runq_max, 1000);
}

// The window of a pair is [ts1, ts2) and a switched pair is preempted if any of its switch-outs was
// involuntary (docs/sched.md, Definitions). Main thread launches at 0, 1000, 3000, 6000:
//  pair [0,1000)     d=1000  nothing (the switch-out at 1000 is the next pair's)  -> clean
//  pair [1000,3000)  d=2000  blocks at exactly 1000, back at 1500                 -> blocked
//  pair [3000,6000)  d=3000  blocks at 3200 (back 3500), then preempted at 4000
//                            (back 5000): one involuntary switch-out is enough     -> preempted
TEST(SchedAnalysis, PairWindowIsHalfOpenAndOnePreemptionMakesItPreempted) {
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t ts : {0, 1000, 3000, 6000}) launch(t, kMain, ts, 100);
  sw(t, 1000, kPid, kMain, false, kOther, kOther);
  sw(t, 1500, kOther, kOther, true, kPid, kMain);
  sw(t, 3200, kPid, kMain, false, kOther, kOther);
  sw(t, 3500, kOther, kOther, true, kPid, kMain);
  sw(t, 4000, kPid, kMain, true, kOther, kOther);
  sw(t, 5000, kOther, kOther, true, kPid, kMain);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.all.count, 3);
  EXPECT_EQ(a.clean.count, 1);
  EXPECT_EQ(a.clean.p50, 1000);
  EXPECT_EQ(a.blocked.count, 1);
  EXPECT_EQ(a.blocked.p50, 2000);
  EXPECT_EQ(a.preempted.count, 1);
  EXPECT_EQ(a.preempted.p50, 3000);
  EXPECT_EQ(a.switch_outs, 3);
  EXPECT_EQ(a.preemptions, 1);
  EXPECT_EQ(a.blocks, 2);
}

// A launch call that starts exactly where the previous one ended is not inside it: a launch of its
// own. A driver call starting inside a runtime call is folded into it (docs/sched.md). Calls: 0..100,
// 100..200, and a driver call at 150 (inside the second): 2 logical launches, 1 merged, one pair of
// d = 100.
TEST(SchedAnalysis, CallStartingWhereTheLastEndedIsANewLaunch) {
  Trace t;
  t.source = TraceSource::Recording;
  launch(t, kMain, 0, 100);
  launch(t, kMain, 100, 100);
  launch(t, kMain, 150, 20, "cuLaunchKernel");
  sw(t, 500, kPid, kMain, true, kOther, kOther);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.launches, 2);
  EXPECT_EQ(a.merged_launch_calls, 1);
  ASSERT_EQ(a.all.count, 1);
  EXPECT_EQ(a.all.p50, 100);
}

// Run-queue latency runs from the wake-up that made a blocked thread runnable; a second wake-up
// while it already waits for a CPU changes nothing. build_trace()'s main thread blocks at 7000, is
// woken at 8000 and again at 8500, and is back at 9000: samples 1500 (preempted 2500 -> 4000) and
// 1000 (8000 -> 9000), median 1250, max 1500; asleep 1000 ns, waiting 1000 ns.
TEST(SchedAnalysis, RunQueueLatencyStartsAtTheFirstWakeup) {
  Trace t = build_trace();
  Wakeup w;
  w.ts = 8500, w.cpu = 0, w.pid = kPid, w.tid = kMain;
  t.wakeups.push(w);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.runq_samples, 2);
  EXPECT_EQ(a.runq_p50, 1250);
  EXPECT_EQ(a.runq_max, 1500);
  const ThreadSched* main = nullptr;
  for (const ThreadSched& th : a.threads)
    if (th.tid == kMain) main = &th;
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->blocked_sleep, 1000);
  EXPECT_EQ(main->blocked_wait, 1000);
}

// Nearest-rank percentiles in the JSON and the tail thresholds (docs/sched.md: rank ceil(p/100 * n)).
// 21 launches with pair intervals 100, 200, ..., 2000 (launch k at 100 * k(k+1)/2, 10 ns each): 20
// pairs, all clean. p90 = rank 18 = 1800, p99 = rank 20 = 2000, median (1000 + 1100) / 2 = 1050.
// Tail at P95 = rank 19: the pairs of 1900 and 2000; at P99: the pair of 2000 alone. Wall from 0 to
// the end of the last launch, 21000 + 10. A 1000 ns read syscall takes 1000 / 21010 of it.
TEST(SchedAnalysis, JsonPercentilesAreNearestRank) {
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t k = 0; k <= 20; ++k) launch(t, kMain, 100 * k * (k + 1) / 2, 10);
  sw(t, 50, kOther, kOther, true, kOther, kOther);  // an untraced thread's switch: sched recorded
  Syscall c;
  c.ts = 500, c.dur = 1000, c.pid = kPid, c.tid = kMain, c.nr = 0, c.name = t.strings.intern("read"), c.ret = 8;
  t.syscalls.push(c);
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  const nlohmann::json& all = j["pairs"]["all"];
  EXPECT_EQ(all["count"], 20);
  EXPECT_EQ(all["p90_ns"], 1800);
  EXPECT_EQ(all["p99_ns"], 2000);
  EXPECT_DOUBLE_EQ(all["median_ns"].get<double>(), 1050.0);
  EXPECT_EQ(j["tail"]["p95"]["threshold_ns"], 1900);
  EXPECT_EQ(j["tail"]["p95"]["pairs"], 2);
  EXPECT_EQ(j["tail"]["p99"]["threshold_ns"], 2000);
  EXPECT_EQ(j["tail"]["p99"]["pairs"], 1);
  EXPECT_EQ(j["wall_ns"], 21010);
  EXPECT_DOUBLE_EQ(j["syscalls"]["read"]["wall_share"].get<double>(), 1000.0 / 21010.0);
}

// The syscall table's last column is the call's time summed over its threads per wall time (JSON
// wall_share), headed so: two threads each in futex 60% of the wall read 120.0%, not a share of the
// wall, and a note under the table says why (review RC L1: "% wall" read 105.3%). Without a row
// over 100% the note is not printed.
TEST(SchedAnalysis, SyscallThreadTimePerWallSumsThreads) {
  const auto run = [](ns_t each) {
    Trace t;
    t.source = TraceSource::Recording;
    launch(t, kMain, 0, 10);
    launch(t, kMain, 9990, 10);  // wall 0..10000
    for (const int64_t tid : {kMain, kSide}) {
      Syscall c;
      c.ts = 1000, c.dur = each, c.pid = kPid, c.tid = tid, c.nr = 202, c.name = t.strings.intern("futex"), c.ret = 0;
      t.syscalls.push(c);
    }
    const SchedAnalysis a = analyze_sched(t);
    const nlohmann::json j = sched_analysis_json(t, a);
    EXPECT_EQ(j["wall_ns"], 10000);
    EXPECT_DOUBLE_EQ(j["syscalls"]["futex"]["wall_share"].get<double>(), 2.0 * static_cast<double>(each) / 10000.0);
    std::ostringstream os;
    print_sched_report(os, t, a);
    return os.str();
  };
  const std::string over = run(6000);
  EXPECT_NE(over.find("thread-time/wall"), std::string::npos) << over;
  EXPECT_EQ(over.find("% wall"), std::string::npos) << over;
  const size_t row = over.find("\nfutex ");
  ASSERT_NE(row, std::string::npos) << over;
  const std::string line = over.substr(row + 1, over.find('\n', row + 1) - row - 1);
  EXPECT_EQ(line.substr(line.find_last_not_of(' ', line.size() - 1) - 5, 6), "120.0%") << line;
  EXPECT_NE(over.find("over 100% when several threads were in it at once"), std::string::npos) << over;
  const std::string under = run(4000);  // 80.0%
  EXPECT_NE(under.find("80.0%"), std::string::npos) << under;
  EXPECT_EQ(under.find("over 100% when several threads"), std::string::npos) << under;
}

TEST(SchedAnalysis, NestedIrqsKeepTheirOwnDurations) {
  Trace t;
  // CPU 1: softirq 0..1000; hard A 100..300 inside it; hard B 150..200 inside A; hard C 1500..1600 alone.
  irq(t, IrqKind::Soft, "NET_RX", 0, 1000, kMain, 1);
  irq(t, IrqKind::Hard, "A", 100, 200, kMain, 1);
  irq(t, IrqKind::Hard, "B", 150, 50, kMain, 1);
  irq(t, IrqKind::Hard, "C", 1500, 100, kMain, 1);
  // CPU 2 at the same times: not nested in CPU 1's handlers.
  irq(t, IrqKind::Hard, "A", 120, 30, kSide, 2);
  const IrqSummary s = summarize_irqs(t);
  EXPECT_EQ(s.nested, 2);
  EXPECT_EQ(s.hard_count, 4);
  EXPECT_EQ(s.soft_count, 1);
  EXPECT_EQ(s.stolen, 1000 + 100 + 30);
  ASSERT_EQ(s.soft.size(), 1u);
  EXPECT_EQ(s.soft[0].total, 1000);
  EXPECT_EQ(s.soft[0].self, 800);  // minus A (200); B is inside A, not directly inside the softirq
  std::map<std::string, IrqStat> hard;
  for (const IrqStat& x : s.hard) hard[std::string(t.str(x.name))] = x;
  EXPECT_EQ(hard["A"].count, 2);
  EXPECT_EQ(hard["A"].total, 230);
  EXPECT_EQ(hard["A"].self, 150 + 30);
  EXPECT_EQ(hard["A"].max, 200);
  EXPECT_EQ(hard["B"].self, 50);
  EXPECT_EQ(hard["C"].self, 100);
}

// A nested handler whose recorded end lies past its parent's (an exit the recorder clipped or saw
// late) takes from the parent only the part inside it: softirq 0..1000 with hard IRQ X at 900 for
// 300 ns: the softirq's self time is 1000 - (1000 - 900) = 900, X keeps its 300, and the IRQ time on
// the CPU is the union [0,1200) = 1200 ns.
TEST(SchedAnalysis, NestedIrqPastItsParentsEndTakesOnlyTheOverlap) {
  Trace t;
  irq(t, IrqKind::Soft, "NET_RX", 0, 1000, kMain, 3);
  irq(t, IrqKind::Hard, "X", 900, 300, kMain, 3);
  const IrqSummary s = summarize_irqs(t);
  EXPECT_EQ(s.nested, 1);
  EXPECT_EQ(s.stolen, 1200);
  ASSERT_EQ(s.soft.size(), 1u);
  EXPECT_EQ(s.soft[0].self, 900);
  ASSERT_EQ(s.hard.size(), 1u);
  EXPECT_EQ(s.hard[0].self, 300);
}

TEST(SchedAnalysis, PreemptionDominatedRunIsCpuContention) {
  Trace t;
  // 200 launches 1000 ns apart; every 10th pair preempted for 5000 ns (the thread returns and the
  // next launch comes 6000 ns after the previous one).
  ns_t ts = 0;
  for (int i = 0; i < 200; ++i) {
    launch(t, kMain, ts, 100);
    if (i % 10 == 5) {
      sw(t, ts + 200, kPid, kMain, true, kOther, kOther);
      sw(t, ts + 5200, kOther, kOther, true, kPid, kMain);
      ts += 6000;
    } else {
      ts += 1000;
    }
  }
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.all.count, 199);
  EXPECT_EQ(a.preempted.count, 20);
  EXPECT_EQ(a.clean.count, 179);
  ASSERT_TRUE(a.penalty_preempted);
  EXPECT_EQ(*a.penalty_preempted, 5000);
  EXPECT_EQ(a.runq_p50, 5000);
  EXPECT_DOUBLE_EQ(a.tail99.preempted, 1.0);
  EXPECT_EQ(a.signature, "cpu_contention");
  EXPECT_EQ(a.mitigation, "pinning and priority");
}

TEST(SchedAnalysis, IrqDominatedRunIsIrqPressure) {
  Trace t;
  // 150 launches; every 5th pair has a NET_RX softirq inside and takes 1500 ns instead of 1000.
  ns_t ts = 0;
  for (int i = 0; i < 150; ++i) {
    launch(t, kMain, ts, 100);
    if (i % 5 == 0) irq(t, IrqKind::Soft, "NET_RX", ts + 300, 200, kMain);
    ts += i % 5 == 0 ? 1500 : 1000;
  }
  const SchedAnalysis a = analyze_sched(t);
  // Pairs start at launches 0..148; those starting at 0, 5, ..., 145 are interrupted (30).
  EXPECT_EQ(a.interrupted.count, 30);
  EXPECT_EQ(a.clean.count, 119);
  EXPECT_DOUBLE_EQ(a.irq_per_1k_soft, 30.0 / 150.0 * 1000.0);
  EXPECT_EQ(a.tail99.threshold, 1500);
  EXPECT_DOUBLE_EQ(a.tail99.interrupted, 1.0);
  EXPECT_EQ(a.signature, "irq_pressure");
  EXPECT_FALSE(a.penalty);  // no switched pairs
}

// The same with the local timer tick as the only IRQ: still IRQ pressure (the tick steals the time),
// but the advice is not IRQ affinity, which cannot move the tick (review DB M2).
TEST(SchedAnalysis, TickPressureAdvisesIsolationNotAffinity) {
  Trace t;
  ns_t ts = 0;
  for (int i = 0; i < 150; ++i) {
    launch(t, kMain, ts, 100);
    if (i % 5 == 0) irq(t, IrqKind::Hard, "LOC", ts + 300, 200, kMain);
    ts += i % 5 == 0 ? 1500 : 1000;
  }
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.signature, "irq_pressure") << a.verdict;
  EXPECT_NE(a.verdict.find("LOC, is the local timer tick, which no IRQ affinity steers"), std::string::npos) << a.verdict;
  EXPECT_EQ(a.mitigation, "isolated cores with the tick stopped (nohz_full)");  // the header says what the paragraph does
  EXPECT_NE(a.verdict.find("nohz_full="), std::string::npos) << a.verdict;
  EXPECT_EQ(a.verdict.find("Steer those IRQs to other CPUs"), std::string::npos) << a.verdict;
}

// The tick-pressure run of a recording that marks its system vectors (META irq.system_vectors, as
// every recording since the recorder first timed them): the lead hard IRQ is named LOC either way,
// `vector` says whether the reader marked it a system vector.
Trace marked_recording_led_by_loc(bool vector) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["irq.system_vectors"] = "LOC,RES,CAL";
  ns_t ts = 0;
  for (int i = 0; i < 150; ++i) {
    launch(t, kMain, ts, 100);
    if (i % 5 == 0) {
      irq(t, IrqKind::Hard, "LOC", ts + 300, 200, kMain);
      t.irqs.system_vector.back() = vector ? 1 : 0;
    }
    ts += i % 5 == 0 ? 1500 : 1000;
  }
  return t;
}

// Marked a vector: the tick advice, as by name above.
TEST(SchedAnalysis, MarkedVectorLeadAdvisesIsolation) {
  const Trace t = marked_recording_led_by_loc(true);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.signature, "irq_pressure") << a.verdict;
  EXPECT_NE(a.verdict.find("LOC, is the local timer tick, which no IRQ affinity steers"), std::string::npos) << a.verdict;
  EXPECT_EQ(a.mitigation, "isolated cores with the tick stopped (nohz_full)");  // the header says what the paragraph does
  EXPECT_EQ(a.verdict.find("Steer those IRQs to other CPUs"), std::string::npos) << a.verdict;
}

// Not marked in a recording that marks its vectors: a device IRQ whose handler is named LOC, which
// /proc/irq/N/smp_affinity does steer, so the advice is affinity, not the tick's (review EK L2).
TEST(SchedAnalysis, UnmarkedDeviceNamedLikeVectorAdvisesAffinity) {
  const Trace t = marked_recording_led_by_loc(false);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.signature, "irq_pressure") << a.verdict;
  EXPECT_NE(a.verdict.find("Steer those IRQs to other CPUs"), std::string::npos) << a.verdict;
  EXPECT_EQ(a.mitigation, "IRQ affinity");
  EXPECT_EQ(a.verdict.find("local timer tick"), std::string::npos) << a.verdict;
  EXPECT_EQ(a.verdict.find("nohz_full="), std::string::npos) << a.verdict;
}

TEST(SchedAnalysis, ProfilerTraceWithoutOsEventsSaysSo) {
  Trace t;
  t.source = TraceSource::Kineto;
  launch(t, kMain, 0, 10);
  launch(t, kMain, 100, 10);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_FALSE(a.has_os_events);
  EXPECT_EQ(a.launches, 2);
  EXPECT_EQ(a.signature, "no_os_events");
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_NE(os.str().find("infertrace record"), std::string::npos);
  // Nothing was recorded, so the JSON has no rate, share or impact to give: null, not 0.
  EXPECT_FALSE(a.switches_recorded);
  EXPECT_FALSE(a.irqs_recorded);
  const nlohmann::json j = sched_analysis_json(t, a);
  for (const char* k : {"sched_per_1k", "preempt_per_1k", "block_per_1k", "irq_per_1k_hard", "irq_per_1k_soft",
                        "irq_stolen_share", "scheduler_impact", "impact_preempted", "impact_blocked"})
    EXPECT_TRUE(j[k].is_null()) << k << " = " << j[k];
  EXPECT_EQ(j["switches_recorded"], false);
  EXPECT_EQ(j["irqs_recorded"], false);
}

// A recording without META events (older than that key) that has OS events keeps the old reading:
// the events it has were recorded.
TEST(SchedAnalysis, RecordingWithoutEventsMetaCountsItsEventsAsRecorded) {
  Trace t = build_trace();
  t.meta.erase("events");
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_TRUE(a.has_os_events);
  EXPECT_TRUE(a.switches_recorded);
  EXPECT_TRUE(a.irqs_recorded);
  EXPECT_TRUE(a.scheduler_impact.has_value());
}

// Review DJ L6: the off-CPU time of several threads is a sum over them, which can pass the wall
// time; the sentence says so. Two threads, each off the CPU 6000 ns (preempted at 1000, back at
// 7000) in a 10000 ns recording: 12000 ns off the CPU, said as summed over the 2 threads.
TEST(SchedAnalysis, CpuOnlyOffCpuTimeOfSeveralThreadsIsSaidToBeASum) {
  Trace t;
  t.source = TraceSource::Recording;
  for (int64_t tid : {kMain, kSide}) {
    ThreadInfo th;
    th.pid = kPid, th.tid = tid, th.first_ts = 0, th.last_ts = 10000;
    t.threads.push(th);
    sw(t, 1000, kPid, tid, true, kOther, kOther);
    sw(t, 7000, kOther, kOther, true, kPid, tid);
  }
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.launches, 0);
  EXPECT_NE(a.verdict.find("spent " + format_ns(int64_t{12000}) + " off the CPU (summed over the 2 threads) in "),
            std::string::npos)
      << a.verdict;
}

// A CPU-only recording (no launch at all): the verdict still says what the OS did to the threads.
// Main thread: preempted at 2500, back at 4000 (1500 ns off); blocks at 7000, woken at 8000, back
// at 9000 (2000 ns off, 1000 ns in the run queue). One syscall: futex, 600 ns.
TEST(SchedAnalysis, CpuOnlyRecordingSaysWhatTheOsDid) {
  Trace t;
  t.source = TraceSource::Recording;
  ThreadInfo main_thread;  // the recorder lists the threads it traced
  main_thread.pid = kPid, main_thread.tid = kMain, main_thread.first_ts = 0, main_thread.last_ts = 10000;
  t.threads.push(main_thread);
  main_thread_preempted_then_blocked(t);
  Syscall c;
  c.ts = 7100, c.dur = 600, c.pid = kPid, c.tid = kMain, c.nr = 202, c.name = t.strings.intern("futex"), c.ret = 0;
  t.syscalls.push(c);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_TRUE(a.has_os_events);
  EXPECT_EQ(a.launches, 0);
  EXPECT_EQ(a.signature, "too_few_launches");
  EXPECT_EQ(a.mitigation, "record a run that launches CUDA work");  // not "a longer run": it would have none either
  const std::string& v = a.verdict;
  EXPECT_NE(v.find("no CUDA launches (a CPU-only run), so there are no launch pairs"), std::string::npos) << v;
  EXPECT_EQ(v.find("Only 0"), std::string::npos) << v;
  // One launch is a run that launches CUDA work, too short for a pair: there a longer run helps.
  launch(t, kMain, 2000, 100);
  const SchedAnalysis b = analyze_sched(t);
  EXPECT_EQ(b.launches, 1);
  EXPECT_EQ(b.signature, "too_few_launches");
  EXPECT_EQ(b.mitigation, "record a longer run");
  EXPECT_NE(b.verdict.find("has one CUDA launch, so there is no launch pair to attribute delays to"), std::string::npos)
      << b.verdict;
  EXPECT_EQ(b.verdict.find("Only 0"), std::string::npos) << b.verdict;
  EXPECT_NE(v.find("Its 1 traced thread was switched out 2 times (1 preempted, 1 blocked)"), std::string::npos) << v;
  EXPECT_NE(v.find("spent " + format_ns(int64_t{3500}) + " off the CPU in "), std::string::npos) << v;  // one thread: no sum
  // Run-queue samples 1500 (preempted) and 1000 (woken): the median of the two is 1250.
  EXPECT_NE(v.find("run-queue latency p50 " + format_ns(int64_t{1250})), std::string::npos) << v;
  EXPECT_NE(v.find("futex (" + format_ns(int64_t{600}) + ")"), std::string::npos) << v;
  // No launch pairs: their percentiles and the tail thresholds are "-", not "0 ns" (which read as
  // launches that cost nothing); the run-queue latency, measured, keeps its value.
  std::ostringstream os;
  print_sched_report(os, t, a);
  const std::string text = os.str();
  auto line = [&](const std::string& start) {
    const size_t b = text.find("\n" + start);
    return b == std::string::npos ? std::string("<none>") : text.substr(b + 1, text.find('\n', b + 1) - b - 1);
  };
  for (const char* group : {"all ", "clean (neither) ", "switched ", ">= P95 ", ">= P99 "}) {
    const std::string l = line(group);
    EXPECT_EQ(l.find(" ns"), std::string::npos) << l;
    EXPECT_EQ(l.substr(l.size() - 1), "-") << l;
  }
  EXPECT_NE(line("run-queue latency").find(format_ns(int64_t{1250}) + " / " + format_ns(int64_t{1500}) + " / " + format_ns(int64_t{1500}) + " (2 samples)"), std::string::npos)
      << line("run-queue latency");
  // The text says how its percentiles are taken, as --json's percentile_method does (review SC L2).
  EXPECT_NE(text.find("(p90, p99: nearest rank, no interpolation; p50: the median"), std::string::npos) << text;
}

// The verdict reads the P99 tail from 100 pairs on, the P95 tail below. 80 pairs of 10 us, 18 of
// 10.5 us (the application's own) and 2 preempted ones of 11 us: nearest ranks 99 of 100 and 95 of
// 99 are 11 us and 10.5 us. With 100 pairs the P99 tail is the 2 preempted pairs (100%); with 99
// (one 10 us pair fewer) the P95 tail is 20 pairs, 10% preempted, under the 20% a cause needs, and
// the scheduler's cost, 2 x (11 - 10) us of about 1 ms, is under 1%: clean.
TEST(SchedAnalysis, VerdictReadsTheP99TailFromAHundredPairsOn) {
  for (const int fast : {80, 79}) {
    Trace t;
    ns_t ts = 0;
    for (int i = 0; i < fast + 20; ++i) {
      launch(t, kMain, ts, 100);
      const bool preempted = i >= fast + 18;
      if (preempted) {
        sw(t, ts + 200, kPid, kMain, true, kOther, kOther);
        sw(t, ts + 1200, kOther, kOther, true, kPid, kMain);
      }
      ts += i < fast ? 10'000 : preempted ? 11'000 : 10'500;
    }
    launch(t, kMain, ts, 100);
    const SchedAnalysis a = analyze_sched(t);
    ASSERT_EQ(a.all.count, fast + 20);
    ASSERT_TRUE(a.scheduler_impact);
    EXPECT_LT(*a.scheduler_impact, 0.01);
    if (fast == 80) {
      EXPECT_EQ(a.tail99.pairs, 2);
      EXPECT_EQ(a.signature, "cpu_contention") << a.verdict;
      EXPECT_NE(a.verdict.find("(P99 and above"), std::string::npos) << a.verdict;
    } else {
      EXPECT_EQ(a.tail95.pairs, 20);
      EXPECT_DOUBLE_EQ(a.tail95.preempted, 0.1);
      EXPECT_EQ(a.signature, "clean") << a.verdict;
      EXPECT_NE(a.verdict.find("(P95 and above"), std::string::npos) << a.verdict;
    }
  }
}

// A preempted pair that an IRQ also hit was slowed by its switch-out (docs/metrics.md §5: the
// switch costs far more): IRQs explain only the IRQ-only pairs. 34 pairs of 1 us, 3 preempted pairs
// with a NET_RX softirq after the thread is back and 2 IRQ-only pairs, all 6 us: the P95 tail (rank
// 38 of 39) is those 5, 60% preempted, 40% IRQ only, 100% hit by an IRQ. IRQs took 4.9 us of about
// 64 us (material), yet the signature is the preemption's.
TEST(SchedAnalysis, IrqInsideAPreemptedPairCountsForThePreemption) {
  Trace t;
  ns_t ts = 0;
  for (int i = 0; i < 39; ++i) {
    launch(t, kMain, ts, 100);
    const bool preempted = i == 10 || i == 20 || i == 30, irq_only = i == 15 || i == 25;
    if (preempted) {
      sw(t, ts + 200, kPid, kMain, true, kOther, kOther);
      sw(t, ts + 5200, kOther, kOther, true, kPid, kMain);
      irq(t, IrqKind::Soft, "NET_RX", ts + 5400, 300, kMain);
    } else if (irq_only) {
      irq(t, IrqKind::Soft, "NET_RX", ts + 300, 2000, kMain);
    }
    ts += preempted || irq_only ? 6000 : 1000;
  }
  launch(t, kMain, ts, 100);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.all.count, 39);
  EXPECT_EQ(a.tail95.pairs, 5);
  EXPECT_DOUBLE_EQ(a.tail95.preempted, 0.6);
  EXPECT_DOUBLE_EQ(a.tail95.interrupted_only, 0.4);
  EXPECT_DOUBLE_EQ(a.tail95.interrupted, 1.0);
  EXPECT_EQ(a.irqs.stolen, 3 * 300 + 2 * 2000);
  EXPECT_EQ(a.signature, "cpu_contention") << a.verdict;
}

// IRQs can be the cause only when they took at least 1% of the wall time. 200 pairs: 180 of 1 us,
// 20 of 5 us each with a TIMER softirq inside (the P99 tail, all IRQ only); wall 280.1 us. 20 x 70 ns
// is 0.5% of it: clean; 20 x 210 ns is 1.5%: IRQ pressure.
TEST(SchedAnalysis, IrqsAreACauseFromOnePercentOfWallTime) {
  for (const ns_t irq_ns : {70, 210}) {
    Trace t;
    t.source = TraceSource::Recording;
    ns_t ts = 0;
    for (int i = 0; i < 200; ++i) {
      launch(t, kMain, ts, 100);
      const ns_t d = i % 10 == 9 ? 5000 : 1000;
      if (d == 5000) irq(t, IrqKind::Soft, "TIMER", ts + 2000, irq_ns, kMain);
      ts += d;
    }
    launch(t, kMain, ts, 100);
    const SchedAnalysis a = analyze_sched(t);
    ASSERT_EQ(a.wall, 280'100);
    const double share = static_cast<double>(a.irqs.stolen) / static_cast<double>(a.wall);
    EXPECT_DOUBLE_EQ(a.tail99.interrupted_only, 1.0);
    if (irq_ns == 70) {
      EXPECT_LT(share, 0.01);
      EXPECT_EQ(a.signature, "clean") << a.verdict;
    } else {
      EXPECT_GT(share, 0.01);
      EXPECT_EQ(a.signature, "irq_pressure") << a.verdict;
    }
  }
}

// A blocking verdict names the launching thread's own top three syscalls by total time, not another
// thread's (its futex wait is not why the launching thread slept).
TEST(SchedAnalysis, BlockingVerdictNamesTheLaunchingThreadsTopThreeSyscalls) {
  Trace t = build_trace();
  t.meta["events"] = "launch,sched,syscall";
  auto syscall = [&](int64_t tid, ns_t ts, ns_t dur, int32_t nr, const char* name) {
    Syscall c;
    c.ts = ts, c.dur = dur, c.pid = kPid, c.tid = tid, c.nr = nr, c.name = t.strings.intern(name);
    t.syscalls.push(c);
  };
  syscall(kMain, 7010, 300, 16, "ioctl");
  syscall(kMain, 7020, 600, 202, "futex");
  syscall(kMain, 7030, 400, 1, "write");
  syscall(kMain, 7040, 500, 0, "read");
  syscall(kSide, 200, 5000, 7, "poll");
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.signature, "blocking") << a.verdict;
  const std::string top = "(its top syscalls: futex (" + format_ns(int64_t{600}) + "), read (" + format_ns(int64_t{500}) +
                          "), write (" + format_ns(int64_t{400}) + "))";
  EXPECT_NE(a.verdict.find(top), std::string::npos) << a.verdict;
  EXPECT_EQ(a.verdict.find("poll"), std::string::npos) << a.verdict;
  EXPECT_EQ(a.verdict.find("ioctl"), std::string::npos) << a.verdict;
}

// The CPU-only verdict counts preemptions and blocks apart: the main thread is preempted at 2500
// (back at 4000) and at 11000 (back at 12000), and blocks once at 7000.
TEST(SchedAnalysis, CpuOnlyVerdictCountsPreemptionsAndBlocksApart) {
  Trace t;
  t.source = TraceSource::Recording;
  ThreadInfo main_thread;
  main_thread.pid = kPid, main_thread.tid = kMain, main_thread.first_ts = 0, main_thread.last_ts = 13000;
  t.threads.push(main_thread);
  main_thread_preempted_then_blocked(t);
  sw(t, 11000, kPid, kMain, true, kOther, kOther);
  sw(t, 12000, 0, 0, false, kPid, kMain);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.signature, "too_few_launches");
  EXPECT_NE(a.verdict.find("Its 1 traced thread was switched out 3 times (2 preempted, 1 blocked)"), std::string::npos) << a.verdict;
}

TEST(SchedAnalysis, JsonCarriesTheDocumentedKeys) {
  const Trace t = build_trace();
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["kind"], "sched");
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["launches"], 8);
  EXPECT_EQ(j["pairs"]["preempted"]["count"], 1);
  EXPECT_EQ(j["pairs"]["clean"]["p50_ns"], 600);
  EXPECT_DOUBLE_EQ(j["pairs"]["clean"]["median_ns"].get<double>(), 600.0);
  EXPECT_EQ(j["pairs"]["interrupted"]["count"], 3);
  EXPECT_EQ(j["pairs"]["interrupted_only"]["count"], 2);
  EXPECT_EQ(j["penalty_ns"]["overall"], 2900);
  EXPECT_EQ(j["penalty_ns"]["blocked"], 3400);
  EXPECT_EQ(j["switch_ins_missing"], 0);
  EXPECT_TRUE(j["tail"]["p99"].contains("interrupted_only"));
  EXPECT_DOUBLE_EQ(j["sched_per_1k"].get<double>(), 250.0);
  EXPECT_EQ(j["offcpu_ns"][std::to_string(kMain)], 3500);
  EXPECT_DOUBLE_EQ(j["tail"]["p95"]["blocked"].get<double>(), 1.0);
  EXPECT_EQ(j["softirqs"]["NET_RX"]["self_ns"], 250);
  EXPECT_EQ(j["hardirqs"]["eth0"]["count"], 1);
  EXPECT_TRUE(j["syscalls"].is_object());
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_NE(os.str().find("Verdict (blocking"), std::string::npos);
}

// The two shares the terminal prints beside counts and times are in the JSON too, with the same
// value: each pair group's count over all pairs, and IRQ time (the union of IRQ intervals) over
// wall time. build_trace(): 6 pairs (clean 2, interrupted 3, preempted 1); IRQ union on CPU 0 =
// TIMER 100 + SCHED 50 + NET_RX 300 (eth0 inside it adds nothing) = 450 ns of 10100 ns wall.
TEST(SchedAnalysis, JsonCarriesTheTerminalsShares) {
  const Trace t = build_trace();
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_DOUBLE_EQ(j["pairs"]["all"].at("share").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["pairs"]["clean"].at("share").get<double>(), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(j["pairs"]["interrupted"].at("share").get<double>(), 3.0 / 6.0);
  EXPECT_DOUBLE_EQ(j["pairs"]["preempted"].at("share").get<double>(), 1.0 / 6.0);
  EXPECT_EQ(j["irq_stolen_ns"], 450);
  EXPECT_DOUBLE_EQ(j.at("irq_stolen_share").get<double>(), 450.0 / 10100.0);
  // The terminal prints those values: 33.3% for clean pairs, 4.5% of wall for IRQ time.
  std::ostringstream os;
  print_sched_report(os, t, a);
  const std::string text = os.str();
  EXPECT_NE(text.find(format_pct(2.0 / 6.0)), std::string::npos) << text;
  EXPECT_NE(text.find("450 ns (" + format_pct(450.0 / 10100.0) + " of wall)"), std::string::npos) << text;

  // Without IRQ events the IRQ time is unknown: null, and the terminal says "not recorded".
  Trace u = build_trace();
  u.meta["events"] = "launch,sched,syscall";
  const SchedAnalysis b = analyze_sched(u);
  EXPECT_TRUE(sched_analysis_json(u, b).at("irq_stolen_share").is_null());
  std::ostringstream os2;
  print_sched_report(os2, u, b);
  const std::string text2 = os2.str();
  const size_t irq_row = text2.find("IRQ time on traced threads");
  ASSERT_NE(irq_row, std::string::npos) << text2;
  const std::string irq_line = text2.substr(irq_row, text2.find('\n', irq_row) - irq_row);
  EXPECT_NE(irq_line.find("not recorded (--events)"), std::string::npos) << irq_line;
  EXPECT_EQ(irq_line.find("of wall"), std::string::npos) << irq_line;
  // Without pairs a share of pairs is undefined (null), not 0.
  Trace e;
  e.source = TraceSource::Recording;
  sw(e, 100, kPid, kMain, true, kOther, kOther);
  const nlohmann::json k = sched_analysis_json(e, analyze_sched(e));
  EXPECT_TRUE(k["pairs"]["clean"].at("share").is_null()) << k["pairs"].dump();
}

// `record --pid` (review RP M3): a thread off the CPU when its process entered the recording counts
// off the CPU from its TASK stamp to its first switch-in; one in state R or of unknown state (a
// recording made before the state was recorded) from its first switch-out only, as before.
// Main (S at 1000): back at 5000, blocked 6000-7000    -> 4000 + 1000 = 5000, 4000 from the attach.
// Side (R at 1000): in at 3000, blocked 4000-4500       -> 500.
// Third (unknown at 1000): in at 2000, blocked 2500-2600 -> 100.
// Fourth (S at 1000, but its first event a switch-out at 1500: it woke between the stamp and the
// /proc read): preempted 1500-1800                       -> 300, nothing from the attach.
TEST(SchedAnalysis, ThreadOffTheCpuAtTheAttachCountsFromItsStamp) {
  constexpr int64_t kThird = 103, kFourth = 104;
  Trace t;
  t.source = TraceSource::Recording;
  const ns_t stamp = 1000;
  const std::vector<std::pair<int64_t, char>> states{{kMain, 'S'}, {kSide, 'R'}, {kThird, 0}, {kFourth, 'S'}};
  std::vector<ThreadAtAttach> attached;
  for (const auto& [tid, state] : states) {
    ThreadInfo th;
    th.pid = kPid, th.tid = tid, th.first_ts = stamp, th.last_ts = 7000;
    t.threads.push(th);
    ThreadAtAttach a;
    a.ts = stamp, a.pid = kPid, a.tid = tid, a.state = state;
    attached.push_back(a);
  }
  set_attach_states(t, attached);
  sw(t, 5000, kOther, kOther, true, kPid, kMain);
  sw(t, 6000, kPid, kMain, false, 0, 0);
  sw(t, 7000, 0, 0, false, kPid, kMain);
  sw(t, 3000, 0, 0, false, kPid, kSide);
  sw(t, 4000, kPid, kSide, false, 0, 0);
  sw(t, 4500, 0, 0, false, kPid, kSide);
  sw(t, 2000, 0, 0, false, kPid, kThird);
  sw(t, 2500, kPid, kThird, false, 0, 0);
  sw(t, 2600, 0, 0, false, kPid, kThird);
  sw(t, 1500, kPid, kFourth, true, kOther, kOther);
  sw(t, 1800, 0, 0, false, kPid, kFourth);
  const SchedAnalysis a = analyze_sched(t);
  std::map<int64_t, const ThreadSched*> by_tid;
  for (const ThreadSched& th : a.threads) by_tid[th.tid] = &th;
  ASSERT_EQ(by_tid.count(kMain), 1u);
  EXPECT_EQ(by_tid[kMain]->offcpu, (5000 - stamp) + (7000 - 6000));
  EXPECT_EQ(by_tid[kMain]->offcpu_at_attach, 5000 - stamp);
  EXPECT_EQ(by_tid[kMain]->attach_state, 'S');
  // No wake-up recorded: the whole block counts as sleep.
  EXPECT_EQ(by_tid[kMain]->blocked_sleep, (5000 - stamp) + (7000 - 6000));
  EXPECT_EQ(by_tid[kSide]->offcpu, 4500 - 4000);
  EXPECT_EQ(by_tid[kSide]->offcpu_at_attach, 0);
  EXPECT_EQ(by_tid[kThird]->offcpu, 2600 - 2500);
  EXPECT_EQ(by_tid[kThird]->attach_state, 0);
  EXPECT_EQ(by_tid[kFourth]->offcpu, 1800 - 1500);
  EXPECT_EQ(by_tid[kFourth]->offcpu_at_attach, 0);
  EXPECT_EQ(a.switch_ins_missing, 0);
  // --json: the state and the part from the attach per thread; null where the state is unknown.
  const nlohmann::json j = sched_analysis_json(t, a);
  bool seen_main = false, seen_third = false;
  for (const auto& th : j["threads"]) {
    if (th["tid"] == kMain) {
      seen_main = true;
      EXPECT_EQ(th["attach_state"], "S");
      EXPECT_EQ(th["offcpu_at_attach_ns"], 5000 - stamp);
      EXPECT_EQ(th["offcpu_ns"], (5000 - stamp) + (7000 - 6000));
    }
    if (th["tid"] == kThird) {
      seen_third = true;
      EXPECT_TRUE(th["attach_state"].is_null());
      EXPECT_TRUE(th["offcpu_at_attach_ns"].is_null());
    }
  }
  EXPECT_TRUE(seen_main && seen_third);
}

// A thread asleep at the attach that never switches in before the recording ends (an idle server's
// worker through a --duration recording; review S39 L1) is off the CPU from its stamp to the wall's
// end. Idle (S at 1000): woken at 6500, no switch-in; the wall ends at 7000 (main's last switch)
// -> off the CPU 6000, all from the attach: asleep 5500, waiting 500, no run-queue sample (the
// wait had not ended). Main: S at 1000, back at 2000, blocked 3000-7000 -> 1000 + 4000.
TEST(SchedAnalysis, ThreadAsleepFromTheAttachToTheEndIsOffTheCpuThroughout) {
  constexpr int64_t kIdle = 105;
  Trace t;
  t.source = TraceSource::Recording;
  const ns_t stamp = 1000, wall_end = 7000;
  std::vector<ThreadAtAttach> attached;
  for (const int64_t tid : {kMain, kIdle}) {
    ThreadInfo th;
    th.pid = kPid, th.tid = tid, th.first_ts = stamp, th.last_ts = tid == kMain ? wall_end : stamp;
    t.threads.push(th);
    ThreadAtAttach a;
    a.ts = stamp, a.pid = kPid, a.tid = tid, a.state = 'S';
    attached.push_back(a);
  }
  set_attach_states(t, attached);
  sw(t, 2000, 0, 0, false, kPid, kMain);
  sw(t, 3000, kPid, kMain, false, 0, 0);
  sw(t, wall_end, 0, 0, false, kPid, kMain);
  Wakeup w;
  w.ts = 6500, w.cpu = 0, w.pid = kPid, w.tid = kIdle;
  t.wakeups.push(w);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.t_end, wall_end);
  std::map<int64_t, const ThreadSched*> by_tid;
  for (const ThreadSched& th : a.threads) by_tid[th.tid] = &th;
  ASSERT_EQ(by_tid.count(kIdle), 1u);
  EXPECT_EQ(by_tid[kIdle]->offcpu, wall_end - stamp);
  EXPECT_EQ(by_tid[kIdle]->offcpu_at_attach, wall_end - stamp);
  EXPECT_EQ(by_tid[kIdle]->blocked_sleep, 6500 - stamp);
  EXPECT_EQ(by_tid[kIdle]->blocked_wait, wall_end - 6500);
  EXPECT_EQ(by_tid[kMain]->offcpu, (2000 - stamp) + (wall_end - 3000));
  // No wake-up ended in a switch-in: no run-queue sample (none from the idle thread's open end).
  EXPECT_EQ(a.runq_samples, 0);
  EXPECT_EQ(a.switch_ins_missing, 0);
}

// The wall of a recording whose META gives its window (recorded_from_ns / recorded_to_ns) is that
// window, widened to hold any event outside it; a Kineto trace, or a recording without those keys,
// keeps the span of its events (docs/sched.md, "Wall time").
TEST(SchedAnalysis, RecordingWindowIsTheWall) {
  // build_trace's events span [0, 10100] (first launch at 0, last ends at 10000 + 100).
  const ns_t span_begin = 0, span_end = 10000 + 100;
  const double excess = (3000.0 - 600.0) + (4000.0 - 600.0);  // its two switched pairs over the clean median
  {  // A window holding every event: it is the wall.
    Trace t = build_trace();
    const ns_t from = -2000, to = 25000;
    t.meta["recorded_from_ns"] = std::to_string(from), t.meta["recorded_to_ns"] = std::to_string(to);
    const SchedAnalysis a = analyze_sched(t);
    EXPECT_EQ(a.t_begin, from);
    EXPECT_EQ(a.t_end, to);
    EXPECT_EQ(a.wall, to - from);
    EXPECT_EQ(a.wall_source, "recording_window");
    ASSERT_TRUE(a.scheduler_impact);
    EXPECT_DOUBLE_EQ(*a.scheduler_impact, excess / static_cast<double>(to - from));
    const nlohmann::json j = sched_analysis_json(t, a);
    EXPECT_EQ(j["wall_ns"], to - from);
    EXPECT_EQ(j["wall_source"], "recording_window");
  }
  {  // A window that events lie outside of, on both sides: widened to hold them.
    Trace t = build_trace();
    const ns_t from = 500, to = 8000;
    t.meta["recorded_from_ns"] = std::to_string(from), t.meta["recorded_to_ns"] = std::to_string(to);
    const SchedAnalysis a = analyze_sched(t);
    EXPECT_EQ(a.t_begin, std::min(from, span_begin));
    EXPECT_EQ(a.t_end, std::max(to, span_end));
    EXPECT_EQ(a.wall_source, "recording_window");
  }
  {  // The same META in a profiler trace, a recording without the keys, and keys that are no window.
    std::vector<Trace> traces;
    for (int i = 0; i < 4; ++i) traces.push_back(build_trace());
    traces[0].source = TraceSource::Kineto;
    traces[0].meta["recorded_from_ns"] = "-2000", traces[0].meta["recorded_to_ns"] = "25000";
    traces[2].meta["recorded_from_ns"] = "9000", traces[2].meta["recorded_to_ns"] = "8000";
    traces[3].meta["recorded_from_ns"] = "-2000", traces[3].meta["recorded_to_ns"] = "25000x";
    for (const Trace& t : traces) {
      const SchedAnalysis a = analyze_sched(t);
      EXPECT_EQ(a.t_begin, span_begin);
      EXPECT_EQ(a.t_end, span_end);
      EXPECT_EQ(a.wall, span_end - span_begin);
      EXPECT_EQ(a.wall_source, "event_span");
      EXPECT_EQ(sched_analysis_json(t, a)["wall_source"], "event_span");
    }
  }
  {  // A trace cut to a time window (trace_window.h) keeps the part of the recording window inside it.
    Trace t = build_trace();
    const ns_t from = -2000, to = 25000, cut_from = 1000, cut_to = 30000;
    t.meta["recorded_from_ns"] = std::to_string(from), t.meta["recorded_to_ns"] = std::to_string(to);
    t.meta["window_from_ns"] = std::to_string(cut_from), t.meta["window_to_ns"] = std::to_string(cut_to);
    const SchedAnalysis a = analyze_sched(t);
    EXPECT_EQ(a.t_begin, std::min(span_begin, std::max(from, cut_from)));
    EXPECT_EQ(a.t_end, std::max(span_end, std::min(to, cut_to)));
  }
}

// An idle `record --pid` recording: one thread asleep at the attach and no event after its stamp.
// The events' span was a single instant (wall 0); the recording's window gives the wall, and the
// thread is off the CPU from its stamp to the window's end.
TEST(SchedAnalysis, IdleRecordingTakesItsWindowAsTheWall) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "sched";
  const ns_t from = 1'000'000'000, stamp = from - 20'000, to = from + 2'000'000'000;
  ThreadInfo th;
  th.pid = kPid, th.tid = kMain, th.first_ts = stamp, th.last_ts = stamp;
  t.threads.push(th);
  ThreadAtAttach at;
  at.ts = stamp, at.pid = kPid, at.tid = kMain, at.state = 'S';
  set_attach_states(t, {at});
  {
    const SchedAnalysis a = analyze_sched(t);
    EXPECT_EQ(a.wall, 0);  // without the window: one instant
    EXPECT_EQ(a.wall_source, "event_span");
  }
  t.meta["recorded_from_ns"] = std::to_string(from), t.meta["recorded_to_ns"] = std::to_string(to);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.t_begin, stamp);  // the stamp precedes the window's start: widened to hold it
  EXPECT_EQ(a.t_end, to);
  EXPECT_EQ(a.wall, to - stamp);
  EXPECT_EQ(a.wall_source, "recording_window");
  ASSERT_EQ(a.threads.size(), 1u);
  EXPECT_EQ(a.threads[0].offcpu, to - stamp);
  EXPECT_EQ(a.threads[0].offcpu_at_attach, to - stamp);
}

}  // namespace
}  // namespace infertrace
