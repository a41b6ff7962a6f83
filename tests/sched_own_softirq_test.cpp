// A softirq a thread ran as its own work (Irq::own: the receive side of its own loopback send, run
// inside its write()) is not an IRQ that interrupted it (review KT M1; docs/metrics.md §5): `sched`
// leaves it out of IRQ/1K, the IRQ tables and time, the launch-pair classes, the tail and the
// verdict, and counts it apart. Every expected value is worked out by hand from the events below.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/sched.h"
#include "report/sched_render.h"

namespace infertrace {
namespace {

constexpr int64_t kPid = 100, kMain = 101;

void launch(Trace& t, ns_t ts) {
  ApiCall c;
  c.start = ts, c.dur = 100, c.pid = kPid, c.tid = kMain, c.name = t.strings.intern("cudaLaunchKernel");
  c.kind = classify_api("cudaLaunchKernel");
  t.api.push(c);
}

void irq(Trace& t, IrqKind kind, const char* name, ns_t ts, ns_t dur, bool own) {
  Irq q;
  q.ts = ts, q.dur = dur, q.cpu = 0, q.kind = kind, q.irq = kind == IrqKind::Soft ? 3 : 42;
  q.name = t.strings.intern(name), q.pid = kPid, q.tid = kMain, q.own = own;
  t.irqs.push(q);
}

// 150 launches; every 5th pair (30 of 149) has a NET_RX softirq of 200 ns inside and takes 1500 ns
// instead of 1000: the same run sched_analysis_test's IrqDominatedRunIsIrqPressure calls IRQ
// pressure when the softirqs interrupted the thread. Here they are its own (loopback sends), except
// that the pair starting at launch 10 also has a hard IRQ (eth0, 50 ns) in it.
Trace loopback_sender(bool own) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "sched,irq";
  t.meta["irq.softirq_context"] = "raise";
  ns_t ts = 0;
  for (int i = 0; i < 150; ++i) {
    launch(t, ts);
    if (i % 5 == 0) irq(t, IrqKind::Soft, "NET_RX", ts + 300, 200, own);
    if (i == 10) irq(t, IrqKind::Hard, "eth0", ts + 700, 50, false);
    ts += i % 5 == 0 ? 1500 : 1000;
  }
  return t;
}

TEST(SchedOwnSoftirq, OwnSoftirqsAreNoInterruption) {
  const Trace t = loopback_sender(true);
  const SchedAnalysis a = analyze_sched(t);
  // Only the pair with eth0 is interrupted; the 29 other slow pairs are the thread's own time.
  EXPECT_EQ(a.interrupted.count, 1);
  EXPECT_EQ(a.interrupted_only.count, 1);
  EXPECT_EQ(a.clean.count, 148);
  EXPECT_DOUBLE_EQ(a.irq_per_1k_soft, 0.0);
  EXPECT_DOUBLE_EQ(a.irq_per_1k_hard, 1.0 / 150.0 * 1000.0);
  EXPECT_EQ(a.irqs.soft_count, 0);
  EXPECT_TRUE(a.irqs.soft.empty());
  EXPECT_EQ(a.irqs.hard_count, 1);
  EXPECT_EQ(a.irqs.stolen, 50);  // eth0 alone
  // The P99 pair (1500 ns) is one of the 30 slow ones; of those at the threshold only one had an IRQ.
  EXPECT_LT(a.tail99.interrupted, 0.5);
  EXPECT_NE(a.signature, "irq_pressure");
  // Counted apart: 30 NET_RX, 6000 ns.
  EXPECT_TRUE(a.softirqs_own_told);
  EXPECT_EQ(a.irqs.own_count, 30);
  EXPECT_EQ(a.irqs.own_total, 6000);
  ASSERT_EQ(a.irqs.own.size(), 1u);
  EXPECT_EQ(t.str(a.irqs.own[0].name), "NET_RX");
  EXPECT_EQ(a.irqs.own[0].count, 30);
  EXPECT_EQ(a.launch_window.irqs_soft, 0);
  ASSERT_EQ(a.threads.size(), 1u);
  EXPECT_EQ(a.threads[0].irqs_soft, 0);
  EXPECT_EQ(a.threads[0].softirqs_own, 30);

  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["irq_count_soft"], 0);
  EXPECT_EQ(j["softirqs_own_told"], true);
  EXPECT_EQ(j["softirq_own_count"], 30);
  EXPECT_EQ(j["softirq_own_ns"], 6000);
  EXPECT_EQ(j["softirqs_own"]["NET_RX"]["count"], 30);
  EXPECT_EQ(j["softirqs_own"]["NET_RX"]["source"], "softirq_own");
  EXPECT_EQ(j["threads"][0]["softirqs_own"], 30);
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_NE(os.str().find("softirqs run by the threads themselves"), std::string::npos) << os.str();
  EXPECT_NE(os.str().find("30, 6.00 us"), std::string::npos) << os.str();
}

// The same softirqs, not marked own (they ran on an interrupt's exit): interruptions, as before.
TEST(SchedOwnSoftirq, InterruptingSoftirqsStillCount) {
  const Trace t = loopback_sender(false);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.interrupted.count, 30);
  EXPECT_DOUBLE_EQ(a.irq_per_1k_soft, 30.0 / 150.0 * 1000.0);
  EXPECT_EQ(a.irqs.own_count, 0);
  EXPECT_EQ(a.signature, "irq_pressure");
}

// A recording that does not say it tells them apart (before 2026-12-06): the JSON says so (null
// counts) and the text says every softirq counts as an interruption.
TEST(SchedOwnSoftirq, OlderRecordingSaysNotToldApart) {
  Trace t = loopback_sender(false);
  t.meta.erase("irq.softirq_context");
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_FALSE(a.softirqs_own_told);
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["softirqs_own_told"], false);
  EXPECT_TRUE(j["softirq_own_count"].is_null());
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_NE(os.str().find("not told apart"), std::string::npos) << os.str();
}

}  // namespace
}  // namespace infertrace
