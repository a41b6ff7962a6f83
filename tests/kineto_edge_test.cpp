// The Kineto reader on small hand-written traces: every field of every table, old and new
// spellings, and each kind of malformed input (error naming file and byte offset, or a counter).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "ingest/load.h"
#include "kineto_reading.h"
#include "kineto_test_util.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;

namespace {

std::string doc(const std::string& events, const std::string& before = "") {
  return "{" + before + "\"traceEvents\": [" + events + "]}";
}

const std::string kKernel =
    R"({"ph": "X", "cat": "kernel", "name": "gemm_kernel", "pid": 0, "tid": 7, "ts": 100.001, "dur": 2.5,
        "args": {"External id": 11, "device": 1, "stream": 7, "correlation": 24, "grid": [512, 2, 3], "block": [96, 1, 1]}})";
const std::string kLaunch =
    R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 439, "tid": 440, "ts": 90, "dur": 5.125,
        "args": {"External id": 11, "cbid": 211, "correlation": 24}})";
const std::string kOp =
    R"({"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 439, "tid": 440, "ts": 80.5, "dur": 20,
        "args": {"External id": 11}})";

// Loads `text` and expects an InputError naming the file and `offset` (-2: any offset >= 0).
void expect_error_at(const std::string& text, int64_t offset, const std::string& what = "") {
  TempFile f(text);
  try {
    (void)load_trace(f.path());
    FAIL() << "no error for: " << text.substr(0, 200);
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), f.path());
    EXPECT_NE(std::string(e.what()).find(f.path()), std::string::npos);
    if (offset == -2) {
      EXPECT_GE(e.offset(), 0) << e.what();
    } else {
      EXPECT_EQ(e.offset(), offset) << e.what();
    }
    if (!what.empty()) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
    EXPECT_EQ(e.exit_code(), 1);
  }
}

}  // namespace

TEST(KinetoEdge, ReadsEveryFieldOfEachTable) {
  const Trace t = load_text(doc(kOp + "," + kLaunch + "," + kKernel +
                                R"(,{"name": "thread_name", "ph": "M", "pid": 439, "tid": 440, "args": {"name": "worker"}})"));
  EXPECT_EQ(t.source, TraceSource::Kineto);
  ASSERT_EQ(t.gpu.size(), 1u);
  const GpuActivity g = t.gpu.row(0);
  EXPECT_EQ(g.start, 100001);
  EXPECT_EQ(g.dur, 2500);
  EXPECT_EQ(g.kind, GpuKind::Kernel);
  EXPECT_EQ(g.device, 1);
  EXPECT_EQ(g.stream, 7);
  EXPECT_EQ(g.correlation, 24);
  EXPECT_EQ(g.external_id, 11);
  EXPECT_EQ(t.str(g.name), "gemm_kernel");
  EXPECT_EQ(g.grid[0], 512u);
  EXPECT_EQ(g.grid[1], 2u);
  EXPECT_EQ(g.grid[2], 3u);
  EXPECT_EQ(g.block[0], 96u);
  ASSERT_EQ(t.api.size(), 1u);
  const ApiCall c = t.api.row(0);
  EXPECT_EQ(c.start, 90000);
  EXPECT_EQ(c.dur, 5125);
  EXPECT_EQ(c.pid, 439);
  EXPECT_EQ(c.tid, 440);
  EXPECT_EQ(c.correlation, 24);
  EXPECT_EQ(c.external_id, 11);
  EXPECT_EQ(c.kind, ApiKind::KernelLaunch);
  ASSERT_EQ(t.ops.size(), 1u);
  const Operator o = t.ops.row(0);
  EXPECT_EQ(o.start, 80500);
  EXPECT_EQ(o.dur, 20000);
  EXPECT_EQ(o.external_id, 11);
  EXPECT_FALSE(o.user_annotation);
  EXPECT_EQ(t.str(o.name), "aten::mm");
  ASSERT_EQ(t.threads.size(), 1u);  // the GPU "thread" (pid 0, tid 7) is not a host thread
  const ThreadInfo th = t.threads.row(0);
  EXPECT_EQ(th.pid, 439);
  EXPECT_EQ(th.tid, 440);
  EXPECT_EQ(t.str(th.comm), "worker");
  EXPECT_EQ(th.first_ts, 80500);
  EXPECT_EQ(th.last_ts, 100500);
  EXPECT_TRUE(t.skipped.empty());
}

// A GPU row without args.device / args.stream takes them from its numeric pid / tid, where Kineto
// writes them too (review CX L6); args win where present; a named or negative pid or tid leaves -1.
// Read whole and in pieces (the direct event scan and the on-demand reader).
TEST(KinetoEdge, GpuRowWithoutDeviceArgsTakesPidAndTid) {
  const std::string events =
      R"({"ph": "X", "cat": "kernel", "name": "a", "pid": 3, "tid": 9, "ts": 1, "dur": 1, "args": {"correlation": 1}},)"
      R"({"ph": "X", "cat": "kernel", "name": "b", "pid": 3, "tid": 9, "ts": 2, "dur": 1, "args": {"device": 1, "stream": 5}},)"
      R"({"ph": "X", "cat": "kernel", "name": "c", "pid": 4, "tid": 2, "ts": 3, "dur": 1, "args": {"stream": 6}},)"
      R"({"ph": "X", "cat": "kernel", "name": "d", "pid": "GPU 2", "tid": -4, "ts": 4, "dur": 1},)"
      R"({"ph": "X", "cat": "gpu_memcpy", "name": "e", "pid": 2, "tid": 11, "ts": 5, "dur": 1})";
  std::string padded = events;
  for (int i = 0; i < 40; ++i)
    padded += R"(,{"ph": "X", "cat": "cpu_op", "name": "op", "pid": 7, "tid": 7, "ts": 9, "dur": 1})";
  for (size_t chunk : {size_t(0), size_t(200)}) {
    TempFile f(doc(padded));
    LoadOptions o;
    o.chunk_bytes = chunk;
    const Trace t = load_trace(f.path(), o);
    ASSERT_EQ(t.gpu.size(), 5u) << chunk;
    const std::vector<int32_t> device = {3, 1, 4, -1, 2};
    const std::vector<int64_t> stream = {9, 5, 6, -1, 11};
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(t.gpu.device[i], device[i]) << t.str(t.gpu.name[i]) << " chunk " << chunk;
      EXPECT_EQ(t.gpu.stream[i], stream[i]) << t.str(t.gpu.name[i]) << " chunk " << chunk;
    }
  }
}

