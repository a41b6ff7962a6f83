// Review DW58 L3: `report` of a saved `bench membw --json` showed it as "Throughput against threads"
// with no chart and the JSON keys as column headers ("read_gbs"); it is a bandwidth sweep.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "html_text.h"
#include "report/html_report.h"

namespace infertrace {
namespace {

TEST(HtmlMembw, BandwidthSweepHasItsChartAndLabelledTable) {
  const nlohmann::json doc = nlohmann::json::parse(R"({
    "schema_version": 1, "statistic": "best of repetitions", "array_below_4x_last_level_cache": true,
    "points": [
      {"threads": 1, "read_gbs": 12.345, "triad_gbs": 9.5, "read_samples_gbs": [12.345, 11.0], "oversubscribed": false},
      {"threads": 2, "read_gbs": 20.0, "triad_gbs": 15.25, "read_samples_gbs": [20.0, 19.0], "oversubscribed": true}]})");
  html::ReportInputs in;
  in.docs.push_back({"membw.json", doc});
  const std::string page = html::render_report(in);
  const std::string text = html_text::section_text(page, "doc-0");
  EXPECT_TRUE(html_text::has(text, "Memory bandwidth against threads: membw.json")) << text;
  EXPECT_FALSE(html_text::has(text, "Throughput against threads")) << text;
  EXPECT_TRUE(html_text::has(text, html_text::row({"1", "12.35", "9.50", "2"}))) << text;
  EXPECT_TRUE(html_text::has(text, html_text::row({"2 (oversubscribed)", "20.00", "15.25", "2"}))) << text;
  EXPECT_FALSE(html_text::has(text, "read_gbs")) << text;
  EXPECT_TRUE(html_text::has(text, "read (GB/s): threads = 1, GB/s = 12.35")) << text;  // the chart's point
  EXPECT_TRUE(html_text::has(text, "under 4x the last-level cache")) << text;
  // A bench threads document keeps its own section.
  const nlohmann::json threads = nlohmann::json::parse(R"({"points": [{"threads": 1, "tg_mean": 5.0}]})");
  html::ReportInputs t;
  t.docs.push_back({"threads.json", threads});
  EXPECT_TRUE(html_text::has(html_text::section_text(html::render_report(t), "doc-0"), "Throughput against threads"));
}

}  // namespace
}  // namespace infertrace
