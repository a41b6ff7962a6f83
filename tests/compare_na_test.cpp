// Where `sched` prints "n/a (reason)" for a figure, compare prints "n/a" in its cell and the reason
// in a note (the terminal), "n/a (reason)" in the cell (the report page) and the reason in --json,
// read alike from a recording's analysis and from its saved `sched --json`; a null whose reason is
// not known stays "-". The reasons are checked against sched's own report of the same analysis.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "analysis/compare.h"
#include "analysis/sched.h"
#include "html_text.h"
#include "one_thread_launches.h"
#include "report/compare_render.h"
#include "report/html_report.h"
#include "report/sched_render.h"
#include "text_table_row.h"

namespace infertrace {
namespace {

using html_text::has;
using nlohmann::json;

// A recording that asked for launches, switches and IRQs and holds `n` launch calls of one thread,
// 1000 ns apart, and one IRQ on another thread (an OS event, so sched reports in full): every pair
// is clean, none switched.
Trace recording(int n) {
  Trace t = one_thread_launches(n, TraceSource::Recording);
  t.meta["events"] = "launch,sched,irq";
  Irq irq;
  irq.ts = 10, irq.dur = 5, irq.cpu = 1, irq.irq = 30, irq.pid = 200, irq.tid = 201;
  t.irqs.push(irq);
  return t;
}

ScenarioMetrics base() {
  ScenarioMetrics m;
  m.name = "base", m.launches = 1000, m.wall = 1'000'000'000;
  m.sched_per_1k = 10.0, m.irq_per_1k_hard = 1.0, m.irq_per_1k_soft = 2.0, m.penalty = 5'000, m.offcpu_share = 0.25;
  return m;
}

std::string sched_text(const Trace& t, const SchedAnalysis& a) {
  std::ostringstream os;
  print_sched_report(os, t, a);
  return os.str();
}

TEST(CompareNa, APenaltyWithoutSwitchedPairsIsNaWithSchedsReason) {
  const Trace t = recording(6);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_TRUE(a.switches_recorded);
  ASSERT_FALSE(a.penalty.has_value());
  ASSERT_GT(a.clean.count, 0);
  ASSERT_EQ(a.switched.count, 0);
  const std::string reason = "no switched pairs";
  ASSERT_TRUE(has(sched_text(t, a), "n/a (" + reason + ")")) << sched_text(t, a);  // sched's words

  const ScenarioMetrics fresh = scenario_from_analysis(a, "quiet", "q.itrace");
  const ScenarioMetrics saved = scenario_from_json(sched_analysis_json(t, a), "quiet", "q.json");
  EXPECT_EQ(fresh.penalty_undefined_reason, reason);
  EXPECT_EQ(saved.penalty_undefined_reason, reason);
  EXPECT_EQ(fresh.rates_undefined_reason, "");  // it has launches: its rates are set
  EXPECT_EQ(saved.offcpu_undefined_reason, fresh.offcpu_undefined_reason);

  const Comparison c = compare_scenarios({base(), saved});
  std::ostringstream os;
  print_comparison(os, c);
  const std::vector<std::string> row = text_row(os.str(), "quiet");
  ASSERT_EQ(row.size(), 12u) << os.str();
  EXPECT_EQ(row[9], "n/a") << os.str();
  EXPECT_TRUE(has(os.str(), "n/a: quiet penalty: " + reason)) << os.str();

  const json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][1]["penalty_undefined_reason"], reason);
  EXPECT_TRUE(j["scenarios"][1]["penalty_ns"].is_null());  // the figure stays null
  EXPECT_TRUE(j["scenarios"][0]["penalty_undefined_reason"].is_null());
  const std::string page = html_text::doc_page(j);
  EXPECT_TRUE(has(page, "n/a (" + reason + ")")) << page;
}