TEST(KinetoEdge, OldSpellingsAndTopLevelArray) {
  // PyTorch 1.8/1.9: capitalised categories, "external id", string tids for GPU rows.
  const std::string events = R"([
    {"ph": "X", "cat": "Operator", "name": "aten::add", "pid": 1, "tid": 2, "ts": 1, "dur": 10, "args": {"external id": 5}},
    {"ph": "X", "cat": "Runtime", "name": "cudaMemcpyAsync", "pid": 1, "tid": 2, "ts": 2, "dur": 1, "args": {"correlation": 9, "external id": 5}},
    {"ph": "X", "cat": "Memcpy", "name": "Memcpy HtoD", "pid": 0, "tid": "stream 7", "ts": 5, "dur": 1, "args": {"device": 0, "stream": 7, "correlation": 9}},
    {"ph": "X", "cat": "Memset", "name": "Memset", "pid": 0, "tid": "stream 7", "ts": 6, "dur": 1, "args": {"device": 0, "stream": 7, "correlation": 10}},
    {"ph": "X", "cat": "Kernel", "name": "k", "pid": 0, "tid": "stream 7", "ts": 7, "dur": 1, "args": {"device": 0, "stream": 7, "correlation": 11}},
    {"ph": "X", "cat": "user_annotation", "name": "step", "pid": 1, "tid": 2, "ts": 1, "dur": 20},
    {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy DtoD", "pid": 0, "tid": 7, "ts": 8, "dur": 1, "args": {"device": 0, "stream": 7, "correlation": 12}},
    {"ph": "X", "cat": "cuda_driver", "name": "cuLaunchKernelEx", "pid": 1, "tid": 2, "ts": 3, "dur": 1, "args": {"correlation": 11}},
    {"ph": "X", "cat": "python_function", "name": "forward", "pid": 1, "tid": 2, "ts": 1, "dur": 30}
  ])";
  const Trace t = load_text(events);
  ASSERT_EQ(t.gpu.size(), 4u);
  EXPECT_EQ(t.gpu.kind[0], GpuKind::Memcpy);
  EXPECT_EQ(t.gpu.kind[1], GpuKind::Memset);
  EXPECT_EQ(t.gpu.kind[2], GpuKind::Kernel);
  EXPECT_EQ(t.gpu.kind[3], GpuKind::Memcpy);
  EXPECT_EQ(t.gpu.correlation[1], 10);  // a memset with no launch call is kept (an orphan for analysis)
  ASSERT_EQ(t.api.size(), 2u);
  EXPECT_EQ(t.api.kind[0], ApiKind::MemcpyAsync);
  EXPECT_EQ(t.api.external_id[0], 5);
  EXPECT_EQ(t.api.kind[1], ApiKind::KernelLaunch);
  ASSERT_EQ(t.ops.size(), 2u);  // python_function is context, not an operator
  EXPECT_EQ(t.ops.external_id[0], 5);
  EXPECT_EQ(t.ops.user_annotation[1], 1);
  EXPECT_TRUE(t.skipped.empty());
}

// "thread N" for thread N is what an export names a nameless thread's track: no name (FMT L5: an
// unnamed thread came back as "thread 1" after export --chrome). The same words for another tid,
// Kineto's "thread N (comm)" and an escaped one are names.
TEST(KinetoEdge, BareThreadIdNameIsNoName) {
  const std::string events = R"js([
    {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "thread 1"}},
    {"ph": "M", "name": "thread_name", "pid": 1, "tid": 2, "args": {"name": "thread 1"}},
    {"ph": "M", "name": "thread_name", "pid": 1, "tid": 3, "args": {"name": "thread 3 (python3)"}},
    {"ph": "M", "name": "thread_name", "pid": 1, "tid": 4, "args": {"name": "thread \u0034"}},
    {"ph": "X", "cat": "cpu_op", "name": "a", "ts": 10, "dur": 5, "pid": 1, "tid": 1},
    {"ph": "X", "cat": "cpu_op", "name": "b", "ts": 11, "dur": 5, "pid": 1, "tid": 2},
    {"ph": "X", "cat": "cpu_op", "name": "c", "ts": 12, "dur": 5, "pid": 1, "tid": 3},
    {"ph": "X", "cat": "cpu_op", "name": "d", "ts": 13, "dur": 5, "pid": 1, "tid": 4}])js";
  const Trace t = load_text(events);
  ASSERT_EQ(t.threads.size(), 4u);
  const auto comm = [&](int64_t d) {
    for (size_t k = 0; k < t.threads.size(); ++k)
      if (t.threads.tid[k] == d) return std::string(t.str(t.threads.comm[k]));
    return std::string("(none)");
  };
  EXPECT_EQ(comm(1), "");
  EXPECT_EQ(comm(2), "thread 1");
  EXPECT_EQ(comm(3), "thread 3 (python3)");
  EXPECT_EQ(comm(4), "thread 4");
}

TEST(KinetoEdge, LegacyAutogradExportEventsAreOperators) {
  // PyTorch without Kineto (Debian's 1.13): no "cat", pid the string "CPU functions", integer us
  // from the profile's start, empty args. A Kineto "Trace" span and python_function stay context.
  const std::string events = R"js([{"name": "decode_step", "ph": "X", "ts": 174, "dur": 86300, "tid": 1, "pid": "CPU functions", "args": {}}, {"name": "aten::empty", "ph": "X", "ts": 176, "dur": 0, "tid": 1, "pid": "CPU functions", "args": {}}, {"name": "aten::addmm", "ph": "X", "ts": 206, "dur": 47, "tid": 2, "pid": "CPU functions", "args": {}}, {"ph": "X", "cat": "Trace", "name": "PyTorch Profiler (0)", "pid": "Spans", "tid": "PyTorch Profiler", "ts": 100, "dur": 90000}, {"ph": "X", "cat": "python_function", "name": "forward", "pid": 1, "tid": 2, "ts": 1, "dur": 30}])js";
  const Trace t = load_text(events);
  ASSERT_EQ(t.ops.size(), 3u);
  EXPECT_EQ(t.str(t.ops.name[0]), "decode_step");
  EXPECT_EQ(t.ops.start[0], 174000);
  EXPECT_EQ(t.ops.dur[0], 86300000);
  EXPECT_EQ(t.ops.pid[0], -2);  // a named pid: its own id, counting down from -2
  EXPECT_EQ(t.ops.tid[2], 2);
  EXPECT_EQ(t.ops.user_annotation[0], 0);
  EXPECT_EQ(t.gpu.size() + t.api.size(), 0u);
  EXPECT_TRUE(t.skipped.empty());
  // Its threads are in the thread table, the process named by its pid's string.
  ASSERT_EQ(t.threads.size(), 2u);
  EXPECT_EQ(t.threads.pid[0], -2);
  EXPECT_EQ(t.threads.tid[0], 1);
  EXPECT_EQ(t.threads.tid[1], 2);
  EXPECT_EQ(t.meta.at("process_name.-2"), "CPU functions");
  // The Kineto "Spans" row is no operator, so "Spans" names no process.
  EXPECT_EQ(t.meta.count("process_name.-3"), 0u);
}

