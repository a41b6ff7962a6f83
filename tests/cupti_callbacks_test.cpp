// The callbacks CUPTI refused, from the injection library's RingCallbacks record to the outputs:
// the record's builder (the library's own code) and its bound, the merge's META, the reading of that
// META, and `analyze` (JSON and text) of a process whose launch callbacks were all refused. The
// producer is the synthetic one (support/cupti_synth/cupti_synth_producer.h); no GPU is needed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "analysis/launch.h"
#include "ingest/recording/cupti_callbacks.h"
#include "ingest/recording/recording_reader.h"
#include "record/cupti_callbacks_record.h"
#include "record/cupti_merge.h"
#include "record/itrace_writer.h"
#include "report/analyze_json.h"
#include "report/analyze_text.h"
#include "report/sqlite_export.h"
#include "sqlite_query.h"
#include "support/cupti_synth/cupti_synth_producer.h"

namespace infertrace {
namespace {

struct Decoded {
  bool ok = false;
  cupti::RingCallbacks head{};
  std::vector<std::string> names;
};

Decoded round_trip(const cupti::CallbacksRecordBuilder& b) {
  unsigned char buf[cupti::CallbacksRecordBuilder::kMaxPayload];
  const uint32_t n = b.write(buf);
  Decoded d;
  d.ok = cupti::read_callbacks_record(buf, n, d.head, d.names);
  return d;
}

// A name of `len` characters, distinct per `i`.
std::string long_name(int i, size_t len) {
  std::string s = "cuFakeApi" + std::to_string(i) + "_";
  s.resize(len, 'x');
  return s;
}

// The library counts a callback as launch-class by CUPTI's own spelling of its name (version and
// per-thread-stream suffixes included): every call the analyses count as a launch, so kernel and
// graph launches and async copies and sets, not synchronous copies or syncs.
TEST(CuptiCallbacks, LaunchCallbacksAreEveryLaunchClassApiByCuptiName) {
  for (const char* n : {"cudaLaunchKernel_v7000", "cudaLaunchKernel_ptsz_v7000", "cudaLaunchKernelExC_v11060",
                        "cuLaunchKernel", "cuLaunchKernelEx", "cuLaunchKernel_ptsz", "cudaGraphLaunch_v10000",
                        "cudaGraphLaunch_ptsz_v10000", "cuGraphLaunch", "cudaLaunchCooperativeKernel_v9000",
                        "cudaMemcpyAsync_v3020", "cuMemcpyHtoDAsync_v2", "cudaMemsetAsync_ptsz_v7000",
                        "cuMemsetD32Async"})
    EXPECT_TRUE(cupti::is_launch_callback(n)) << n;
  for (const char* n : {"cudaStreamSynchronize_v3020", "cudaMemcpy_v3020", "cuCtxSynchronize", "cudaMemset_v3020",
                        "cudaMalloc_v3020"})
    EXPECT_FALSE(cupti::is_launch_callback(n)) << n;
}

TEST(CuptiCallbacks, BuilderListsRefusedNamesAndCountsEnabled) {
  cupti::CallbacksRecordBuilder b(31);
  b.enabled("cudaLaunchKernel_v7000");
  b.enabled("cudaStreamSynchronize_v3020");
  b.enabled("cudaMemcpyAsync_v3020");
  b.enabled("cudaMalloc_v3020");
  b.refused("cuLaunchKernelEx");
  b.refused("cudaMemcpy_v3020");
  b.refused("cudaGraphLaunch_v10000");
  const Decoded d = round_trip(b);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.head.pid, 31u);
  EXPECT_EQ(d.head.enabled, 4u);
  EXPECT_EQ(d.head.launch_enabled, 2u);  // the kernel launch and the async copy
  EXPECT_EQ(d.head.kernel_launch_enabled, 1u);  // the kernel launch alone
  EXPECT_EQ(d.head.refused, 3u);
  EXPECT_EQ(d.head.launch_refused, 2u);  // not the synchronous copy
  EXPECT_EQ(d.names, (std::vector<std::string>{"cuLaunchKernelEx", "cudaMemcpy_v3020", "cudaGraphLaunch_v10000"}));
}

// The list is cut after the last whole name that fits the bound; a shorter name after the cut is
// not listed either (the listed names are always the first ones), and the count keeps every one.
TEST(CuptiCallbacks, LongListIsCutAtTheBoundAndSaysHowManyAreMissing) {
  const size_t len = 100;
  const size_t fit = cupti::kRefusedNamesMaxBytes / (len + 1);  // each name and its NUL
  const int total = static_cast<int>(fit) + 5;
  cupti::CallbacksRecordBuilder b(32);
  b.enabled("cuLaunchKernel");
  std::vector<std::string> expected;
  for (int i = 0; i < total; ++i) {
    const std::string n = long_name(i, len);
    b.refused(n.c_str());
    if (static_cast<size_t>(i) < fit) expected.push_back(n);
  }
  b.refused("cuA");  // short enough to fit the space left, but after the cut
  b.refused("cuLaunchKernelEx");  // after the cut too: not listed, but counted as launch-class
  const Decoded d = round_trip(b);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.head.refused, static_cast<uint32_t>(total + 2));
  EXPECT_EQ(d.head.launch_refused, 1u);
  EXPECT_EQ(d.head.listed, fit);
  EXPECT_EQ(d.names, expected);
  EXPECT_LE(d.head.len, cupti::kRefusedNamesMaxBytes);
  // The largest record fits the smallest ring, so the library's push cannot be refused for its size.
  cupti::Ring small = cupti::Ring::create_anonymous(64);
  unsigned char buf[cupti::CallbacksRecordBuilder::kMaxPayload];
  EXPECT_TRUE(small.push(cupti::kRecCallbacks, buf, b.write(buf)));
}

