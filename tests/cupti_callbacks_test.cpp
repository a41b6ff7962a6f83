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

// The library counts a callback as a launch by CUPTI's own spelling of its name (version and
// per-thread-stream suffixes included): kernel and graph launches only.
TEST(CuptiCallbacks, LaunchCallbacksAreKernelAndGraphLaunchesByCuptiName) {
  for (const char* n : {"cudaLaunchKernel_v7000", "cudaLaunchKernel_ptsz_v7000", "cudaLaunchKernelExC_v11060",
                        "cuLaunchKernel", "cuLaunchKernelEx", "cuLaunchKernel_ptsz", "cudaGraphLaunch_v10000",
                        "cudaGraphLaunch_ptsz_v10000", "cuGraphLaunch", "cudaLaunchCooperativeKernel_v9000"})
    EXPECT_TRUE(cupti::is_launch_callback(n)) << n;
  for (const char* n : {"cudaMemcpyAsync_v3020", "cuMemcpyHtoDAsync_v2", "cudaMemsetAsync_ptsz_v7000",
                        "cudaStreamSynchronize_v3020", "cudaMemcpy_v3020", "cuCtxSynchronize"})
    EXPECT_FALSE(cupti::is_launch_callback(n)) << n;
}

TEST(CuptiCallbacks, BuilderListsRefusedNamesAndCountsEnabled) {
  cupti::CallbacksRecordBuilder b(31);
  b.enabled(true);
  b.enabled(false);
  b.enabled(false);
  b.refused("cuLaunchKernelEx");
  b.refused("cudaGraphLaunch_v10000");
  const Decoded d = round_trip(b);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.head.pid, 31u);
  EXPECT_EQ(d.head.enabled, 3u);
  EXPECT_EQ(d.head.launch_enabled, 1u);
  EXPECT_EQ(d.head.refused, 2u);
  EXPECT_EQ(d.names, (std::vector<std::string>{"cuLaunchKernelEx", "cudaGraphLaunch_v10000"}));
}

// The list is cut after the last whole name that fits the bound; a shorter name after the cut is
// not listed either (the listed names are always the first ones), and the count keeps every one.
TEST(CuptiCallbacks, LongListIsCutAtTheBoundAndSaysHowManyAreMissing) {
  const size_t len = 100;
  const size_t fit = cupti::kRefusedNamesMaxBytes / (len + 1);  // each name and its NUL
  const int total = static_cast<int>(fit) + 5;
  cupti::CallbacksRecordBuilder b(32);
  b.enabled(true);
  std::vector<std::string> expected;
  for (int i = 0; i < total; ++i) {
    const std::string n = long_name(i, len);
    b.refused(n.c_str());
    if (static_cast<size_t>(i) < fit) expected.push_back(n);
  }
  b.refused("cuA");  // short enough to fit the space left, but after the cut
  const Decoded d = round_trip(b);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.head.refused, static_cast<uint32_t>(total + 1));
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
  b.enabled(true);
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
  buf[n - 1] = 'x';  // the last name lost its NUL
  std::memcpy(buf, &bad, sizeof(bad));
  EXPECT_FALSE(cupti::read_callbacks_record(buf, n, head, names));
}

struct Recorded {
  Trace trace;
  CuptiMergeStats stats;
};