TEST(KinetoEdge, NamedPidsAndTids) {
  // Each distinct string pid (tid) that is not an integer gets an id from -2 down, in order of first
  // use; "7" is the number 7, "" and a string with escapes stay missing (-1); a process_name or
  // thread_name event names the process or thread before the string itself does.
  const std::string events = R"js([
    {"ph": "M", "name": "thread_name", "pid": "B", "tid": "worker", "args": {"name": "loader"}},
    {"ph": "X", "name": "a", "ts": 10, "dur": 5, "pid": "A", "tid": 1},
    {"ph": "X", "name": "b", "ts": 11, "dur": 5, "pid": "B", "tid": "main"},
    {"ph": "X", "name": "c", "ts": 12, "dur": 5, "pid": "A", "tid": "main"},
    {"ph": "X", "name": "d", "ts": 13, "dur": 5, "pid": "7", "tid": "worker"},
    {"ph": "X", "name": "e", "ts": 14, "dur": 5, "pid": "", "tid": 3},
    {"ph": "X", "name": "f", "ts": 15, "dur": 5, "pid": "\u0041", "tid": 3},
    {"ph": "X", "name": "g", "ts": 16, "dur": 5, "pid": "B", "tid": "worker"},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 17, "dur": 2, "pid": "B", "tid": "worker",
     "args": {"correlation": 9, "External id": 4}},
    {"ph": "M", "name": "process_name", "pid": "A", "args": {"name": "the A process"}}])js";
  const Trace t = load_text(events);
  ASSERT_EQ(t.ops.size(), 7u);
  // Pids: "B" first (the thread_name event), then "A". Tids: "worker", then "main".
  const int64_t pid[] = {-3, -2, -3, 7, -1, -1, -2}, tid[] = {1, -3, -3, -2, 3, 3, -2};
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(t.ops.pid[i], pid[i]) << i;
    EXPECT_EQ(t.ops.tid[i], tid[i]) << i;
  }
  // An API call with named ids keeps everything else.
  ASSERT_EQ(t.api.size(), 1u);
  EXPECT_EQ(t.api.pid[0], -2);
  EXPECT_EQ(t.api.tid[0], -2);
  EXPECT_EQ(t.api.correlation[0], 9);
  EXPECT_EQ(t.api.external_id[0], 4);
  EXPECT_EQ(t.api.kind[0], ApiKind::KernelLaunch);
  EXPECT_EQ(t.str(t.api.name[0]), "cudaLaunchKernel");
  EXPECT_EQ(t.api.cpu[0], -1);
  EXPECT_EQ(t.meta.at("process_name.-3"), "the A process");
  EXPECT_EQ(t.meta.at("process_name.-2"), "B");
  // Threads with both ids: (-3, -3) "main", (-3, 1), (-2, -3) "main", (-2, -2) "loader", (7, -2)
  // "worker"; the rows with a missing pid make none.
  ASSERT_EQ(t.threads.size(), 5u);
  const auto comm = [&](int64_t p, int64_t d) {
    for (size_t k = 0; k < t.threads.size(); ++k)
      if (t.threads.pid[k] == p && t.threads.tid[k] == d) return std::string(t.str(t.threads.comm[k]));
    return std::string("(none)");
  };
  EXPECT_EQ(comm(-3, -3), "main");
  EXPECT_EQ(comm(-3, 1), "");
  EXPECT_EQ(comm(-2, -2), "loader");
  EXPECT_EQ(comm(7, -2), "worker");
}

TEST(KinetoEdge, NegativeNumericPidsAndTidsAreNames) {
  // A pid or tid below -1, written as a number or as a digit string, is no OS id: it is read as a
  // name, its decimal text, so it cannot take the id of a named one. Here "Spans" is used first and
  // gets -2: the number -2 must not merge with it. -1 stays "none", as it stands.
  const std::string events = R"js([
    {"ph": "X", "cat": "cpu_op", "name": "a", "ts": 10, "dur": 5, "pid": "Spans", "tid": "main"},
    {"ph": "X", "cat": "cpu_op", "name": "b", "ts": 11, "dur": 5, "pid": -2, "tid": -2},
    {"ph": "X", "cat": "cpu_op", "name": "c", "ts": 12, "dur": 5, "pid": "-3", "tid": "-3"},
    {"ph": "X", "cat": "cpu_op", "name": "d", "ts": 13, "dur": 5, "pid": 7, "tid": 8},
    {"ph": "X", "cat": "cpu_op", "name": "e", "ts": 14, "dur": 5, "pid": "-2", "tid": -3},
    {"ph": "X", "cat": "cpu_op", "name": "f", "ts": 15, "dur": 5, "pid": -1, "tid": 8},
    {"ph": "X", "cat": "cpu_op", "name": "g", "ts": 16, "dur": 5, "pid": "-002", "tid": "-0003"},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 17, "dur": 2, "pid": -2, "tid": "-3",
     "args": {"correlation": 9}},
    {"ph": "M", "name": "thread_name", "pid": -2, "tid": -2, "args": {"name": "loader"}},
    {"ph": "M", "name": "process_name", "pid": "-3", "args": {"name": "the -3 process"}}])js";
  // Cut between every two events (each middle one read by the direct scan, or by the on-demand
  // reader when the scan is off) and whole: all readings must agree.
  const std::string d = doc(events.substr(1, events.size() - 2));
  Reading scan = read_doc(d, 1, true), on_demand = read_doc(d, 1, false), whole = read_doc(d, 0, true);
  ASSERT_EQ(scan.error, "");
  ASSERT_EQ(on_demand.error, "");
  ASSERT_EQ(whole.error, "");
  EXPECT_GT(direct_bytes(scan.trace), 0);
  for (Reading* r : {&scan, &on_demand, &whole}) strip_ingest_meta(r->trace);
  expect_same_trace(scan.trace, on_demand.trace);
  expect_same_trace(scan.trace, whole.trace);

  const Trace& t = scan.trace;
  EXPECT_TRUE(t.skipped.empty());
  // Pids in order of first use: "Spans" -2, -2 -3, "-3" -4 (and "-2", "-002" are the number -2's
  // name: its decimal text); tids: "main" -2, -2 -3, "-3" -4 ("-0003" too).
  ASSERT_EQ(t.ops.size(), 7u);
  const int64_t pid[] = {-2, -3, -4, 7, -3, -1, -3}, tid[] = {-2, -3, -4, 8, -4, 8, -4};
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(t.ops.pid[i], pid[i]) << i;
    EXPECT_EQ(t.ops.tid[i], tid[i]) << i;
  }
  ASSERT_EQ(t.api.size(), 1u);
  EXPECT_EQ(t.api.pid[0], -3);
  EXPECT_EQ(t.api.tid[0], -4);
  EXPECT_EQ(t.api.correlation[0], 9);
  // Process names: the name itself, unless process_name metadata gives one.
  EXPECT_EQ(t.meta.at("process_name.-2"), "Spans");
  EXPECT_EQ(t.meta.at("process_name.-3"), "-2");
  EXPECT_EQ(t.meta.at("process_name.-4"), "the -3 process");
  EXPECT_EQ(t.meta.count("process_name.-1"), 0u);
  EXPECT_EQ(t.meta.count("process_name.7"), 0u);
  // Thread names: the tid's name, unless thread_name metadata gives one.
  const auto comm = [&](int64_t p, int64_t d) {
    for (size_t k = 0; k < t.threads.size(); ++k)
      if (t.threads.pid[k] == p && t.threads.tid[k] == d) return std::string(t.str(t.threads.comm[k]));
    return std::string("(none)");
  };
  EXPECT_EQ(comm(-2, -2), "main");
  EXPECT_EQ(comm(-3, -3), "loader");
  EXPECT_EQ(comm(-4, -4), "-3");
  EXPECT_EQ(comm(-3, -4), "-3");
  EXPECT_EQ(comm(7, 8), "");
}

