// bench serve's text table and per-request JSON, from figures set by hand: each column must show its
// own figure (a swapped or misread column prints a plausible number), a request's TTFT, E2E and ITL
// count from its send, and a synchronous point is closed-loop at concurrency 1, not a rate.
#include <gtest/gtest.h>

#include "serve/load/load_report.h"

namespace infertrace::serve::load {
namespace {

BenchRun one_point_run(Profile profile) {
  BenchRun run;
  run.target.base_urls = {"http://127.0.0.1:1000"};
  run.model.id = "m";
  run.profile = profile == Profile::kSynchronous ? "synchronous" : "concurrent";
  PointResult p;
  p.spec.profile = profile;
  p.spec.concurrency = profile == Profile::kConcurrent ? 3 : 1;
  PointMetrics& m = p.metrics;
  m.sent = 4, m.completed = 3, m.failed = 1;
  m.errors["http_500"] = 1;
  // Every figure distinct, so a column showing another's figure reads differently.
  m.e2e.p50 = 812.4, m.ttft.p50 = 40.3, m.itl.p50 = 12.6, m.tpot.p50 = 13.1;
  m.e2e.n = m.ttft.n = m.tpot.n = 3, m.itl.n = 30;  // figures of samples (an empty one reads n/a)
  m.tok_per_s = 57.25, m.req_per_s = 1.5, m.duration_s = 2;  // rates need a duration (else n/a)
  run.points.push_back(p);
  return run;
}

TEST(LoadReport, TableRowShowsEachColumnsOwnFigure) {
  const std::string text = render_text(one_point_run(Profile::kConcurrent), false);
  EXPECT_NE(text.find("| Concurrency | OK/Tot | E2E p50 | TTFT p50 | ITL p50 | TPOT p50 | tok/s | req/s | Errors |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| 3 | 3/4 | 812.40 ms | 40.30 ms | 12.60 ms | 13.10 ms | 57.25 | 1.500 | 1 (http_500 1) |"),
            std::string::npos)
      << text;
}

TEST(LoadReport, SubMillisecondTimesKeepTheirDigits) {
  // A tiny model's ITL of 0.0312 ms read "0.0 ms" in one-decimal ms (review UX L9).
  BenchRun run = one_point_run(Profile::kConcurrent);
  run.points[0].metrics.itl.p50 = 0.0312, run.points[0].metrics.tpot.p50 = 0.0004;
  const std::string text = render_text(run, false);
  EXPECT_NE(text.find("| 40.30 ms | 31.20 us | 400 ns |"), std::string::npos) << text;
  EXPECT_EQ(text.find("0.0 ms"), std::string::npos) << text;
}

// No samples (ITL and TPOT of 1-token requests) is "n/a" and null, not a measured 0 (review SB L1).
TEST(LoadReport, EmptyDistributionIsNotAZero) {
  BenchRun run = one_point_run(Profile::kConcurrent);
  PointMetrics& m = run.points[0].metrics;
  m.itl = Dist{};
  m.tpot = Dist{};
  const std::string text = render_text(run, false);
  EXPECT_NE(text.find("| 3 | 3/4 | 812.40 ms | 40.30 ms | n/a | n/a | 57.25 |"), std::string::npos) << text;
  EXPECT_NE(text.find("  ITL  p50 n/a  p90 n/a  p99 n/a  mean n/a  (n 0)"), std::string::npos) << text;
  EXPECT_NE(text.find("  TPOT p50 n/a  p90 n/a  p99 n/a  mean n/a  (n 0)"), std::string::npos) << text;
  const nlohmann::json p = to_json(run)["points"][0];
  for (const char* k : {"itl_ms", "tpot_ms"}) {
    for (const char* f : {"p50", "p90", "p99", "mean"}) EXPECT_TRUE(p[k][f].is_null()) << k << " " << f << " " << p.dump();
    EXPECT_EQ(p[k]["n"], 0);
  }
  EXPECT_DOUBLE_EQ(p["ttft_ms"]["p50"].get<double>(), 40.3);  // a distribution with samples keeps its figures
}

// The streamed rate (review SB L3) has its own line in the text and its own keys in the JSON, each
// showing its own figure, beside the completed-requests tok/s.
TEST(LoadReport, StreamedRateIsShownBesideTokPerS) {
  BenchRun run = one_point_run(Profile::kConcurrent);
  run.points[0].metrics.streamed_token_events = 91, run.points[0].metrics.streamed_tok_per_s = 60.67;
  const std::string text = render_text(run, false);
  EXPECT_NE(text.find("  streamed 60.67 tok/s: 91 token events inside the duration"), std::string::npos) << text;
  const nlohmann::json j = to_json(run);
  EXPECT_EQ(j["points"][0]["streamed_token_events"], 91);
  EXPECT_DOUBLE_EQ(j["points"][0]["streamed_tok_per_s"].get<double>(), 60.67);
  EXPECT_DOUBLE_EQ(j["points"][0]["tok_per_s"].get<double>(), 57.25);
  EXPECT_TRUE(j["definitions"].contains("streamed_tok_per_s")) << j["definitions"].dump();
  EXPECT_NE(metric_definitions().find("streamed tok/s"), std::string::npos);
}

TEST(LoadReport, SynchronousPointIsConcurrencyOneNotARate) {
  const nlohmann::json j = to_json(one_point_run(Profile::kSynchronous));
  const nlohmann::json& p = j["points"][0];
  EXPECT_EQ(p["profile"], "synchronous");
  EXPECT_EQ(p["concurrency"], 1);
  EXPECT_TRUE(p["rate"].is_null()) << p["rate"];
  EXPECT_NE(render_text(one_point_run(Profile::kSynchronous), false).find("| Concurrency |"), std::string::npos);
}

TEST(LoadReport, RequestFiguresCountFromItsSendNotItsSchedule) {
  BenchRun run = one_point_run(Profile::kConcurrent);
  RequestSample r;  // scheduled at 1.000 s, sent 2 ms late; token events at +48, +58, +73 ms; end at +78 ms
  r.scheduled_ns = 1'000'000'000, r.start_ns = 1'002'000'000;
  r.token_ns = {1'050'000'000, 1'060'000'000, 1'075'000'000};
  r.end_ns = 1'080'000'000;
  r.tokens = 3;
  run.points[0].requests = {r};
  const nlohmann::json rj = to_json(run)["points"][0]["requests"][0];
  EXPECT_DOUBLE_EQ(rj["scheduled_s"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(rj["start_s"].get<double>(), 1.002);
  EXPECT_DOUBLE_EQ(rj["ttft_ms"].get<double>(), 48.0);
  EXPECT_DOUBLE_EQ(rj["e2e_ms"].get<double>(), 78.0);
  ASSERT_EQ(rj["itl_ms"].size(), 2u) << rj.dump();
  EXPECT_DOUBLE_EQ(rj["itl_ms"][0].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(rj["itl_ms"][1].get<double>(), 15.0);  // gap to the previous event, not to the first
  EXPECT_EQ(rj["token_events"], 3);
}

}  // namespace
}  // namespace infertrace::serve::load
