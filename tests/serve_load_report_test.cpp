// bench serve's JSON per request: the URL the balancer gave a request and the in-flight counts it
// chose from, or null for both when the request was never sent (its sender woke after a
// --duration window closed: counted sent and incomplete, docs/serve.md).
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
  never.incomplete = true;
  p.requests = {sent, never};
  run.points.push_back(p);
  const nlohmann::json j = to_json(run);
  const nlohmann::json& rs = j["points"][0]["requests"];
  ASSERT_EQ(rs.size(), 2u) << j.dump();
  EXPECT_EQ(rs[0]["url"], 1);
  EXPECT_EQ(rs[0]["in_flight_at_pick"], nlohmann::json::array({2, 1}));
  EXPECT_TRUE(rs[1]["url"].is_null()) << rs[1].dump();
  EXPECT_TRUE(rs[1]["in_flight_at_pick"].is_null()) << rs[1].dump();
  EXPECT_EQ(rs[1]["incomplete"], true);
}

}  // namespace
}  // namespace infertrace::serve::load
