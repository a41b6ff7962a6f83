// Whether a recording's hard IRQs include the x86 system vectors (META irq.system_vectors, since
// 2026-12-03) reaches `sched --json` and `compare`, which says when a scenario and its baseline
// differ: an old recording counts device IRQs only, several times fewer (review DB L5).
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/compare.h"
#include "analysis/sched.h"
#include "report/compare_render.h"
#include "report/sched_render.h"
#include "util/error.h"

namespace infertrace {
namespace {

// A recording of no events whose META says what was asked for; `vectors` null: no
// irq.system_vectors key (a recording from before it existed).
Trace recording(const char* events, const char* vectors) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = events;
  if (vectors) t.meta["irq.system_vectors"] = vectors;
  return t;
}

TEST(CompareIrqSources, SchedSaysWhetherSystemVectorsWereTraced) {
  struct Case {
    const char* events;
    const char* vectors;
    nlohmann::json want;
  };
  for (const Case& c : {Case{"sched,irq", "LOC,RES,CAL", true}, Case{"sched,irq", nullptr, false},
                        Case{"sched,irq", "", false}, Case{"sched", "LOC", nullptr}}) {
    const Trace t = recording(c.events, c.vectors);
    const SchedAnalysis a = analyze_sched(t);
    const nlohmann::json j = sched_analysis_json(t, a);
    ASSERT_TRUE(j.contains("irq_system_vectors"));
    EXPECT_EQ(j["irq_system_vectors"], c.want) << c.events << " / " << (c.vectors ? c.vectors : "(absent)");
    // compare reads the same from the recording and from its saved analysis.
    const ScenarioMetrics from_trace = scenario_from_analysis(a, "r", "r.itrace");
    const ScenarioMetrics from_json = scenario_from_json(j, "r", "r.json");
    EXPECT_EQ(from_trace.irq_system_vectors.has_value(), !c.want.is_null());
    EXPECT_EQ(from_json.irq_system_vectors, from_trace.irq_system_vectors);
    if (!c.want.is_null()) {
      EXPECT_EQ(*from_trace.irq_system_vectors, c.want.get<bool>());
    }
  }
}

ScenarioMetrics scenario(const char* name, std::optional<bool> vectors) {
  ScenarioMetrics m;
  m.name = name, m.launches = 1000, m.wall = 1'000'000'000, m.irq_per_1k_hard = 10.0;
  m.irq_system_vectors = vectors;
  return m;
}

TEST(CompareIrqSources, CompareSaysWhenTheBaselineCountsAnotherKind) {
  // Baseline recorded before system vectors; "new" with them; "old" like the baseline; "saved" an
  // analysis that does not say (no note: unknown is not "different").
  const Comparison c = compare_scenarios(
      {scenario("base", false), scenario("new", true), scenario("old", false), scenario("saved", std::nullopt)});
  ASSERT_EQ(c.rows.size(), 4u);
  EXPECT_EQ(c.rows[0].irq_sources_differ, std::optional<bool>(false));
  EXPECT_EQ(c.rows[1].irq_sources_differ, std::optional<bool>(true));
  EXPECT_EQ(c.rows[2].irq_sources_differ, std::optional<bool>(false));
  // Unknown is neither "different" nor "the same" (review DX M3).
  EXPECT_FALSE(c.rows[3].irq_sources_differ.has_value());
  EXPECT_NE(c.rows[1].verdict.find("hard IRQ/1K not comparable: the x86 system vectors (timer tick, IPIs) were "
                                   "traced in this recording, not in the baseline's"),
            std::string::npos)
      << c.rows[1].verdict;
  for (size_t i : {0, 2, 3}) EXPECT_EQ(c.rows[i].verdict.find("not comparable"), std::string::npos) << c.rows[i].verdict;
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("IRQ/1K hard: the baseline does not count the x86 system vectors"), std::string::npos)
      << text.str();
  const nlohmann::json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][0]["irq_system_vectors"], false);
  EXPECT_EQ(j["scenarios"][1]["irq_system_vectors"], true);
  EXPECT_TRUE(j["scenarios"][3]["irq_system_vectors"].is_null());
  EXPECT_EQ(j["scenarios"][1]["irq_sources_differ"], true);
  EXPECT_EQ(j["scenarios"][2]["irq_sources_differ"], false);
  EXPECT_TRUE(j["scenarios"][3]["irq_sources_differ"].is_null());
  // The text names the scenario whose kind is unknown beside known ones.
  EXPECT_NE(text.str().find("IRQ/1K hard: whether saved counts the x86 system vectors (timer tick, IPIs) is unknown"),
            std::string::npos)
      << text.str();

  // The other way round, and two of one kind: no line.
  const Comparison r = compare_scenarios({scenario("base", true), scenario("old", false)});
  EXPECT_NE(r.rows[1].verdict.find("traced in the baseline's recording, not in this one"), std::string::npos)
      << r.rows[1].verdict;
  // (Both listing the same vectors: two that count them without saying which are of unknown sets,
  // which a line says; AnUnlistedVectorSetIsUnknownNotTheSame.)
  ScenarioMetrics a = scenario("a", true), b = scenario("b", true);
  a.irq_vectors_traced = b.irq_vectors_traced = std::vector<std::string>{"LOC", "RES"};
  std::ostringstream same;
  print_comparison(same, compare_scenarios({a, b}));
  EXPECT_EQ(same.str().find("IRQ/1K hard:"), std::string::npos) << same.str();
  // All unknown (every input saved before the key): nothing known to set them against, no line.
  std::ostringstream all_unknown;
  print_comparison(all_unknown, compare_scenarios({scenario("a", std::nullopt), scenario("b", std::nullopt)}));
  EXPECT_EQ(all_unknown.str().find("IRQ/1K hard:"), std::string::npos) << all_unknown.str();
}

