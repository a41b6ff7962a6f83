// The exports of a Kineto trace (hand-written below): the CSV tables, the SQLite kernel means and
// the Chrome JSON's GPU tracks, as a user's script or viewer reads them. Every expected value is
// worked out here from the event list (microseconds * 1000, the columns of
// docs/recording-format.md and docs/sqlite-schema.md), not taken from the program.
#include <gtest/gtest.h>

#include <algorithm>
#include <sqlite3.h>

#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <vector>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/launch.h"
#include "file_text.h"
#include "kineto_test_util.h"
#include "loss_window_make.h"
#include "report/exports.h"
#include "report/sqlite_export.h"
#include "sqlite_query.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;

namespace {

// One operator, a runtime launch with the driver call it made inside it (both carry correlation
// 24, as CUPTI writes them), a copy and a set, and a synchronize on a process named by a string
// (a named pid: -2, docs/ingest.md). The kernel's name has a comma, as C++ template names do.
const std::string kTrace = R"J({"traceEvents": [
  {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 439, "tid": 440, "ts": 80.5, "dur": 40, "args": {"External id": 11}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 439, "tid": 440, "ts": 90, "dur": 5.125, "args": {"External id": 11, "cbid": 211, "correlation": 24}},
  {"ph": "X", "cat": "cuda_driver", "name": "cuLaunchKernel", "pid": 439, "tid": 440, "ts": 91, "dur": 3, "args": {"External id": 11, "cbid": 307, "correlation": 24}},
  {"ph": "X", "cat": "kernel", "name": "gemm<float, 4>", "pid": 1, "tid": 7, "ts": 100.001, "dur": 2.5, "args": {"External id": 11, "device": 1, "stream": 7, "correlation": 24, "grid": [512, 2, 3], "block": [96, 1, 1]}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaMemcpyAsync", "pid": 439, "tid": 440, "ts": 105, "dur": 2, "args": {"cbid": 41, "correlation": 25}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaMemsetAsync", "pid": 439, "tid": 440, "ts": 108, "dur": 1, "args": {"cbid": 51, "correlation": 26}},
  {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD (Pageable -> Device)", "pid": 1, "tid": 7, "ts": 110, "dur": 1.5, "args": {"device": 1, "stream": 7, "correlation": 25}},
  {"ph": "X", "cat": "gpu_memset", "name": "Memset (Device)", "pid": 1, "tid": 7, "ts": 115, "dur": 0.5, "args": {"device": 1, "stream": 7, "correlation": 26}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaStreamSynchronize", "pid": "serving", "tid": 12, "ts": 130, "dur": 4, "args": {"cbid": 131, "correlation": 27}}
]})J";

}  // namespace

TEST(KinetoExports, CsvTablesOfAKinetoTrace) {
  const Trace t = load_text(kTrace);
  const auto dir = std::filesystem::temp_directory_path() / ("infertrace_kineto_csv_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);  // made by the CLI (cli/export_outputs.h)
  write_csv_tables(t, dir.string());
  // Kineto gives no CPU and no stream for a call: empty fields. The named pid is -2, a known value.
  EXPECT_EQ(slurp(dir / "launches.csv"),
            "ts_ns,pid,tid,cpu,api,dur_ns,stream\n"
            "90000,439,440,,cudaLaunchKernel,5125,\n"
            "91000,439,440,,cuLaunchKernel,3000,\n"
            "105000,439,440,,cudaMemcpyAsync,2000,\n"
            "108000,439,440,,cudaMemsetAsync,1000,\n"
            "130000,-2,12,,cudaStreamSynchronize,4000,\n");
  // The kernel's launch is the first call with its correlation (the runtime call, 90 us, not the
  // driver call inside it); its name is quoted for its comma. Copies and sets have no geometry:
  // six empty fields, not zeros.
  EXPECT_EQ(slurp(dir / "gpu.csv"),
            "ts_ns,dur_ns,kind,device,stream,correlation,launch_ts_ns,launch_tid,name,grid_x,grid_y,grid_z,block_x,"
            "block_y,block_z\n"
            "100001,2500,kernel,1,7,24,90000,440,\"gemm<float, 4>\",512,2,3,96,1,1\n"
            "110000,1500,memcpy,1,7,25,105000,440,Memcpy HtoD (Pageable -> Device),,,,,,\n"
            "115000,500,memset,1,7,26,108000,440,Memset (Device),,,,,,\n");
  // Threads by pid: the named process (-2) first; thread 440 from the operator's start (80.5 us)
  // to its end (80.5 + 40 = 120.5 us), later than its last call's end (109 us).
  EXPECT_EQ(slurp(dir / "threads.csv"),
            "pid,tid,comm,first_ts_ns,last_ts_ns\n"
            "-2,12,,130000,134000\n"
            "439,440,,80500,120500\n");
  // The operators, as SQLite's operator table has them (review DJ L4: CSV had none): aten::mm from
  // 80.5 us for 40 us, External id 11, not a user annotation.
  EXPECT_EQ(slurp(dir / "operators.csv"),
            "ts_ns,dur_ns,pid,tid,external_id,name,user_annotation\n"
            "80500,40000,439,440,11,aten::mm,0\n");
  // export refuses another output at a table's name (kCsvTableNames): every file written is listed.
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    EXPECT_NE(std::find_if(std::begin(kCsvTableNames), std::end(kCsvTableNames), [&](const char* n) { return name == n; }),
              std::end(kCsvTableNames))
        << name << " is not in kCsvTableNames";
  }
  std::filesystem::remove_all(dir);
}

