// A trace merging two ranks' Kineto traces, both using correlation 5 (review SQ M1): every export
// names as a GPU activity's launch the call the SQLite `launch` table (the analysis) links it to.
// The expected links are worked out here from the event list by the rule of docs/analyze.md
// "Merged processes", not taken from the program.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/launch.h"
#include "file_text.h"
#include "kineto_test_util.h"
#include "report/exports.h"
#include "report/html_timeline.h"
#include "report/perfetto.h"
#include "report/proto/perfetto_trace.pb.h"
#include "report/sqlite_export.h"
#include "temp_dir.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;
namespace pb = infertrace::pftrace;

namespace {

// Rank 0 (pid 10, thread 10) launches on device 0, rank 1 (pid 20, thread 20) on device 1: each
// shows it with an id only it uses (1: r0_unique on device 0; 2: r1_unique on device 1). Both
// ranks then use id 5: pid 10's call at 120 us, pid 20's at 125 us; r0_shared ran on device 0 at
// 130 us, r1_shared on device 1 at 140 us. By the device rule r0_shared is pid 10's (its call at
// 120 us, tid 10) and r1_shared pid 20's (125 us, tid 20), not the id's earliest call (120 us).
// API rows in file order: 0 (100 us, corr 1), 1 (101 us, corr 2), 2 (120 us, corr 5, pid 10),
// 3 (125 us, corr 5, pid 20); GPU rows 0-3: r0_unique, r1_unique, r0_shared, r1_shared.
const std::string kMerged = R"J({"traceEvents": [
  {"ph": "X", "cat": "cpu_op", "name": "op", "pid": 10, "tid": 10, "ts": 90, "dur": 100},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 10, "ts": 100, "dur": 2, "args": {"correlation": 1}},
  {"ph": "X", "cat": "kernel", "name": "r0_unique", "pid": 0, "tid": 7, "ts": 110, "dur": 1, "args": {"device": 0, "stream": 7, "correlation": 1}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 20, "tid": 20, "ts": 101, "dur": 2, "args": {"correlation": 2}},
  {"ph": "X", "cat": "kernel", "name": "r1_unique", "pid": 1, "tid": 7, "ts": 111, "dur": 1, "args": {"device": 1, "stream": 7, "correlation": 2}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 10, "ts": 120, "dur": 2, "args": {"correlation": 5}},
  {"ph": "X", "cat": "kernel", "name": "r0_shared", "pid": 0, "tid": 7, "ts": 130, "dur": 1, "args": {"device": 0, "stream": 7, "correlation": 5}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 20, "tid": 20, "ts": 125, "dur": 2, "args": {"correlation": 5}},
  {"ph": "X", "cat": "kernel", "name": "r1_shared", "pid": 1, "tid": 7, "ts": 140, "dur": 1, "args": {"device": 1, "stream": 7, "correlation": 5}}
]})J";

// Kernel name -> (launch call's tid, launch call's start in us), by hand from the comment above.
const std::map<std::string, std::pair<int64_t, double>> kLaunchOf = {
    {"r0_unique", {10, 100.0}}, {"r1_unique", {20, 101.0}}, {"r0_shared", {10, 120.0}}, {"r1_shared", {20, 125.0}}};

std::string tmp(const std::string& name) {
  static const TempDir dir("infertrace-merged-exports");
  return (dir.path / name).string();
}

Trace merged() {
  Trace t = load_text(kMerged);
  EXPECT_EQ(t.api.size(), 4u);
  EXPECT_EQ(t.gpu.size(), 4u);
  return t;
}

}  // namespace

TEST(KinetoExports, MergedRanksSqliteLaunchTableLinksByDevice) {
  const Trace t = merged();
  const LaunchAnalysis la = analyze_launches(t);
  SqliteAnalyses an;
  an.launch = &la;
  const std::string path = tmp("merged.db");
  write_sqlite_file(t, path, an);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "select kernel, tid, api_ts_ns from launch_detail", -1, &st, nullptr), SQLITE_OK);
  std::map<std::string, std::pair<int64_t, double>> got;
  while (sqlite3_step(st) == SQLITE_ROW)
    got[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = {sqlite3_column_int64(st, 1),
                                                                      static_cast<double>(sqlite3_column_int64(st, 2)) / 1000.0};
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(got, kLaunchOf);
}

TEST(KinetoExports, MergedRanksGpuCsvNamesTheLaunchTablesCall) {
  const Trace t = merged();
  const std::string dir = tmp("csv");
  std::filesystem::create_directories(dir);
  write_csv_tables(t, dir);
  // r1_shared: pid 20's call (125 us, tid 20), not pid 10's (120 us, tid 10).
  EXPECT_EQ(slurp(std::filesystem::path(dir) / "gpu.csv"),
            "ts_ns,dur_ns,kind,device,stream,correlation,launch_ts_ns,launch_tid,name,grid_x,grid_y,grid_z,block_x,"
            "block_y,block_z\n"
            "110000,1000,kernel,0,7,1,100000,10,r0_unique,,,,,,\n"
            "111000,1000,kernel,1,7,2,101000,20,r1_unique,,,,,,\n"
            "130000,1000,kernel,0,7,5,120000,10,r0_shared,,,,,,\n"
            "140000,1000,kernel,1,7,5,125000,20,r1_shared,,,,,,\n");
}