TEST(KinetoEdge, LegacyExportDeviceEventsAndTimeZero) {
  // The legacy autograd export (no categories): host events under "CPU functions", kernels under
  // "CUDA functions" (tid = device) linked by flows only. Kernels are skipped and counted, not read
  // as operators; times count from the profile's start, so an event at ts 0 is kept.
  const std::string events = R"js([
    {"name": "model_run", "ph": "X", "ts": 0, "dur": 300, "tid": 1, "pid": "CPU functions", "args": {}},
    {"name": "aten::mm", "ph": "X", "ts": 100, "dur": 100, "tid": 1, "pid": "CPU functions", "args": {}},
    {"name": "aten::mm", "ph": "s", "ts": 100, "tid": 1, "pid": "CPU functions", "id": 5, "cat": "cpu_to_cuda", "args": {}},
    {"name": "volta_sgemm", "ph": "f", "ts": 150, "tid": 0, "pid": "CUDA functions", "id": 5, "cat": "cpu_to_cuda", "args": {}},
    {"name": "volta_sgemm", "ph": "X", "ts": 150, "dur": 40, "tid": 0, "pid": "CUDA functions", "args": {}},
    {"name": "npu_kernel", "ph": "X", "ts": 160, "dur": 10, "tid": 1, "pid": "NPU functions", "args": {}}])js";
  const Trace t = load_text(events);
  ASSERT_EQ(t.ops.size(), 2u);
  EXPECT_EQ(t.str(t.ops.name[0]), "model_run");
  EXPECT_EQ(t.ops.start[0], 0);
  EXPECT_EQ(t.str(t.ops.name[1]), "aten::mm");
  EXPECT_EQ(t.gpu.size(), 0u);
  EXPECT_EQ(t.skipped.count("skipped_zero_ts"), 0u);
  ASSERT_EQ(t.skipped.count("skipped_legacy_device_event"), 1u);
  EXPECT_EQ(t.skipped.at("skipped_legacy_device_event"), 2);
  // A Kineto event (with a category) at ts 0 is still a zeroed field.
  const Trace k = load_text(R"js([{"ph": "X", "cat": "cpu_op", "name": "a", "ts": 0, "dur": 5, "pid": 1, "tid": 1}])js");
  EXPECT_EQ(k.ops.size(), 0u);
  EXPECT_EQ(k.skipped.at("skipped_zero_ts"), 1);
  // An empty category with a numeric pid is not the legacy export: its ts 0 is a zeroed field too,
  // also when the pid is read as a name for being below -1 (docs/ingest.md, "Named pids and tids").
  for (const std::string pid : {"439", "-2", "\"-2\""}) {
    const Trace z = load_text(R"js([{"ph": "X", "cat": "", "name": "a", "ts": 0, "dur": 5, "pid": )js" + pid +
                              R"js(, "tid": 439}])js");
    EXPECT_EQ(z.ops.size(), 0u) << pid;
    EXPECT_EQ(z.skipped.at("skipped_zero_ts"), 1) << pid;
  }
}

TEST(KinetoEdge, GzipSingleAndMultiMember) {
  const std::string a = doc(kOp + "," + kLaunch + "," + kKernel);
  TempFile plain(a), gz(gzip_member(a), ".gz");
  const Trace p = load_trace(plain.path());
  Trace z = load_trace(gz.path());
  EXPECT_EQ(z.meta.at("compressed"), "gzip");
  z.meta.erase("compressed");
  expect_same_trace(p, z);
  // `cat a.gz b.gz` is a valid gzip file holding both texts: split the JSON across two members.
  const size_t half = a.size() / 2;
  TempFile multi(gzip_member(a.substr(0, half)) + gzip_member(a.substr(half)), ".gz");
  Trace m = load_trace(multi.path());
  m.meta.erase("compressed");
  expect_same_trace(p, m);
  // Zero bytes after the last member are padding, as gzip reads them (review CX L10), after one
  // member or several; a non-zero byte among them is still an error at its offset.
  for (const std::string& members : {gzip_member(a), gzip_member(a.substr(0, half)) + gzip_member(a.substr(half))}) {
    TempFile padded(members + std::string(100, '\0'), ".gz");
    Trace z2 = load_trace(padded.path());
    z2.meta.erase("compressed");
    expect_same_trace(p, z2);
  }
  expect_error_at(gzip_member(a) + std::string(10, '\0') + "x", static_cast<int64_t>(gzip_member(a).size()), "trailing");
}

