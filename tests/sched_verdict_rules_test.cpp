// The verdict's decision rules (docs/sched.md "Verdict") on figures set by hand, so each rule is
// checked apart from how a recording produces its figures: the largest tail cause names the
// signature; blocked pairs count as contention when the launching thread waited runnable longer
// than it slept; interrupted-only pairs count only when IRQs took at least 1% of wall time;
// clean needs both every cause under 20% and scheduler impact under 1%.
#include <gtest/gtest.h>

#include "analysis/sched.h"

namespace infertrace {
namespace {

constexpr int64_t kMain = 7;

// 200 launch pairs (so the P99 tail is the one judged), switches and IRQs recorded, 1 s of wall
// time, the launching thread asleep 1 ms and waiting 0.5 ms after its blocks.
SchedAnalysis figures(double preempted, double blocked, double irq_only, double impact) {
  SchedAnalysis a;
  a.has_os_events = true;
  a.launches = 201;
  a.all.count = 200;
  a.wall = 1'000'000'000;
  a.irqs.stolen = 50'000'000;  // 5% of wall: IRQs are material
  a.scheduler_impact = impact;
  a.tail99.pairs = 10;
  a.tail99.preempted = preempted;
  a.tail99.blocked = blocked;
  a.tail99.interrupted_only = irq_only;
  a.tail99.application = 1.0 - preempted - blocked - irq_only;
  a.main_tid = kMain;
  ThreadSched th;
  th.tid = kMain;
  th.blocked_sleep = 1'000'000;
  th.blocked_wait = 500'000;
  a.threads.push_back(th);
  return a;
}

std::string verdict_of(SchedAnalysis a) {
  const Trace t;
  sched_verdict(t, a);
  return a.signature;
}

void waits_longer_than_it_sleeps(SchedAnalysis& a) { a.threads[0].blocked_wait = 2'000'000; }

TEST(SchedVerdictRules, LargestCauseNamesTheSignature) {
  EXPECT_EQ(verdict_of(figures(0.5, 0.1, 0.2, 0.05)), "cpu_contention");
  EXPECT_EQ(verdict_of(figures(0.1, 0.5, 0.2, 0.05)), "blocking");
  EXPECT_EQ(verdict_of(figures(0.1, 0.2, 0.5, 0.05)), "irq_pressure");
}

// 30% preempted + 30% blocked by a thread that waited longer than it slept is 60% contention,
// more than the 40% of IRQ-only pairs; while it slept longer, the IRQ-only pairs are the largest.
TEST(SchedVerdictRules, BlockedPairsOfAWaitingThreadCountAsContentionEvenWhenNotTheLargest) {
  SchedAnalysis a = figures(0.3, 0.3, 0.4, 0.05);
  EXPECT_EQ(verdict_of(a), "irq_pressure");
  waits_longer_than_it_sleeps(a);
  EXPECT_EQ(verdict_of(a), "cpu_contention");
}

// 15% preempted and 10% blocked are each under 20% and impact is under 1%: clean; folded for a
// thread that waited longer than it slept, 25% is contention.
TEST(SchedVerdictRules, FoldedSharesCanLiftARunOutOfClean) {
  SchedAnalysis a = figures(0.15, 0.10, 0.0, 0.005);
  EXPECT_EQ(verdict_of(a), "clean");
  waits_longer_than_it_sleeps(a);
  EXPECT_EQ(verdict_of(a), "cpu_contention");
}

// Equal preempted and blocked shares folded: the paragraph says the thread waited for a CPU.
TEST(SchedVerdictRules, ATieOfPreemptedAndBlockedFoldedSaysTheThreadWaited) {
  SchedAnalysis a = figures(0.3, 0.3, 0.0, 0.05);
  waits_longer_than_it_sleeps(a);
  const Trace t;
  sched_verdict(t, a);
  EXPECT_EQ(a.signature, "cpu_contention");
  EXPECT_NE(a.verdict.find("waited runnable for a CPU longer than it slept"), std::string::npos) << a.verdict;
}

// IRQs under 1% of wall cannot be the cause, however many tail pairs they touched.
TEST(SchedVerdictRules, ImmaterialIrqsAreNoCause) {
  SchedAnalysis a = figures(0.1, 0.0, 0.8, 0.005);
  EXPECT_EQ(verdict_of(a), "irq_pressure");
  a.irqs.stolen = 9'999'999;  // just under 1% of 1 s
  EXPECT_EQ(verdict_of(a), "clean");
  a.irqs.stolen = 10'000'000;  // exactly 1%
  EXPECT_EQ(verdict_of(a), "irq_pressure");
}

// Clean needs both: a small cause with 1% impact or more is not clean.
TEST(SchedVerdictRules, CleanNeedsSmallCausesAndSmallImpact) {
  EXPECT_EQ(verdict_of(figures(0.1, 0.05, 0.05, 0.009)), "clean");
  EXPECT_NE(verdict_of(figures(0.1, 0.05, 0.05, 0.01)), "clean");
  EXPECT_NE(verdict_of(figures(0.25, 0.0, 0.0, 0.001)), "clean");
}

// No cause explains 20% of the tail, yet the impact is 1% or more: the switched group whose excess
// adds most names the signature, not the largest (small) tail share and not a default.
TEST(SchedVerdictRules, ImpactBelowTheTailNamesItsLargerPart) {
  SchedAnalysis a = figures(0.0, 0.0, 0.0, 0.03);
  a.impact_preempted = 0.01, a.impact_blocked = 0.02;
  EXPECT_EQ(verdict_of(a), "blocking");
  a.impact_preempted = 0.02, a.impact_blocked = 0.01;
  EXPECT_EQ(verdict_of(a), "cpu_contention");
  a.impact_preempted = 0.015, a.impact_blocked = 0.015;  // a tie goes to preemption
  EXPECT_EQ(verdict_of(a), "cpu_contention");
  // A 15% IRQ-only share, the largest in the tail, is no part of the scheduler's cost.
  a = figures(0.05, 0.0, 0.15, 0.03);
  a.impact_preempted = 0.005, a.impact_blocked = 0.025;
  EXPECT_EQ(verdict_of(a), "blocking");
  // Blocked excess of a thread that waited longer than it slept is contention.
  waits_longer_than_it_sleeps(a);
  const Trace t;
  sched_verdict(t, a);
  EXPECT_EQ(a.signature, "cpu_contention");
  EXPECT_NE(a.verdict.find("waited runnable for a CPU longer than it slept"), std::string::npos) << a.verdict;
  // One decimal, as the impact rows (review HT L2: "0.50%").
  EXPECT_NE(a.verdict.find("preempted pairs 0.5%, blocked pairs 2.5% of wall time"), std::string::npos) << a.verdict;
}

// A cause that explains the tail still names the signature, whatever the excess parts say.
TEST(SchedVerdictRules, ATailCauseOutranksTheExcessParts) {
  SchedAnalysis a = figures(0.3, 0.0, 0.0, 0.03);
  a.impact_preempted = 0.001, a.impact_blocked = 0.029;
  EXPECT_EQ(verdict_of(a), "cpu_contention");
  const Trace t;
  sched_verdict(t, a);
  EXPECT_EQ(a.verdict.find("below the tail"), std::string::npos) << a.verdict;
}

// Under 100 pairs the P95 tail is judged instead of the P99 one.
TEST(SchedVerdictRules, FewerThanAHundredPairsJudgeTheP95Tail) {
  SchedAnalysis a = figures(0.0, 0.0, 0.6, 0.05);  // P99: 60% IRQ only
  a.all.count = 99;
  a.tail95.pairs = 5;
  a.tail95.blocked = 0.8;
  a.tail95.application = 0.2;
  EXPECT_EQ(verdict_of(a), "blocking");
  a.all.count = 100;
  EXPECT_EQ(verdict_of(a), "irq_pressure");
}

}  // namespace
}  // namespace infertrace
