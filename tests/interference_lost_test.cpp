// bench interference's per-scenario count of events the recorders lost (bench/interference_summary.h,
// docs/sched.md): summed over the analysed runs, in the table, the scenario line and the JSON.
#include <gtest/gtest.h>

#include <sstream>

#include "bench/interference_summary.h"

namespace infertrace::bench {
namespace {

RunResult recorded_run(double wall_s, std::optional<int64_t> lost) {
  RunResult r;
  r.wall_s = wall_s;
  r.recording = "run.itrace";
  r.lost_events = lost;
  return r;
}

ScenarioMetrics analysed(const std::string& name) {
  ScenarioMetrics m;
  m.name = name;
  return m;
}

TEST(InterferenceLost, PerScenarioCountTextAndJson) {
  // baseline: two recordings, nothing lost. cpu: three runs, two of them lossy (5 + 7 = 12); the
  // third's recording could not be analysed (no count, no metrics). unrecorded: run without record.
  std::vector<ScenarioResult> res(3);
  res[0].name = "baseline", res[0].runs = {recorded_run(1.0, 0), recorded_run(1.0, 0)};
  res[1].name = "cpu", res[1].runs = {recorded_run(2.0, 5), recorded_run(2.0, 7), recorded_run(2.0, std::nullopt)};
  res[2].name = "unrecorded";
  RunResult plain;
  plain.wall_s = 1.0;
  res[2].runs = {plain};
  const std::vector<std::vector<std::optional<ScenarioMetrics>>> sched = {
      {analysed("baseline"), analysed("baseline")}, {analysed("cpu"), analysed("cpu"), std::nullopt}, {std::nullopt}};

  const std::vector<ScenarioSummary> s = summarize_interference(res, sched, false);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].lost_events, std::optional<int64_t>(0));
  EXPECT_EQ(s[0].runs_with_lost_events, 0);
  EXPECT_EQ(s[1].lost_events, std::optional<int64_t>(12));
  EXPECT_EQ(s[1].runs_with_lost_events, 2);
  EXPECT_EQ(s[1].analysed, 2);
  EXPECT_FALSE(s[2].lost_events.has_value());

  std::ostringstream text;
  print_interference(text, s, false);
  EXPECT_NE(text.str().find("lost"), std::string::npos);
  EXPECT_NE(text.str().find("the recorder lost 12 events in 2 of 2 analysed runs"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("the recorder lost 0"), std::string::npos) << text.str();
  {  // one event lost, in one run: both in the singular
    std::vector<ScenarioResult> one(1);
    one[0].name = "cpu", one[0].runs = {recorded_run(2.0, 1)};
    const std::vector<ScenarioSummary> s1 = summarize_interference(one, {{analysed("cpu")}}, false);
    std::ostringstream t1;
    print_interference(t1, s1, false);
    EXPECT_NE(t1.str().find("the recorder lost 1 event in 1 of 1 analysed run:"), std::string::npos) << t1.str();
  }

  InterferenceOptions o;
  const nlohmann::json j = interference_json(o, res, s);
  EXPECT_EQ(j["scenarios"][0]["lost_events"], 0);
  EXPECT_EQ(j["scenarios"][1]["lost_events"], 12);
  EXPECT_EQ(j["scenarios"][1]["runs_with_lost_events"], 2);
  EXPECT_EQ(j["scenarios"][1]["runs"][1]["lost_events"], 7);
  EXPECT_TRUE(j["scenarios"][1]["runs"][2]["lost_events"].is_null());
  EXPECT_TRUE(j["scenarios"][2]["lost_events"].is_null());
}

}  // namespace
}  // namespace infertrace::bench
