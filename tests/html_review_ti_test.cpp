// Review TI (bench threads / bench interference) in the HTML report:
// - M1: an interference page said "No slowdown: the baseline, the first scenario, has no launch rate"
//   under its slowdown chart (it tested compare's `rate`, a key interference rows lack).
// - L4: a one-repetition thread table showed the mean alone under "mean ± sd".
#include <gtest/gtest.h>

#include <string>

#include "html_text.h"

using namespace infertrace;
using nlohmann::json;
using html_text::doc_page;
using html_text::has;

namespace {

// A bench interference --json document as the bench writes it (docs/sched.md): baseline and cpu,
// the cpu scenario at half the baseline's throughput.
json interference_doc(const char* basis, json base_throughput) {
  json sc = json::array();
  sc.push_back({{"name", "baseline"}, {"description", "the command alone"}, {"throughput", base_throughput},
                {"throughput_min", base_throughput}, {"throughput_max", base_throughput},
                {"slowdown_pct", base_throughput.is_null() ? json(nullptr) : json(0.0)}, {"runs_ok", 3},
                {"verdict", "baseline"}, {"skipped", false}});
  sc.push_back({{"name", "cpu"}, {"description", "stress-ng"}, {"throughput", 5.0}, {"throughput_min", 4.0},
                {"throughput_max", 6.0},
                {"slowdown_pct", base_throughput.is_null() ? json(nullptr) : json(50.0)}, {"runs_ok", 3},
                {"verdict", "50.0% slower"}, {"skipped", false}});
  return {{"kind", "compare"}, {"experiment", "interference"}, {"schema_version", 1}, {"basis", basis},
          {"complete", true}, {"recorded", false}, {"repetitions", 3}, {"scenarios", sc}};
}

}  // namespace

TEST(HtmlReviewTi, InterferencePageNamesItsBasisNotNoSlowdown) {
  const std::string rps = doc_page(interference_doc("runs_per_second", 10.0));
  EXPECT_FALSE(has(rps, "No slowdown")) << rps;
  EXPECT_TRUE(has(rps, "Slowdown against the baseline scenario's throughput from runs per second")) << rps;
  const std::string metric = doc_page(interference_doc("metric", 10.0));
  EXPECT_FALSE(has(metric, "No slowdown")) << metric;
  EXPECT_TRUE(has(metric, "from the command's metric (--metric-regex")) << metric;
  // A baseline without a usable run has no throughput: then, and only then, no slowdown.
  const std::string none = doc_page(interference_doc("metric", nullptr));
  EXPECT_TRUE(has(none, "No slowdown: the baseline scenario has no throughput")) << none;
  // Never compare's launch-rate words on an interference page.
  EXPECT_FALSE(has(rps + metric + none, "launch rate")) << none;
}

TEST(HtmlReviewTi, OneRepetitionThreadTableSaysTheSdIsUndefined) {
  auto rate = [](double mean, json sd) {
    return json{{"mean", mean}, {"median", mean}, {"stddev", sd}, {"samples", json::array({mean})}};
  };
  json doc = {{"schema_version", 1},
              {"repetitions", 1},
              {"best_threads", 1},
              {"points", json::array({json{{"threads", 1},
                                           {"pp_tokens_per_second", rate(37370.26, nullptr)},
                                           {"tg_tokens_per_second", rate(17395.54, nullptr)}}})}};
  std::string t = doc_page(doc);
  EXPECT_TRUE(has(t, "37370.26 \u00b1 n/a")) << t;
  EXPECT_TRUE(has(t, "17395.54 \u00b1 n/a")) << t;
  // With an sd, the number (formatted independently: 2 decimals).
  doc["points"][0]["pp_tokens_per_second"]["stddev"] = 12.345;
  t = doc_page(doc);
  EXPECT_TRUE(has(t, "37370.26 \u00b1 12.35")) << t;
}

// Review TI L5: the throughput column carried "throughput (work/s)" where the terminal says
// "metric (median)" (--metric-regex) or "runs/s (median)".
TEST(HtmlReviewTi, InterferenceThroughputColumnHasTheTerminalsName) {
  const std::string metric = doc_page(interference_doc("metric", 10.0));
  EXPECT_TRUE(has(metric, "metric (median)")) << metric;
  EXPECT_TRUE(has(metric, "metric min")) << metric;
  EXPECT_FALSE(has(metric, "work/s")) << metric;
  const std::string rps = doc_page(interference_doc("runs_per_second", 10.0));
  EXPECT_TRUE(has(rps, "runs/s (median)")) << rps;
  EXPECT_TRUE(has(rps, "runs/s max")) << rps;
  EXPECT_FALSE(has(rps, "work/s")) << rps;
}