// One synthetic process per entry of `procs`: pid, whether its launch callbacks were enabled, the
// names refused. Each sends the library's RingCallbacks record before its workload.
Recorded record(const std::vector<std::tuple<uint32_t, bool, std::vector<std::string>>>& procs, int launches) {
  const auto path = std::filesystem::temp_directory_path() / ("it_callbacks_" + std::to_string(::getpid()) + ".itrace");
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  Recorded r;
  {
    ItraceWriter out(path.string());
    out.meta("start_ns", "1000000000");
    CuptiMerge merge(out, 0);
    for (auto& [pid, launch, refused] : procs) {
      EXPECT_TRUE(synth::push_callbacks(ring, pid, launch ? 3 : 2, launch ? 1 : 0, refused));
      EXPECT_EQ(synth::produce(ring, pid, pid + 1, 1'000'000'000, launches, false, launch), 0);
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

TEST(CuptiCallbacks, RefusedNamesReachMetaAndEveryOutput) {
  const std::vector<std::string> refused = {"cuLaunchKernelEx", "cudaLaunchKernelExC_v11060"};
  const Recorded r = record({{500, true, refused}}, 8);
  const Trace& t = r.trace;
  EXPECT_EQ(r.stats.malformed, 0u);
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.enabled"), "3");
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.launch_enabled"), "1");
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.refused"), "2");
  EXPECT_EQ(t.meta.at("cupti.callbacks.500.refused_names"), "cuLaunchKernelEx,cudaLaunchKernelExC_v11060");
  EXPECT_EQ(t.meta.at("cupti.processes_without_launch_callbacks"), "0");
  const LaunchAnalysis a = analyze_launches(t);
  const nlohmann::json j = analyze_document({{&t, &a}});
  EXPECT_EQ(j["launch_calls"], 9);  // launches measured: the figures stay
  EXPECT_FALSE(j.contains("launch_undefined_reason"));
  const nlohmann::json& c = j["cupti_callbacks"];
  EXPECT_EQ(c["reported"], true);
  EXPECT_EQ(c["launch_not_measured_pids"], nlohmann::json::array());
  ASSERT_EQ(c["processes"].size(), 1u);
  EXPECT_EQ(c["processes"][0]["pid"], 500);
  EXPECT_EQ(c["processes"][0]["refused"], 2);
  EXPECT_EQ(c["processes"][0]["refused_names"], nlohmann::json(refused));
  EXPECT_EQ(c["processes"][0]["refused_unlisted"], 0);
  EXPECT_EQ(c["processes"][0]["launches_measured"], true);
  const std::string text = analyze_text(t, a);
  EXPECT_NE(text.find("CUPTI refused 2 callback(s) in pid 500, not recorded: cuLaunchKernelEx, cudaLaunchKernelExC_v11060\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("launch counts for pid"), std::string::npos) << text;
}

// No launch callback in one process: every launch sum is null (its zero is no measurement), said
// once with the pid; the process beside it with launches measured is named as fine.
TEST(CuptiCallbacks, ProcessWithoutLaunchCallbacksLeavesLaunchFiguresUnknown) {
  const Recorded r = record({{600, false, {"cudaLaunchKernel_v7000", "cuLaunchKernel"}}, {700, true, {}}}, 8);
  const Trace& t = r.trace;
  EXPECT_EQ(r.stats.processes_without_launch_callbacks, 1u);
  EXPECT_EQ(t.meta.at("cupti.processes_without_launch_callbacks"), "1");
  EXPECT_EQ(t.meta.at("cupti.callbacks.600.launch_enabled"), "0");
  EXPECT_EQ(t.meta.at("cupti.callbacks.700.refused_names"), "");
  const auto statuses = cupti_callback_statuses(t);
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(pids_without_launch_callbacks(statuses), std::vector<uint32_t>{600});
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.kernels, 16);  // the GPU side of both processes is recorded
  const nlohmann::json j = analyze_document({{&t, &a}});
  for (const char* k : launch_measured_keys()) EXPECT_TRUE(j[k].is_null()) << k;
  EXPECT_EQ(j["kernels"], 16);
  const std::string reason = "no launch callback enabled: launch counts for pid 600 are not measured";
  EXPECT_EQ(j["launch_undefined_reason"], reason);
  EXPECT_EQ(j["cupti_callbacks"]["launch_not_measured_pids"], nlohmann::json::array({600}));
  EXPECT_EQ(j["cupti_callbacks"]["processes"][0]["launches_measured"], false);
  EXPECT_EQ(j["cupti_callbacks"]["processes"][1]["launches_measured"], true);
  const std::string text = analyze_text(t, a);
  EXPECT_NE(text.find(reason + "\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("pid 700"), std::string::npos) << text;  // nothing refused there
  // The summary table's launch row says "-" and why, not the 9 calls process 700 made.
  const size_t at = text.find("launch calls");
  ASSERT_NE(at, std::string::npos);
  const std::string row = text.substr(at, text.find('\n', at) - at);
  EXPECT_NE(row.find(" - "), std::string::npos) << row;
  EXPECT_NE(row.find(reason), std::string::npos) << row;
  EXPECT_EQ(row.find(" 9 "), std::string::npos) << row;
  // export --sqlite stores the same summary: NULL, not the measured process's count.
  const std::string db_path = (std::filesystem::temp_directory_path() / ("it_callbacks_" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(db_path);
  SqliteAnalyses an;
  an.launch = &a;
  write_sqlite_file(t, db_path, an);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  for (const char* k : launch_measured_keys())
    EXPECT_EQ(scalar(db, std::string("select value from launch_summary where metric='") + k + "'"), "NULL") << k;
  EXPECT_EQ(scalar(db, "select value from launch_summary where metric='launch_undefined_reason'"), reason);
  EXPECT_EQ(scalar(db, "select value from launch_summary where metric='kernels'"), "16");
  sqlite3_close(db);
  std::filesystem::remove(db_path);
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
                "CUPTI refused 5 callback(s) in pid 9, not recorded: a, b, and 3 more not listed (the ring record holds 2 names)",
                "no launch callback enabled: launch counts for pid 9 are not measured"}));
}

TEST(CuptiCallbacks, MalformedMetaIsLeftOutAndOtherTracesHaveNone) {
  Trace t;
  EXPECT_TRUE(cupti_callback_statuses(t).empty());
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
  EXPECT_TRUE(cupti_callback_statuses(t).empty());
}

}  // namespace
}  // namespace infertrace