TEST(KinetoEdge, CorruptOrTruncatedGzipNamesTheByte) {
  const std::string z = gzip_member(doc(kOp + "," + kLaunch + "," + kKernel));
  expect_error_at(z.substr(0, z.size() - 10), static_cast<int64_t>(z.size() - 10), "truncated");
  std::string bad = z;
  bad[12] ^= 0x55;
  bad[13] ^= 0x55;
  expect_error_at(bad, -2, "gzip");
  expect_error_at(z + "garbage", static_cast<int64_t>(z.size()), "trailing");
  // Intact data with a wrong CRC-32 or length in the trailer: the one-call inflater (libdeflate)
  // refuses it and the streaming one names the check that failed.
  std::string bad_crc = z;
  bad_crc[z.size() - 8] ^= 0x01;
  expect_error_at(bad_crc, -2, "data check");
  std::string bad_length = z;
  bad_length[z.size() - 4] ^= 0x01;
  expect_error_at(bad_length, -2, "length check");
}

// A member whose header carries a CRC-16 (FLG.FHCRC, RFC 1952 2.3.1): read when it matches the
// low 16 bits of the header's CRC-32, refused when it does not.
TEST(KinetoEdge, GzipHeaderCrcIsChecked) {
  const std::string a = doc(kOp + "," + kLaunch + "," + kKernel);
  const std::string z = gzip_member(a);
  ASSERT_EQ(static_cast<unsigned char>(z[3]), 0u);  // zlib writes no optional header fields
  std::string head = z.substr(0, 10);
  head[3] = 0x02;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(head.data()), 10);
  const std::string with_crc = head + static_cast<char>(crc & 0xff) + static_cast<char>((crc >> 8) & 0xff) + z.substr(10);
  TempFile good(with_crc, ".gz");
  Trace g = load_trace(good.path());
  EXPECT_EQ(g.meta.at("compressed"), "gzip");
  g.meta.erase("compressed");
  TempFile plain(a);
  expect_same_trace(load_trace(plain.path()), g);
  std::string bad = with_crc;
  bad[10] ^= 0x01;
  expect_error_at(bad, -2, "header crc");
}

TEST(KinetoEdge, LargeGzipTraceReadsAsItsPlainText) {
  // Large enough to be read in pieces after inflating (over 256 KB), in one member and in three.
  std::string events = kOp + "," + kLaunch + "," + kKernel;
  while (events.size() < 600 * 1024) events += "," + kOp + "," + kLaunch + "," + kKernel;
  const std::string a = doc(events);
  TempFile plain(a), gz(gzip_member(a), ".gz");
  const size_t third = a.size() / 3;
  TempFile multi(gzip_member(a.substr(0, third)) + gzip_member(a.substr(third, third)) + gzip_member(a.substr(2 * third)), ".gz");
  const Trace p = load_trace(plain.path());
  ASSERT_GT(p.ops.size(), 1000u);
  for (const TempFile* f : {&gz, &multi}) {
    Trace z = load_trace(f->path());
    EXPECT_EQ(z.meta.at("compressed"), "gzip");
    z.meta.erase("compressed");
    expect_same_trace(p, z);
  }
}

TEST(KinetoEdge, TruncatedJsonIsAnErrorAtTheEnd) {
  const std::string full = doc(kOp + "," + kLaunch + "," + kKernel);
  for (size_t cut : {full.size() - 1, full.size() - 2, full.size() / 2, size_t(20)}) {
    const std::string part = full.substr(0, cut);
    TempFile f(part);
    EXPECT_THROW((void)load_trace(f.path()), InputError) << cut;
  }
  expect_error_at(full.substr(0, full.size() - 2), static_cast<int64_t>(full.size() - 2), "truncated");
}

TEST(KinetoEdge, InvalidUtf8IsAnErrorAtThatByte) {
  const std::string text = "{\"traceEvents\": [{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"a";
  const std::string rest = "b\", \"ts\": 1, \"dur\": 1}]}";
  expect_error_at(text + "\xC3\x28" + rest, static_cast<int64_t>(text.size()), "UTF-8");
  expect_error_at(text + "\xED\xA0\x80" + rest, static_cast<int64_t>(text.size()), "UTF-8");  // surrogate
}

TEST(KinetoEdge, RawControlCharacterIsAnErrorEscapedOneIsReplacedAndCounted) {
  const std::string text = "{\"traceEvents\": [{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"a";
  expect_error_at(text + "\x01" + "b\", \"ts\": 1, \"dur\": 1}]}", static_cast<int64_t>(text.size()));
  const Trace t = load_text(text + "\\u0007b\", \"ts\": 1, \"dur\": 1}]}");
  ASSERT_EQ(t.ops.size(), 1u);
  EXPECT_EQ(t.str(t.ops.name[0]), "a?b");
  EXPECT_EQ(t.names_cleaned.at("names_with_control_chars_replaced"), 1);
  EXPECT_EQ(t.skipped.count("names_with_control_chars_replaced"), 0u);  // a kept event is no skipped one (review CX L8)
}

// DEL (0x7F) is a control character to util/text_clean.h, but JSON allows it raw: a name holding
// one, raw or escaped, is kept with '?' in its place and counted, as one with a C0 control
// character is (review XP). Both readers: on its own (chunk 1) each middle event is read by the
// direct scan, which hands an event with a DEL to the on-demand reader.
TEST(KinetoEdge, DelInANameIsReplacedAndCountedLikeAControlCharacter) {
  const auto op = [](const std::string& name, int ts) {
    return R"({"ph": "X", "cat": "cpu_op", "name": ")" + name + R"(", "pid": 1, "tid": 1, "ts": )" + std::to_string(ts) +
           R"(, "dur": 1})";
  };
  const std::string text = doc(op("first", 1) + "," + op("a\x7F" "b", 2) + "," + op("c\\u007fd", 3) + "," +
                               op("e\x7F", 4) + "," + op("last", 5) + "," +
                               R"({"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "w)" "\x7F" R"(x"}},)" +
                               // a process name too (review DG L8: kept raw, DEL and BEL, in the exports)
                               R"({"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "p)" "\x7F"
                               R"(r\u0007c"}})");
  for (size_t chunk : {size_t(0), size_t(1)})
    for (bool direct : {false, true}) {
      const Reading r = read_doc(text, chunk, direct);
      ASSERT_EQ(r.error, "") << chunk << direct;
      const Trace& t = r.trace;
      ASSERT_EQ(t.ops.size(), 5u);
      std::multiset<std::string> names;
      for (size_t i = 0; i < t.ops.size(); ++i) names.insert(std::string(t.str(t.ops.name[i])));
      EXPECT_EQ(names, (std::multiset<std::string>{"first", "a?b", "c?d", "e?", "last"})) << chunk << direct;
      // 3 ops, 1 thread, 1 process
      EXPECT_EQ(t.names_cleaned.at("names_with_control_chars_replaced"), 5) << chunk << direct;
      ASSERT_EQ(t.threads.size(), 1u);
      EXPECT_EQ(t.str(t.threads.row(0).comm), "w?x");
      ASSERT_TRUE(t.meta.count("process_name.1")) << chunk << direct;
      EXPECT_EQ(t.meta.at("process_name.1"), "p?r?c") << chunk << direct;
    }
}