// Both count system vectors, but not the same ones (review DX/EA: both said `true`). The sets come
// from the recordings' META, through sched --json, into compare.
TEST(CompareIrqSources, DifferentVectorSetsAreNotComparable) {
  const auto from = [](const char* name, const char* traced, const char* missing, bool saved) {
    Trace t = recording("sched,irq", traced);
    if (missing) t.meta["irq.system_vectors_missing"] = missing;
    const SchedAnalysis a = analyze_sched(t);
    ScenarioMetrics m = saved ? scenario_from_json(sched_analysis_json(t, a), name, "s.json")
                              : scenario_from_analysis(a, name, "r.itrace");
    m.launches = 1000, m.wall = 1'000'000'000, m.irq_per_1k_hard = 10.0;  // a rate to compare
    return m;
  };
  for (bool saved : {false, true}) {
    const Comparison c = compare_scenarios({from("base", "LOC,RES,CAL", "thermal_apic", saved),
                                            from("same", "LOC,RES,CAL", "thermal_apic", saved),
                                            from("fewer", "LOC,RES", "thermal_apic,call_function,call_function_single", saved),
                                            from("half_cal", "LOC,RES,CAL", "thermal_apic,call_function_single", saved),
                                            from("unsaid", "LOC,RES,CAL", nullptr, saved)});
    const std::vector<std::optional<bool>> want = {false, false, true, true, false};
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(c.rows[i].irq_sources_differ, want[i]) << c.rows[i].m.name << (saved ? " (saved)" : "");
      EXPECT_EQ(c.rows[i].verdict.find("not comparable") != std::string::npos, want[i].value_or(false))
          << c.rows[i].verdict;
    }
    EXPECT_NE(c.rows[2].verdict.find("other x86 system vectors were traced (LOC,RES; not traced: "
                                     "thermal_apic,call_function,call_function_single) than in the baseline's "
                                     "recording (LOC,RES,CAL; not traced: thermal_apic)"),
              std::string::npos)
        << c.rows[2].verdict;
    std::ostringstream text;
    print_comparison(text, c);
    EXPECT_NE(text.str().find("IRQ/1K hard: fewer, half_cal count other x86 system vectors than the baseline"),
              std::string::npos)
        << text.str();
    // Not the device-only line: every scenario counts system vectors.
    EXPECT_EQ(text.str().find("the baseline counts the x86 system vectors"), std::string::npos) << text.str();
    const nlohmann::json j = comparison_json(c);
    EXPECT_EQ(j["scenarios"][2]["irq_system_vectors_traced"], nlohmann::json({"LOC", "RES"}));
    EXPECT_TRUE(j["scenarios"][4]["irq_system_vectors_missing"].is_null());
  }
}

