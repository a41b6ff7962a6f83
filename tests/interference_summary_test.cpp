// bench interference's per-scenario summary (bench/interference_summary.h): median, min/max and
// spread of the usable runs, which scenario is the baseline, and the verdict against the
// run-to-run spread. Expected values worked out by hand in the comments.
#include <gtest/gtest.h>

#include <sstream>

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
  // cpu runs 1 and 1.5: every run below every baseline run, 2.5 - 1.25 = 50% slower, apart.
  const auto a = summarize_interference({with_metrics("baseline", {2, 3}), with_metrics("cpu", {1, 1.5})}, {}, true);
  EXPECT_EQ(a[1].verdict, "50.0% slower, beyond the run-to-run spread");
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

}  // namespace
}  // namespace infertrace::bench