TEST(CuptiCallbacks, MalformedRecordsAreRefused) {
  cupti::CallbacksRecordBuilder b(33);
  b.enabled("cuLaunchKernel");
  b.refused("cuLaunchKernelEx");
  unsigned char buf[cupti::CallbacksRecordBuilder::kMaxPayload];
  const uint32_t n = b.write(buf);
  cupti::RingCallbacks head;
  std::vector<std::string> names;
  EXPECT_TRUE(cupti::read_callbacks_record(buf, n, head, names));
  EXPECT_FALSE(cupti::read_callbacks_record(buf, sizeof(cupti::RingCallbacks) - 1, head, names));  // short struct
  EXPECT_FALSE(cupti::read_callbacks_record(buf, n - 1, head, names));  // text shorter than len
  cupti::RingCallbacks bad{};
  std::memcpy(&bad, buf, sizeof(bad));
  bad.listed = 2;  // says two names, holds one
  std::memcpy(buf, &bad, sizeof(bad));
  EXPECT_FALSE(cupti::read_callbacks_record(buf, n, head, names));
  bad.listed = 1;
  bad.launch_refused = 2;  // more launch-class refusals than refusals
  std::memcpy(buf, &bad, sizeof(bad));
  EXPECT_FALSE(cupti::read_callbacks_record(buf, n, head, names));
  bad.launch_refused = 1;
  buf[n - 1] = 'x';  // the last name lost its NUL
  std::memcpy(buf, &bad, sizeof(bad));
  EXPECT_FALSE(cupti::read_callbacks_record(buf, n, head, names));
}

struct Recorded {
  Trace trace;
  CuptiMergeStats stats;
};

