// bench serve's JSON per request: the URL the balancer gave a request and the in-flight counts it
// chose from, or null for both when the request was never sent (its sender woke after a
// --duration window closed: not_sent, docs/serve.md), and then no send time either.
#include <gtest/gtest.h>

#include "serve/load/load_report.h"

namespace infertrace::serve::load {
namespace {

TEST(LoadReport, RequestsNameTheirUrlOrNullWhenNeverSent) {
  BenchRun run;
  run.target.base_urls = {"http://127.0.0.1:1000", "http://127.0.0.1:1001"};
  PointResult p;
  RequestSample sent;
  sent.url = 1, sent.in_flight_at_pick = {2, 1};
  RequestSample never;  // never picked: url's default 0 must not read as URL 0
  never.not_sent = true, never.scheduled_ns = 900'000'000;
  p.requests = {sent, never};
  p.metrics.sent = 1, p.metrics.not_sent = 1;
  run.points.push_back(p);
  const nlohmann::json j = to_json(run);
  const nlohmann::json& rs = j["points"][0]["requests"];
  ASSERT_EQ(rs.size(), 2u) << j.dump();
  EXPECT_EQ(rs[0]["url"], 1);
  EXPECT_EQ(rs[0]["in_flight_at_pick"], nlohmann::json::array({2, 1}));
  EXPECT_TRUE(rs[1]["url"].is_null()) << rs[1].dump();
  EXPECT_TRUE(rs[1]["in_flight_at_pick"].is_null()) << rs[1].dump();
  EXPECT_EQ(rs[1]["not_sent"], true);
  EXPECT_EQ(rs[1]["incomplete"], false);
  EXPECT_EQ(rs[0]["not_sent"], false);
  EXPECT_TRUE(rs[1]["start_s"].is_null()) << rs[1].dump();  // no made-up send time
  EXPECT_DOUBLE_EQ(rs[1]["scheduled_s"].get<double>(), 0.9);
  EXPECT_EQ(j["points"][0]["not_sent"], 1);
  EXPECT_EQ(j["points"][0]["sent"], 1);
  EXPECT_NE(render_text(run, false).find("\n  not sent: 1 (due inside the --duration window"), std::string::npos)
      << render_text(run, false);
  // A point where every request was sent says nothing of it in the text.
  run.points[0].metrics.not_sent = 0;
  EXPECT_EQ(render_text(run, false).find("not sent"), std::string::npos) << render_text(run, false);
}

}  // namespace
}  // namespace infertrace::serve::load
