// bench interference's per-scenario count of events the recorders lost (bench/interference_summary.h,
// docs/sched.md): summed over the analysed runs, in the table, the scenario line and the JSON.
#include <gtest/gtest.h>

#include <sstream>

#include "bench/interference_summary.h"
#include "html_text.h"

namespace infertrace::bench {
namespace {

using html_text::has;

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

// The CUPTI ring's unpublished slots (a process killed mid-write) bound the records lost: kept out of
// the exact `lost_events`, summed apart, and the table's "lost" cell is then "<=" the exact count
// plus the slots, with the scenario's line saying why; without slots the cell is the exact count.
TEST(InterferenceLost, UnpublishedSlotsMakeTheLostCellAnUpperBound) {
  const auto with_slots = [](std::optional<int64_t> lost, std::optional<int64_t> slots) {
    RunResult r = recorded_run(2.0, lost);
    r.unpublished_slots = slots;
    return r;
  };
  std::vector<ScenarioResult> res(2);
  res[0].name = "baseline", res[0].runs = {with_slots(0, 0), with_slots(3, 0)};
  // cpu: 5 exact and 8 slots in one run, 4 slots in another, a third not analysed.
  res[1].name = "cpu", res[1].runs = {with_slots(5, 8), with_slots(0, 4), with_slots(std::nullopt, std::nullopt)};
  const std::vector<std::vector<std::optional<ScenarioMetrics>>> sched = {{analysed("baseline"), analysed("baseline")},
                                                                          {analysed("cpu"), analysed("cpu"), std::nullopt}};
  const std::vector<ScenarioSummary> s = summarize_interference(res, sched, false);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].unpublished_slots, std::optional<int64_t>(0));
  EXPECT_EQ(s[0].runs_with_unpublished_slots, 0);
  EXPECT_EQ(s[1].lost_events, std::optional<int64_t>(5));
  EXPECT_EQ(s[1].unpublished_slots, std::optional<int64_t>(8 + 4));
  EXPECT_EQ(s[1].runs_with_unpublished_slots, 2);
  EXPECT_EQ(lost_cell(s[0]), "3");
  EXPECT_EQ(lost_cell(s[1]), "<=" + std::to_string(5 + 8 + 4));

  std::ostringstream text;
  print_interference(text, s, false);
  const std::string t = text.str();
  EXPECT_NE(t.find(" <=" + std::to_string(5 + 8 + 4) + "\n"), std::string::npos) << t;  // the last column
  EXPECT_NE(t.find("the recorder lost 5 events in 1 of 2 analysed runs"), std::string::npos) << t;
  EXPECT_NE(t.find("; up to " + std::to_string(8 + 4) + " CUPTI records unread in 2 of 2 analysed runs (a process was "
                   "killed mid-write"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("up to 0"), std::string::npos) << t;  // the baseline: no slots, nothing said

  InterferenceOptions o;
  const nlohmann::json j = interference_json(o, res, s);
  EXPECT_EQ(j["scenarios"][1]["lost_events"], 5);  // the exact part, as before
  EXPECT_EQ(j["scenarios"][1]["unpublished_slots"], 8 + 4);
  EXPECT_EQ(j["scenarios"][1]["runs_with_unpublished_slots"], 2);
  EXPECT_EQ(j["scenarios"][1]["runs"][0]["unpublished_slots"], 8);
  EXPECT_TRUE(j["scenarios"][1]["runs"][2]["unpublished_slots"].is_null());

  // The report page: the cell "≤ " the same sum, and a note saying why (the document has no notes).
  const std::string page = html_text::doc_page(j);
  EXPECT_TRUE(has(page, "≤ " + std::to_string(5 + 8 + 4))) << page;
  EXPECT_TRUE(has(page, "Events the recorder lost ≤: an upper bound where a process was killed while writing its CUPTI "
                        "records"))
      << page;
  const std::string clean_page = html_text::doc_page(interference_json(o, {res[0]}, {s[0]}));
  EXPECT_FALSE(has(clean_page, "≤")) << clean_page;
  EXPECT_FALSE(has(clean_page, "Events the recorder lost ≤")) << clean_page;

  // No analysed recording: "-", slots or not.
  ScenarioSummary none;
  EXPECT_EQ(lost_cell(none), "-");
}

}  // namespace
}  // namespace infertrace::bench
