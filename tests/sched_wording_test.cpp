// What the scheduler analysis states about figures it did not measure or that belong to other
// threads (audit CK, D1 D3 D4 D8 D10): the launching thread's own run-queue latency, null for
// groups and shares whose events were not recorded, the impact summed over several launching
// threads, the percentile convention, and the rates over the launch window. Every expected value is
// worked out in the test from the events it inserts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "analysis/sched.h"
#include "report/sched_render.h"
#include "util/units.h"

namespace infertrace {
namespace {

constexpr int64_t kPid = 100, kMain = 101, kSide = 102, kOther = 999;

void launch(Trace& t, int64_t tid, ns_t ts, ns_t dur) {
  ApiCall c;
  c.start = ts, c.dur = dur, c.pid = kPid, c.tid = tid, c.name = t.strings.intern("cudaLaunchKernel");
  c.kind = classify_api("cudaLaunchKernel");
  t.api.push(c);
}

void sw(Trace& t, ns_t ts, int64_t prev_pid, int64_t prev_tid, bool preempted, int64_t next_pid, int64_t next_tid) {
  ContextSwitch s;
  s.ts = ts, s.cpu = 0, s.prev_pid = prev_pid, s.prev_tid = prev_tid, s.preempted = preempted;
  s.prev_state = preempted ? 0 : 1, s.next_pid = next_pid, s.next_tid = next_tid;
  t.switches.push(s);
}

void irq(Trace& t, IrqKind kind, ns_t ts, ns_t dur, int64_t tid) {
  Irq q;
  q.ts = ts, q.dur = dur, q.cpu = 0, q.kind = kind, q.irq = kind == IrqKind::Hard ? 42 : 3;
  q.name = t.strings.intern(kind == IrqKind::Hard ? "eth0" : "TIMER"), q.pid = kPid, q.tid = tid;
  t.irqs.push(q);
}

// Nearest rank as docs/sched.md defines it (rank ceil(p/100 * n) of the sorted values), written
// here independently of analysis/percentile.h.
ns_t nearest(std::vector<ns_t> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// A launching thread `tid`: 200 launches (100 ns calls) 1000 ns apart from `start`, but pair i with
// i % 10 == 5 preempted 200 ns after its launch and switched back in after wait(k) ns (k-th
// preemption), the next launch coming 1000 ns after the thread returns. Returns the last launch.
template <class Wait>
ns_t contended_thread(Trace& t, int64_t tid, ns_t start, Wait wait) {
  ns_t ts = start;
  int k = 0;
  for (int i = 0; i < 200; ++i) {
    launch(t, tid, ts, 100);
    if (i == 199) break;
    if (i % 10 == 5) {
      const ns_t w = wait(k++);
      sw(t, ts + 200, kPid, tid, true, kOther, kOther);
      sw(t, ts + 200 + w, kOther, kOther, true, kPid, tid);
      ts += 200 + w + 800;
    } else {
      ts += 1000;
    }
  }
  return ts;
}

// D3: the contention verdict quoted the pooled run-queue p99 of every traced thread as the launching
// thread's. Here the launching thread waits 1, 2, ..., 20 us; a side thread of the same process
// (no launches) waits 1 ms five times. Its own p99 is 20 us, the pooled p99 1 ms.
TEST(SchedWording, ContentionVerdictQuotesTheLaunchingThreadsOwnRunQueueLatency) {
  Trace t;
  t.source = TraceSource::Recording;
  std::vector<ns_t> mine, pooled;
  contended_thread(t, kMain, 0, [&](int k) { return mine.emplace_back(1000 * (k + 1)); });
  for (int k = 0; k < 5; ++k) {
    sw(t, 50000 + 2000000 * k, kPid, kSide, true, kOther, kOther);
    sw(t, 50000 + 2000000 * k + 1000000, kOther, kOther, true, kPid, kSide);
    pooled.push_back(1000000);
  }
  pooled.insert(pooled.end(), mine.begin(), mine.end());
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.signature, "cpu_contention") << a.verdict;
  EXPECT_EQ(a.main_runq_samples, 20);
  EXPECT_EQ(a.main_runq_p99, nearest(mine, 99));
  EXPECT_EQ(a.runq_p99, nearest(pooled, 99));
  EXPECT_TRUE(has(a.verdict, "its run-queue latency p99 " + format_ns(nearest(mine, 99)) + " over 20 waits")) << a.verdict;
  EXPECT_TRUE(has(a.verdict, "all traced threads' p99 " + format_ns(nearest(pooled, 99)))) << a.verdict;
  const nlohmann::json j = sched_analysis_json(t, a);
  const nlohmann::json& m = j.at("runq_latency_ns").at("main_thread");
  EXPECT_EQ(m.at("tid"), kMain);
  EXPECT_EQ(m.at("samples"), 20);
  EXPECT_EQ(m.at("p99"), nearest(mine, 99));
  // Median of 1..20 us: (10 + 11) / 2 us.
  EXPECT_EQ(m.at("p50"), 10500);
  EXPECT_EQ(j.at("runq_latency_ns").at("p99"), nearest(pooled, 99));  // the pooled key as before

  // A launching thread with no wait of its own: the pooled figure, named as the traced threads'.
  SchedAnalysis b = a;
  b.main_runq_samples = 0;
  sched_verdict(t, b);
  EXPECT_TRUE(has(b.verdict, "traced threads' run-queue latency p99 " + format_ns(nearest(pooled, 99)))) << b.verdict;
  EXPECT_FALSE(has(b.verdict, "its run-queue latency")) << b.verdict;
}

// D4: the JSON names its percentile convention, and the figures follow it. Run-queue waits of
// 1..20 us: nearest-rank p99 is the 20th value (20 us); linear interpolation would give 19.81 us.
TEST(SchedWording, JsonNamesItsPercentileConvention) {
  Trace t;
  t.source = TraceSource::Recording;
  std::vector<ns_t> waits;
  contended_thread(t, kMain, 0, [&](int k) { return waits.emplace_back(1000 * (k + 1)); });
  const nlohmann::json j = sched_analysis_json(t, analyze_sched(t));
  EXPECT_EQ(j.at("percentile_method"), "nearest_rank");
  EXPECT_EQ(j.at("median_method"), "mean_of_two_middle");
  EXPECT_EQ(j.at("runq_latency_ns").at("p99"), nearest(waits, 99));
  EXPECT_EQ(j.at("runq_latency_ns").at("p99"), 20000);
}

// The trace of sched_analysis_test's build_trace, reduced: main thread launches at 0, 1000, 2000,
// 5000, 6000, 10000. IRQs at 500 (pair 1), 2400 (pair 3) and 5200 (pair 4); preempted 2500..4000
// (pair 3), blocked 7000..9000 (pair 5). So: 5 pairs, 3 interrupted, preempted 1, blocked 1, and
// not switched: pairs 1, 2 and 4. A recording without IRQ events has no IRQ rows (`irqs` false).
Trace small_trace(const char* events, bool irqs = true) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = events;
  for (ns_t ts : {0, 1000, 2000, 5000, 6000, 10000}) launch(t, kMain, ts, 100);
  sw(t, 2500, kPid, kMain, true, kOther, kOther);
  sw(t, 4000, kOther, kOther, true, kPid, kMain);
  sw(t, 7000, kPid, kMain, false, kOther, kOther);
  sw(t, 9000, kOther, kOther, true, kPid, kMain);
  if (!irqs) return t;
  irq(t, IrqKind::Soft, 500, 100, kMain);
  irq(t, IrqKind::Soft, 2400, 50, kMain);
  irq(t, IrqKind::Hard, 5200, 50, kMain);
  return t;
}

// D8: without switch events the switched / preempted / blocked / clean / IRQ-only groups and the
// tail's shares of them are unknown: null with the reason, "not recorded" in the text, not 0.
TEST(SchedWording, GroupsOfUnrecordedSwitchesAreNullNotZero) {
  const Trace t = small_trace("launch,irq");
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  const nlohmann::json& p = j.at("pairs");
  for (const char* g : {"clean", "interrupted_only", "preempted", "blocked", "switched"})
    EXPECT_TRUE(p.at(g).is_null()) << g << ": " << p.dump();
  EXPECT_EQ(p.at("all").at("count"), 5);
  EXPECT_EQ(p.at("interrupted").at("count"), 3);  // IRQs were recorded: that flag is known
  EXPECT_TRUE(has(j.at("pairs_undefined_reason").get<std::string>(), "context switches not recorded"));
  for (const char* k : {"switched", "preempted", "blocked", "interrupted_only", "application", "not_switched"})
    EXPECT_TRUE(j["tail"]["p95"].at(k).is_null()) << k;
  // The slowest pair (d = 4000, the P95 and P99 tail alone) had no IRQ: share 0, measured.
  EXPECT_DOUBLE_EQ(j["tail"]["p95"].at("interrupted").get<double>(), 0.0);
  std::ostringstream os;
  print_sched_report(os, t, a);
  const std::string text = os.str();
  const size_t row = text.find("\nswitched ");
  ASSERT_NE(row, std::string::npos) << text;
  EXPECT_TRUE(has(text.substr(row, text.find('\n', row + 1) - row), "not recorded")) << text;
  EXPECT_FALSE(has(text, "0 ns (0.0% of wall")) << text;  // off-CPU time is not 0 but unknown
}

// D8: without IRQ events the verdict prints no IRQ rate, the interrupted groups and shares are null,
// and "clean" is said to mean "not switched" (pairs 1, 2, 4: 3 of 5).
TEST(SchedWording, UnrecordedIrqsPrintNoIrqRateAndCleanMeansNotSwitched) {
  const Trace t = small_trace("launch,sched,wakeup", false);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_FALSE(has(a.verdict, "hard +")) << a.verdict;
  EXPECT_FALSE(has(a.verdict, "application")) << a.verdict;
  EXPECT_TRUE(has(a.verdict, "pairs not switched out")) << a.verdict;
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_TRUE(j["pairs"].at("interrupted").is_null());
  EXPECT_TRUE(j["pairs"].at("interrupted_only").is_null());
  EXPECT_EQ(j["pairs"]["clean"].at("count"), 3);
  EXPECT_TRUE(has(j.at("pairs_undefined_reason").get<std::string>(), "clean pairs are those not switched out"));
  EXPECT_TRUE(j["tail"]["p95"].at("interrupted").is_null());
  EXPECT_TRUE(j["tail"]["p95"].at("application").is_null());
  EXPECT_DOUBLE_EQ(j["tail"]["p95"].at("blocked").get<double>(), 1.0);  // the d = 4000 pair
  EXPECT_DOUBLE_EQ(j["tail"]["p95"].at("not_switched").get<double>(), 0.0);
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_TRUE(has(os.str(), "clean (not switched; IRQs not recorded)")) << os.str();
}

// D8: a group with no pair has no median or percentiles: null, not 0 (here no pair blocked).
TEST(SchedWording, EmptyGroupHasNullPercentiles) {
  Trace t;
  t.source = TraceSource::Recording;
  contended_thread(t, kMain, 0, [](int) { return ns_t{5000}; });
  const nlohmann::json b = sched_analysis_json(t, analyze_sched(t)).at("pairs").at("blocked");
  EXPECT_EQ(b.at("count"), 0);
  for (const char* k : {"median_ns", "p50_ns", "p90_ns", "p99_ns"}) EXPECT_TRUE(b.at(k).is_null()) << k;
  EXPECT_DOUBLE_EQ(b.at("share").get<double>(), 0.0);  // 0 of 199 pairs: a measured share
}

// D10: two launching threads over the same time sum their pairs' excess, so the impact reads as a
// sum over them, with the mean per thread. Each thread: 199 pairs, 20 preempted by a 5 us wait
// (d = 200 + 5000 + 800), 179 clean (d = 1000): excess 20 * 5000 per thread.
TEST(SchedWording, ImpactOfSeveralLaunchingThreadsIsSaidToBeASum) {
  Trace t;
  t.source = TraceSource::Recording;
  const auto wait = [](int) { return ns_t{5000}; };
  const ns_t last = contended_thread(t, kMain, 0, wait);
  contended_thread(t, kSide, 0, wait);
  const double impact = 2 * 20 * 5000.0 / static_cast<double>(last + 100);  // wall: 0 to the last call's end
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_TRUE(a.scheduler_impact);
  EXPECT_DOUBLE_EQ(*a.scheduler_impact, impact);
  // One decimal, as the impact row beside it (review HT L2: "%.2f%%" here).
  const std::string want = "the scheduler cost " + format_pct(impact) + " of wall time summed over 2 launching threads (" +
                           format_pct(impact / 2) + " per thread on average)";
  EXPECT_TRUE(has(a.verdict, want)) << a.verdict;
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j.at("launch_pair_threads"), 2);
  EXPECT_DOUBLE_EQ(j.at("scheduler_impact_per_thread").get<double>(), impact / 2);
  // The text's impact row says it too (review DJ L5: only the window row and the verdict did).
  std::ostringstream os;
  print_sched_report(os, t, a);
  const std::string text = os.str();
  const size_t row = text.find("scheduler impact (share of wall)");
  ASSERT_NE(row, std::string::npos) << text;
  const std::string line = text.substr(row, text.find('\n', row) - row);
  char cell[160];
  std::snprintf(cell, sizeof cell, "%.1f%% summed over 2 launching threads (%.1f%% per thread on average)", impact * 100,
                impact * 50);
  EXPECT_TRUE(has(line, cell)) << line;

