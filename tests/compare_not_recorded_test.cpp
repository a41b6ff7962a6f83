// `compare` of an input without scheduler events (a Kineto trace): its Sched/1K, IRQ/1K, penalty and
// off-CPU cells say "not recorded" in the terminal and in the HTML report, as `sched` says it, and
// a figure that is only missing (a penalty without clean or switched pairs) is "-" in both, the
// project's one convention for null. The scenario is read both ways (from the trace's analysis and
// from its saved `sched --json`); what is expected follows from what the inputs hold.
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
#include "util/error.h"

namespace infertrace {
namespace {

using html_text::has;
using nlohmann::json;

// A Kineto trace of one thread's `n` launches, 1000 ns apart: launch calls, no OS event.
Trace kineto_launches(int n) { return one_thread_launches(n, TraceSource::Kineto); }

// A recorded scenario: 1000 launches in 1 s, Sched/1K 10, IRQ/1K 1 and 2, no penalty (no clean or
// no switched pairs: a null figure, not an unrecorded one), off-CPU 25%.
ScenarioMetrics recorded(const char* name) {
  ScenarioMetrics m;
  m.name = name, m.launches = 1000, m.wall = 1'000'000'000;
  m.sched_per_1k = 10.0, m.window_sched_per_1k = 12.0, m.irq_per_1k_hard = 1.0, m.irq_per_1k_soft = 2.0;
  m.offcpu_share = 0.25;
  return m;
}

TEST(CompareNotRecorded, KinetoScenarioSaysNotRecordedInTextAndPage) {
  const Trace t = kineto_launches(6);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_FALSE(a.switches_recorded || a.irqs_recorded);  // a Kineto trace holds neither
  const ScenarioMetrics fresh = scenario_from_analysis(a, "kineto", "k.json");
  const ScenarioMetrics saved = scenario_from_json(sched_analysis_json(t, a), "kineto", "k.sched.json");
  for (const ScenarioMetrics* m : {&fresh, &saved}) {
    EXPECT_FALSE(m->switches_recorded) << m->source;
    EXPECT_FALSE(m->irqs_recorded) << m->source;
    EXPECT_FALSE(m->sched_per_1k || m->irq_per_1k_hard || m->penalty || m->offcpu_share) << m->source;
  }

  const Comparison c = compare_scenarios({recorded("base"), saved});
  std::ostringstream os;
  print_comparison(os, c);
  const std::string text = os.str();
  // scenario, launches/s, slowdown, then the eight cells that need switches or IRQs, then the verdict.
  const std::vector<std::string> k = text_row(text, "kineto");
  ASSERT_EQ(k.size(), 12u) << text;
  for (size_t i = 3; i <= 10; ++i) EXPECT_EQ(k[i], "not recorded") << i << "\n" << text;
  // The baseline's penalty is null while its switches were recorded: "-", as every other null cell.
  const std::vector<std::string> b = text_row(text, "base");
  ASSERT_EQ(b.size(), 12u) << text;
  EXPECT_EQ(b[9], "-") << text;
  EXPECT_EQ(b[3], "10.0") << text;
  EXPECT_FALSE(has(text, "n/a")) << text;
  EXPECT_TRUE(has(text, "not recorded: kineto holds no context switches")) << text;
  EXPECT_TRUE(has(text, "not recorded: kineto holds no IRQs")) << text;
  {  // two such scenarios: the verb agrees with both names
    ScenarioMetrics again = saved;
    again.name = "kineto2";
    std::ostringstream two;
    print_comparison(two, compare_scenarios({recorded("base"), saved, again}));
    EXPECT_TRUE(has(two.str(), "not recorded: kineto, kineto2 hold no context switches")) << two.str();
    EXPECT_TRUE(has(two.str(), "not recorded: kineto, kineto2 hold no IRQs")) << two.str();
  }

  const json doc = comparison_json(c);
  EXPECT_EQ(doc["scenarios"][1]["switches_recorded"], false);
  EXPECT_EQ(doc["scenarios"][1]["irqs_recorded"], false);
  EXPECT_EQ(doc["scenarios"][0]["switches_recorded"], true);
  EXPECT_TRUE(doc["scenarios"][1]["sched_per_1k"].is_null());  // the JSON keeps its nulls
  // The page: the same eight cells (throughput "-", rate, slowdown, launches, wall before them).
  const std::string page = html_text::doc_page(doc);
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += " not recorded";
  EXPECT_TRUE(has(page, eight + " ")) << page;
  // The baseline's null penalty is "-" there too, between its IRQ/1K soft and off-CPU share.
  EXPECT_TRUE(has(page, html_text::row({"2.0", "-", "25.0%"}))) << page;
  // The flags are said in those cells, not as columns of their own.
  EXPECT_FALSE(has(page, "context switches recorded")) << page;
}

// Flags of documents saved before they were right: absent (before 2026-11-30) or true by default
// (a Kineto trace's analysis until 2026-12-02, rates 0.0). Such a document (no launches_measured)
// without any OS event (has_os_events false) recorded neither, as the analysis now decides, and its
// 0.0 rates are unknown; with OS events, or without has_os_events, it counts as recorded, as before.
// A document written since keeps its flags: a recording that asked for switches and IRQs and holds
// none reads 0.0, as compare of the recording itself does. A flag that is not a boolean is an input
// error naming the file.
TEST(CompareNotRecorded, DocumentsWithoutFlagsAndBadFlags) {
  const json old = {{"launches", 10}, {"wall_ns", 1000}, {"sched_per_1k", nullptr}};
  const ScenarioMetrics m = scenario_from_json(old, "old", "old.json");
  EXPECT_TRUE(m.switches_recorded && m.irqs_recorded);
  json old_os = old;
  old_os["has_os_events"] = true, old_os["sched_per_1k"] = 2.5;
  const ScenarioMetrics with_os = scenario_from_json(old_os, "old_os", "old_os.json");
  EXPECT_TRUE(with_os.switches_recorded && with_os.irqs_recorded);
  EXPECT_EQ(with_os.sched_per_1k, 2.5);

  // A Kineto trace's analysis rewritten to the two old forms: flags true with rates 0.0, no flags.
  const Trace k = kineto_launches(6);
  const json now = sched_analysis_json(k, analyze_sched(k));
  ASSERT_EQ(now.at("has_os_events"), false);  // launch calls only
  json claimed = now;
  claimed.erase("launches_measured");
  claimed["switches_recorded"] = true, claimed["irqs_recorded"] = true;
  for (const char* r : {"sched_per_1k", "irq_per_1k_hard", "irq_per_1k_soft"}) claimed[r] = 0.0;
  json no_flags = claimed;
  no_flags.erase("switches_recorded"), no_flags.erase("irqs_recorded");
  for (const json* d : {&claimed, &no_flags}) {
    const ScenarioMetrics o = scenario_from_json(*d, "kin_old", "kin_old.json");
    EXPECT_FALSE(o.switches_recorded || o.irqs_recorded) << *d;
    EXPECT_FALSE(o.sched_per_1k || o.irq_per_1k_hard || o.irq_per_1k_soft) << *d;
    std::ostringstream os;
    print_comparison(os, compare_scenarios({recorded("base"), o}));
    const std::vector<std::string> r = text_row(os.str(), "kin_old");
    ASSERT_EQ(r.size(), 12u) << os.str();
    for (size_t i = 3; i <= 10; ++i) EXPECT_EQ(r[i], "not recorded") << i << "\n" << os.str();
  }

  // A recording that listed sched and irq and holds no OS event: recorded, none happened. Its saved
  // analysis (written now, so with launches_measured) reads as the recording itself does.
  Trace empty_os = kineto_launches(6);
  empty_os.source = TraceSource::Recording, empty_os.meta["events"] = "launch,sched,irq";
  const SchedAnalysis ea = analyze_sched(empty_os);
  const json saved = sched_analysis_json(empty_os, ea);
  ASSERT_EQ(saved.at("has_os_events"), false);
  ASSERT_TRUE(saved.contains("launches_measured"));
  const ScenarioMetrics fresh = scenario_from_analysis(ea, "rec", "rec.itrace");
  const ScenarioMetrics read = scenario_from_json(saved, "rec", "rec.sched.json");
  EXPECT_TRUE(read.switches_recorded && read.irqs_recorded);
  EXPECT_EQ(read.switches_recorded, fresh.switches_recorded);
  EXPECT_EQ(read.irqs_recorded, fresh.irqs_recorded);
  EXPECT_EQ(read.sched_per_1k, std::optional<double>(0.0));  // no switch in 6 launches
  EXPECT_EQ(read.sched_per_1k, fresh.sched_per_1k);

  json bad = old;
  bad["switches_recorded"] = "no";
  try {
    scenario_from_json(bad, "bad", "bad.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "bad.json");
  }
  // Only the IRQ cells of a scenario without IRQs say "not recorded".
  ScenarioMetrics no_irq = recorded("no_irq");
  no_irq.irqs_recorded = false, no_irq.irq_per_1k_hard.reset(), no_irq.irq_per_1k_soft.reset();
  std::ostringstream os;
  print_comparison(os, compare_scenarios({recorded("base"), no_irq}));
  const std::vector<std::string> r = text_row(os.str(), "no_irq");
  ASSERT_EQ(r.size(), 12u) << os.str();
  EXPECT_EQ(r[3], "10.0");
  EXPECT_EQ(r[7], "not recorded");
  EXPECT_EQ(r[8], "not recorded");
  EXPECT_EQ(r[10], "25.0%");
}

}  // namespace
}  // namespace infertrace
