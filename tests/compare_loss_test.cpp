// compare of a recording whose recorder lost events (audit EE L4): its launch rate counts recorded
// launches over a whole wall time, so it is a lower bound, and a slowdown from it is bounded one way
// (or neither, when both rates are bounds); its rates per 1000 launches lost events on both sides,
// neither bound, as `sched` says. Marked in the text, the JSON and the report page, and read alike
// from a recording's analysis and from its saved `sched --json`.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "analysis/compare.h"
#include "analysis/sched.h"
#include "html_text.h"
#include "compare_scenario.h"
#include "report/compare_render.h"
#include "report/compare_trace.h"
#include "report/html_report.h"
#include "report/sched_render.h"

namespace infertrace {
namespace {

using html_text::has;
using nlohmann::json;

using compare_scenario::fixed1;
using compare_scenario::scenario;

TEST(CompareLoss, ALaunchRateOfALossyRecordingIsALowerBound) {
  // base 1000 launches/s, exact; lossy 900 recorded of at most 1000 (100 records lost): the true
  // slowdown lies in [0%, 10%], so 10% is an upper bound.
  const double base_rate = 1000.0, lossy_rate = 900.0, slowdown = (base_rate - lossy_rate) / base_rate * 100.0;
  const Comparison c = compare_scenarios({scenario("base", 1000, 0), scenario("lossy", 900, 100)});
  ASSERT_EQ(c.basis, "launch_rate");
  EXPECT_FALSE(c.rows[0].rate_lower_bound);
  EXPECT_TRUE(c.rows[1].rate_lower_bound);
  EXPECT_EQ(c.rows[0].slowdown_bound, "");
  EXPECT_EQ(c.rows[1].slowdown_bound, "at_most");
  EXPECT_NE(c.rows[1].verdict.find("its launch rate is a lower bound (the recorder lost 100 records that may be "
                                   "launch calls), so the slowdown is at most this"),
            std::string::npos)
      << c.rows[1].verdict;

  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find(">=" + fixed1(lossy_rate)), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("<=" + fixed1(slowdown) + "%"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find(">=" + fixed1(base_rate)), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("launches/s >=: a lower bound for lossy:"), std::string::npos) << text.str();

  const json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][0]["rate_lower_bound"], false);
  EXPECT_TRUE(j["scenarios"][0]["slowdown_bound"].is_null());
  EXPECT_EQ(j["scenarios"][1]["rate_lower_bound"], true);
  EXPECT_EQ(j["scenarios"][1]["launch_records_lost"], 100);
  EXPECT_EQ(j["scenarios"][1]["slowdown_bound"], "at_most");

  const std::string page = html_text::doc_page(j);
  EXPECT_TRUE(has(page, "≥ " + fixed1(lossy_rate))) << page;
  EXPECT_TRUE(has(page, "≤ " + fixed1(slowdown) + "%")) << page;
  EXPECT_TRUE(has(page, "rate ≥: a lower bound for lossy")) << page;  // the page's marks and column name

  // The baseline lost them: its true rate is higher, so the slowdown is at least this.
  const Comparison r = compare_scenarios({scenario("lossy", 900, 100), scenario("exact", 800, 0)});
  EXPECT_EQ(r.rows[1].slowdown_bound, "at_least");
  EXPECT_NE(r.rows[0].verdict.find("baseline; its launch rate is a lower bound"), std::string::npos) << r.rows[0].verdict;
  std::ostringstream rtext;
  print_comparison(rtext, r);
  EXPECT_NE(rtext.str().find(">=" + fixed1((900.0 - 800.0) / 900.0 * 100.0) + "%"), std::string::npos) << rtext.str();

  // Faster than the baseline: said in the verdict's own words.
  const Comparison f = compare_scenarios({scenario("base", 1000, 0), scenario("lossy", 1200, 100)});
  EXPECT_EQ(f.rows[1].slowdown_bound, "at_most");
  EXPECT_NE(f.rows[1].verdict.find("faster; its launch rate is a lower bound"), std::string::npos) << f.rows[1].verdict;
  EXPECT_NE(f.rows[1].verdict.find("so it is at least this much faster"), std::string::npos) << f.rows[1].verdict;

  // Both did: neither way.
  const Comparison both = compare_scenarios({scenario("a", 900, 100), scenario("b", 800, 5)});
  EXPECT_EQ(both.rows[1].slowdown_bound, "either_way");
  std::ostringstream btext;
  print_comparison(btext, both);
  EXPECT_NE(btext.str().find("~" + fixed1((900.0 - 800.0) / 900.0 * 100.0) + "%"), std::string::npos) << btext.str();