  Trace one;  // one launching thread: no "summed over"
  one.source = TraceSource::Recording;
  contended_thread(one, kMain, 0, wait);
  EXPECT_FALSE(has(analyze_sched(one).verdict, "summed over")) << analyze_sched(one).verdict;
}

// D1: a start-up phase before the first launch (imports, weight loading) dilutes the whole-trace
// rates. Start-up: 40 blocking switch-outs of the launching thread and 30 softirqs in 0..4 ms; then
// the launch loop from 10 ms (200 launches, 20 preempted pairs, 1 hard IRQ in it).
TEST(SchedWording, RatesOverTheLaunchWindowLeaveOutTheStartUp) {
  Trace t;
  t.source = TraceSource::Recording;
  for (int k = 0; k < 40; ++k) {
    sw(t, 100000 * k, kPid, kMain, false, kOther, kOther);
    sw(t, 100000 * k + 50000, kOther, kOther, true, kPid, kMain);
  }
  for (int k = 0; k < 30; ++k) irq(t, IrqKind::Soft, 100000 * k + 70000, 100, kMain);
  const ns_t first = 10000000;
  const ns_t last = contended_thread(t, kMain, first, [](int) { return ns_t{5000}; });
  irq(t, IrqKind::Hard, first + 300, 100, kMain);
  // The window's ends belong to it (review CP: nothing sat on them): a blocking switch-out of the
  // launching thread at the last launch's start, after it; a softirq at the first launch's start.
  sw(t, last, kPid, kMain, false, kOther, kOther);
  sw(t, last + 5000, kOther, kOther, true, kPid, kMain);
  irq(t, IrqKind::Soft, first, 50, kMain);
  const SchedAnalysis a = analyze_sched(t);
  // Whole trace: 61 switch-outs and 32 IRQs per 200 launches, wall 0 .. last + 5000.
  EXPECT_DOUBLE_EQ(a.sched_per_1k, 1000.0 * 61 / 200);
  const double excess = 20 * 5000.0;
  EXPECT_DOUBLE_EQ(*a.scheduler_impact, excess / static_cast<double>(last + 5000));
  // Launch window [first, last]: the 20 preemptions, the switch-out at its end, the hard IRQ and
  // the softirq at its start.
  const nlohmann::json w = sched_analysis_json(t, a).at("launch_window");
  EXPECT_EQ(w.at("begin_ns"), first);
  EXPECT_EQ(w.at("end_ns"), last);
  EXPECT_EQ(w.at("wall_ns"), last - first);
  EXPECT_EQ(w.at("switch_outs"), 21);
  EXPECT_DOUBLE_EQ(w.at("sched_per_1k").get<double>(), 1000.0 * 21 / 200);
  EXPECT_DOUBLE_EQ(w.at("irq_per_1k_hard").get<double>(), 1000.0 * 1 / 200);
  EXPECT_DOUBLE_EQ(w.at("irq_per_1k_soft").get<double>(), 1000.0 * 1 / 200);
  EXPECT_DOUBLE_EQ(w.at("scheduler_impact").get<double>(), excess / static_cast<double>(last - first));
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_TRUE(has(os.str(), "rates over the launch window")) << os.str();
  EXPECT_TRUE(has(os.str(), "Sched/1K 105.0")) << os.str();

  // One launch: no window (null), not a window of length 0.
  Trace one;
  one.source = TraceSource::Recording;
  launch(one, kMain, 5000, 100);
  sw(one, 6000, kPid, kMain, true, kOther, kOther);
  EXPECT_TRUE(sched_analysis_json(one, analyze_sched(one)).at("launch_window").is_null());
}

