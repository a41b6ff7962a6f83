// bench interference's per-scenario summary (bench/interference_summary.h): median, min/max and
// spread of the usable runs, which scenario is the baseline, and the verdict against the
// run-to-run spread. Expected values worked out by hand in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "bench/interference_summary.h"

namespace infertrace::bench {
namespace {

// A scenario whose runs printed these metrics (--metric-regex: the throughput is the metric).
ScenarioResult with_metrics(const std::string& name, std::vector<double> metrics) {
  ScenarioResult r;
  r.name = name;
  for (double m : metrics) {
    RunResult run;
    run.wall_s = 1.0;
    run.metric = m;
    r.runs.push_back(run);
  }
  return r;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(InterferenceSummary, MedianMinMaxAndSpreadOfTheRuns) {
  // Metrics 4, 1, 2 in run order: sorted 1, 2, 4, median 2 (the middle of the run order is 1),
  // min 1, max 4, spread (4 - 1) / 2 = 150% of the median.
  const auto s = summarize_interference({with_metrics("baseline", {4, 1, 2})}, {}, true);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_DOUBLE_EQ(s[0].median.value_or(-1), 2.0);
  EXPECT_DOUBLE_EQ(s[0].min.value_or(-1), 1.0);
  EXPECT_DOUBLE_EQ(s[0].max.value_or(-1), 4.0);
  EXPECT_DOUBLE_EQ(s[0].spread_pct.value_or(-1), 150.0);
  // An even count: 1, 2, 10, 3 sorted is 1, 2, 3, 10, median (2 + 3) / 2 = 2.5 (not 3, not 2).
  const auto e = summarize_interference({with_metrics("baseline", {1, 2, 10, 3})}, {}, true);
  EXPECT_DOUBLE_EQ(e[0].median.value_or(-1), 2.5);
}

TEST(InterferenceSummary, WithoutAMetricThroughputIsRunsPerSecond) {
  // Walls 0.25, 1 and 0.5 s: 4, 1 and 2 runs/s, median 2; the wall median is 0.5 s.
  ScenarioResult r;
  r.name = "baseline";
  for (double w : {0.25, 1.0, 0.5}) {
    RunResult run;
    run.wall_s = w;
    r.runs.push_back(run);
  }
  const auto s = summarize_interference({r}, {}, false);
  EXPECT_DOUBLE_EQ(s[0].median.value_or(-1), 2.0);
  EXPECT_DOUBLE_EQ(s[0].wall_median_s.value_or(-1), 0.5);
}

TEST(InterferenceSummary, FailedRunsAreCountedButNotMeasured) {
  // Three runs, the second failed (its wall of 0.1 s would be 10 runs/s): 2 of 3 usable, median
  // of 1 and 2 runs/s = 1.5.
  ScenarioResult r;
  r.name = "baseline";
  for (double w : {1.0, 0.1, 0.5}) {
    RunResult run;
    run.wall_s = w;
    if (w == 0.1) run.error = "exit 1";
    r.runs.push_back(run);
  }
  const auto s = summarize_interference({r}, {}, false);
  EXPECT_EQ(s[0].runs, 3);
  EXPECT_EQ(s[0].runs_ok, 2);
  EXPECT_DOUBLE_EQ(s[0].median.value_or(-1), 1.5);
  EXPECT_DOUBLE_EQ(s[0].max.value_or(-1), 2.0);
}

TEST(InterferenceSummary, TheScenarioNamedBaselineIsTheBaselineWhereverListed) {
  // cpu (median 1) listed before baseline (median 4): slowdowns against 4, so cpu is
  // (4 - 1) / 4 = 75% slower and the baseline 0%; "baseline" is its verdict.
  const auto s = summarize_interference({with_metrics("cpu", {1, 1}), with_metrics("baseline", {4, 4})}, {}, true);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s[0].slowdown_pct.value_or(-1), 75.0);
  EXPECT_DOUBLE_EQ(s[1].slowdown_pct.value_or(-1), 0.0);
  EXPECT_EQ(s[1].verdict, "baseline");
}

TEST(InterferenceSummary, NoSlowdownWithoutAUsableBaseline) {
  // Without a scenario named baseline, none is taken in its place: "a" (median 4) is not the
  // reference for "net" (median 2), so neither has a slowdown.
  const auto f = summarize_interference({with_metrics("a", {4}), with_metrics("net", {2})}, {}, true);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_FALSE(f[0].slowdown_pct.has_value());
  EXPECT_FALSE(f[1].slowdown_pct.has_value());
  EXPECT_EQ(f[1].verdict, "no baseline to compare with");
  // A baseline whose every run failed is no reference either.
  ScenarioResult failed;
  failed.name = "baseline";
  failed.runs.resize(2);
  failed.runs[0].error = failed.runs[1].error = "exit status 1";
  const auto g = summarize_interference({failed, with_metrics("cpu", {1, 2})}, {}, true);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_FALSE(g[1].slowdown_pct.has_value());
  EXPECT_EQ(g[0].verdict, "baseline (no usable run)");
  EXPECT_EQ(g[1].verdict, "no baseline to compare with");
}

// Review BD L9: without a baseline there is no slowdown, and the table's title does not claim one.
TEST(InterferenceSummary, TitleSaysSlowdownOnlyWithABaseline) {
  std::ostringstream without, with;
  print_interference(without, summarize_interference({with_metrics("cpu", {1, 2})}, {}, true), true);
  EXPECT_EQ(without.str().find("slowdown against the baseline median"), std::string::npos) << without.str();
  EXPECT_NE(without.str().find("no baseline run to compare with"), std::string::npos) << without.str();
  print_interference(with, summarize_interference({with_metrics("baseline", {2, 3}), with_metrics("cpu", {1, 2})}, {}, true),
                     true);
  EXPECT_NE(with.str().find("slowdown against the baseline median"), std::string::npos) << with.str();
}

TEST(InterferenceSummary, RunsThatTouchAreWithinTheSpread) {
  // baseline runs 2 and 3 (median 2.5), cpu runs 1 and 2 (median 1.5): cpu's fastest equals the
  // baseline's slowest, so they are not apart. Slowdown (2.5 - 1.5) / 2.5 = 40%.
  const auto s = summarize_interference({with_metrics("baseline", {2, 3}), with_metrics("cpu", {1, 2})}, {}, true);
  EXPECT_EQ(s[1].verdict, "within the run-to-run spread (40.0% slower by the medians)");
  // cpu runs 1 and 1.5: every run below every baseline run, 2.5 - 1.25 = 50% slower, apart; but 2
  // and 2 runs fall apart 1 time in 3 by chance (1 in C(4, 2) / 2), so it is not called beyond.
  const auto a = summarize_interference({with_metrics("baseline", {2, 3}), with_metrics("cpu", {1, 1.5})}, {}, true);
  EXPECT_EQ(a[1].verdict, "50.0% slower by the medians; no run overlaps the baseline's, but with 2 and 2 runs that "
                          "happens 1 time in 3 by chance: too few runs to tell (4 usable runs of each, -r 4, would tell)");
}

// The share of the equally likely orders of r1 runs labelled 0 and r2 labelled 1 (distinct values,
// no effect: every order of the labels as likely) in which the two sides do not interleave at all,
// by enumerating the orders.
std::pair<long, long> apart_orders(int r1, int r2) {
  std::vector<int> labels(static_cast<size_t>(r1), 0);
  labels.insert(labels.end(), static_cast<size_t>(r2), 1);
  long all = 0, apart = 0;
  do {
    ++all;
    apart += std::is_sorted(labels.begin(), labels.end()) || std::is_sorted(labels.rbegin(), labels.rend());
  } while (std::next_permutation(labels.begin(), labels.end()));
  return {apart, all};
}

std::vector<double> spaced(double from, int n) {
  std::vector<double> v;
  for (int k = 0; k < n; ++k) v.push_back(from + 0.1 * k);
  return v;
}

// Review BX M1: runs apart were called "beyond the run-to-run spread" whatever the run counts; with no
// effect 2 and 2 runs fall apart 1 time in 3, 3 and 3 1 time in 10. Beyond only at a chance of 5% or
// less; otherwise the verdict says how often it happens by chance and how many runs would tell.
TEST(InterferenceSummary, RunsApartAreBeyondTheSpreadOnlyWhenUnlikelyByChance) {
  // The smallest equal run count whose chance is at most 5%, by enumeration.
  int tell = 2;
  for (;; ++tell) {
    const auto [apart, all] = apart_orders(tell, tell);
    if (static_cast<double>(apart) / static_cast<double>(all) <= 0.05) break;
  }
  EXPECT_EQ(tell, 4);
  for (const auto& [r_cpu, r_base] : std::vector<std::pair<int, int>>{{2, 2}, {3, 3}, {4, 4}, {3, 5}, {6, 2}, {2, 3}}) {
    const auto [apart, all] = apart_orders(r_cpu, r_base);
    ASSERT_EQ(all % apart, 0) << all;
    const long one_in = all / apart;
    const bool beyond = static_cast<double>(apart) / static_cast<double>(all) <= 0.05;
    EXPECT_NEAR(no_overlap_chance(r_cpu, r_base), static_cast<double>(apart) / static_cast<double>(all), 1e-12);
    // Baseline runs around 10, cpu runs around 5: apart, 50% slower by the medians (to a run's 0.1).
    const auto s = summarize_interference({with_metrics("baseline", spaced(10, r_base)), with_metrics("cpu", spaced(5, r_cpu))},
                                          {}, true);
    const std::string v = s[1].verdict;
    const std::string counts = std::to_string(r_cpu) + " and " + std::to_string(r_base) + " runs";
    EXPECT_NE(v.find("1 time in " + std::to_string(one_in) + " by chance"), std::string::npos) << v;
    EXPECT_NE(v.find(counts), std::string::npos) << v;
    EXPECT_EQ(v.find("beyond the run-to-run spread") != std::string::npos, beyond) << v;
    EXPECT_EQ(v.find("too few runs to tell (" + std::to_string(tell) + " usable runs of each, -r " + std::to_string(tell)) !=
                  std::string::npos,
              !beyond)
        << v;
    // The same runs the other way round (the scenario faster): the same chance.
    const auto f = summarize_interference({with_metrics("baseline", spaced(5, r_base)), with_metrics("cpu", spaced(10, r_cpu))},
                                          {}, true);
    EXPECT_EQ(f[1].verdict.find("beyond the run-to-run spread") != std::string::npos, beyond) << f[1].verdict;
    EXPECT_NE(f[1].verdict.find("faster"), std::string::npos) << f[1].verdict;
  }
}

TEST(InterferenceSummary, SkippedScenarioIsOneRowWithItsReason) {
  ScenarioResult skipped;
  skipped.name = "diskless", skipped.skip_reason = "fio not installed";
  const auto s = summarize_interference({with_metrics("baseline", {1}), skipped}, {}, true);
  std::ostringstream text;
  print_interference(text, s, true);
  EXPECT_EQ(count_of(text.str(), "diskless"), 1u) << text.str();
  EXPECT_EQ(count_of(text.str(), "skipped: fio not installed"), 1u) << text.str();
}

// Review BI L2: a scenario without a usable run has no wall time ("-", null), not 0.
TEST(InterferenceSummary, NoUsableRunHasNoWallTime) {
  ScenarioResult failed;
  failed.name = "cpu";
  failed.runs.resize(2);
  failed.runs[0].wall_s = failed.runs[1].wall_s = 0.75;
  failed.runs[0].error = failed.runs[1].error = "exited with status 1";
  const auto s = summarize_interference({with_metrics("baseline", {2, 3}), failed}, {}, true);
  EXPECT_FALSE(s[1].wall_median_s.has_value());
  EXPECT_DOUBLE_EQ(s[0].wall_median_s.value_or(-1), 1.0);  // with_metrics' runs last 1 s
  InterferenceOptions o;
  const auto j = interference_json(o, {with_metrics("baseline", {2, 3}), failed}, s);
  EXPECT_TRUE(j["scenarios"][1]["wall_s"].is_null()) << j["scenarios"][1].dump();
  EXPECT_DOUBLE_EQ(j["scenarios"][0]["wall_s"].get<double>(), 1.0);
  std::ostringstream text;
  print_interference(text, s, true);
  EXPECT_EQ(text.str().find("0 ns"), std::string::npos) << text.str();
}

// Review BI L3: a baseline median of 0 gives no slowdown, and the verdict says so (it said "no usable
// runs" of a scenario with two); a skipped scenario has no verdict, with a baseline as without.
TEST(InterferenceSummary, ZeroBaselineMedianAndSkippedScenarioVerdicts) {
  ScenarioResult skipped;
  skipped.name = "isolated", skipped.skip_reason = "no CPU left for the load outside 0-1";
  const auto s = summarize_interference({with_metrics("baseline", {0, 0}), with_metrics("cpu", {0, 0}), skipped}, {}, true);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].runs_ok, 2);
  EXPECT_FALSE(s[1].slowdown_pct.has_value());
  EXPECT_EQ(s[1].verdict, "no slowdown: the baseline median is 0 (a slowdown is a share of it)");
  EXPECT_EQ(s[2].verdict, "");
  InterferenceOptions o;
  const auto j = interference_json(o, {with_metrics("baseline", {0, 0}), with_metrics("cpu", {0, 0}), skipped}, s);
  EXPECT_TRUE(j["scenarios"][2]["verdict"].is_null()) << j["scenarios"][2].dump();
  std::ostringstream text;
  print_interference(text, s, true);
  EXPECT_EQ(text.str().find("slowdown against the baseline median"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("baseline median not above 0"), std::string::npos) << text.str();
  // With a positive baseline the skipped scenario still has none: (2 - 1) / 2 = 50% for cpu.
  const auto p = summarize_interference({with_metrics("baseline", {2}), with_metrics("cpu", {1}), skipped}, {}, true);
  EXPECT_DOUBLE_EQ(p[1].slowdown_pct.value_or(-1), 50.0);
  EXPECT_EQ(p[2].verdict, "");
}

// Review DJ M2: the built-in loop makes no CUDA launch call, so every analysed run has no Sched/1K,
// IRQ/1K, penalty or off-CPU; the table said "-" with no reason, which only the runs' sched.json
// held. A note under the table now names each column's reason, taken from the runs' analyses.
TEST(InterferenceSummary, DashedSchedulerColumnsSayWhyFromTheRuns) {
  // Reasons as the analysis would give them for a run without launches (set here by hand).
  const auto no_launches = [](const std::string& name) {
    ScenarioMetrics m;
    m.name = name, m.launches = 0;
    m.rates_undefined_reason = "no launch calls";
    m.penalty_undefined_reason = "too few launches (none)";
    m.offcpu_undefined_reason = "no launching thread";
    return std::optional<ScenarioMetrics>(m);
  };
  ScenarioMetrics measured;  // a run with launches: every figure set, nothing to explain
  measured.name = "io", measured.sched_per_1k = 2.0, measured.irq_per_1k_hard = 1.0, measured.irq_per_1k_soft = 1.0;
  measured.penalty = 5000, measured.offcpu_share = 0.1;
  const auto s = summarize_interference({with_metrics("baseline", {2, 2}), with_metrics("cpu", {1, 1}), with_metrics("io", {1})},
                                        {{no_launches("baseline"), no_launches("baseline")}, {no_launches("cpu"), std::nullopt},
                                         {measured}},
                                        true);
  ASSERT_EQ(s.size(), 3u);
  std::ostringstream text;
  print_interference(text, s, true);
  // One line for the two scenarios with the same reasons; Sched/1K, its ratio and IRQ/1K share one.
  EXPECT_EQ(count_of(text.str(), "\"-\" for baseline and cpu: Sched/1K, x base and IRQ/1K (no launch calls); "
                                 "penalty (too few launches (none)); off-CPU (no launching thread)"),
            1u)
      << text.str();
  EXPECT_EQ(count_of(text.str(), "\"-\" for"), 1u) << text.str();  // not for io, whose figures are set
  InterferenceOptions o;
  const auto j = interference_json(o, {with_metrics("baseline", {2, 2}), with_metrics("cpu", {1, 1}), with_metrics("io", {1})}, s);
  // compare --json's keys, which the HTML report shows as "n/a (reason)" in the null cells.
  const auto& b = j["scenarios"][0];
  EXPECT_EQ(b["rates_undefined_reason"], "no launch calls") << b.dump();
  EXPECT_EQ(b["penalty_undefined_reason"], "too few launches (none)") << b.dump();
  EXPECT_EQ(b["offcpu_undefined_reason"], "no launching thread") << b.dump();
  for (const char* k : {"rates_undefined_reason", "penalty_undefined_reason", "offcpu_undefined_reason"})
    EXPECT_TRUE(j["scenarios"][2][k].is_null()) << k << j["scenarios"][2].dump();
  // Without analysed runs (not recorded) there is no reason to give, and no note.
  std::ostringstream unrecorded;
  print_interference(unrecorded, summarize_interference({with_metrics("baseline", {2})}, {}, true), true);
  EXPECT_EQ(unrecorded.str().find("\"-\" for"), std::string::npos) << unrecorded.str();
}

// Review BX L1: "complete" is every planned run made, not "no interrupt came": a Ctrl-C while the
// loads stop after the last run marked a whole matrix partial.
TEST(InterferenceSummary, EveryRunMadeIsTheMatrixNotTheInterrupt) {
  const ScenarioResult base = with_metrics("baseline", {1, 2}), cpu = with_metrics("cpu", {1, 2});
  EXPECT_TRUE(every_run_made({base, cpu}, 2));
  EXPECT_FALSE(every_run_made({base, cpu}, 3));  // a repetition never started
  ScenarioResult cut = cpu;
  cut.runs.back().error = "interrupted";
  cut.runs.back().metric.reset();
  EXPECT_FALSE(every_run_made({base, cut}, 2));
  ScenarioResult failed = cpu;  // a run that failed by itself was still made
  failed.runs.back().error = "exited with status 1: ";
  EXPECT_TRUE(every_run_made({base, failed}, 2));
  ScenarioResult short_one = cpu;
  short_one.runs.pop_back();
  EXPECT_FALSE(every_run_made({base, short_one}, 2));
  ScenarioResult skipped;  // a skipped scenario has no run to make
  skipped.name = "isolated", skipped.skip_reason = "needs root";
  EXPECT_TRUE(every_run_made({base, cpu, skipped}, 2));
}

}  // namespace
}  // namespace infertrace::bench

