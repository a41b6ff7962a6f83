// Host figures where annotation ranges, a missing launching thread or merged processes decide them
// (docs/analyze.md "Annotations and profiler steps", "No launch calls", "Merged processes"). Every
// expected value is worked out in the comments from the events each test inserts.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "analysis/host_annotations.h"
#include "analysis/launch.h"
#include "report/analyze_json.h"

namespace infertrace {
namespace {

void op(Trace& t, int64_t tid, ns_t start, ns_t end, const char* name, bool annotation = false) {
  Operator o;
  o.start = start, o.dur = end - start, o.pid = 100, o.tid = tid, o.name = t.strings.intern(name);
  o.user_annotation = annotation;
  t.ops.push(o);
}

void call(Trace& t, int64_t pid, ns_t start, ns_t end, const char* name, int64_t correlation) {
  ApiCall c;
  c.start = start, c.dur = end - start, c.pid = pid, c.tid = pid + 1, c.correlation = correlation;
  c.name = t.strings.intern(name), c.kind = classify_api(name);
  t.api.push(c);
}

void kernel(Trace& t, ns_t start, ns_t end, int64_t correlation) {
  GpuActivity g;
  g.start = start, g.dur = end - start, g.device = 0, g.stream = 7, g.correlation = correlation;
  g.name = t.strings.intern("k");
  t.gpu.push(g);
}

// Launching thread 101 (pid 100): ProfilerStep#1 [0, 10000) around ops [1000, 2000) and [5000, 6000),
// launches [1100, 1200) and [5100, 5200), a sync [7000, 9000); kernels end at 3000 and 8000.
// IL window [0, 8000) (first operator: the step; last GPU end), IL 8000.
//   as defined: active = the step clipped = 8000, less sync [7000, 8000) = 7000; CPU idle 1000.
//   without the step: [1000, 2000) + [5000, 6000) + [7000, 8000) = 3000, less 1000 = 2000; idle 6000.
Trace stepped_trace() {
  Trace t;
  op(t, 101, 0, 10000, "ProfilerStep#1", true);
  op(t, 101, 1000, 2000, "aten::mm");
  op(t, 101, 5000, 6000, "aten::add");
  call(t, 100, 1100, 1200, "cudaLaunchKernel", 1);
  call(t, 100, 5100, 5200, "cudaLaunchKernel", 2);
  call(t, 100, 7000, 9000, "cudaDeviceSynchronize", -1);
  kernel(t, 1500, 3000, 1);
  kernel(t, 5500, 8000, 2);
  return t;
}

TEST(HostAnnotations, AStepAroundTheModelCountsAsDefinedAndIsLeftOutBeside) {
  const LaunchAnalysis a = analyze_launches(stepped_trace());
  EXPECT_EQ(a.inference_latency, 8000);
  EXPECT_EQ(a.host_active, 7000);
  EXPECT_EQ(a.cpu_idle, 1000);
  EXPECT_EQ(a.host_active_without_annotations, 2000);
  EXPECT_EQ(a.cpu_idle_without_annotations, 6000);
  EXPECT_EQ(a.launch_thread_annotations, 1);
  EXPECT_EQ(a.profiler_steps, 1);
  EXPECT_FALSE(a.host_undefined());
}

TEST(HostAnnotations, StepsOfOtherThreadsCountAsStepsNotAsTheLaunchingThreadsAnnotations) {
  Trace t = stepped_trace();
  op(t, 102, 0, 100, "ProfilerStep#2", true);
  // An old trace's step (category Operator): an annotation by its name.
  op(t, 101, 6500, 6600, "ProfilerStep#3", false);
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.profiler_steps, 3);
  EXPECT_EQ(a.launch_thread_annotations, 2);
  EXPECT_EQ(a.cpu_idle_without_annotations, 6000);  // [6500, 6600) left out too
}

// Two merged ranks' ranges of one step (one name) are one step; a launching thread whose pid was
// read from a name (negative) still has its annotations counted.
TEST(HostAnnotations, StepsAreCountedByNameAndNamedPidsKeepTheirAnnotations) {
  Trace t = stepped_trace();
  op(t, 102, 0, 100, "ProfilerStep#1", true);
  EXPECT_EQ(analyze_launches(t).profiler_steps, 1);
  for (auto* col : {&t.ops.pid, &t.api.pid})
    for (int64_t& pid : *col) pid = -2;
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.launch_thread_pid, -2);
  EXPECT_EQ(a.launch_thread_annotations, 1);
  EXPECT_EQ(a.cpu_idle_without_annotations, 6000);
}

