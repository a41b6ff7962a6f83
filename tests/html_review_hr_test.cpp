// Review HR's findings on the HTML report's charts, labels and findings (the e2e part, incomplete
// recordings and refused documents: tests/e2e/test_report_incomplete.py):
// L3 a chart's tooltip shows the value as the table cell it repeats does; L5 the compare chart
// draws the scenarios its table shows, and a cut table's note has thousands separators; L7 a plain
// compare is no "interference" comparison, its rate column has the terminal's name, a throughput
// column no scenario fills is left out, counts have separators, a CPU-only trace's overview row is
// "-"; L8 a comparison's verdicts are findings; M3/L1 document_problem() names a `kind` without
// its keys and a schema_version that is no version; L2 a null most_idle_device is no row.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>

#include "html_text.h"
#include "report/html_report.h"
#include "report/html_svg.h"

using namespace infertrace;
using nlohmann::json;
using html_text::has;

namespace {

// The terminal's verdict of a slower scenario.
std::string fmt_slower(double slow) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%% slower; cpu_contention", slow);
  return buf;
}

// A compare --json document of `n` scenarios: the baseline, then "s1".. each (i % 40) + 0.5 % slower.
json compare_doc(size_t n, const char* basis = "launch_rate") {
  json sc = json::array();
  for (size_t i = 0; i < n; ++i) {
    const double slow = i == 0 ? 0.0 : static_cast<double>(i % 40) + 0.5;
    sc.push_back({{"name", i == 0 ? std::string("base") : "s" + std::to_string(i)},
                  {"source", "s.itrace"},
                  {"throughput", nullptr},
                  {"rate", 1000.0 * (1 - slow / 100)},
                  {"slowdown_pct", i == 0 ? json(nullptr) : json(slow)},
                  {"launches", 4058},
                  {"wall_ns", 1'000'000'000},
                  {"verdict", i == 0 ? std::string("baseline") : fmt_slower(slow)}});
  }
  return {{"kind", "compare"}, {"schema_version", 1}, {"basis", basis}, {"baseline", "base"}, {"scenarios", sc}, {"notes", json::array()}};
}

std::string page(const json& doc, const std::string& label = "cmp.json") {
  html::ReportInputs in;
  in.docs.push_back({label, doc});
  return html::render_report(in);
}

// The <title> texts of the marks of the chart titled `title` (its <figure> alone).
std::vector<std::string> mark_titles(const std::string& p, const std::string& title) {
  std::vector<std::string> out;
  const size_t at = p.find("aria-label=\"" + title);
  if (at == std::string::npos) return out;
  const std::string fig = p.substr(at, p.find("</figure>", at) - at);
  static const std::regex mark("class=\"mark\"[^>]*><title>([^<]*)</title>");
  for (auto it = std::sregex_iterator(fig.begin(), fig.end(), mark); it != std::sregex_iterator(); ++it) out.push_back((*it)[1]);
  return out;
}

}  // namespace

TEST(HtmlReviewHr, TooltipsShowTheTablesFormat) {
  // The cells' formats (CellFormat::Share, Percent, Times3, Times2), written out here.
  EXPECT_EQ(html::tooltip_value(0.434, "pct"), "43.4%");
  EXPECT_EQ(html::tooltip_value(0.041, "pct"), "4.1%");
  EXPECT_EQ(html::tooltip_value(31.5, "%"), "31.5%");
  EXPECT_EQ(html::tooltip_value(1.451, "x"), "1.451x");
  EXPECT_EQ(html::tooltip_value(1.451, "x2"), "1.45x");
  EXPECT_EQ(html::tooltip_value(2'500'000, "ns"), "2.50 ms");
  // The compare chart's bar: "s1: 1.5%", as the cell "1.5%".
  const std::vector<std::string> t = mark_titles(page(compare_doc(3)), "Slowdown against the baseline");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], "s1: 1.5%");
  EXPECT_EQ(t[1], "s2: 2.5%");
}