TEST(KinetoExports, SqliteKernelMeansAreRealNumbers) {
  // Kernel "a" ran 2.501 us and 2 us: mean (2501 + 2000) / 2 = 2250.5 ns, not 2250. Kernel "b" ran
  // 1 us and 2 us: mean 1500 ns, still a REAL (docs/sqlite-schema.md), as a reader's typed column
  // expects, not an INTEGER that a whole number would otherwise become.
  std::string events;
  const std::pair<const char*, const char*> kernels[] = {{"a", "2.501"}, {"a", "2"}, {"b", "1"}, {"b", "2"}};
  int corr = 1;
  for (auto [name, dur] : kernels) {
    const std::string ts = std::to_string(1000 + corr * 10);
    if (!events.empty()) events += ",";
    events += R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 5, "tid": 6, "ts": )" + ts +
              R"(, "dur": 1, "args": {"correlation": )" + std::to_string(corr) + "}},";
    events += R"({"ph": "X", "cat": "kernel", "name": ")" + std::string(name) + R"(", "pid": 0, "tid": 7, "ts": )" + ts +
              R"(.5, "dur": )" + dur + R"(, "args": {"device": 0, "stream": 7, "correlation": )" + std::to_string(corr) + "}}";
    ++corr;
  }
  const Trace t = load_text("{\"traceEvents\": [" + events + "]}");
  ASSERT_EQ(t.gpu.size(), 4u);
  const LaunchAnalysis la = analyze_launches(t);
  SqliteAnalyses an;
  an.launch = &la;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("infertrace_kineto_means_" + std::to_string(getpid()) + ".db")).string();
  write_sqlite_file(t, path, an);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(scalar(db, "select count from kernel_stat where name='a'"), "2");
  EXPECT_EQ(scalar(db, "select total_ns from kernel_stat where name='a'"), "4501");
  EXPECT_EQ(scalar(db, "select mean_ns from kernel_stat where name='a'"), "2250.5");
  EXPECT_EQ(scalar(db, "select typeof(mean_ns) from kernel_stat where name='b'"), "real");
  EXPECT_EQ(scalar(db, "select mean_ns from kernel_stat where name='b'"), "1500.0");
  EXPECT_EQ(scalar(db, "select type from pragma_table_info('kernel_stat') where name='mean_ns'"), "REAL");
  sqlite3_close(db);
  std::filesystem::remove(path);
}