// Every pair switched, none clean: the impact has no reference and is unknown, so the verdict says
// n/a instead of "the scheduler cost 0.00% of wall time" (review CP L6).
TEST(SchedWording, UnknownImpactIsNotZero) {
  Trace t;
  t.source = TraceSource::Recording;
  for (int i = 0; i < 10; ++i) {
    launch(t, kMain, 10000 * i, 100);
    sw(t, 10000 * i + 5000, kPid, kMain, true, kOther, kOther);
    sw(t, 10000 * i + 6000, kOther, kOther, true, kPid, kMain);
  }
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.clean.count, 0);
  ASSERT_GT(a.switched.count, 0);
  EXPECT_FALSE(a.scheduler_impact.has_value());
  EXPECT_FALSE(has(a.verdict, "the scheduler cost")) << a.verdict;
  EXPECT_TRUE(has(a.verdict, "scheduler impact n/a")) << a.verdict;
}

}  // namespace
}  // namespace infertrace

namespace infertrace {
namespace {

// Review SP L2: 200 pairs all 100 ns long, one of them preempted (switch-out at 150, back at 160):
// the P95 and P99 tails hold every pair (all tie at the threshold), so the verdict says "all", not
// "the slowest"; its shares are 1/200 = 0.5% preempted and 199/200 = 99.5% application, which whole
// percents rounded to "0%" and "100%".
TEST(SchedWording, TiedTailIsEveryPairAndSmallSharesAreNotZero) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched,irq";
  for (int i = 0; i <= 200; ++i) launch(t, kMain, 100 * i, 10);
  sw(t, 150, kPid, kMain, true, kOther, kOther);
  sw(t, 160, kOther, kOther, false, kPid, kMain);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.all.count, 200);
  EXPECT_TRUE(has(a.verdict, "All 200 pairs are at or above the P")) << a.verdict;
  EXPECT_FALSE(has(a.verdict, "slowest pairs")) << a.verdict;
  EXPECT_TRUE(has(a.verdict, "<1% preempted, 0% blocked, 0% interrupted by IRQs only, >99% application.")) << a.verdict;
}