  // A throughput from the workload itself does not count recorded launches: no bound.
  ScenarioMetrics tb = scenario("base", 1000, 0), tl = scenario("lossy", 900, 100);
  tb.throughput = 50.0, tl.throughput = 40.0;
  const Comparison t = compare_scenarios({tb, tl});
  ASSERT_EQ(t.basis, "throughput");
  EXPECT_FALSE(t.rows[1].rate_lower_bound);
  EXPECT_EQ(t.rows[1].slowdown_bound, "");
}

// From a recording with a LOSS record and META dropped.* (the eBPF ring's API events and the CUPTI
// ring's records may be launch calls, switches may not), and from its saved analysis: the same.
TEST(CompareLoss, RecordingAndSavedAnalysisAgree) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched";
  t.meta["dropped.api"] = "30";
  t.meta["dropped.switch"] = "7";
  t.meta["cupti.ring_dropped_records"] = "5";
  LossWindow w;
  w.first = 10, w.last = 20, w.cpu = 0, w.lost = {{"api", 30}, {"switch", 7}};
  t.loss_windows.push_back(w);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_TRUE(a.loss);
  // The path `compare` takes for a recording (review EZ M2: a copy of its loop here tested nothing).
  const ScenarioMetrics from_trace = scenario_from_trace(t, "r", "r.itrace");
  EXPECT_EQ(from_trace.launch_records_lost, 30 + 5);
  EXPECT_TRUE(from_trace.rates_over_loss);
  EXPECT_EQ(from_trace.lost_events, 30 + 7);
  const ScenarioMetrics from_json = scenario_from_json(sched_analysis_json(t, a), "r", "r.json");
  EXPECT_EQ(from_json.launch_records_lost, from_trace.launch_records_lost);
  EXPECT_EQ(from_json.rates_over_loss, true);
  EXPECT_EQ(from_json.lost_events, from_trace.lost_events);

  // Its Sched/1K is marked as sched marks it: lost on both sides, neither bound.
  ScenarioMetrics base = scenario("base", 1000, 0), lossy = from_json;
  lossy.launches = 900, lossy.wall = 1'000'000'000, lossy.sched_per_1k = 12.0;
  const Comparison c = compare_scenarios({base, lossy});
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("recorder loss in r: its Sched/1K and IRQ/1K lost events on both sides, neither bound, as `infertrace sched` says (its loss windows lost records besides launches"), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("neither bound"), std::string::npos) << text.str();
  const json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][1]["rates_over_loss"], true);
  EXPECT_EQ(j["scenarios"][1]["lost_events"], 37);
  EXPECT_EQ(j["scenarios"][0]["rates_over_loss"], false);
  EXPECT_TRUE(has(html_text::doc_page(j), "recorder loss in r")) << html_text::doc_page(j);
}

// Launch callbacks CUPTI refused (LaunchCoverage::partial_note, sched --json `launch_partial_note`):
// the calls of those APIs were never seen, so the launch rate is a lower bound as under loss, with
// no count (review EZ M1: 900 launches read "10.0%" with no mark).
TEST(CompareLoss, ALaunchRateWithRefusedLaunchCallbacksIsALowerBound) {
  const std::string note = "launch figures are partial: they leave out, in pid 7, cudaLaunchKernel";
  SchedAnalysis a;
  a.launches = 900, a.wall = 1'000'000'000, a.launch_partial_note = note;
  const ScenarioMetrics from_analysis = scenario_from_analysis(a, "partial", "p.itrace");
  EXPECT_EQ(from_analysis.launch_partial_note, note);
  const json saved = {{"sched_per_1k", nullptr}, {"launches", 900}, {"wall_ns", 1'000'000'000}, {"launch_partial_note", note}};
  const ScenarioMetrics from_json = scenario_from_json(saved, "partial", "p.json");
  EXPECT_EQ(from_json.launch_partial_note, note);
  EXPECT_EQ(from_json.launch_records_lost, 0);

  const double slowdown = (1000.0 - 900.0) / 1000.0 * 100.0;
  const Comparison c = compare_scenarios({scenario("base", 1000, 0), from_json});
  ASSERT_EQ(c.basis, "launch_rate");
  EXPECT_TRUE(c.rows[1].rate_lower_bound);
  EXPECT_EQ(c.rows[1].slowdown_bound, "at_most");
  EXPECT_NE(c.rows[1].verdict.find("its launch rate is a lower bound (CUPTI refused some launch callbacks"), std::string::npos)
      << c.rows[1].verdict;
  EXPECT_EQ(c.rows[1].verdict.find("records that may be launch calls"), std::string::npos) << c.rows[1].verdict;
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find(">=900.0"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("<=" + fixed1(slowdown) + "%"), std::string::npos) << text.str();
  const json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][1]["rate_lower_bound"], true);
  EXPECT_EQ(j["scenarios"][1]["launch_partial_note"], note);
  EXPECT_TRUE(j["scenarios"][0]["launch_partial_note"].is_null());

  // As the baseline: the row's slowdown is bounded from below, the verdict names the refusal.
  const Comparison b = compare_scenarios({from_json, scenario("other", 800, 0)});
  EXPECT_EQ(b.rows[1].slowdown_bound, "at_least");
  EXPECT_NE(b.rows[0].verdict.find("CUPTI refused some launch callbacks"), std::string::npos) << b.rows[0].verdict;
  EXPECT_NE(b.rows[1].verdict.find("the baseline's launch rate is a lower bound (CUPTI refused"), std::string::npos)
      << b.rows[1].verdict;
}

