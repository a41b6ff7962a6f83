// A recording made without return probes knows when each launch call began but not how long it
// took (ApiCall::dur = -1). Its API time is unknown, in every output: not 0 (audit CU M2). A call
// name none of whose calls is linked to GPU work has no mean latency: null, not 0 (audit CU M1).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include <unistd.h>

#include "report/analyze_json.h"
#include "report/analyze_text.h"
#include "file_text.h"

using namespace infertrace;

namespace {

// Two launch calls of cudaLaunchKernel, both linked; durations as given (-1: unknown). One
// cudaMemsetAsync call that ran nothing, duration 300.
Trace launches(ns_t dur1, ns_t dur2) {
  Trace t;
  t.file = "r.itrace";
  auto call = [&](ns_t start, ns_t dur, int64_t corr, const char* name, ApiKind kind) {
    ApiCall c;
    c.start = start, c.dur = dur, c.pid = 1, c.tid = 2, c.correlation = corr;
    c.name = t.strings.intern(name), c.kind = kind;
    t.api.push(c);
  };
  call(1'000, dur1, 5, "cudaLaunchKernel", ApiKind::KernelLaunch);
  call(3'000, dur2, 6, "cudaLaunchKernel", ApiKind::KernelLaunch);
  call(4'000, 300, 9, "cudaMemsetAsync", ApiKind::MemsetAsync);
  for (auto [start, corr] : {std::pair<ns_t, int64_t>{4'000, 5}, {6'000, 6}}) {
    GpuActivity g;
    g.start = start, g.dur = 1'000, g.device = 0, g.stream = 7, g.correlation = corr;
    g.name = t.strings.intern("k");
    t.gpu.push(g);
  }
  return t;
}

const nlohmann::json& api_row(const nlohmann::json& j, const std::string& name) {
  for (const nlohmann::json& r : j["apis"])
    if (r["name"] == name) return r;
  throw std::runtime_error("no API row " + name);
}

}  // namespace

TEST(AnalyzeUnknownDuration, NoDurationMeansUnknownApiTimeEverywhere) {
  const Trace t = launches(-1, -1);
  const LaunchAnalysis a = analyze_launches(t);
  ASSERT_EQ(a.linked_launch_calls, 2);
  EXPECT_TRUE(a.api_time_unknown());
  const nlohmann::json j = analyze_document({{&t, &a}});
  EXPECT_TRUE(j["api_time_ns"].is_null()) << j["api_time_ns"];
  EXPECT_EQ(j["launch_calls_unknown_duration"], 2);
  const nlohmann::json& r = api_row(j, "cudaLaunchKernel");
  EXPECT_EQ(r["calls"], 2);
  EXPECT_EQ(r["timed_calls"], 0);
  EXPECT_TRUE(r["api_total_ns"].is_null());
  EXPECT_TRUE(r["mean_api_ns"].is_null());
  // The latencies are still known: 4000 - 1000 and 6000 - 3000, all launch part (no end, no queue).
  EXPECT_EQ(r["latency_total_ns"], 6'000);
  EXPECT_DOUBLE_EQ(r["mean_latency_ns"].get<double>(), 3'000.0);

  std::ostringstream os;
  print_analyze_text(os, t, a, 10);
  const std::string text = os.str();
  EXPECT_NE(text.find("no linked launch call has a recorded duration"), std::string::npos) << text;
  const size_t row = text.find("API time");
  ASSERT_NE(row, std::string::npos) << text;
  EXPECT_EQ(text.substr(row, text.find('\n', row) - row).find("unknown") == std::string::npos, false) << text;

  const auto dir = std::filesystem::temp_directory_path() / ("analyze_unknown_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_analyze_csv(dir.string(), {{&t, &a}});
  const std::string apis = slurp(dir / "apis.csv");
  // name, kind, calls, linked, api_total_ns (empty: unknown), latency, launch, queue, timed_calls
  EXPECT_NE(apis.find("r.itrace,cudaLaunchKernel,kernel_launch,2,2,,6000,6000,0,0"), std::string::npos) << apis;
  const std::string summary = slurp(dir / "summary.csv");
  EXPECT_NE(summary.find("r.itrace,api_time_ns,\n"), std::string::npos) << summary;
  std::filesystem::remove_all(dir);
}

TEST(AnalyzeUnknownDuration, MeansCountOnlyCallsWithADuration) {
  // One of the two launch calls has a duration (800): the mean is 800 over one call, not 400 over
  // two; the API time is the known part, and the count of unknown ones says it is partial.
  const Trace t = launches(800, -1);
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_FALSE(a.api_time_unknown());
  const nlohmann::json j = analyze_document({{&t, &a}});
  EXPECT_EQ(j["api_time_ns"], 800);
  EXPECT_EQ(j["launch_calls_unknown_duration"], 1);
  const nlohmann::json& r = api_row(j, "cudaLaunchKernel");
  EXPECT_EQ(r["timed_calls"], 1);
  EXPECT_EQ(r["api_total_ns"], 800);
  EXPECT_DOUBLE_EQ(r["mean_api_ns"].get<double>(), 800.0);
}

TEST(AnalyzeUnknownDuration, NoLinkedCallMeansNullLatencies) {
  const Trace t = launches(500, 700);
  const LaunchAnalysis a = analyze_launches(t);
  const nlohmann::json j = analyze_document({{&t, &a}});
  EXPECT_EQ(j["api_time_ns"], 1'200);
  const nlohmann::json& m = api_row(j, "cudaMemsetAsync");
  EXPECT_EQ(m["linked"], 0);
  EXPECT_DOUBLE_EQ(m["mean_api_ns"].get<double>(), 300.0);
  for (const char* k : {"mean_latency_ns", "mean_launch_ns", "mean_queue_ns"})
    EXPECT_TRUE(m[k].is_null()) << k << " = " << m[k];
  const nlohmann::json& k = api_row(j, "cudaLaunchKernel");
  // c1: l = 3000, end 1500, q = 2500; c2: l = 3000, end 3700, q = 2300.
  EXPECT_DOUBLE_EQ(k["mean_queue_ns"].get<double>(), (2'500.0 + 2'300.0) / 2);
}