// A recording whose launches were not measured: launch_undefined_reason says why there is no
// launching thread; "no launch calls" would be wrong (review KV2 M1).
TEST(HostAnnotations, UnmeasuredLaunchesGiveNoHostReason) {
  Trace t;
  t.source = TraceSource::Recording;
  kernel(t, 500, 900, 1);
  t.launch_coverage.unmeasured_pids = {100};
  t.launch_coverage.unmeasured_reason = "launch calls not measured in pid 100";
  ASSERT_FALSE(t.launch_coverage.measured());
  EXPECT_FALSE(analyze_launches(t).host_undefined());
}

// An annotation of the launching thread after the IL window ([8500, 9000): the window ends at the
// last GPU end, 8000) decides nothing there and is not counted; one reaching into it is.
TEST(HostAnnotations, OnlyAnnotationsReachingIntoTheWindowCount) {
  Trace t = stepped_trace();
  op(t, 101, 8500, 9000, "record_function after", true);
  EXPECT_EQ(analyze_launches(t).launch_thread_annotations, 1);
  op(t, 101, 7900, 9000, "record_function across the end", true);
  EXPECT_EQ(analyze_launches(t).launch_thread_annotations, 2);
}

TEST(HostAnnotations, WithoutAnnotationsTheFiguresAreTheFigures) {
  Trace t;
  op(t, 101, 1000, 2000, "aten::mm");
  call(t, 100, 1100, 1200, "cudaLaunchKernel", 1);
  kernel(t, 1500, 4000, 1);
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.launch_thread_annotations, 0);
  EXPECT_EQ(a.cpu_idle, 2000);  // IL [1000, 4000) less [1000, 2000)
  EXPECT_EQ(a.cpu_idle_without_annotations, a.cpu_idle);
  EXPECT_EQ(a.host_active_without_annotations, a.host_active);
}

TEST(HostAnnotations, ProfilerStepNames) {
  EXPECT_TRUE(is_profiler_step("ProfilerStep#0"));
  EXPECT_TRUE(is_profiler_step("ProfilerStep#"));
  EXPECT_FALSE(is_profiler_step("ProfilerStep"));
  EXPECT_FALSE(is_profiler_step("profilerstep#1"));
}

// GPU work and two hip* calls, no launch call the reader knows: no launching thread, so host
// active and CPU idle are undefined (null in the JSON), not 0 and the whole IL.
TEST(HostAnnotations, NoLaunchCallLeavesTheHostFiguresUndefined) {
  Trace t;
  op(t, 101, 0, 1000, "aten::mm");
  call(t, 100, 100, 200, "hipLaunchKernel", 1);
  call(t, 100, 300, 400, "hipExtModuleLaunchKernel", 2);
  kernel(t, 500, 900, 1);
  kernel(t, 950, 1500, 2);
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.launch_calls, 0);
  ASSERT_TRUE(a.host_undefined());
  EXPECT_NE(a.host_undefined_reason.find("no launch calls"), std::string::npos);
  EXPECT_NE(a.host_undefined_reason.find("2 hip* API calls"), std::string::npos) << a.host_undefined_reason;
  const nlohmann::json j = analyze_trace_json(t, a);
  for (const char* k : host_keys_without_thread()) EXPECT_TRUE(j.at(k).is_null()) << k;
  EXPECT_EQ(j.at("host_undefined_reason"), a.host_undefined_reason);
  EXPECT_EQ(j.at("gpu_idle_ns"), 1500 - (400 + 550));  // IL [0, 1500), busy [500, 900) + [950, 1500)
}

TEST(HostAnnotations, ANoGpuTraceHasNoHostReason) {
  Trace t;
  op(t, 101, 0, 1000, "aten::mm");
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_FALSE(a.host_undefined());  // (its figures are undefined for want of GPU work: undefined_reason)
}

// Process 100 and process 200 (a merged trace) both use correlation 1; process 100 also records
// correlation 2 twice, as a runtime call and the driver call it makes (the one legitimate duplicate).
TEST(HostAnnotations, DuplicatesOfOtherProcessesAreCountedApart) {
  Trace t;
  call(t, 100, 0, 100, "cudaLaunchKernel", 1);
  call(t, 200, 10, 110, "cudaLaunchKernel", 1);
  call(t, 100, 200, 400, "cudaLaunchKernel", 2);
  call(t, 100, 250, 350, "cuLaunchKernel", 2);
  kernel(t, 500, 600, 1);
  kernel(t, 700, 800, 2);
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.duplicate_correlation_calls, 2);
  EXPECT_EQ(a.duplicate_calls_of_other_processes, 1);
  EXPECT_EQ(analyze_trace_json(t, a).at("duplicate_calls_of_other_processes"), 1);
}

}  // namespace
}  // namespace infertrace