TEST(KinetoExports, ChromeGpuTracksAreNamedByDeviceAndStream) {
  // The kernel, copy and set ran on device 1, stream 7: one process "GPU 1" and in it one track
  // (tid 7) named "stream 7", holding the three slices.
  const Trace t = load_text(kTrace);
  const auto path = std::filesystem::temp_directory_path() / ("infertrace_kineto_chrome_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  std::filesystem::remove(path);
  std::map<int64_t, std::string> process_names;
  std::map<std::pair<int64_t, int64_t>, std::string> thread_names;
  std::map<std::string, std::pair<int64_t, int64_t>> where;  // slice name -> (pid, tid)
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e.value("ph", "");
    if (ph == "M" && e["name"] == "process_name") process_names[e["pid"]] = e["args"]["name"];
    if (ph == "M" && e["name"] == "thread_name") thread_names[{e["pid"], e["tid"]}] = e["args"]["name"];
    if (ph == "X") where[e["name"]] = {e["pid"], e["tid"]};
  }
  ASSERT_TRUE(where.count("gemm<float, 4>"));
  const auto [gpu_pid, gpu_tid] = where["gemm<float, 4>"];
  EXPECT_EQ(gpu_tid, 7);
  EXPECT_EQ(process_names[gpu_pid], "GPU 1");
  EXPECT_EQ(thread_names[std::make_pair(gpu_pid, gpu_tid)], "stream 7");
  EXPECT_EQ(where["Memcpy HtoD (Pageable -> Device)"], where["gemm<float, 4>"]);
  EXPECT_EQ(where["Memset (Device)"], where["gemm<float, 4>"]);
}