TEST(CompareNa, ARecordingWithoutLaunchesIsNaEverywhereSchedSaysSo) {
  const Trace t = recording(0);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.launches, 0);
  ASSERT_LT(a.main_tid, 0);
  const std::string st = sched_text(t, a);
  ASSERT_TRUE(has(st, "n/a (no launch calls)")) << st;
  // Not "no clean pairs": without launches there are no pairs at all (review UX L2).
  ASSERT_TRUE(has(st, "n/a (no launches)")) << st;
  ASSERT_FALSE(has(st, "no clean pairs")) << st;

  for (const ScenarioMetrics& m :
       {scenario_from_analysis(a, "empty", "e.itrace"), scenario_from_json(sched_analysis_json(t, a), "empty", "e.json")}) {
    EXPECT_EQ(m.rates_undefined_reason, "no launch calls") << m.source;
    EXPECT_EQ(m.penalty_undefined_reason, "no launches") << m.source;
    EXPECT_EQ(m.offcpu_undefined_reason, "no launching thread") << m.source;
  }
  // Its wall is 0 (no launch calls), so no launch-rate basis: the table still says why.
  const Comparison c = compare_scenarios({base(), scenario_from_json(sched_analysis_json(t, a), "empty", "e.json")});
  std::ostringstream os;
  print_comparison(os, c);
  const std::vector<std::string> row = text_row(os.str(), "empty");
  ASSERT_EQ(row.size(), 12u) << os.str();
  for (size_t i : {3, 5, 7, 8, 9, 10}) EXPECT_EQ(row[i], "n/a") << i << "\n" << os.str();
  EXPECT_EQ(row[4], "-") << os.str();  // a ratio without a rate: no reason of its own
  EXPECT_TRUE(has(os.str(), "n/a: empty rates per 1000 launches: no launch calls; empty penalty: no launches; "
                            "empty off-CPU: no launching thread"))
      << os.str();
  const std::string page = html_text::doc_page(comparison_json(c));
  EXPECT_TRUE(has(page, "n/a (no launch calls)")) << page;
  EXPECT_TRUE(has(page, "n/a (no launching thread)")) << page;

  // A saved analysis without what decides it (no pair counts, no main_thread): "-", no reason made up.
  const json bare = {{"launches", 10}, {"wall_ns", 1000}, {"sched_per_1k", 1.0}};
  const ScenarioMetrics old = scenario_from_json(bare, "old", "old.json");
  EXPECT_EQ(old.penalty_undefined_reason, "");
  EXPECT_EQ(old.offcpu_undefined_reason, "");
  std::ostringstream oos;
  print_comparison(oos, compare_scenarios({base(), old}));
  const std::vector<std::string> orow = text_row(oos.str(), "old");
  ASSERT_EQ(orow.size(), 12u) << oos.str();
  EXPECT_EQ(orow[9], "-") << oos.str();
  EXPECT_FALSE(has(oos.str(), "n/a")) << oos.str();
}

// Rates whose events were not recorded (a Kineto trace: no switches, no IRQs) read "not recorded",
// so they have no n/a reason, as docs/sched.md says (review EZ L1: "no launch calls" was set beside
// "not recorded" cells). With either recorded the reason stands.
TEST(CompareNa, RatesNotRecordedHaveNoUndefinedReason) {
  SchedAnalysis a;
  a.launches = 0, a.switches_recorded = false, a.irqs_recorded = false;
  const json saved = {{"launches", 0}, {"wall_ns", 1000}, {"sched_per_1k", nullptr},
                      {"switches_recorded", false}, {"irqs_recorded", false}};
  for (const ScenarioMetrics& m : {scenario_from_analysis(a, "kin0", "k.json"), scenario_from_json(saved, "kin0", "k.json")}) {
    EXPECT_EQ(m.rates_undefined_reason, "") << m.source;
    const json j = comparison_json(compare_scenarios({base(), m}));
    EXPECT_TRUE(j["scenarios"][1]["rates_undefined_reason"].is_null()) << j["scenarios"][1];
    for (const auto& n : j["notes"]) EXPECT_FALSE(has(n.get<std::string>(), "kin0 rates per 1000 launches")) << n;
  }
  a.irqs_recorded = true;
  EXPECT_EQ(scenario_from_analysis(a, "irq0", "i.itrace").rates_undefined_reason, "no launch calls");
  json with_irqs = saved;
  with_irqs["irqs_recorded"] = true;
  EXPECT_EQ(scenario_from_json(with_irqs, "irq0", "i.json").rates_undefined_reason, "no launch calls");
}

// The launching thread's whole wall left out for loss (its off-CPU intervals meeting loss spans):
// `sched` prints its share as "-" over "wall less left-out time"; compare's reason says so in those
// words, from the analysis and from its saved JSON alike (review EZ L2).
TEST(CompareNa, AnOffCpuShareWithAllItsWallLeftOutSaysSo) {
  const std::string reason = "no wall time less left-out time";
  SchedAnalysis a;
  a.launches = 10, a.wall = 5'000, a.main_tid = 101, a.loss = true;
  a.main_offcpu = 5'000, a.main_offcpu_left_out = a.wall;
  ASSERT_EQ(main_offcpu_wall(a), 0);
  const ScenarioMetrics fresh = scenario_from_analysis(a, "lost", "l.itrace");
  EXPECT_FALSE(fresh.offcpu_share.has_value());
  EXPECT_EQ(fresh.offcpu_undefined_reason, reason);
  const json saved = {{"launches", 10}, {"wall_ns", a.wall}, {"sched_per_1k", 0.0},
                      {"main_thread", {{"tid", 101}, {"offcpu_share", nullptr}, {"offcpu_left_out_ns", a.wall}}}};
  EXPECT_EQ(scenario_from_json(saved, "lost", "l.json").offcpu_undefined_reason, reason);
  // One ns of wall left: the share is defined, no reason.
  a.main_offcpu_left_out = a.wall - 1;
  EXPECT_EQ(scenario_from_analysis(a, "lost", "l.itrace").offcpu_undefined_reason, "");
  const std::string page = html_text::doc_page(comparison_json(compare_scenarios({base(), fresh})));
  EXPECT_TRUE(has(page, "n/a (" + reason + ")")) << page;
}

}  // namespace
}  // namespace infertrace
