// Scenario comparison: slowdown, Sched/1K increase and the basis choice, worked out by hand; and the
// round trip through a saved scheduler analysis JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "analysis/compare.h"
#include "report/compare_render.h"
#include "html_text.h"
#include "json_labels.h"
#include "util/error.h"

namespace infertrace {
namespace {

ScenarioMetrics scenario(const char* name, int64_t launches, ns_t wall, double sched) {
  ScenarioMetrics m;
  m.name = name, m.launches = launches, m.wall = wall, m.sched_per_1k = sched;
  return m;
}

TEST(Compare, SlowdownFromLaunchRateWithoutThroughput) {
  // Baseline: 1000 launches in 1 s (1000/s). cpu: 1000 launches in 1.25 s (800/s) -> 20% slower.
  const Comparison c = compare_scenarios({scenario("baseline", 1000, 1'000'000'000, 10.0),
                                          scenario("cpu", 1000, 1'250'000'000, 35.0)});
  EXPECT_EQ(c.basis, "launch_rate");
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(*c.rows[0].rate, 1000.0);
  EXPECT_DOUBLE_EQ(*c.rows[0].slowdown_pct, 0.0);
  EXPECT_DOUBLE_EQ(*c.rows[1].rate, 800.0);
  EXPECT_DOUBLE_EQ(*c.rows[1].slowdown_pct, 20.0);
  EXPECT_DOUBLE_EQ(*c.rows[1].sched_increase, 3.5);
  EXPECT_EQ(c.rows[1].verdict, "20.0% slower");
}

// A scenario whose recording did not measure its launch calls has no launch rate, and the measured
// scenarios keep theirs: 1000/s and 800/s here (review AR, L5); the verdicts say which lack one.
TEST(Compare, UnmeasuredScenarioKeepsTheMeasuredLaunchRates) {
  auto nl = scenario("no_launch", 0, 1'000'000'000, 0.0);
  nl.launches_measured = false;
  const Comparison c = compare_scenarios({scenario("baseline", 1000, 1'000'000'000, 10.0), nl,
                                          scenario("cpu", 1000, 1'250'000'000, 35.0)});
  EXPECT_EQ(c.basis, "launch_rate");
  EXPECT_DOUBLE_EQ(*c.rows[0].rate, 1000.0);
  EXPECT_FALSE(c.rows[1].rate);
  EXPECT_FALSE(c.rows[1].slowdown_pct);
  EXPECT_DOUBLE_EQ(*c.rows[2].slowdown_pct, 20.0);
  EXPECT_EQ(c.rows[0].verdict, "baseline");
  EXPECT_EQ(c.rows[1].verdict, "launch calls not measured in its recording (no launch rate)");
  EXPECT_EQ(c.rows[2].verdict, "20.0% slower");
  EXPECT_EQ(c.rate_not_measured, std::vector<std::string>{"no_launch"});
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("1000.0"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("no launch rate for no_launch: their recordings did not measure launch calls"),
            std::string::npos) << text.str();
  EXPECT_EQ(comparison_json(c)["rate_not_measured"], nlohmann::json::array({"no_launch"}));
  EXPECT_EQ(comparison_json(c)["scenarios"][0]["rate"], 1000.0);
  // The baseline unmeasured: the others keep their rates, with no slowdown to draw.
  const Comparison b = compare_scenarios({nl, scenario("cpu", 1000, 1'250'000'000, 35.0)});
  EXPECT_EQ(b.basis, "launch_rate");
  EXPECT_DOUBLE_EQ(*b.rows[1].rate, 800.0);
  EXPECT_FALSE(b.rows[1].slowdown_pct);
  EXPECT_EQ(b.rows[0].verdict, "baseline; launch calls not measured in its recording (no launch rate)");
  EXPECT_EQ(b.rows[1].verdict, "no launch rate of the baseline to compare (its launch calls were not measured)");
  std::ostringstream b_text;
  print_comparison(b_text, b);
  EXPECT_NE(b_text.str().find("(no slowdown: the baseline has no launch_rate)"), std::string::npos) << b_text.str();
  EXPECT_EQ(b_text.str().find("slowdown from"), std::string::npos) << b_text.str();
  EXPECT_NE(text.str().find("(slowdown from launch_rate)"), std::string::npos) << text.str();
  // Nothing measured, or a measured 0: no basis, as before.
  EXPECT_EQ(compare_scenarios({nl, nl}).basis, "none");
  std::ostringstream none_text;  // (the header said "slowdown from none": audit EW L7)
  print_comparison(none_text, compare_scenarios({nl, nl}));
  EXPECT_NE(none_text.str().find("(no slowdown: no scenario has a launch rate, and not every one has a throughput)"), std::string::npos)
      << none_text.str();
  EXPECT_EQ(none_text.str().find("slowdown from"), std::string::npos) << none_text.str();
  // The report page says it in the same words, as it does for a baseline without a rate (review FC
  // L2: "from nothing (...); the rate column is that figure", and "from launches per second").
  const auto page = [](const Comparison& x) { return html_text::doc_page(comparison_json(x)); };
  const std::string none_page = page(compare_scenarios({nl, nl}));
  EXPECT_NE(none_page.find("No slowdown: no scenario has a launch rate, and not every one has a throughput."), std::string::npos) << none_page;
  EXPECT_EQ(none_page.find("Slowdown against"), std::string::npos) << none_page;
  const std::string b_page = page(b);
  EXPECT_NE(b_page.find("No slowdown: the baseline, " + b.rows.front().m.name + ", has no launch rate."), std::string::npos)
      << b_page;
  EXPECT_NE(page(c).find("Slowdown against"), std::string::npos);
  EXPECT_EQ(compare_scenarios({scenario("zero", 0, 1000, 0.0), nl}).basis, "none");
  EXPECT_TRUE(compare_scenarios({scenario("zero", 0, 1000, 0.0), nl}).rate_not_measured.empty());
}

// A measured scenario without launch calls or wall time (an empty or GPU-only capture) has no launch
// rate of its own, and the others keep theirs and their slowdowns (review SW M1: it made the basis
// "none", and the measured row read "no throughput or launch rate to compare").
TEST(Compare, CaptureWithoutLaunchesKeepsTheOthersSlowdowns) {
  const ns_t base_wall = 1'000'000'000, slow_wall = 1'200'000'000;
  const auto base = scenario("base", 1000, base_wall, 0.0), slow = scenario("slow", 1000, slow_wall, 0.0);
  const auto empty = scenario("empty", 0, 0, 0.0), gpu_only = scenario("gpu_only", 0, 500'000'000, 0.0);
  const auto no_wall = scenario("no_wall", 1, 0, 0.0);
  const Comparison c = compare_scenarios({base, slow, empty, gpu_only, no_wall});
  EXPECT_EQ(c.basis, "launch_rate");
  const double rate_base = 1000 * 1e9 / static_cast<double>(base_wall), rate_slow = 1000 * 1e9 / static_cast<double>(slow_wall);
  const double slowdown = (rate_base - rate_slow) / rate_base * 100.0;
  ASSERT_TRUE(c.rows[1].slowdown_pct);
  EXPECT_NEAR(*c.rows[1].slowdown_pct, slowdown, 1e-9);
  char want[32];
  std::snprintf(want, sizeof want, "%.1f%% slower", slowdown);
  EXPECT_EQ(c.rows[1].verdict, want);
  for (size_t i : {2u, 3u, 4u}) EXPECT_FALSE(c.rows[i].rate) << i;
  EXPECT_EQ(c.rows[2].verdict, "no launch calls in its capture (no launch rate)");
  EXPECT_EQ(c.rows[3].verdict, "no launch calls in its capture (no launch rate)");
  EXPECT_EQ(c.rows[4].verdict, "no wall time in its capture (no launch rate)");
  EXPECT_EQ(c.no_launch_rate, (std::vector<std::string>{"empty", "gpu_only", "no_wall"}));
  EXPECT_TRUE(c.rate_not_measured.empty());
  const nlohmann::json j = comparison_json(c);
  EXPECT_EQ(j["no_launch_rate"], nlohmann::json::array({"empty", "gpu_only", "no_wall"}));
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("(slowdown from launch_rate)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("no launch rate for empty (no launch calls in its capture), gpu_only (no launch calls in its "
                            "capture), no_wall (no wall time in its capture)"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("The other scenarios keep their rates and slowdowns"), std::string::npos) << text.str();

  // The baseline without a rate: the others keep their rates, with no slowdown to draw; its row and
  // theirs say why, and the note says what to do.
  const Comparison b = compare_scenarios({empty, base, slow});
  EXPECT_EQ(b.basis, "launch_rate");
  EXPECT_DOUBLE_EQ(*b.rows[1].rate, rate_base);
  EXPECT_DOUBLE_EQ(*b.rows[2].rate, rate_slow);
  EXPECT_FALSE(b.rows[1].slowdown_pct);
  EXPECT_FALSE(b.rows[2].slowdown_pct);
  EXPECT_EQ(b.rows[0].verdict, "baseline; no launch calls in its capture (no launch rate)");
  EXPECT_EQ(b.rows[1].verdict, "no launch rate of the baseline to compare (no launch calls in its capture)");
  std::ostringstream b_text;
  print_comparison(b_text, b);
  EXPECT_NE(b_text.str().find("(no slowdown: the baseline has no launch_rate)"), std::string::npos) << b_text.str();
  EXPECT_NE(b_text.str().find("Without the baseline's rate no scenario has a slowdown"), std::string::npos) << b_text.str();
  // No scenario with a rate: no basis.
  EXPECT_EQ(compare_scenarios({empty, gpu_only}).basis, "none");
  EXPECT_TRUE(compare_scenarios({empty, gpu_only}).no_launch_rate.empty());
}

TEST(Compare, ThroughputWinsWhenEveryScenarioHasIt) {
  auto a = scenario("baseline", 10, 1000, 0.0), b = scenario("net", 10, 1000, 5.0);
  a.throughput = 50.0, b.throughput = 40.0;
  b.signature = "irq_pressure";
  const Comparison c = compare_scenarios({a, b});
  EXPECT_EQ(c.basis, "throughput");
  EXPECT_DOUBLE_EQ(*c.rows[1].slowdown_pct, 20.0);
  EXPECT_FALSE(c.rows[1].sched_increase);  // baseline Sched/1K is 0: no ratio
  EXPECT_EQ(c.rows[1].verdict, "20.0% slower; IRQ pressure");
}

TEST(Compare, SmallChangesKeepTheSlowdownSign) {
  auto a = scenario("base", 10, 1000, 1.0), b = scenario("slower", 10, 1000, 1.0), c = scenario("same", 10, 1000, 1.0);
  a.throughput = 100.0, b.throughput = 99.0, c.throughput = 100.0;
  const Comparison r = compare_scenarios({a, b, c});
  EXPECT_DOUBLE_EQ(*r.rows[1].slowdown_pct, 1.0);
  EXPECT_EQ(r.rows[1].verdict, "no measurable change (slowdown 1.0%)");
  EXPECT_EQ(r.rows[2].verdict, "no measurable change (slowdown 0.0%)");
}

TEST(Compare, NeedsTwoScenarios) {
  EXPECT_THROW(compare_scenarios({scenario("a", 1, 1, 0)}), Error);
}

TEST(Compare, ReadsSavedAnalysisJsonAndRejectsOthers) {
  const nlohmann::json doc = {{"kind", "sched"},         {"launches", 2000},
                              {"wall_ns", 4'000'000'000}, {"sched_per_1k", 12.5},
                              {"irq_per_1k_hard", 1.0},   {"irq_per_1k_soft", 2.0},
                              {"penalty_ns", {{"overall", 7000}, {"preempted", 9000}, {"blocked", nullptr}}},
                              {"main_thread", {{"offcpu_share", 0.25}}},
                              {"signature", "cpu_contention"}};
  const ScenarioMetrics m = scenario_from_json(doc, "cpu", "cpu.json");
  EXPECT_EQ(m.launches, 2000);
  EXPECT_EQ(m.wall, 4'000'000'000);
  EXPECT_DOUBLE_EQ(m.sched_per_1k.value_or(-1), 12.5);
  ASSERT_TRUE(m.penalty);
  EXPECT_EQ(*m.penalty, 7000);
  EXPECT_DOUBLE_EQ(m.offcpu_share.value_or(-1), 0.25);
  EXPECT_FALSE(m.throughput);
  // Nested under "sched" with a top-level throughput.
  const ScenarioMetrics n = scenario_from_json({{"sched", doc}, {"throughput", 33.0}}, "x", "x.json");
  EXPECT_EQ(n.launches, 2000);
  EXPECT_DOUBLE_EQ(*n.throughput, 33.0);
  try {
    scenario_from_json({{"tklqt_ns", 5}}, "y", "y.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "y.json");
  }
  EXPECT_THROW(scenario_from_json({{"launches", "many"}, {"sched_per_1k", 1}}, "z", "z.json"), InputError);
  // A run without launch calls has no rates per 1000 launches and no main launching thread: null
  // in, "-" / null out, and no Sched/1K increase against it.
  const ScenarioMetrics none = scenario_from_json({{"launches", 0}, {"wall_ns", 1000}, {"sched_per_1k", nullptr},
                                                   {"irq_per_1k_hard", nullptr}, {"irq_per_1k_soft", nullptr},
                                                   {"main_thread", {{"offcpu_share", nullptr}}}},
                                                  "idle", "idle.json");
  EXPECT_FALSE(none.sched_per_1k || none.irq_per_1k_hard || none.irq_per_1k_soft || none.offcpu_share);
  const nlohmann::json jn = comparison_json(compare_scenarios({none, m}));
  EXPECT_TRUE(jn["scenarios"][0]["sched_per_1k"].is_null());
  EXPECT_TRUE(jn["scenarios"][0]["offcpu_share"].is_null());
  EXPECT_TRUE(jn["scenarios"][1]["sched_increase"].is_null());
  EXPECT_THROW(scenario_from_json({{"launches", 1}, {"sched_per_1k", "x"}}, "w", "w.json"), InputError);

  const nlohmann::json j = comparison_json(compare_scenarios({m, scenario("b", 2000, 5'000'000'000, 25.0)}));
  EXPECT_EQ(j["kind"], "compare");
  EXPECT_EQ(j["scenarios"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["scenarios"][1]["slowdown_pct"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(j["scenarios"][1]["sched_increase"].get<double>(), 2.0);
}

// Counts and durations beyond int64_t (a hand-edited or corrupt file) are refused: they were cast
// from double to int64_t, undefined behaviour (UBSan, found by fuzz/fuzz_side_json.cpp). A
// fraction is truncated as before; the largest integers are taken exactly, not through a double.
TEST(Compare, SavedAnalysisCountsOutOfRangeAreInputErrors) {
  const nlohmann::json base = {{"launches", 10}, {"wall_ns", 1000}, {"sched_per_1k", 1.0}};
  auto with = [&](const char* key, nlohmann::json v) {
    nlohmann::json d = base;
    d[key] = std::move(v);
    return d;
  };
  for (const char* key : {"launches", "wall_ns", "penalty_ns"}) {
    for (const nlohmann::json& v : {nlohmann::json(1e300), nlohmann::json(-1e300), nlohmann::json(0x1p63),
                                    nlohmann::json(uint64_t{1} << 63)}) {
      try {
        scenario_from_json(with(key, v), "big", "big.json");
        ADD_FAILURE() << key << " = " << v.dump() << " was taken";
      } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_THROW(scenario_from_json(with("penalty_ns", {{"overall", 1e30}}), "big", "big.json"), InputError);
  EXPECT_EQ(scenario_from_json(with("launches", 12.9), "f", "f.json").launches, 12);
  EXPECT_EQ(scenario_from_json(with("wall_ns", -0x1p63), "f", "f.json").wall, INT64_MIN);
  EXPECT_EQ(scenario_from_json(with("wall_ns", INT64_MAX), "f", "f.json").wall, INT64_MAX);
  EXPECT_EQ(*scenario_from_json(with("penalty_ns", {{"overall", INT64_MAX - 1}}), "f", "f.json").penalty, INT64_MAX - 1);
}

TEST(Compare, TwoPercentIsTheNoiseEdgeBothWays) {
  // Throughputs 100 (baseline), 98 and 102: slowdowns (100 - 98) / 100 = 2% and -2%, exactly the
  // noise edge, which counts as a change; 99.5 (0.5%) does not.
  auto a = scenario("base", 10, 1000, 1.0), b = scenario("slow", 10, 1000, 1.0), c = scenario("fast", 10, 1000, 1.0),
       d = scenario("near", 10, 1000, 1.0);
  a.throughput = 100.0, b.throughput = 98.0, c.throughput = 102.0, d.throughput = 99.5;
  const Comparison r = compare_scenarios({a, b, c, d});
  EXPECT_EQ(r.rows[1].verdict, "2.0% slower");
  EXPECT_EQ(r.rows[2].verdict, "2.0% faster");
  EXPECT_EQ(r.rows[3].verdict, "no measurable change (slowdown 0.5%)");
}

TEST(Compare, ATinySpeedUpIsNoChangeWithoutAMinusSign) {
  // 100 vs 100.01: slowdown -0.01%, which "%.1f" would print as "-0.0".
  auto a = scenario("base", 10, 1000, 1.0), b = scenario("same", 10, 1000, 1.0);
  a.throughput = 100.0, b.throughput = 100.01;
  const Comparison r = compare_scenarios({a, b});
  EXPECT_LT(*r.rows[1].slowdown_pct, 0.0);
  EXPECT_EQ(r.rows[1].verdict, "no measurable change (slowdown 0.0%)");
}

TEST(Compare, OnlyAnOsSignatureIsAppendedToTheVerdict) {
  // 1000 launches in 1 s vs 1.25 s: 20% slower. "clean" and "no_os_events" say nothing about the
  // OS and are left out; "cpu_contention" is appended.
  auto a = scenario("base", 1000, 1'000'000'000, 1.0);
  auto b = scenario("clean", 1000, 1'250'000'000, 1.0), c = scenario("quiet", 1000, 1'250'000'000, 1.0),
       d = scenario("busy", 1000, 1'250'000'000, 1.0);
  b.signature = "clean", c.signature = "no_os_events", d.signature = "cpu_contention";
  const Comparison r = compare_scenarios({a, b, c, d});
  EXPECT_EQ(r.rows[1].verdict, "20.0% slower");
  EXPECT_EQ(r.rows[2].verdict, "20.0% slower");
  EXPECT_EQ(r.rows[3].verdict, "20.0% slower; CPU contention");
}

TEST(Compare, SavedJsonThroughputAndPenaltyForms) {
  const nlohmann::json sched = {{"launches", 10}, {"wall_ns", 1000}, {"sched_per_1k", 1.0}, {"throughput", 7.5}};
  // A throughput inside the nested "sched" object counts as one at the top level does.
  EXPECT_DOUBLE_EQ(scenario_from_json({{"sched", sched}}, "n", "n.json").throughput.value_or(-1), 7.5);
  // A throughput of 0 (or below) is refused: it cannot divide a slowdown.
  nlohmann::json zero = sched;
  zero["throughput"] = 0;
  EXPECT_THROW(scenario_from_json(zero, "z", "z.json"), InputError);
  zero["throughput"] = -3;
  EXPECT_THROW(scenario_from_json(zero, "z", "z.json"), InputError);
  // penalty_ns as a plain number (not the {"overall": ...} object) is the overall penalty.
  nlohmann::json plain = sched;
  plain["penalty_ns"] = 5000;
  EXPECT_EQ(scenario_from_json(plain, "p", "p.json").penalty.value_or(-1), 5000);
}

// The report's label list (comparison_scenario_columns) names exactly the keys comparison_json
// writes in a scenario row, each with its own label.
// Launch rate is throughput only for one workload (review UX M3: gpt2 prefill's 247 launches in
// 22.4 ms against nullkernel_2000's 2000 in 27.2 ms read "567.4% faster"). Counts more than 5%
// apart in walls more than 5% apart: different work, no slowdown, the verdict and a note say why.
TEST(Compare, LaunchCountsOfDifferentWorkGiveNoSlowdown) {
  const Comparison c = compare_scenarios({scenario("gpt2", 247, 22'411'000, 1.0), scenario("null", 2000, 27'193'000, 1.0)});
  ASSERT_EQ(c.basis, "launch_rate");
  EXPECT_EQ(c.rows[0].launch_count_mismatch, "");
  EXPECT_EQ(c.rows[1].launch_count_mismatch, "different_work");
  ASSERT_TRUE(c.rows[1].rate.has_value());  // the rate is a fact and stays
  EXPECT_NEAR(*c.rows[1].rate, 2000 / 0.027193, 1e-6);
  EXPECT_FALSE(c.rows[1].slowdown_pct.has_value());
  EXPECT_EQ(c.rows[1].verdict.rfind("no verdict: 2000 launches against the baseline's 247", 0), 0u) << c.rows[1].verdict;
  EXPECT_EQ(c.rows[1].verdict.find("faster"), std::string::npos) << c.rows[1].verdict;
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_EQ(text.str().find("faster"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("launches/s: null launched more than 5% more or fewer times than the baseline (247)"),
            std::string::npos) << text.str();
  const nlohmann::json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][1]["launch_count_mismatch"], "different_work");
  EXPECT_TRUE(j["scenarios"][1]["slowdown_pct"].is_null());
  EXPECT_TRUE(j["scenarios"][0]["launch_count_mismatch"].is_null());
  // The other way round too (fewer launches: "slower" is just as wrong).
  const Comparison r = compare_scenarios({scenario("null", 2000, 27'193'000, 1.0), scenario("gpt2", 247, 22'411'000, 1.0)});
  EXPECT_EQ(r.rows[1].launch_count_mismatch, "different_work");
  EXPECT_FALSE(r.rows[1].slowdown_pct.has_value());
}

// Review SW L4: a capture cut short of the same run (counts and walls apart, the same launch shapes)
// gets no slowdown but is not told it "ran different work": the shapes match and the amount differs.
TEST(Compare, TruncatedCaptureOfTheSameWorkIsNotCalledDifferentWork) {
  const auto mix = [](std::vector<std::pair<size_t, int64_t>> counts) {
    LaunchMix m;
    m.basis = "kernel_shapes";
    for (const auto& [bucket, n] : counts) m.buckets[bucket] = n, m.launches += n;
    return m;
  };
  ScenarioMetrics full = scenario("full", 259, 25'305'758, 0.0), half = scenario("half", 137, 12'716'630, 0.0);
  ScenarioMetrics other = scenario("other", 137, 12'716'630, 0.0);
  full.launch_mix = mix({{1, 120}, {2, 100}, {3, 39}});
  half.launch_mix = mix({{1, 65}, {2, 52}, {3, 20}});
  other.launch_mix = mix({{7, 100}, {8, 37}});
  // The share in common, by hand: the smaller of the two shares per shape, summed.
  const double sim = std::min(120.0 / 259, 65.0 / 137) + std::min(100.0 / 259, 52.0 / 137) + std::min(39.0 / 259, 20.0 / 137);
  ASSERT_GE(sim, kLaunchMixMinSimilarity);
  const Comparison c = compare_scenarios({full, half, other});
  ASSERT_EQ(c.basis, "launch_rate");
  EXPECT_EQ(c.rows[1].launch_count_mismatch, "different_work");
  ASSERT_TRUE(c.rows[1].launch_mix_similarity);
  EXPECT_NEAR(*c.rows[1].launch_mix_similarity, sim, 1e-12);
  EXPECT_FALSE(c.rows[1].slowdown_pct);
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.0f%%", sim * 100.0);
  EXPECT_EQ(c.rows[1].verdict.rfind("no verdict: 137 launches against the baseline's 259 in another wall time; " +
                                        std::string(pct) + " of its launches match the baseline's by kernel name, grid "
                                        "and block, so the shapes match and the amount differs",
                                    0),
            0u)
      << c.rows[1].verdict;
  EXPECT_EQ(c.rows[1].verdict.find("different work"), std::string::npos) << c.rows[1].verdict;
  // Other shapes as well: different work, as before.
  EXPECT_EQ(c.rows[2].launch_count_mismatch, "different_work");
  EXPECT_NE(c.rows[2].verdict.find("so they ran different work"), std::string::npos) << c.rows[2].verdict;
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("launches/s: half launched more than 5% more or fewer times than the baseline (259) in a wall "
                            "time more than 5% apart, with the baseline's launch shapes"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("launches/s: other launched more than 5% more or fewer times than the baseline (259) in a "
                            "wall time more than 5% apart: different work"),
            std::string::npos)
      << text.str();
}

TEST(Compare, LaunchCountsApartOverOneWallKeepTheSlowdownAndSaySo) {
  // A fixed-time run: 1000 and 800 launches, each in 1 s (walls 2% apart): the count is the work done.
  const Comparison c = compare_scenarios({scenario("base", 1000, 1'000'000'000, 1.0), scenario("cpu", 800, 1'020'000'000, 1.0)});
  EXPECT_EQ(c.rows[1].launch_count_mismatch, "same_wall");
  ASSERT_TRUE(c.rows[1].slowdown_pct.has_value());
  EXPECT_NEAR(*c.rows[1].slowdown_pct, (1000.0 - 800 / 1.02) / 1000.0 * 100.0, 1e-9);
  EXPECT_NE(c.rows[1].verdict.find("% slower; 800 launches against the baseline's 1000 in about the same wall time: a "
                                   "slowdown only if both ran one workload for a fixed time"),
            std::string::npos) << c.rows[1].verdict;
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("launches/s: cpu launched more than 5% more or fewer times than the baseline (1000) in about "
                            "the same wall time"), std::string::npos) << text.str();
  EXPECT_EQ(comparison_json(c)["scenarios"][1]["launch_count_mismatch"], "same_wall");
}

TEST(Compare, LaunchCountsWithinTheToleranceOrTheLossCompareAsBefore) {
  // 960 against 1000 launches (4% apart) in 1.2 s against 1 s: one workload, a slowdown as before.
  const Comparison c = compare_scenarios({scenario("base", 1000, 1'000'000'000, 1.0), scenario("slow", 960, 1'200'000'000, 1.0)});
  EXPECT_EQ(c.rows[1].launch_count_mismatch, "");
  ASSERT_TRUE(c.rows[1].slowdown_pct.has_value());
  EXPECT_EQ(c.rows[1].verdict, "20.0% slower");
  // 900 recorded and up to 100 lost: the true count may be the baseline's, so no mismatch.
  ScenarioMetrics lossy = scenario("lossy", 900, 1'250'000'000, 1.0);
  lossy.launch_records_lost = 100;
  EXPECT_EQ(compare_scenarios({scenario("base", 1000, 1'000'000'000, 1.0), lossy}).rows[1].launch_count_mismatch, "");
  lossy.launch_records_lost = 40;  // at most 940: 6% below
  EXPECT_EQ(compare_scenarios({scenario("base", 1000, 1'000'000'000, 1.0), lossy}).rows[1].launch_count_mismatch,
            "different_work");
  // CUPTI refused launch callbacks: any number more may have run, so no lower count is apart.
  lossy.launch_records_lost = 0, lossy.launch_partial_note = "launch figures are partial";
  EXPECT_EQ(compare_scenarios({scenario("base", 1000, 1'000'000'000, 1.0), lossy}).rows[1].launch_count_mismatch, "");
  // A throughput basis does not look at launch counts.
  ScenarioMetrics a = scenario("a", 247, 22'411'000, 1.0), b = scenario("b", 2000, 27'193'000, 1.0);
  a.throughput = 10.0, b.throughput = 5.0;
  const Comparison t = compare_scenarios({a, b});
  ASSERT_EQ(t.basis, "throughput");
  EXPECT_EQ(t.rows[1].launch_count_mismatch, "");
  EXPECT_EQ(t.rows[1].verdict, "50.0% slower");
}

TEST(Compare, EveryScenarioKeyHasOneReportLabel) {
  const Comparison c = compare_scenarios({scenario("baseline", 1000, 1'000'000'000, 10.0), scenario("cpu", 1000, 1'250'000'000, 35.0)});
  const nlohmann::json j = comparison_json(c);
  EXPECT_EQ(label_check::row_keys(j["scenarios"]), label_check::column_keys(comparison_scenario_columns()));
  EXPECT_EQ(label_check::distinct_labels(comparison_scenario_columns()), comparison_scenario_columns().size());
}

}  // namespace
}  // namespace infertrace