// The Chrome export's made-up processes ("CPUs", "recorder loss", "other host events") and every GPU's
// process are distinct pids whatever the device: a negative device (kept as it is, docs/ingest.md)
// landed on them (review SQ L2: device -40 was "other host events", -50 "recorder loss", -100
// "CPUs"). Each pid is named once, and each GPU slice is in the process named for its device.
TEST(KinetoExports, ChromeGpuProcessesNeverShareAPid) {
  Trace t;
  t.other_host_starts.push_back(50);
  t.irqs.push({8'000, 300, 0, IrqKind::Hard, 35, t.strings.intern("nvidia"), -1, -1});
  t.loss_windows.push_back(make_loss_window(9'000, 9'500, 0, 2, 0));
  const std::vector<int32_t> devices = {-40, -50, -100, -1, 0, 3, std::numeric_limits<int32_t>::min(),
                                        std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::max() - 1,
                                        1147483547, 1147483548, std::numeric_limits<int32_t>::min() + 1};
  for (size_t i = 0; i < devices.size(); ++i) {
    GpuActivity g;
    g.start = 1'000 + 100 * static_cast<ns_t>(i), g.dur = 10, g.device = devices[i], g.stream = 7;
    g.name = t.strings.intern("k" + std::to_string(devices[i]));
    t.gpu.push(g);
  }
  const auto path = std::filesystem::temp_directory_path() / ("infertrace_kineto_devneg_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  std::filesystem::remove(path);
  std::map<int64_t, std::vector<std::string>> names_of_pid;
  std::map<std::string, int64_t> pid_of_kernel;
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e.value("ph", "");
    // Every pid within int32 (review DH L10: device -1 was at 3,147,483,748, INT32_MIN past 2^32),
    // as a JSON importer that keeps a pid in 32 bits needs.
    if (e.contains("pid") && e["pid"].is_number()) {
      EXPECT_TRUE(e["pid"].is_number_integer()) << e.dump();
      EXPECT_LT(e["pid"].get<double>(), 2147483648.0) << e.dump();
      EXPECT_GE(e["pid"].get<double>(), -2147483648.0) << e.dump();
    }
    if (ph == "M" && e["name"] == "process_name") names_of_pid[e["pid"]].push_back(e["args"]["name"]);
    if (ph == "X" && e.value("cat", "") == "kernel") pid_of_kernel[e["name"]] = e["pid"];
  }
  for (const auto& [pid, names] : names_of_pid) EXPECT_EQ(names.size(), 1u) << pid << ": " << names.front() << ", ...";
  std::set<int64_t> gpu_pids;
  for (int32_t d : devices) {
    const std::string k = "k" + std::to_string(d);
    ASSERT_TRUE(pid_of_kernel.count(k)) << k;
    const int64_t pid = pid_of_kernel[k];
    gpu_pids.insert(pid);
    ASSERT_TRUE(names_of_pid.count(pid)) << k;
    EXPECT_EQ(names_of_pid[pid].back(), "GPU " + std::to_string(d)) << k;
  }
  EXPECT_EQ(gpu_pids.size(), devices.size());
  std::set<std::string> others;
  for (const auto& [pid, names] : names_of_pid)
    if (!gpu_pids.count(pid)) others.insert(names.begin(), names.end());
  EXPECT_EQ(others, (std::set<std::string>{"CPUs", "recorder loss", "other host events"}));
}

TEST(KinetoExports, GpuCsvAndChromeNameTheSameLaunchCall) {
  // A synchronous cudaMemcpy (kind Other) made its copy through the driver's cuMemcpyHtoDAsync_v2
  // (a launch-kind call), both with correlation 30: the launch is the driver call (201 us), though
  // the runtime call comes first. Correlation 31 has only a cudaMemcpy: it is the launch (220 us).
  // gpu.csv's launch_ts_ns/launch_tid and the Chrome flow starts follow that one rule
  // (docs/recording-format.md); so does Perfetto (PerfettoExport tests).
  const Trace t = load_text(R"J({"traceEvents": [
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaMemcpy", "pid": 439, "tid": 440, "ts": 200, "dur": 30, "args": {"correlation": 30}},
  {"ph": "X", "cat": "cuda_driver", "name": "cuMemcpyHtoDAsync_v2", "pid": 439, "tid": 440, "ts": 201, "dur": 2, "args": {"correlation": 30}},
  {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD (Pinned -> Device)", "pid": 0, "tid": 7, "ts": 205, "dur": 20, "args": {"device": 0, "stream": 7, "correlation": 30}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaMemcpy", "pid": 439, "tid": 441, "ts": 220, "dur": 10, "args": {"correlation": 31}},
  {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy DtoH (Device -> Pinned)", "pid": 0, "tid": 7, "ts": 222, "dur": 5, "args": {"device": 0, "stream": 7, "correlation": 31}}
]})J");
  ASSERT_EQ(t.api.size(), 3u);
  ASSERT_FALSE(is_launch(t.api.kind[0]));
  ASSERT_TRUE(is_launch(t.api.kind[1]));
  const auto dir = std::filesystem::temp_directory_path() / ("infertrace_kineto_launch_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);  // made by the CLI (cli/export_outputs.h)
  write_csv_tables(t, dir.string());
  EXPECT_EQ(slurp(dir / "gpu.csv"),
            "ts_ns,dur_ns,kind,device,stream,correlation,launch_ts_ns,launch_tid,name,grid_x,grid_y,grid_z,block_x,"
            "block_y,block_z\n"
            "205000,20000,memcpy,0,7,30,201000,440,Memcpy HtoD (Pinned -> Device),,,,,,\n"
            "222000,5000,memcpy,0,7,31,220000,441,Memcpy DtoH (Device -> Pinned),,,,,,\n");
  std::filesystem::remove_all(dir);

  const auto path = std::filesystem::temp_directory_path() / ("infertrace_kineto_launch_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  std::filesystem::remove(path);
  // Each arrow: its "s" (the launch call's thread and start) and its "f" (the activity's start), by id.
  std::map<int64_t, std::pair<int64_t, double>> start_of;  // id -> (tid, ts us)
  std::map<int64_t, double> end_of;                        // id -> ts us
  for (const auto& e : j["traceEvents"]) {
    if (e.value("ph", "") == "s") start_of[e["id"]] = {e["tid"], e["ts"]};
    if (e.value("ph", "") == "f") end_of[e["id"]] = e["ts"];
  }
  std::set<std::tuple<int64_t, double, double>> arrows;  // (launch tid, launch ts, activity ts)
  for (auto& [id, s] : start_of) {
    ASSERT_TRUE(end_of.count(id)) << id;
    arrows.insert({s.first, s.second, end_of[id]});
  }
  EXPECT_EQ(arrows, (std::set<std::tuple<int64_t, double, double>>{{440, 201.0, 205.0}, {441, 220.0, 222.0}}));
}

TEST(KinetoExports, LaunchCallIsTheEarliestStartingLaunchNotTheFirstRow) {
  // Correlation 40: the driver call cuLaunchKernel (tid 441, 1012 us) is listed before the runtime
  // call cudaLaunchKernel that made it (tid 440, 1010 us). The analysis takes the earliest-starting
  // launch call as the logical launch (analysis/launch.cpp); gpu.csv and the Chrome arrow name the
  // same call (review RT L1: they took the first row, the driver call).
  const Trace t = load_text(R"J({"traceEvents": [
  {"ph": "X", "cat": "cuda_driver", "name": "cuLaunchKernel", "pid": 439, "tid": 441, "ts": 1012, "dur": 2, "args": {"correlation": 40}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 439, "tid": 440, "ts": 1010, "dur": 6, "args": {"correlation": 40}},
  {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 1020, "dur": 3, "args": {"device": 0, "stream": 7, "correlation": 40}}
]})J");
  ASSERT_EQ(t.api.size(), 2u);
  ASSERT_TRUE(is_launch(t.api.kind[0]) && is_launch(t.api.kind[1]));
  const auto dir = std::filesystem::temp_directory_path() / ("infertrace_kineto_earliest_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  write_csv_tables(t, dir.string());
  EXPECT_EQ(slurp(dir / "gpu.csv"),
            "ts_ns,dur_ns,kind,device,stream,correlation,launch_ts_ns,launch_tid,name,grid_x,grid_y,grid_z,block_x,"
            "block_y,block_z\n"
            "1020000,3000,kernel,0,7,40,1010000,440,k,,,,,,\n");
  std::filesystem::remove_all(dir);
  const auto path = std::filesystem::temp_directory_path() / ("infertrace_kineto_earliest_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  std::filesystem::remove(path);
  int arrows = 0;
  for (const auto& e : j["traceEvents"])
    if (e.value("ph", "") == "s") {
      ++arrows;
      EXPECT_EQ(e["tid"], 440);
      EXPECT_DOUBLE_EQ(e["ts"].get<double>(), 1010.0);
    }
  EXPECT_EQ(arrows, 1);
}

// A legacy autograd trace (no category, pid "CPU functions", times from the profile's start) whose
// first operator starts at 0: the reader keeps it (docs/ingest.md). Exported, it is a Kineto
// operator at ts 0, which the reader would take as a zeroed field; the export marks it
// ("zero_ts": "real", only on that event), so read back every operator is there at its time
// (review RT M2).
TEST(KinetoExports, LegacyOperatorAtZeroSurvivesTheChromeRoundTrip) {
  const Trace t = load_text(R"J([
  {"name": "aten::empty", "ph": "X", "ts": 0, "dur": 5, "tid": 1, "pid": "CPU functions", "args": {}},
  {"name": "aten::add", "ph": "X", "ts": 3, "dur": 10, "tid": 1, "pid": "CPU functions", "args": {}},
  {"name": "aten::mul", "ph": "X", "ts": 20, "dur": 4, "tid": 1, "pid": "CPU functions", "args": {}}
])J");
  ASSERT_EQ(t.ops.size(), 3u);
  ASSERT_EQ(t.ops.start[0], 0);
  const auto path = std::filesystem::temp_directory_path() / ("infertrace_kineto_zero_ts_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  const std::string text = slurp(path);
  const auto j = nlohmann::json::parse(text);
  int marked = 0;
  for (const auto& e : j["traceEvents"])
    if (e.value("ph", "") == "X") {
      const bool at_zero = e["ts"].get<double>() == 0.0;
      const bool mark = e.contains("args") && e["args"].value("zero_ts", "") == "real";
      EXPECT_EQ(mark, at_zero) << e.dump();
      marked += mark;
    }
  EXPECT_EQ(marked, 1);
  const Trace back = load_trace(path.string());
  std::filesystem::remove(path);
  EXPECT_TRUE(back.skipped.empty());
  ASSERT_EQ(back.ops.size(), t.ops.size());
  for (size_t i = 0; i < t.ops.size(); ++i) {
    EXPECT_EQ(back.str(back.ops.name[i]), t.str(t.ops.name[i]));
    EXPECT_EQ(back.ops.start[i], t.ops.start[i]);
    EXPECT_EQ(back.ops.dur[i], t.ops.dur[i]);
    EXPECT_EQ(back.ops.pid[i], t.ops.pid[i]);
    EXPECT_EQ(back.ops.tid[i], t.ops.tid[i]);
  }
}

// The facts the reader keeps from a Kineto trace's top level (meta "kineto.KEY" for a scalar
// member, "device.N.name" for deviceProperties) are written back as top-level members, so a round
// trip reads the same facts (review RT L2): numbers, booleans, a string that looks like a number,
// one with escapes, a device list with a nameless entry between two named ones, a member written
// after the event array. The reader's own count (kineto.zero_duration_events) is no member.
TEST(KinetoExports, TopLevelFactsSurviveTheChromeRoundTrip) {
  const Trace t = load_text(R"J({"schemaVersion": 1, "cuda_driver_version": 13000, "flag": true, "numstr": "123",
  "trace_id": "2B3F", "weird": "a\"b\\c\td\u0001", "displayTimeUnit": "ms", "baseTimeNanoseconds": 1790857026000000000,
  "ratio": -1.5e-3, "distributedInfo": {"rank": 0},
  "deviceProperties": [{"id": 0, "name": "GPU \"A\""}, {"id": 1, "totalGlobalMem": 5}, {"id": 2, "name": "GPU C"}],
  "traceEvents": [
  {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 439, "tid": 440, "ts": 80, "dur": 0, "args": {}}
], "traceName": "/tmp/t.json"})J");
  const auto facts = [](const Trace& x) {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : x.meta)
      if (k.rfind("kineto.", 0) == 0 || k.rfind("device.", 0) == 0) m[k] = v;
    return m;
  };
  const auto before = facts(t);
  // What the reader kept (docs/ingest.md): every scalar member as its text (not distributedInfo),
  // the two device names, and its own count.
  std::set<std::string> keys;
  for (const auto& [k, v] : before) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"kineto.schemaVersion", "kineto.cuda_driver_version", "kineto.flag",
                                         "kineto.numstr", "kineto.trace_id", "kineto.weird", "kineto.displayTimeUnit",
                                         "kineto.baseTimeNanoseconds", "kineto.ratio", "kineto.traceName",
                                         "device.0.name", "device.2.name", "kineto.zero_duration_events"}));
  EXPECT_EQ(before.at("kineto.weird"), "a\"b\\c\td\x01");
  EXPECT_EQ(before.at("device.2.name"), "GPU C");
  EXPECT_EQ(before.count("device.1.name"), 0u);
  EXPECT_EQ(before.at("kineto.zero_duration_events"), "1");
  const auto path = std::filesystem::temp_directory_path() / ("infertrace_kineto_facts_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  EXPECT_FALSE(j.contains("zero_duration_events"));
  EXPECT_EQ(j["displayTimeUnit"], "ms");
  EXPECT_EQ(j["cuda_driver_version"], 13000);  // a number stays a number
  EXPECT_EQ(j["flag"], true);
  ASSERT_EQ(j["deviceProperties"].size(), 3u);
  EXPECT_EQ(j["deviceProperties"][1], nlohmann::json::object());
  const Trace back = load_trace(path.string());
  EXPECT_EQ(facts(back), before);
  // Written again from the re-read trace: the same bytes.
  const auto again = std::filesystem::temp_directory_path() / ("infertrace_kineto_facts2_" + std::to_string(getpid()) + ".json");
  write_chrome_json(back, again.string());
  EXPECT_EQ(slurp(again), slurp(path));
  std::filesystem::remove(path);
  std::filesystem::remove(again);
}