TEST(KinetoExports, MergedRanksChromeArrowsStartAtTheLaunchTablesCall) {
  const Trace t = merged();
  const std::string path = tmp("merged.json");
  write_chrome_json(t, path);
  const auto j = nlohmann::json::parse(slurp(path));
  std::map<int64_t, std::pair<int64_t, double>> from;  // flow id -> (tid, ts us) of its "s"
  std::map<int64_t, double> to;                         // flow id -> ts us of its "f"
  std::map<double, std::string> kernel_at;              // GPU slice start us -> name
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e.value("ph", "");
    if (ph == "s") from[e["id"]] = {e["tid"], e["ts"]};
    if (ph == "f") to[e["id"]] = e["ts"];
    if (ph == "X" && e.value("cat", "") == "kernel") kernel_at[e["ts"].get<double>()] = e["name"];
  }
  std::map<std::string, std::pair<int64_t, double>> got;  // kernel -> where its arrow starts
  for (const auto& [id, s] : from) {
    ASSERT_TRUE(to.count(id)) << id;
    got[kernel_at[to[id]]] = s;
  }
  EXPECT_EQ(got, kLaunchOf);
}

TEST(KinetoExports, MergedRanksPerfettoFlowsStartAtTheLaunchTablesCall) {
  const Trace t = merged();
  const std::string path = tmp("merged.pftrace");
  write_perfetto_file(t, path);
  pb::Trace tr;
  ASSERT_TRUE(tr.ParseFromString(slurp(path)));
  // Perfetto's times: ns on the trace's clock. A flow id's start: the call's (thread track, ts).
  std::map<uint64_t, std::string> names;
  std::map<uint64_t, int64_t> tid_of_track;
  std::map<uint64_t, std::pair<uint64_t, double>> from;  // flow id -> (track, ts us)
  std::map<uint64_t, std::string> to;                    // flow id -> kernel name
  for (const auto& p : tr.packet()) {
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    if (p.has_track_descriptor() && p.track_descriptor().has_thread())
      tid_of_track[p.track_descriptor().uuid()] = p.track_descriptor().thread().tid();
    if (!p.has_track_event()) continue;
    const auto& e = p.track_event();
    for (uint64_t id : e.flow_ids()) from[id] = {e.track_uuid(), static_cast<double>(p.timestamp()) / 1000.0};
    for (uint64_t id : e.terminating_flow_ids()) to[id] = names[e.name_iid()];
  }
  std::map<std::string, std::pair<int64_t, double>> got;
  for (const auto& [id, s] : from) {
    ASSERT_TRUE(to.count(id)) << id;
    ASSERT_TRUE(tid_of_track.count(s.first)) << "flow " << id << " starts on a track with no thread";
    got[to[id]] = {tid_of_track[s.first], s.second};
  }
  EXPECT_EQ(got, kLaunchOf);
}

TEST(KinetoExports, MergedRanksHtmlTimelineLinesStartAtTheLaunchTablesCall) {
  const Trace t = merged();
  const html::Timeline tl = html::render_timeline(t, {});
  EXPECT_EQ(tl.flows, 4u);
  // Each mark's left edge and lane top by its title's name; a flow line's ends are its call's and
  // its activity's left edges (x) and lane middles (y).
  std::map<std::string, std::vector<std::pair<double, int>>> marks;  // name -> (x, y) of each mark
  const std::regex mark_re("<rect class=\"mark\" x=\"([0-9.]+)\" y=\"([0-9]+)\"[^>]*><title>([^ <]+) \\(");
  for (auto it = std::sregex_iterator(tl.svg.begin(), tl.svg.end(), mark_re); it != std::sregex_iterator(); ++it)
    marks[(*it)[3].str()].push_back({std::stod((*it)[1].str()), std::stoi((*it)[2].str())});
  ASSERT_EQ(marks["cudaLaunchKernel"].size(), 4u);
  std::vector<std::pair<double, int>> calls = marks["cudaLaunchKernel"];
  std::sort(calls.begin(), calls.end());  // by start: 100, 101, 120, 125 us
  const std::map<double, size_t> call_of_start = {{100.0, 0}, {101.0, 1}, {120.0, 2}, {125.0, 3}};
  // The call's lane: rank 0's thread and rank 1's thread are different lanes.
  EXPECT_NE(calls[2].second, calls[3].second);
  std::map<std::string, std::pair<double, double>> got;  // kernel -> (x1, y1) of its line
  const std::regex flow_re("<line class=\"flow\" x1=\"([0-9.]+)\" y1=\"([0-9]+)\" x2=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(tl.svg.begin(), tl.svg.end(), flow_re); it != std::sregex_iterator(); ++it)
    for (const auto& [name, launch] : kLaunchOf)
      if (marks[name].size() == 1 && std::stod((*it)[3].str()) == marks[name][0].first)
        got[name] = {std::stod((*it)[1].str()), std::stod((*it)[2].str())};
  ASSERT_EQ(got.size(), 4u);
  for (const auto& [name, launch] : kLaunchOf) {
    const auto& call = calls[call_of_start.at(launch.second)];
    EXPECT_EQ(got[name].first, call.first) << name;
    // The line starts in the call's lane: its y lies inside the mark's rows.
    EXPECT_GT(got[name].second, call.second) << name;
    EXPECT_LT(got[name].second, call.second + 20) << name;
  }
}