namespace infertrace::bench {
namespace {

// Review TI L1: the chance was printed %.4g ("1 time in 2.431e+04" at -r 9) and "inf" from -r 511,
// where C(1022, 511) overflows a double. Expected values from Python's math.comb: C(18, 9) = 48620,
// C(7, 3) = 35 (odd), C(40, 20) / 2 = 68,923,264,410; C(1022, 511) / 2 has 306 digits, C(2000, 1000)
// / 2 has 601, C(60, 30) / 2 = 59,132,290,782,430,712 (17 digits, past the exact limit of 10^15).
TEST(InterferenceSummary, ChanceIsPrintedExactlyOrBoundedNeverInf) {
  EXPECT_EQ(chance_words(9, 9), "1 time in 24,310");
  EXPECT_EQ(chance_words(3, 4), "2 times in 35");
  EXPECT_EQ(chance_words(20, 20), "1 time in 68,923,264,410");
  EXPECT_EQ(chance_words(30, 30), "less than 1 time in 10^16");
  EXPECT_EQ(chance_words(511, 511), "less than 1 time in 10^305");
  EXPECT_EQ(chance_words(1000, 1000), "less than 1 time in 10^600");
  const auto s = summarize_interference({with_metrics("baseline", spaced(10, 511)), with_metrics("pinned", spaced(200, 511))},
                                        {}, true);
  EXPECT_NE(s[1].verdict.find("less than 1 time in 10^305 by chance with 511 and 511 runs"), std::string::npos) << s[1].verdict;
  EXPECT_EQ(s[1].verdict.find("inf"), std::string::npos) << s[1].verdict;
  const auto nine = summarize_interference({with_metrics("baseline", spaced(10, 9)), with_metrics("pinned", spaced(20, 9))}, {}, true);
  EXPECT_NE(nine[1].verdict.find("1 time in 24,310 by chance"), std::string::npos) << nine[1].verdict;
}

// Review TI L2: metrics near the double limits gave "-inf%" and "inf% faster" in text while the JSON
// said null, and a median of two 1e308 runs overflowed to inf with min/max printed in 309 digits.
TEST(InterferenceSummary, FiguresBeyondADoubleAreNoneInTextAsInJson) {
  // Baseline 1e-320, pinned 1: (1e-320 - 1) / 1e-320 * 100 overflows: no slowdown, text "-".
  const auto tiny = summarize_interference({with_metrics("baseline", {1e-320, 1e-320}), with_metrics("pinned", {1, 1})}, {}, true);
  EXPECT_FALSE(tiny[1].slowdown_pct.has_value());
  EXPECT_EQ(tiny[1].verdict.find("inf"), std::string::npos) << tiny[1].verdict;
  EXPECT_EQ(tiny[1].verdict.rfind("no slowdown", 0), 0u) << tiny[1].verdict;
  std::ostringstream text;
  print_interference(text, tiny, true);
  EXPECT_EQ(text.str().find("inf"), std::string::npos) << text.str();
  // Two runs of 1e308: the median is 1e308 (by hand: the mean of two equal values), not inf, and the
  // table prints it as 1e+308, not 309 digits.
  const auto huge = summarize_interference({with_metrics("baseline", {2, 2}), with_metrics("pinned", {1e308, 1e308})}, {}, true);
  EXPECT_DOUBLE_EQ(huge[1].median.value_or(0), 1e308);
  EXPECT_DOUBLE_EQ(median_of({1e308, 1.5e308}), 1.25e308);
  std::ostringstream t2;
  print_interference(t2, huge, true);
  EXPECT_EQ(t2.str().find("inf"), std::string::npos) << t2.str();
  EXPECT_NE(t2.str().find("1e+308"), std::string::npos) << t2.str();
  EXPECT_EQ(t2.str().find("00000000000000000000"), std::string::npos) << t2.str();
}

}  // namespace
}  // namespace infertrace::bench