// A trace without Kineto facts (a recording, a bare event list) gets displayTimeUnit "ns" alone.
TEST(KinetoExports, NoFactsGiveDisplayTimeUnitNanoseconds) {
  const Trace t = load_text(kTrace);
  const auto path = std::filesystem::temp_directory_path() / ("infertrace_kineto_nofacts_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  std::filesystem::remove(path);
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"traceEvents", "displayTimeUnit"}));
  EXPECT_EQ(j["displayTimeUnit"], "ns");
}

// A trace with facts but no displayTimeUnit gets "ns", and written again from the trace read back
// (where "ns" is now a fact) the file is the same bytes: the unit comes first either way (once it
// was appended after the trace's facts the first time and sorted among them the second).
TEST(KinetoExports, SecondRoundTripIsTheSameBytesWithoutADisplayTimeUnit) {
  const Trace t = load_text(R"J({"schemaVersion": 1, "deviceProperties": [{"id": 0, "name": "NVIDIA H100"}],
  "traceEvents": [
  {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 439, "tid": 440, "ts": 80, "dur": 3, "args": {}}
]})J");
  ASSERT_EQ(t.meta.count("kineto.displayTimeUnit"), 0u);
  const auto dir = std::filesystem::temp_directory_path();
  const auto first = dir / ("infertrace_kineto_unit1_" + std::to_string(getpid()) + ".json");
  const auto second = dir / ("infertrace_kineto_unit2_" + std::to_string(getpid()) + ".json");
  write_chrome_json(t, first.string());
  const Trace back = load_trace(first.string());
  EXPECT_EQ(back.meta.at("kineto.displayTimeUnit"), "ns");
  EXPECT_EQ(back.meta.at("kineto.schemaVersion"), "1");
  EXPECT_EQ(back.meta.at("device.0.name"), "NVIDIA H100");
  write_chrome_json(back, second.string());
  EXPECT_EQ(slurp(second), slurp(first));
  std::filesystem::remove(first);
  std::filesystem::remove(second);
}