TEST(HtmlReviewHr, CompareChartDrawsTheTablesScenarios) {
  // 60 scenarios: the table shows 50 rows (the baseline and s1..s49), the chart their 49 slowdowns.
  const std::string p = page(compare_doc(60));
  const std::vector<std::string> t = mark_titles(p, "Slowdown against the baseline");
  ASSERT_EQ(t.size(), 49u);
  EXPECT_EQ(t.back().rfind("s49: ", 0), 0u) << t.back();
  EXPECT_TRUE(has(p, "(the 50 scenarios in the table)")) << p.substr(0, 400);
  EXPECT_TRUE(has(p, "10 more rows not shown.")) << p;
  // Over a thousand left out: with the tables' separator.
  EXPECT_TRUE(has(page(compare_doc(1'060)), "1,010 more rows not shown.")) << "no separator";
  // A table that is not cut says nothing of it.
  EXPECT_FALSE(has(page(compare_doc(3)), "scenarios in the table"));
}

TEST(HtmlReviewHr, PlainCompareLabelsAsTheTerminal) {
  const std::string p = page(compare_doc(3));
  const std::string t = html_text::section_text(p, "doc-0");
  EXPECT_TRUE(has(t, "Scenario comparison: cmp.json")) << t.substr(0, 200);
  EXPECT_FALSE(has(p, "(interference)"));
  // The terminal's "launches/s"; no throughput column when no scenario has one.
  EXPECT_TRUE(has(t, html_text::row({"scenario", "launches/s", "slowdown", "launches"}))) << t;
  EXPECT_FALSE(has(t, "throughput (work/s)")) << t;
  EXPECT_FALSE(has(t, "rate (basis/s)")) << t;
  // One scenario with a throughput keeps the column.
  json one = compare_doc(3);
  one["scenarios"][1]["throughput"] = 12.5;
  EXPECT_TRUE(has(html_text::section_text(page(one), "doc-0"), "throughput (work/s)"));
  // bench interference's matrix keeps its name.
  json bench = compare_doc(3);
  bench["experiment"] = "interference";
  EXPECT_TRUE(has(page(bench), "Scenario comparison (interference): cmp.json"));
}

TEST(HtmlReviewHr, CompareVerdictsAreFindings) {
  const std::string f = html_text::section_text(page(compare_doc(3)), "findings");
  EXPECT_TRUE(has(f, "Scenario comparison (cmp.json): s1: 1.5% slower; cpu_contention.")) << f;
  EXPECT_TRUE(has(f, "Scenario comparison (cmp.json): s2: 2.5% slower; cpu_contention.")) << f;
  EXPECT_FALSE(has(f, "base: baseline")) << f;
  // At most ten, then how many more: 60 scenarios, 59 verdicts, 49 more.
  const std::string many = html_text::section_text(page(compare_doc(60)), "findings");
  EXPECT_TRUE(has(many, "s10: 10.5% slower")) << many;
  EXPECT_FALSE(has(many, "s11: ")) << many;
  EXPECT_TRUE(has(many, "Scenario comparison (cmp.json): 49 more scenarios' verdicts are in its table and in compare --json.")) << many;
}

TEST(HtmlReviewHr, DocumentProblemNamesWhatIsMissing) {
  EXPECT_EQ(html::document_problem(compare_doc(2)), "");
  json as_sched = compare_doc(2);
  as_sched["kind"] = "sched";
  EXPECT_TRUE(has(html::document_problem(as_sched), "\"kind\": \"sched\"")) << html::document_problem(as_sched);
  EXPECT_TRUE(has(html::document_problem(as_sched), "\"sched_per_1k\" or \"pairs\""));
  EXPECT_TRUE(has(html::document_problem({{"kind", "fusion"}, {"points", json::array({{{"batch", 1}}})}}), "\"lengths\""));
  EXPECT_TRUE(has(html::document_problem({{"kind", "analyze"}, {"scenarios", json::array()}}), "\"tklqt_ns\""));
  // A kind this build does not know is read by its keys, as before.
  EXPECT_EQ(html::document_problem({{"kind", "bench_launch"}, {"x", 1}}), "");
  for (const json& v : {json("abc"), json(0), json(-1), json(nullptr), json(1.5), json(true)}) {
    json d = compare_doc(2);
    d["schema_version"] = v;
    EXPECT_TRUE(has(html::document_problem(d), "\"schema_version\" is ")) << v.dump();
  }
  json later = compare_doc(2);
  later["schema_version"] = 2;
  EXPECT_EQ(html::document_problem(later), "");
  later.erase("schema_version");
  EXPECT_EQ(html::document_problem(later), "");
}

TEST(HtmlReviewHr, NullMostIdleDeviceIsNoRow) {
  json t = {{"kind", "analyze"}, {"schema_version", 1}, {"file", "a.itrace"}, {"kernels", 0}, {"tklqt_ns", nullptr},
            {"most_idle_device", nullptr}};
  EXPECT_FALSE(has(html_text::section_text(page(t, "a.json"), "doc-0"), "most idle device"));
}

// L6: hand-edited huge figures print compactly, the cell and the bar's tooltip alike; a penalty below
// 0 gets a note under the table.
TEST(HtmlReviewHr, HugeFiguresCompactAndNegativePenaltyNoted) {
  json d = compare_doc(3);
  d["scenarios"][1]["slowdown_pct"] = 1e300;
  d["scenarios"][1]["sched_per_1k"] = 1e308;
  const std::string p = page(d);
  const std::string t = html_text::section_text(p, "doc-0");
  EXPECT_TRUE(has(t, " 1.00e+300% ")) << t;
  EXPECT_TRUE(has(t, " 1.00e+308 ")) << t;
  const std::vector<std::string> titles = mark_titles(p, "Slowdown against the baseline");
  ASSERT_EQ(titles.size(), 2u);
  EXPECT_EQ(titles[0], "s1: 1.00e+300%");
  EXPECT_FALSE(std::regex_search(p, std::regex("[0-9]{25}"))) << "a figure printed in full";

  json n = compare_doc(3);
  n["scenarios"][0]["penalty_ns"] = 1200;
  n["scenarios"][1]["penalty_ns"] = -5;
  const std::string nt = html_text::section_text(page(n), "doc-0");
  EXPECT_TRUE(has(nt, "A preemption penalty is below 0 (s1 -5 ns): the switched pairs' median interval is shorter than "
                      "the clean pairs'")) << nt;
  n["scenarios"][1]["penalty_ns"] = 5;
  EXPECT_FALSE(has(html_text::section_text(page(n), "doc-0"), "below 0"));
}