// An analysis saved after irq_system_vectors but before the lists (early 2026-12-03) counts
// vectors without saying which: beside one that lists them its set is unknown, not "the same"
// (review EK M3). A device-only scenario beside it still differs by kind, which both say.
TEST(CompareIrqSources, AnUnlistedVectorSetIsUnknownNotTheSame) {
  const auto from = [](const char* name, const char* events, const char* traced, bool drop_lists) {
    Trace t = recording(events, traced);
    const SchedAnalysis a = analyze_sched(t);
    nlohmann::json j = sched_analysis_json(t, a);
    if (drop_lists) j.erase("irq_system_vectors_traced"), j.erase("irq_system_vectors_missing");
    ScenarioMetrics m = scenario_from_json(j, name, "s.json");
    m.launches = 1000, m.wall = 1'000'000'000, m.irq_per_1k_hard = 10.0;  // a rate to compare
    return m;
  };
  const ScenarioMetrics saved_early = from("saved_early", "sched,irq", "LOC,RES,CAL", true);
  ASSERT_EQ(saved_early.irq_system_vectors, std::optional<bool>(true));
  ASSERT_FALSE(saved_early.irq_vectors_traced.has_value());
  const ScenarioMetrics fewer = from("fewer", "sched,irq", "LOC", false);
  const ScenarioMetrics old = from("old", "sched,irq", nullptr, false);
  const ScenarioMetrics listed = from("listed", "sched,irq", "LOC,RES,CAL", false);

  // As the baseline: every row counting vectors is unknown; the device-only one differs.
  const Comparison c = compare_scenarios({saved_early, fewer, old});
  EXPECT_FALSE(c.rows[0].irq_sources_differ.has_value());
  EXPECT_FALSE(c.rows[1].irq_sources_differ.has_value());
  EXPECT_EQ(c.rows[2].irq_sources_differ, std::optional<bool>(true));
  EXPECT_EQ(c.rows[1].verdict.find("not comparable"), std::string::npos) << c.rows[1].verdict;
  const nlohmann::json j = comparison_json(c);
  EXPECT_TRUE(j["scenarios"][1]["irq_sources_differ"].is_null());
  EXPECT_EQ(j["scenarios"][2]["irq_sources_differ"], true);
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("IRQ/1K hard: which x86 system vectors saved_early counts is unknown"), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("compare hard IRQ/1K with care"), std::string::npos) << text.str();

  // As a scenario beside a listing baseline: the same.
  const Comparison r = compare_scenarios({listed, saved_early});
  EXPECT_EQ(r.rows[0].irq_sources_differ, std::optional<bool>(false));
  EXPECT_FALSE(r.rows[1].irq_sources_differ.has_value());
  std::ostringstream rtext;
  print_comparison(rtext, r);
  EXPECT_NE(rtext.str().find("which x86 system vectors saved_early counts is unknown"), std::string::npos) << rtext.str();

  // Both unlisted: both rows' irq_sources_differ are null, and the line says why (review EQ L6:
  // the JSON had [null, null] and the text nothing), naming both.
  const Comparison both = compare_scenarios({saved_early, from("also_early", "sched,irq", "LOC", true)});
  EXPECT_FALSE(both.rows[0].irq_sources_differ.has_value());
  EXPECT_FALSE(both.rows[1].irq_sources_differ.has_value());
  std::ostringstream btext;
  print_comparison(btext, both);
  EXPECT_NE(btext.str().find("IRQ/1K hard: which x86 system vectors saved_early, also_early count is unknown"),
            std::string::npos)
      << btext.str();

  // Listed on both sides and the same: no row is unknown, no line.
  std::ostringstream known;
  print_comparison(known, compare_scenarios({listed, from("listed_too", "sched,irq", "LOC,RES,CAL", false)}));
  EXPECT_EQ(known.str().find("which x86 system vectors"), std::string::npos) << known.str();
  // An unlisted baseline beside a device-only scenario: the baseline's row is null (its set against
  // itself is unknown), so the line names it.
  std::ostringstream alone;
  print_comparison(alone, compare_scenarios({saved_early, old}));
  EXPECT_NE(alone.str().find("which x86 system vectors saved_early counts is unknown"), std::string::npos) << alone.str();
}

TEST(CompareIrqSources, ASavedAnalysisWithAnotherTypeIsAnInputError) {
  nlohmann::json doc = {{"sched_per_1k", 1.0}, {"launches", 10}, {"wall_ns", 100}, {"irq_system_vectors", "yes"}};
  EXPECT_THROW(scenario_from_json(doc, "x", "x.json"), InputError);
  doc.erase("irq_system_vectors");  // saved before the key existed: unknown
  EXPECT_FALSE(scenario_from_json(doc, "x", "x.json").irq_system_vectors.has_value());
  doc["irq_system_vectors"] = true, doc["irq_system_vectors_traced"] = "LOC";  // not a list
  EXPECT_THROW(scenario_from_json(doc, "x", "x.json"), InputError);
}

}  // namespace
}  // namespace infertrace