TEST(KinetoEdge, WrongTypesAreCountedOrRejected) {
  const Trace t = load_text(doc(R"(
    {"ph": "X", "cat": "cpu_op", "name": "a", "ts": "12", "dur": 1},
    {"ph": "X", "cat": "cpu_op", "name": "b", "ts": 12, "dur": true},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 12, "dur": 1, "args": {"correlation": "7x"}},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 12, "dur": 1, "args": {"correlation": "\u0037"}},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 12, "dur": 1, "args": {"stream": 1.5}},
    {"ph": 1, "cat": "cpu_op", "name": "c", "ts": 1, "dur": 1},
    {"ph": "X", "cat": "cpu_op", "name": 5, "ts": 1, "dur": 1},
    42, "text", [1]
  )"));
  EXPECT_EQ(t.skipped.at("skipped_bad_type_ts"), 1);
  EXPECT_EQ(t.skipped.at("skipped_bad_type_dur"), 1);
  EXPECT_EQ(t.skipped.at("skipped_bad_type_arg"), 3);
  EXPECT_EQ(t.skipped.at("skipped_missing_ph"), 1);
  EXPECT_EQ(t.skipped.at("skipped_not_an_object"), 3);
  ASSERT_EQ(t.ops.size(), 1u);  // a non-string name leaves the name empty, the event is usable
  EXPECT_EQ(t.ops.name[0], kNoString);
  EXPECT_EQ(t.gpu.size(), 0u);
}

// An id written as a string of its digits is that id (a checker reading the JSON links it), and
// null is an absent value: the activity stays, an orphan that still counts as GPU work (audit CI
// D4, D5: before, both events were left out as wrong types and their partners became orphans).
TEST(KinetoEdge, DigitStringIdsAreIdsAndNullIsAbsent) {
  const Trace t = load_text(doc(R"(
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 10, "dur": 2, "pid": 1, "tid": 1,
     "args": {"correlation": 7, "External id": "3"}},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 20, "dur": 1, "pid": 0, "tid": 7,
     "args": {"correlation": "7", "device": "0", "stream": "7"}},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 30, "dur": 1, "pid": 0, "tid": 7,
     "args": {"correlation": null, "device": 0, "stream": 7}},
    {"ph": "X", "cat": "cpu_op", "name": "b", "ts": 12, "dur": null}
  )"));
  EXPECT_EQ(t.skipped.count("skipped_bad_type_arg"), 0u);
  EXPECT_EQ(t.skipped.at("skipped_missing_dur"), 1);
  ASSERT_EQ(t.gpu.size(), 2u);
  EXPECT_EQ(t.gpu.correlation[0], 7);
  EXPECT_EQ(t.gpu.device[0], 0);
  EXPECT_EQ(t.gpu.stream[0], 7);
  EXPECT_EQ(t.gpu.correlation[1], -1);
  ASSERT_EQ(t.api.size(), 1u);
  EXPECT_EQ(t.api.external_id[0], 3);
  expect_error_at(R"({"traceEvents": {"ph": "X"}})", 2, "not an array");  // at the key
  expect_error_at(R"({"other": 1})", 0, "no traceEvents");
  expect_error_at("\"just a string\"", 0);
  expect_error_at("", 0, "empty");
  expect_error_at("   \n", 0, "empty");
  expect_error_at("PK\x03\x04zip", 0, "unknown format");
}

TEST(KinetoEdge, InvalidNumberTokenIsAnErrorAtTheToken) {
  const std::string text = R"({"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "a", "ts": )";
  expect_error_at(text + "12abc, \"dur\": 1}]}", static_cast<int64_t>(text.size()), "invalid");
}

TEST(KinetoEdge, IntegersBeyondInt64AreCounted) {
  const Trace t = load_text(doc(R"(
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"correlation": 99999999999999999999}},
    {"ph": "X", "cat": "cpu_op", "name": "a", "ts": 99999999999999999999, "dur": 1},
    {"ph": "X", "cat": "cpu_op", "name": "a", "ts": 9223372036854775.000, "dur": 1},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"device": 5000000000}},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 1, "dur": 1, "args": {"correlation": 3}}
  )"));
  EXPECT_EQ(t.skipped.at("skipped_int_out_of_range"), 4);  // the third: ts + dur overflows
  EXPECT_EQ(t.gpu.size(), 0u);
  EXPECT_EQ(t.api.size(), 1u);  // a launch call with no GPU activity is kept (an orphan for analysis)
}