namespace {

// The trace a --chrome export of `t` reads back as.
Trace chrome_round_trip(const Trace& t, const std::string& tag) {
  const auto path = std::filesystem::temp_directory_path() / ("infertrace_chrome_rt_" + tag + std::to_string(getpid()) + ".json");
  write_chrome_json(t, path.string());
  Trace back = load_text(slurp(path));
  std::filesystem::remove(path);
  return back;
}

}  // namespace

// A trace without operators: its inference latency starts at its earliest host event, which may be
// one that no table keeps (a python_function range; Trace::other_host_starts). The --chrome export
// writes those starts back, so `analyze` of the export gives the original's window (before, the
// export dropped them and the IL started at the first CUDA call: 1.5 ms shorter on gpt2 bs1).
TEST(KinetoExports, ChromeRoundTripKeepsOtherHostStarts) {
  constexpr double kPy = 100, kKernel = 1020, kKernelDur = 30;  // us, as written below
  const Trace t = load_text(R"J({"traceEvents": [
  {"ph": "X", "cat": "python_function", "name": "model.py(12): forward", "pid": 439, "tid": 440, "ts": 100, "dur": 2000},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 439, "tid": 440, "ts": 1000, "dur": 10, "args": {"correlation": 5}},
  {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 1020, "dur": 30, "args": {"device": 0, "stream": 7, "correlation": 5}}
]})J");
  ASSERT_EQ(t.other_host_starts, std::vector<ns_t>{static_cast<ns_t>(kPy * 1000)});
  const ns_t want_il = static_cast<ns_t>((kKernel + kKernelDur - kPy) * 1000);
  EXPECT_EQ(analyze_launches(t).inference_latency, want_il);
  const Trace back = chrome_round_trip(t, "py");
  EXPECT_EQ(back.other_host_starts, t.other_host_starts);
  const LaunchAnalysis a = analyze_launches(t), b = analyze_launches(back);
  EXPECT_EQ(b.inference_latency, want_il);
  EXPECT_EQ(b.t_begin, a.t_begin);
  EXPECT_EQ(b.gpu_idle, a.gpu_idle);
  EXPECT_EQ(b.cpu_idle, a.cpu_idle);
  EXPECT_EQ(back.ops.size(), 0u);
}