// Review SP L4: a thread that sleeps between launches (blocked 5 us in every 10th pair) gets the
// blocking verdict, and the impact says which part of it is the thread's own waits: here all of it.
// Per pair: clean d = 1000; blocked d = 100 + 5000 + 900 = 6000, excess 5000; 20 of 200 pairs.
TEST(SchedWording, BlockingImpactSaysItIsTheThreadsOwnWaits) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched,irq";
  ns_t ts = 0;
  for (int i = 0; i <= 200; ++i) {
    launch(t, kMain, ts, 10);
    if (i % 10 == 5 && i < 200) {
      sw(t, ts + 100, kPid, kMain, false, kOther, kOther);
      sw(t, ts + 5100, kOther, kOther, false, kPid, kMain);
      ts += 6000;
    } else {
      ts += 1000;
    }
  }
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_TRUE(a.impact_blocked);
  const double blocked = 20 * 5000.0 / static_cast<double>(a.wall);
  EXPECT_NEAR(*a.impact_blocked, blocked, 1e-12);
  // One decimal, as the impact rows (review HT L2: "%.2f%%").
  const std::string want = ", of which " + format_pct(blocked) + " of wall time in pairs where the thread blocked (its own waits, not preemption)";
  EXPECT_EQ(a.signature, "blocking") << a.verdict;
  EXPECT_TRUE(has(a.verdict, want)) << a.verdict;
}

// Review SP L2: one launch is "1 logical launch".
TEST(SchedWording, OneLaunchIsSingular) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched";
  launch(t, kMain, 1000, 10);
  sw(t, 1500, kPid, kMain, true, kOther, kOther);
  std::ostringstream os;
  print_sched_report(os, t, analyze_sched(t));
  EXPECT_TRUE(has(os.str(), " 1 logical launch\n") || has(os.str(), " 1 logical launch ")) << os.str();
  EXPECT_FALSE(has(os.str(), "1 logical launches")) << os.str();
}

}  // namespace
}  // namespace infertrace