TEST(KinetoEdge, MissingOrZeroTimes) {
  const Trace t = load_text(doc(R"(
    {"ph": "X", "cat": "cpu_op", "name": "a", "dur": 1},
    {"ph": "X", "cat": "cpu_op", "name": "b", "ts": 1},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": -1},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 0, "dur": 3},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 5, "dur": 0},
    {"cat": "cpu_op", "name": "c", "ts": 1, "dur": 1},
    {"ph": "XY", "cat": "cpu_op", "name": "c", "ts": 1, "dur": 1},
    {"ph": "i", "cat": "cpu_op", "name": "instant", "ts": 1}
  )"));
  EXPECT_EQ(t.skipped.at("skipped_missing_ts"), 1);
  EXPECT_EQ(t.skipped.at("skipped_missing_dur"), 1);
  EXPECT_EQ(t.skipped.at("skipped_negative_dur"), 1);
  EXPECT_EQ(t.skipped.at("skipped_missing_ph"), 1);
  EXPECT_EQ(t.skipped.at("skipped_unknown_ph"), 1);
  EXPECT_EQ(t.skipped.at("skipped_zero_ts"), 1);  // a zeroed time would stretch spans across the clock
  ASSERT_EQ(t.gpu.size(), 1u);  // a zero duration is kept, and said so
  EXPECT_EQ(t.gpu.start[0], 5000);
  EXPECT_EQ(t.meta.at("kineto.zero_duration_events"), "1");
}

// Text after a whole document is named as such at its first byte, not as a truncated file (review
// CX L1: simdjson calls most of these an incomplete document), read whole or in pieces.
TEST(KinetoEdge, TrailingContentIsAnError) {
  const std::string d = doc(kOp);
  const int64_t after = static_cast<int64_t>(d.size());
  for (const std::string& tail : {std::string("x"), std::string("]"), std::string(","), std::string("{}")})
    expect_error_at(d + tail, after, "unexpected content after the end of the JSON document");
  for (const std::string& tail : {std::string(" x"), std::string("\n 1"), std::string(" \"s\""), std::string(" null")})
    expect_error_at(d + tail, after + 1 + (tail[1] == ' '), "unexpected content after the end of the JSON document");
  // A string holding brackets and an escaped quote does not end the document early.
  const std::string tricky = doc(R"({"ph": "X", "cat": "cpu_op", "name": "a}]\"}", "ts": 1, "dur": 1})");
  expect_error_at(tricky + "x", static_cast<int64_t>(tricky.size()), "after the end of the JSON document");
  // In pieces: 30 events, read 100 bytes at a time.
  std::string events;
  for (int i = 0; i < 30; ++i) events += std::string(i ? "," : "") + R"({"ph": "X", "cat": "cpu_op", "name": "op", "ts": 1, "dur": 1})";
  const std::string text = "{\"traceEvents\": [" + events + "]}";
  TempFile f(text + "\ngarbage");
  LoadOptions o;
  o.chunk_bytes = 100;
  try {
    (void)load_trace(f.path(), o);
    FAIL() << "no error for text after the document, read in pieces";
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), static_cast<int64_t>(text.size() + 1)) << e.what();
    EXPECT_NE(std::string(e.what()).find("after the end of the JSON document"), std::string::npos) << e.what();
  }
  // A document cut short is still called truncated.
  expect_error_at(d.substr(0, d.size() - 1), after - 1, "truncated");
}

TEST(KinetoEdge, ChunkedReadingEqualsWholeReadingAtEveryPieceSize) {
  // Names that contain the cut pattern "},{" and escaped quotes force some quick cuts inside
  // strings; nested args objects and a deviceProperties array put "},{" at other depths.
  std::string events;
  for (int i = 0; i < 40; ++i) {
    if (i) events += ",\n";
    const std::string n = std::to_string(i);
    events += R"({"ph": "X", "cat": "cpu_op", "name": "op},{\"x\"},{)" + n + R"(", "pid": 1, "tid": 2, "ts": )" + n +
              R"(.5, "dur": 1, "args": {"External id": )" + n + R"(, "list": [{"a": 1},{"b": 2}]}},)" +
              R"({"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":1,"tid":2,"ts":)" + n +
              R"(.6,"dur":0.1,"args":{"correlation":)" + n + R"(}},)" +
              R"({"ph": "X", "cat": "kernel", "name": "k)" + n + R"(", "pid": 0, "tid": 7, "ts": )" + n +
              R"(.9, "dur": 0.05, "args": {"device": 0, "stream": 7, "correlation": )" + n + "}}";
  }
  const std::string text =
      R"({"deviceProperties": [{"id": 0, "name": "A"},{"id": 1, "name": "B"}], "traceEvents": [)" + events +
      R"(], "traceName": "x},{y"})";
  Trace whole = load_text(text);
  ASSERT_EQ(whole.ops.size(), 40u);
  ASSERT_EQ(whole.gpu.size(), 40u);
  auto strip = [](Trace& t) {
    for (auto it = t.meta.begin(); it != t.meta.end();) it = it->first.rfind("ingest.", 0) == 0 ? t.meta.erase(it) : std::next(it);
  };
  bool saw_exact = false, saw_quick = false;
  for (size_t chunk : {size_t(1), size_t(7), size_t(40), size_t(100), size_t(333), size_t(1000), size_t(5000)}) {
    Trace c = load_text(text, chunk);
    EXPECT_GT(std::stoi(c.meta.at("ingest.pieces")), 1) << chunk;
    saw_exact |= c.meta.at("ingest.cuts") == "exact";
    saw_quick |= c.meta.at("ingest.cuts") == "quick";
    strip(c);
    Trace w = load_text(text);
    strip(w);
    SCOPED_TRACE(chunk);
    expect_same_trace(w, c);
  }
  EXPECT_TRUE(saw_exact);  // the fallback ran at least once
  // The same events as a top-level array.
  Trace wa = load_text("[" + events + "]");
  Trace ca = load_text("[" + events + "]", 64);
  strip(wa);
  strip(ca);
  expect_same_trace(wa, ca);
  (void)saw_quick;
}

TEST(KinetoEdge, ChunkedReadingReportsErrorsWithTheirOffset) {
  std::string events;
  for (int i = 0; i < 30; ++i) {
    if (i) events += ",";
    events += R"({"ph": "X", "cat": "cpu_op", "name": "op", "ts": 1, "dur": 1})";
  }
  const std::string text = "{\"traceEvents\": [" + events + "]}";
  // An invalid byte in the middle: the error names the same offset whichever way it is read.
  std::string bad = text;
  const size_t at = text.size() / 2;
  const size_t name = text.find("\"op\"", at) + 1;
  bad[name] = '\xFF';
  for (size_t chunk : {size_t(0), size_t(50), size_t(300)}) {
    TempFile f(bad);
    LoadOptions o;
    o.chunk_bytes = chunk;
    try {
      (void)load_trace(f.path(), o);
      FAIL() << chunk;
    } catch (const InputError& e) {
      EXPECT_EQ(e.offset(), static_cast<int64_t>(name)) << chunk << ": " << e.what();
    }
  }
  // Truncated and chunked.
  TempFile f(text.substr(0, text.size() - 30));
  LoadOptions o;
  o.chunk_bytes = 100;
  EXPECT_THROW((void)load_trace(f.path(), o), InputError);
}

TEST(KinetoEdge, MissingFileAndDirectory) {
  try {
    (void)load_trace("/nonexistent/trace.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/trace.json"), std::string::npos);
  }
  EXPECT_THROW((void)load_trace(::testing::TempDir()), InputError);
}