// A recording's OS events in the export (a syscall before the first CUDA call here) are no host
// starts of a Kineto trace: read back, the IL still starts at the first call, as the recording's.
TEST(KinetoExports, ChromeRoundTripOfOsEventsAddsNoHostStarts) {
  Trace t;
  t.source = TraceSource::Recording;
  constexpr ns_t kSys = 100'000, kCall = 1'000'000, kKernel = 1'020'000, kKernelDur = 30'000;
  Syscall s;
  s.ts = kSys, s.dur = 5'000, s.pid = 439, s.tid = 440, s.nr = 16, s.name = t.strings.intern("ioctl");
  t.syscalls.push(s);
  ApiCall c;
  c.start = kCall, c.dur = 10'000, c.pid = 439, c.tid = 440, c.correlation = 5;
  c.name = t.strings.intern("cudaLaunchKernel"), c.kind = classify_api("cudaLaunchKernel");
  t.api.push(c);
  GpuActivity g;
  g.start = kKernel, g.dur = kKernelDur, g.device = 0, g.stream = 7, g.correlation = 5, g.name = t.strings.intern("k");
  t.gpu.push(g);
  const ns_t want_il = kKernel + kKernelDur - kCall;
  EXPECT_EQ(analyze_launches(t).inference_latency, want_il);
  const Trace back = chrome_round_trip(t, "os");
  EXPECT_TRUE(back.other_host_starts.empty());
  EXPECT_EQ(analyze_launches(back).inference_latency, want_il);
}