// The bound is said of the verdict's own word: "faster" outside the noise band, the slowdown inside
// it, where the verdict reads "no measurable change" (review EZ L6), both ways round.
TEST(CompareLoss, TheBoundWordingFollowsTheVerdictsWord) {
  // 1015 recorded against 1000: slowdown -1.5%, inside the +-2% band.
  const Comparison in_band = compare_scenarios({scenario("base", 1000, 0), scenario("row", 1015, 10)});
  ASSERT_EQ(in_band.rows[1].slowdown_bound, "at_most");
  const std::string& v = in_band.rows[1].verdict;
  EXPECT_NE(v.find("no measurable change (slowdown " + fixed1((1000.0 - 1015.0) / 1000.0 * 100.0) + "%)"), std::string::npos) << v;
  EXPECT_NE(v.find("so the slowdown is at most this"), std::string::npos) << v;
  EXPECT_EQ(v.find("faster"), std::string::npos) << v;
  const Comparison base_bound = compare_scenarios({scenario("base", 1000, 10), scenario("row", 1015, 0)});
  ASSERT_EQ(base_bound.rows[1].slowdown_bound, "at_least");
  EXPECT_NE(base_bound.rows[1].verdict.find("so the slowdown is at least this"), std::string::npos) << base_bound.rows[1].verdict;
  EXPECT_EQ(base_bound.rows[1].verdict.find("faster"), std::string::npos) << base_bound.rows[1].verdict;

  // Outside the band (1100 against 1000: 10% faster) the bound is said of "faster": the baseline's
  // bound makes the true slowdown at least -10%, so at most 10% faster.
  const Comparison out = compare_scenarios({scenario("base", 1000, 10), scenario("row", 1100, 0)});
  EXPECT_NE(out.rows[1].verdict.find("10.0% faster"), std::string::npos) << out.rows[1].verdict;
  EXPECT_NE(out.rows[1].verdict.find("so it is at most this much faster"), std::string::npos) << out.rows[1].verdict;
  const Comparison out_row = compare_scenarios({scenario("base", 1000, 0), scenario("row", 1100, 10)});
  EXPECT_NE(out_row.rows[1].verdict.find("so it is at least this much faster"), std::string::npos) << out_row.rows[1].verdict;
}

// The page says what its cells say: the notes in its marks ("≥", "≤", not the terminal's ASCII) and
// the bar chart's tooltip with the slowdown's mark (review EZ L4).
TEST(CompareLoss, ThePageNotesAndTooltipCarryTheMarks) {
  const json j = comparison_json(compare_scenarios({scenario("base", 1000, 0), scenario("lossy", 900, 100)}));
  ASSERT_EQ(j["scenarios"][1]["slowdown_bound"], "at_most");
  const std::string section = html_text::doc_page(j);
  EXPECT_TRUE(has(section, "rate ≥: a lower bound for lossy")) << section;
  EXPECT_TRUE(has(section, "marked ≤ (its rate is the bound), ≥ (the baseline's is)")) << section;
  EXPECT_FALSE(has(section, ">=")) << section;
  EXPECT_FALSE(has(section, "<=")) << section;
  html::ReportInputs in;
  in.docs.push_back({"cmp.json", j});
  const std::string page = html::render_report(in);
  EXPECT_NE(page.find("<title>lossy: ≤ "), std::string::npos) << page;
  EXPECT_EQ(page.find("<title>base: ≤ "), std::string::npos);  // the baseline's bar, if any, is exact
}

}  // namespace
}  // namespace infertrace