TEST(KinetoEdge, ThreadLastTimeIsTheEndOfItsLastApiCall) {
  // A synchronize that outlasts the thread's last operator: the thread is busy until the call
  // returns, so its last time is that call's end, 1020.5 + 300.25 us, not the call's start or the
  // operator's end (1010 us).
  const Trace t = load_text(doc(R"(
    {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 5, "tid": 6, "ts": 1000, "dur": 10},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaDeviceSynchronize", "pid": 5, "tid": 6, "ts": 1020.5, "dur": 300.25,
     "args": {"cbid": 165, "correlation": 3}}
  )"));
  ASSERT_EQ(t.threads.size(), 1u);
  EXPECT_EQ(t.threads.first_ts[0], 1000000);
  EXPECT_EQ(t.threads.last_ts[0], 1320750);
}

// infertrace's Chrome export writes a call whose duration was not recorded with "dur" 0 and args
// "duration": "not measured" (the viewers need a dur). Read back, that call's duration is unknown
// (-1), as in the recording it came from; a zero without the marker, the marker on an operator, or
// the marker with a non-zero dur are read as written. Both readers (the direct scan and the
// on-demand one), each event a piece of its own or all in one.
TEST(KinetoEdge, NotMeasuredApiDurationReadsUnknown) {
  const std::string marked =
      R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 2, "ts": 90, "dur": 0,
          "args": {"correlation": 5, "duration": "not measured"}})";
  const std::string zero =
      R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaMemcpyAsync", "pid": 1, "tid": 2, "ts": 95, "dur": 0,
          "args": {"correlation": 6}})";
  const std::string marked_nonzero =
      R"({"ph": "X", "cat": "cuda_driver", "name": "cuLaunchKernel", "pid": 1, "tid": 2, "ts": 97, "dur": 0.5,
          "args": {"duration": "not measured", "correlation": 7}})";
  const std::string other_text =
      R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaStreamSynchronize", "pid": 1, "tid": 2, "ts": 98, "dur": 0,
          "args": {"duration": "measured", "correlation": 8}})";
  const std::string op_marked =
      R"({"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 2, "ts": 99, "dur": 0,
          "args": {"duration": "not measured"}})";
  const std::string text = doc(marked + "," + zero + "," + marked_nonzero + "," + other_text + "," + op_marked);
  for (const bool direct : {false, true})
    for (const size_t chunk : {size_t{1}, size_t{1} << 20}) {
      SCOPED_TRACE(testing::Message() << "direct " << direct << " chunk " << chunk);
      const Reading r = read_doc(text, chunk, direct);
      ASSERT_EQ(r.error, "");
      const Trace& t = r.trace;
      ASSERT_EQ(t.api.size(), 4u);
      ASSERT_EQ(t.ops.size(), 1u);
      std::map<int64_t, int64_t> dur_by_correlation;
      for (size_t i = 0; i < t.api.size(); ++i) dur_by_correlation[t.api.correlation[i]] = t.api.dur[i];
      EXPECT_EQ(dur_by_correlation[5], -1);
      EXPECT_EQ(dur_by_correlation[6], 0);
      EXPECT_EQ(dur_by_correlation[7], 500);
      EXPECT_EQ(dur_by_correlation[8], 0);
      EXPECT_EQ(t.ops.dur[0], 0);
      // The unknown one is no zero-length event: the unmarked API zero, the other text, the operator.
      ASSERT_TRUE(t.meta.count("kineto.zero_duration_events"));
      EXPECT_EQ(t.meta.at("kineto.zero_duration_events"), "3");
    }
}

// infertrace's Chrome export writes an event that starts at exactly 0 (a legacy autograd trace's
// operator, kept there) with args "zero_ts": "real": read back, it is kept at 0 (review RT M2). A
// Kineto event at ts 0 without the mark, or with any other text, is still a zeroed field, left out
// and counted. Both readers, each event a piece of its own or all in one.
TEST(KinetoEdge, ZeroTsMarkedRealIsKeptUnmarkedIsSkipped) {
  const std::string marked_op =
      R"({"ph": "X", "cat": "cpu_op", "name": "aten::empty", "pid": -2, "tid": 1, "ts": 0, "dur": 5,
          "args": {"zero_ts": "real"}})";
  const std::string marked_call =
      R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 2, "ts": 0.000, "dur": 1,
          "args": {"correlation": 5, "zero_ts": "real"}})";
  const std::string unmarked_op =
      R"({"ph": "X", "cat": "cpu_op", "name": "aten::zero", "pid": 1, "tid": 2, "ts": 0, "dur": 3, "args": {}})";
  const std::string other_text =
      R"({"ph": "X", "cat": "cpu_op", "name": "aten::other", "pid": 1, "tid": 2, "ts": 0, "dur": 3,
          "args": {"zero_ts": "zeroed"}})";
  const std::string unmarked_kernel =
      R"({"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 0, "dur": 2,
          "args": {"device": 0, "stream": 7, "correlation": 5}})";
  const std::string later_op =
      R"({"ph": "X", "cat": "cpu_op", "name": "aten::add", "pid": -2, "tid": 1, "ts": 3, "dur": 10,
          "args": {"zero_ts": "real"}})";
  const std::string text =
      doc(marked_op + "," + marked_call + "," + unmarked_op + "," + other_text + "," + unmarked_kernel + "," + later_op);
  for (const bool direct : {false, true})
    for (const size_t chunk : {size_t{1}, size_t{1} << 20}) {
      SCOPED_TRACE(testing::Message() << "direct " << direct << " chunk " << chunk);
      const Reading r = read_doc(text, chunk, direct);
      ASSERT_EQ(r.error, "");
      const Trace& t = r.trace;
      ASSERT_EQ(t.ops.size(), 2u);
      EXPECT_EQ(t.str(t.ops.name[0]), "aten::empty");
      EXPECT_EQ(t.ops.start[0], 0);
      EXPECT_EQ(t.ops.dur[0], 5000);
      EXPECT_EQ(t.str(t.ops.name[1]), "aten::add");  // (the mark on a non-zero ts changes nothing)
      EXPECT_EQ(t.ops.start[1], 3000);
      ASSERT_EQ(t.api.size(), 1u);
      EXPECT_EQ(t.api.start[0], 0);
      EXPECT_EQ(t.gpu.size(), 0u);
      ASSERT_TRUE(t.skipped.count("skipped_zero_ts"));
      EXPECT_EQ(t.skipped.at("skipped_zero_ts"), 3);  // unmarked op, other text, unmarked kernel
    }
}