// One synthetic process per entry of `procs`: pid, whether its launch-class callbacks (the kernel
// launch and the async copy) were enabled, the names refused. Each sends the library's
// RingCallbacks record before its workload.
Recorded record(const std::vector<std::tuple<uint32_t, bool, std::vector<std::string>>>& procs, int launches) {
  const auto path = std::filesystem::temp_directory_path() / ("it_callbacks_" + std::to_string(::getpid()) + ".itrace");
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  Recorded r;
  {
    ItraceWriter out(path.string());
    out.meta("start_ns", "1000000000");
    CuptiMerge merge(out, 0);
    for (auto& [pid, launch, refused] : procs) {
      EXPECT_TRUE(synth::push_callbacks(ring, pid, synth::enabled_callbacks(launch, launch), refused));
      EXPECT_EQ(synth::produce(ring, pid, pid + 1, 1'000'000'000, launches, false, launch, launch), 0);
      ring.drain([&](uint32_t t, const unsigned char* p, uint32_t n) { merge.consume(t, p, n); });
    }
    merge.finish(0, 0, static_cast<uint64_t>(procs.size()));
    out.finish();
    r.stats = merge.stats();
  }
  r.trace = read_recording(path.string());
  std::filesystem::remove(path);
  return r;
}

std::string analyze_text(const Trace& t, const LaunchAnalysis& a) {
  std::ostringstream os;
  print_analyze_text(os, t, a, 10);
  return os.str();
}

// The figures a process without launch-class callbacks leaves unknown, written out here rather than
// taken from the code's own list (launch_measured_keys()), so that a key the code forgets fails.
const std::vector<std::string> kLaunchJsonKeys = {
    "launch_calls", "linked_launch_calls", "graph_launches", "tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns",
    "api_time_ns", "bound", "orphan_launch_calls", "launch_calls_unknown_duration", "clock_skew_clamped",
    "duplicate_correlation_calls", "launch_thread", "host_active_ns", "host_sync_ns", "cpu_idle_ns",
    "cpu_idle_fraction", "operator_links"};
// The GPU side, measured whatever CUPTI refused of the API side.
const std::vector<std::string> kGpuJsonKeys = {"kernels", "memcpys", "gpu_activities", "akd_ns", "inference_latency_ns",
                                               "t_begin_ns", "t_end_ns", "gpu_busy_ns", "gpu_idle_ns", "gpu_idle_fraction",
                                               "orphan_activities"};

// Scenario A of review AN: CUPTI refuses cuLaunchKernelEx and cudaLaunchKernelExC but the plain
// launch and the copy are recorded: the figures stay numbers, flagged partial, naming the APIs.
TEST(CuptiCallbacks, SomeLaunchCallbacksRefusedMakeTheFiguresPartial) {
  const std::vector<std::string> refused = {"cuLaunchKernelEx", "cudaLaunchKernelExC_v11060", "cudaMalloc_v3020"};
  const Recorded r = record({{500, true, refused}}, 8);
  const Trace& t = r.trace;
  EXPECT_EQ(r.stats.malformed, 0u);
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.enabled"), "3");
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.launch_enabled"), "2");
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.refused"), "3");
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.launch_refused"), "2");
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.refused_names"), "cuLaunchKernelEx,cudaLaunchKernelExC_v11060,cudaMalloc_v3020");
  EXPECT_EQ(t.meta.at("cupti.processes_without_launch_callbacks"), "0");
  EXPECT_TRUE(t.launch_coverage.measured());
  EXPECT_EQ(t.launch_coverage.partial_pids, std::vector<uint32_t>{500});
  const std::string note =
      "launch figures are partial: they leave out, in pid 500: the calls of cuLaunchKernelEx, cudaLaunchKernelExC_v11060 "
      "(CUPTI refused their callbacks)";
  EXPECT_EQ(t.launch_coverage.partial_note, note);
  const LaunchAnalysis a = analyze_launches(t);
  const nlohmann::json j = analyze_document({{&t, &a}});
  EXPECT_EQ(j["launch_calls"], 9);  // 8 launches and the async copy: measured, a lower bound
  EXPECT_FALSE(j.contains("launch_undefined_reason"));
  EXPECT_EQ(j["launch_partial_note"], note);
  const nlohmann::json& c = j["cupti_callbacks"];
  EXPECT_EQ(c["reported"], true);
  EXPECT_EQ(c["launch_not_measured_pids"], nlohmann::json::array());
  EXPECT_EQ(c["launch_partial_pids"], nlohmann::json::array({500}));
  ASSERT_EQ(c["processes"].size(), 1u);
  EXPECT_EQ(c["processes"][0]["pid"], 500);
  EXPECT_EQ(c["processes"][0]["refused"], 3);
  EXPECT_EQ(c["processes"][0]["launch_refused"], 2);
  EXPECT_EQ(c["processes"][0]["refused_names"], nlohmann::json(refused));
  EXPECT_EQ(c["processes"][0]["refused_unlisted"], 0);
  EXPECT_EQ(c["processes"][0]["launches_measured"], true);
  EXPECT_EQ(c["processes"][0]["launches_partial"], true);
  const std::string text = analyze_text(t, a);
  EXPECT_NE(text.find("CUPTI refused 3 callbacks in pid 500, not recorded: cuLaunchKernelEx, cudaLaunchKernelExC_v11060, "
                      "cudaMalloc_v3020\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(note + "\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("not measured"), std::string::npos) << text;
}

// Scenario B of review AN: only the async copy refused, kernel launches recorded: partial too.
TEST(CuptiCallbacks, RefusedAsyncCopyMakesTheFiguresPartial) {
  const Recorded r = record({{510, true, {"cudaMemcpy2DAsync_v3020"}}}, 4);
  EXPECT_TRUE(r.trace.launch_coverage.measured());
  EXPECT_EQ(r.trace.launch_coverage.partial_pids, std::vector<uint32_t>{510});
  EXPECT_NE(r.trace.launch_coverage.partial_note.find("the calls of cudaMemcpy2DAsync_v3020"), std::string::npos);
}


// No launch-class callback in one process: every launch sum and what is chosen by it is null (its
// zero is no measurement), said once with the pid and the refused APIs; the GPU side stays.
TEST(CuptiCallbacks, ProcessWithoutLaunchCallbacksLeavesLaunchFiguresUnknown) {
  const Recorded r = record({{600, false, {"cudaLaunchKernel_v7000", "cuLaunchKernel", "cudaMemcpyAsync_v3020"}}, {700, true, {}}}, 8);
  const Trace& t = r.trace;
  EXPECT_EQ(r.stats.processes_without_launch_callbacks, 1u);
  EXPECT_EQ(t.meta.at("cupti.processes_without_launch_callbacks"), "1");
  EXPECT_EQ(t.meta.at("cupti.callbacks.600.launch_enabled"), "0");
  EXPECT_EQ(t.meta.at("cupti.callbacks.600.launch_refused"), "3");
  EXPECT_EQ(t.meta.at("cupti.callbacks.700.refused_names"), "");
  EXPECT_EQ(t.launch_coverage.unmeasured_pids, std::vector<uint32_t>{600});
  EXPECT_TRUE(t.launch_coverage.partial_pids.empty());
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.kernels, 16);  // the GPU side of both processes is recorded
  const nlohmann::json j = analyze_document({{&t, &a}});
  for (const std::string& k : kLaunchJsonKeys) {
    ASSERT_TRUE(j.contains(k)) << k;
    EXPECT_TRUE(j[k].is_null()) << k;
  }
  for (const std::string& k : kGpuJsonKeys) EXPECT_TRUE(j[k].is_number()) << k;
  EXPECT_EQ(j["kernels"], 16);
  const std::string reason = "launch calls not measured in pid 600: no launch callback enabled (CUPTI refused "
                             "cudaLaunchKernel_v7000, cuLaunchKernel, cudaMemcpyAsync_v3020)";
  EXPECT_EQ(j["launch_undefined_reason"], reason);
  EXPECT_EQ(j["cupti_callbacks"]["launch_not_measured_pids"], nlohmann::json::array({600}));
  EXPECT_EQ(j["cupti_callbacks"]["processes"][0]["launches_measured"], false);
  EXPECT_EQ(j["cupti_callbacks"]["processes"][1]["launches_measured"], true);
  const std::string text = analyze_text(t, a);
  EXPECT_NE(text.find(reason + "\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("pid 700"), std::string::npos) << text;  // nothing refused there
  // The summary table's launch rows say "-" and why, not the 9 calls process 700 made.
  for (const char* m : {"launch calls", "TKLQT", "API time", "CPU idle", "bound"}) {
    const size_t at = text.find(std::string("\n") + m);
    ASSERT_NE(at, std::string::npos) << m;
    const std::string row = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
    EXPECT_NE(row.find(" - "), std::string::npos) << row;
    EXPECT_NE(row.find(reason), std::string::npos) << row;
  }
  // export --sqlite stores the same summary: NULL, not the measured process's count.
  const std::string db_path = (std::filesystem::temp_directory_path() / ("it_callbacks_" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(db_path);
  SqliteAnalyses an;
  an.launch = &a;
  write_sqlite_file(t, db_path, an);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  for (const char* k : {"launch_calls", "linked_launch_calls", "graph_launches", "tklqt_ns", "tklqt_launch_ns",
                        "tklqt_queue_ns", "api_time_ns", "bound", "orphan_launch_calls", "launch_calls_unknown_duration",
                        "clock_skew_clamped", "duplicate_correlation_calls", "launch_thread_pid", "launch_thread_tid",
                        "host_active_ns", "host_sync_ns", "cpu_idle_ns", "cpu_idle_fraction"})
    EXPECT_EQ(scalar(db, std::string("select value from launch_summary where metric='") + k + "'"), "NULL") << k;
  EXPECT_EQ(scalar(db, "select value from launch_summary where metric='launch_undefined_reason'"), reason);
  EXPECT_EQ(scalar(db, "select value from launch_summary where metric='kernels'"), "16");
  sqlite3_close(db);
  std::filesystem::remove(db_path);
}

// The API rows and the orphan GPU activities of a recording whose launch calls were not all
// recorded are counts of what was recorded, and the outputs say so: a missing launch row is no
// proof of no call, its kernels are orphan by the gap. A fully recorded one prints and writes
// nothing new.
TEST(CuptiCallbacks, ApiRowsAndOrphansOfAnUnmeasuredRecordingSayTheyCountWhatWasRecorded) {
  const std::string note = "the CUDA API rows and the orphan GPU activities count the calls recorded: launch calls "
                           "whose callbacks CUPTI refused or did not enable are in no row, and the GPU work they started "
                           "is orphan";
  const std::string orphan = "GPU work whose correlation matches no recorded API call (its launch call was not "
                             "recorded: CUPTI callbacks)";
  for (const bool launch : {false, true}) {
    const Recorded r = record({{620, launch, launch ? std::vector<std::string>{} : std::vector<std::string>{"cuLaunchKernel"}}}, 6);
    const Trace& t = r.trace;
    const LaunchAnalysis a = analyze_launches(t);
    const nlohmann::json j = analyze_document({{&t, &a}});
    const std::string text = analyze_text(t, a);
    EXPECT_EQ(j["orphan_activities"], launch ? 0 : 7) << launch;  // 6 kernels and the copy
    EXPECT_EQ(j.contains("recorded_calls_note"), !launch);
    EXPECT_EQ(text.find(note) != std::string::npos, !launch) << text;
    EXPECT_EQ(text.find(orphan) != std::string::npos, !launch) << text;
    if (!launch) {
      EXPECT_EQ(j["recorded_calls_note"], note);
      ASSERT_EQ(j["apis"].size(), 1u);  // the sync, the only call recorded
      EXPECT_EQ(j["apis"][0]["kind"], "sync");
      // The note follows the API table, the meaning sits on the orphan row.
      EXPECT_NE(text.find("cudaStreamSynchronize"), std::string::npos);
      EXPECT_LT(text.find("CUDA API calls"), text.find(note));
      EXPECT_NE(text.find("orphan GPU activities          7  " + orphan), std::string::npos) << text;
    }
  }
  // Partial (a launch API refused, others recorded): the same note.
  const Recorded p = record({{630, true, {"cuLaunchKernelEx"}}}, 4);
  const LaunchAnalysis pa = analyze_launches(p.trace);
  EXPECT_EQ(analyze_document({{&p.trace, &pa}})["recorded_calls_note"], note);
}

// With no launch recorded, the inference window of a trace without operators starts at the first
// GPU work, not at the first recorded call (a sync after every kernel): IL and GPU busy are the
// GPU side's, in closed form from the producer's script.
TEST(CuptiCallbacks, InferenceWindowOfAnUnmeasuredRecordingStartsAtItsGpuWork) {
  const int n = 12;
  const Recorded r = record({{800, false, {"cudaLaunchKernel_v7000"}}}, n);
  const LaunchAnalysis a = analyze_launches(r.trace);
  const int64_t first_kernel = static_cast<int64_t>(synth::kLatency);
  const int64_t copy_end = static_cast<int64_t>(n * synth::kPeriod + synth::kLatency + 2000);
  EXPECT_EQ(a.t_begin - 1'000'000'000, first_kernel);
  EXPECT_EQ(a.inference_latency, copy_end - first_kernel);
  EXPECT_EQ(a.gpu_busy, static_cast<int64_t>(n * synth::kKernelDur + 2000));
}

// The rule itself, on statuses set by hand: unmeasured, partial with a cut list (the exact count
// still says how many launch APIs are missing), and unknown callbacks, with and without launches.
TEST(CuptiCallbacks, CoverageRuleNamesPidsAndApis) {
  CuptiCallbackStatus none;
  none.pid = 1, none.enabled = 1, none.launch_enabled = 0, none.refused = 0;
  CuptiCallbackStatus cut;
  cut.pid = 2, cut.enabled = 5, cut.launch_enabled = 1, cut.kernel_launch_enabled = 1, cut.refused = 4, cut.launch_refused = 3;
  cut.refused_names = {"cuLaunchKernelEx", "cudaMalloc"};
  CuptiCallbackStatus lost_busy, lost_idle, fine;
  lost_busy.pid = 3, lost_busy.known = false;
  lost_idle.pid = 4, lost_idle.known = false;
  fine.pid = 5, fine.enabled = 3, fine.launch_enabled = 2, fine.kernel_launch_enabled = 1;
  const LaunchCoverage c = launch_coverage({none, cut, lost_busy, lost_idle, fine}, {{2, 10}, {3, 7}, {5, 1}});
  EXPECT_EQ(c.unmeasured_pids, (std::vector<uint32_t>{1, 4}));
  EXPECT_EQ(c.partial_pids, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(c.unmeasured_reason,
            "launch calls not measured in pid 1: no launch callback enabled; pid 4: callbacks unknown (its record of "
            "them was lost or malformed) and no launch call recorded");
  EXPECT_EQ(c.partial_note,
            "launch figures are partial: they leave out, in pid 2: the calls of cuLaunchKernelEx, and 2 more not listed "
            "(CUPTI refused their callbacks); in pid 3: callbacks unknown (its record of them was lost or malformed), so "
            "refused launch APIs, if any, are not named");
  EXPECT_TRUE(launch_coverage({fine}, {}).measured());
  EXPECT_FALSE(launch_coverage({fine}, {}).partial());
}

// Kernel and graph launches refused, an async copy enabled (review AR, H1): the copy alone would
// read as the process's only launch (1 launch call, a GPU-bound verdict), so its launches are not
// measured, not partial. Built through the library's own builder, read back through the META.
TEST(CuptiCallbacks, CopiesWithoutKernelLaunchCallbacksAreNotMeasuredLaunches) {
  cupti::CallbacksRecordBuilder b(44);
  b.enabled("cudaMemcpyAsync_v3020");
  b.enabled("cudaStreamSynchronize_v3020");
  b.refused("cudaLaunchKernel_v7000");
  b.refused("cuLaunchKernel");
  b.refused("cudaGraphLaunch_v10000");
  const Decoded d = round_trip(b);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.head.launch_enabled, 1u);
  EXPECT_EQ(d.head.kernel_launch_enabled, 0u);
  CuptiCallbackStatus s;
  s.pid = 44, s.enabled = d.head.enabled, s.launch_enabled = d.head.launch_enabled,
  s.kernel_launch_enabled = d.head.kernel_launch_enabled, s.refused = d.head.refused,
  s.launch_refused = d.head.launch_refused, s.refused_names = d.names;
  Trace t;
  for (auto& [k, v] : cupti_callbacks_meta(s)) t.meta[k] = v;
  EXPECT_EQ(t.meta.at("cupti.callbacks.44.kernel_launch_enabled"), "0");
  const auto back = cupti_callback_statuses(t);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_FALSE(back[0].launches_measured());
  const LaunchCoverage c = launch_coverage(back, {{44, 1}});
  EXPECT_EQ(c.unmeasured_pids, (std::vector<uint32_t>{44}));
  EXPECT_TRUE(c.partial_pids.empty());
  EXPECT_EQ(c.unmeasured_reason,
            "launch calls not measured in pid 44: no kernel or graph launch callback enabled (async copies and sets alone "
            "are not its launches) (CUPTI refused cudaLaunchKernel_v7000, cuLaunchKernel, cudaGraphLaunch_v10000)");
  // A recording made before the count existed counted only kernel and graph launches in
  // launch_enabled: without the key, that is the count.
  t.meta.erase("cupti.callbacks.44.kernel_launch_enabled");
  t.meta["cupti.callbacks.44.launch_enabled"] = "1";
  EXPECT_TRUE(cupti_callback_statuses(t).at(0).launches_measured());
  // More kernel launches than launches is malformed: unknown, not measured.
  t.meta["cupti.callbacks.44.kernel_launch_enabled"] = "2";
  EXPECT_FALSE(cupti_callback_statuses(t).at(0).known);
}

// A ring version 2 recording has no launch_refused: it is derived from the listed names with the
// version 3 meaning (an async copy is launch-class), exact when every refusal is listed and a lower
// bound, said so in the JSON and the note, when the list was cut (review AR, L1).
TEST(CuptiCallbacks, LaunchRefusedOfAVersion2RecordingSaysWhenItIsALowerBound) {
  Trace t;
  t.meta["cupti.callbacks.21.enabled"] = "3";
  t.meta["cupti.callbacks.21.launch_enabled"] = "1";  // version 2: kernel and graph launches only
  t.meta["cupti.callbacks.21.refused"] = "2";
  t.meta["cupti.callbacks.21.refused_names"] = "cudaMemcpyAsync_v3020,cudaMalloc_v3020";  // whole list
  t.meta["cupti.callbacks.22.enabled"] = "3";
  t.meta["cupti.callbacks.22.launch_enabled"] = "1";
  t.meta["cupti.callbacks.22.refused"] = "5";
  t.meta["cupti.callbacks.22.refused_names"] = "cudaMemsetAsync_v3020,cudaFree_v3020";  // cut: 3 not listed
  t.launch_coverage = read_launch_coverage(t);
  const auto all = cupti_callback_statuses(t);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].launch_refused, 1u);
  EXPECT_TRUE(all[0].launch_refused_exact);
  EXPECT_EQ(all[1].launch_refused, 1u);
  EXPECT_FALSE(all[1].launch_refused_exact);
  EXPECT_EQ(t.launch_coverage.partial_pids, (std::vector<uint32_t>{21, 22}));
  EXPECT_EQ(t.launch_coverage.partial_note,
            "launch figures are partial: they leave out, in pid 21: the calls of cudaMemcpyAsync_v3020 (CUPTI refused "
            "their callbacks); in pid 22: the calls of cudaMemsetAsync_v3020, and possibly some of the 3 refused "
            "callbacks not listed (CUPTI refused their callbacks)");
  const LaunchAnalysis a = analyze_launches(t);
  const nlohmann::json j = analyze_document({{&t, &a}});
  const nlohmann::json& procs = j["cupti_callbacks"]["processes"];
  EXPECT_EQ(procs[0]["launch_refused_exact"], true);
  EXPECT_EQ(procs[1]["launch_refused_exact"], false);
  EXPECT_EQ(procs[1]["launch_refused"], 1);
  // A version 3 recording states the count: exact whatever was listed.
  t.meta["cupti.callbacks.22.launch_refused"] = "1";
  EXPECT_TRUE(cupti_callback_statuses(t).at(1).launch_refused_exact);
}

// An empty name (CUPTI gives none, but the record can carry one) keeps its place in the META list.
TEST(CuptiCallbacks, EmptyFirstNameSurvivesTheMetaRoundTrip) {
  CuptiCallbackStatus s;
  s.pid = 3, s.enabled = 2, s.launch_enabled = 1, s.refused = 2, s.refused_names = {"", "x"};
  Trace t;
  for (auto& [k, v] : cupti_callbacks_meta(s)) t.meta[k] = v;
  const auto back = cupti_callback_statuses(t);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back[0].known);
  EXPECT_EQ(back[0].refused_names, (std::vector<std::string>{"", "x"}));
}

TEST(CuptiCallbacks, NotesNameTheUnlistedCount) {
  CuptiCallbackStatus s;
  s.pid = 9;
  s.enabled = 4;
  s.launch_enabled = 0;
  s.refused = 5;
  s.refused_names = {"a", "b"};
  EXPECT_EQ(cupti_callback_notes(s),
            (std::vector<std::string>{
                "CUPTI refused 5 callbacks in pid 9, not recorded: a, b, and 3 more not listed (the ring record holds 2 names)"}));
  // One refused callback: its noun in the singular.
  s.refused = 1;
  s.refused_names = {"a"};
  EXPECT_EQ(cupti_callback_notes(s), (std::vector<std::string>{"CUPTI refused 1 callback in pid 9, not recorded: a"}));
}

// A process whose META cannot be read is not silently measured: its callbacks are unknown, and
// without a launch call recorded its launches count as not measured (review AN, L1).
TEST(CuptiCallbacks, MalformedMetaMakesCallbacksUnknownAndOtherTracesHaveNone) {
  Trace t;
  EXPECT_TRUE(cupti_callback_statuses(t).empty());
  EXPECT_TRUE(read_launch_coverage(t).measured());
  const LaunchAnalysis a = analyze_launches(t);
  const nlohmann::json j = analyze_document({{&t, &a}});
  EXPECT_EQ(j["cupti_callbacks"]["reported"], false);
  EXPECT_FALSE(j.contains("launch_undefined_reason"));
  t.meta["cupti.callbacks.5.enabled"] = "3";
  t.meta["cupti.callbacks.5.launch_enabled"] = "x1";  // not a count
  t.meta["cupti.callbacks.5.refused"] = "0";
  t.meta["cupti.callbacks.6.enabled"] = "2";
  t.meta["cupti.callbacks.6.launch_enabled"] = "0";
  t.meta["cupti.callbacks.6.refused"] = "1";
  t.meta["cupti.callbacks.6.refused_names"] = "a,b";  // more names than refused
  t.meta["cupti.callbacks.7.enabled"] = "2";  // launch_enabled and refused missing
  t.meta["cupti.callbacks.8.lost"] = "1";     // the merge saw API calls but no record
  const auto statuses = cupti_callback_statuses(t);
  ASSERT_EQ(statuses.size(), 4u);
  for (const CuptiCallbackStatus& s : statuses) EXPECT_FALSE(s.known) << s.pid;
  EXPECT_EQ(read_launch_coverage(t).unmeasured_pids, (std::vector<uint32_t>{5, 6, 7, 8}));
}

// The merge: a traced process whose RingCallbacks was lost (the ring full at its CUDA
// initialization) but which recorded calls is marked lost, not measured; a reused pid keeps the
// record that measured fewer launches (review AN, L1 and L5).
TEST(CuptiCallbacks, MergeMarksALostRecordAndKeepsTheFailSafeRecordOfAReusedPid) {
  const auto path = std::filesystem::temp_directory_path() / ("it_callbacks_lost_" + std::to_string(::getpid()) + ".itrace");
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  {
    ItraceWriter out(path.string());
    out.meta("start_ns", "1000000000");
    CuptiMerge merge(out, 0);
    EXPECT_EQ(synth::produce(ring, 900, 901, 1'000'000'000, 4, false), 0);  // no RingCallbacks
    EXPECT_TRUE(synth::push_callbacks(ring, 910, synth::enabled_callbacks(false, false), {"cuLaunchKernel"}));
    EXPECT_TRUE(synth::push_callbacks(ring, 910, synth::enabled_callbacks(true, true), {}));  // the pid reused
    ring.drain([&](uint32_t ty, const unsigned char* p, uint32_t n) { merge.consume(ty, p, n); });
    merge.finish(0, 0, 2);
    out.finish();
  }
  const Trace t = read_recording(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(t.meta.at("cupti.callbacks.900.lost"), "1");
  EXPECT_EQ(t.meta.at("cupti.callbacks.910.launch_enabled"), "0");
  EXPECT_EQ(t.meta.at("cupti.ring_version"), std::to_string(cupti::kRingVersion));
  EXPECT_EQ(t.launch_coverage.unmeasured_pids, std::vector<uint32_t>{910});
  EXPECT_EQ(t.launch_coverage.partial_pids, std::vector<uint32_t>{900});  // 900 recorded its launches
}

// The record summary (the merge's coverage, META processes_without_launch_callbacks) and the
// reader name the same coverage for every pid, whatever was lost (review AR, L2). Pid 960's
// callbacks record and the name of its one call are lost: "cupti_api#<id>" is no launch in either.
// Pid 970's record is lost and its one launch has a time past INT64_MAX, which the reader leaves out:
// counted by the merge, it made the summary say "partial" where analyze says "unmeasured".
TEST(CuptiCallbacks, RecordSummaryAndReaderNameTheSameCoverage) {
  const auto path = std::filesystem::temp_directory_path() / ("it_callbacks_same_" + std::to_string(::getpid()) + ".itrace");
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  CuptiMergeStats stats;
  {
    ItraceWriter out(path.string());
    out.meta("start_ns", "1000000000");
    CuptiMerge merge(out, 0);
    using namespace cupti;
    const uint32_t launch_id = api_id(kDomainRuntime, synth::kRuntimeLaunch);
    const uint32_t other_id = api_id(kDomainRuntime, 999);  // its name never arrives
    EXPECT_TRUE(synth::push(ring, kRecApi, RingApi{2'000'000'000, 2'000'004'000, 960, 961, 1, other_id, 3, 0, 0}));
    EXPECT_TRUE(synth::push_name(ring, 970, kNameApi, launch_id, "cudaLaunchKernel_v7000"));
    const uint64_t past = static_cast<uint64_t>(INT64_MAX) + 10;
    EXPECT_TRUE(synth::push(ring, kRecApi, RingApi{past, past + 4000, 970, 971, 1, launch_id, 3, 0, 0}));
    EXPECT_EQ(synth::produce(ring, 980, 981, 1'000'000'000, 4, false), 0);  // lost record, launches kept
    ring.drain([&](uint32_t ty, const unsigned char* p, uint32_t n) { merge.consume(ty, p, n); });
    merge.finish(0, 0, 3);
    out.finish();
    stats = merge.stats();
  }
  const Trace t = read_recording(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(t.launch_coverage.unmeasured_pids, (std::vector<uint32_t>{960, 970}));
  EXPECT_EQ(t.launch_coverage.partial_pids, std::vector<uint32_t>{980});
  EXPECT_EQ(stats.coverage.unmeasured_pids, t.launch_coverage.unmeasured_pids);
  EXPECT_EQ(stats.coverage.partial_pids, t.launch_coverage.partial_pids);
  EXPECT_EQ(stats.coverage.unmeasured_reason, t.launch_coverage.unmeasured_reason);
  EXPECT_EQ(t.meta.at("cupti.processes_without_launch_callbacks"), "2");
  EXPECT_EQ(stats.launches_per_pid.count(970), 0u);
  EXPECT_EQ(stats.launches_per_pid.at(980), 5);  // 4 kernel launches and the async copy
}

// The META counts are plain base-10 digits: a sign or a leading space (which strtoull would take,
// "-1" as 2^64 - 1) makes the process's callbacks unknown; so does a launch-class count above the
// callbacks enabled.
TEST(CuptiCallbacks, CountsWithASignOrMoreLaunchThanEnabledAreMalformed) {
  const auto status_with = [](const std::string& field, const std::string& value) {
    Trace t;
    t.meta["cupti.callbacks.5.enabled"] = "3";
    t.meta["cupti.callbacks.5.launch_enabled"] = "1";
    t.meta["cupti.callbacks.5.refused"] = "0";
    t.meta["cupti.callbacks.5." + field] = value;
    return cupti_callback_statuses(t).at(0);
  };
  EXPECT_TRUE(status_with("enabled", "3").known);
  for (const char* bad : {"-1", "+3", " 3"}) EXPECT_FALSE(status_with("enabled", bad).known) << bad;
  EXPECT_FALSE(status_with("launch_enabled", "4").known);  // more launch-class than enabled
  EXPECT_TRUE(status_with("launch_enabled", "3").known);
}

// A reused pid keeps the record that measured fewer launches: fewer kernel/graph launch callbacks
// first (a process with async copies and sets alone beats one with a kernel launch, whatever
// their launch-class counts), then, with those equal, more launch-class refusals.
TEST(CuptiCallbacks, ReusedPidKeepsFewerKernelLaunchesThenMoreRefusals) {
  const auto merged = [](const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>& records) {
    const auto path = std::filesystem::temp_directory_path() / ("it_callbacks_reuse_" + std::to_string(::getpid()) + ".itrace");
    cupti::Ring ring = cupti::Ring::create_anonymous(1 << 12);
    {
      ItraceWriter out(path.string());
      out.meta("start_ns", "1000000000");
      CuptiMerge merge(out, 0);
      for (auto& [enabled, refused] : records) EXPECT_TRUE(synth::push_callbacks(ring, 77, enabled, refused));
      ring.drain([&](uint32_t ty, const unsigned char* p, uint32_t n) { merge.consume(ty, p, n); });
      merge.finish(0, 0, 1);
      out.finish();
    }
    Trace t = read_recording(path.string());
    std::filesystem::remove(path);
    return t.meta;
  };
  const std::vector<std::string> copies = {"cudaMemcpyAsync_v3020", "cudaMemsetAsync_v3020"};
  const std::vector<std::string> kernel = {"cudaLaunchKernel_v7000"};
  for (bool copies_first : {true, false}) {
    auto m = copies_first ? merged({{copies, {}}, {kernel, {}}}) : merged({{kernel, {}}, {copies, {}}});
    EXPECT_EQ(m.at("cupti.callbacks.77.kernel_launch_enabled"), "0") << copies_first;
    EXPECT_EQ(m.at("cupti.callbacks.77.launch_enabled"), "2") << copies_first;
    EXPECT_EQ(m.at("cupti.processes_without_launch_callbacks"), "1");
  }
  for (bool more_first : {true, false}) {
    const std::vector<std::string> one = {"cuLaunchKernelEx"}, two = {"cuLaunchKernelEx", "cudaMemcpy2DAsync_v3020"};
    auto m = more_first ? merged({{kernel, two}, {kernel, one}}) : merged({{kernel, one}, {kernel, two}});
    EXPECT_EQ(m.at("cupti.callbacks.77.launch_refused"), "2") << more_first;
  }
}

}  // namespace
}  // namespace infertrace
