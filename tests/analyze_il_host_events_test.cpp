// The inference latency window of a Kineto trace without operators (docs/metrics.md "Inference
// latency"): it opens at the earliest host event, a python_function range included (review AK L5:
// one 200 us before the first cudaLaunchKernel gave IL 24 us), but not at the profiler's own spans
// (the "Trace" span of the profiling window, CUPTI "overhead") nor at a device-side range. Every
// expected IL is the last kernel end minus the start named in the test, in the trace's microseconds.
#include <gtest/gtest.h>

#include <string>

#include "analysis/launch.h"
#include "analysis/trace_window.h"
#include "kineto_test_util.h"

namespace infertrace {
namespace {

using testing_kineto::load_text;

// One launch at 210 us (5 us long) of a kernel that runs [220, 234] us.
constexpr double kLaunchUs = 210, kKernelUs = 220, kKernelDurUs = 14;
constexpr ns_t kKernelEndNs = static_cast<ns_t>((kKernelUs + kKernelDurUs) * 1000);

std::string launch_and_kernel() {
  return R"js({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 2, "ts": )js" +
         std::to_string(kLaunchUs) + R"js(, "dur": 5, "args": {"correlation": 9}},
      {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": )js" +
         std::to_string(kKernelUs) + R"js(, "dur": )js" + std::to_string(kKernelDurUs) +
         R"js(, "args": {"device": 0, "stream": 7, "correlation": 9}})js";
}

// The profiler's own events as the H100 fixtures have them: the span of the profiling window and a
// CUPTI overhead range, both before everything the program did.
const std::string kProfilerOwn =
    R"js({"ph": "X", "cat": "Trace", "ts": 1, "dur": 1000, "pid": "Spans", "tid": "PyTorch Profiler",
        "name": "PyTorch Profiler (0)", "args": {"Op count": 0}},
      {"ph": "X", "cat": "overhead", "name": "Activity Buffer Request", "pid": -1, "tid": 0, "ts": 5, "dur": 3},
      {"ph": "X", "cat": "Overhead", "name": "Activity Buffer Request", "pid": -1, "tid": 0, "ts": 6, "dur": 3})js";

Trace load_events(const std::string& events) { return load_text("{\"traceEvents\": [" + events + "]}"); }

TEST(AnalyzeIlHostEvents, PythonFunctionBeforeTheFirstCallOpensTheWindow) {
  constexpr double kPythonUs = 10;  // 200 us before the launch
  const Trace t = load_events(kProfilerOwn + R"js(,
      {"ph": "X", "cat": "python_function", "name": "model.py(12): forward", "pid": 1, "tid": 2, "ts": )js" +
                              std::to_string(kPythonUs) + R"js(, "dur": 300},
      )js" + launch_and_kernel());
  ASSERT_EQ(t.ops.size(), 0u);
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.t_begin, static_cast<ns_t>(kPythonUs * 1000));
  EXPECT_EQ(a.inference_latency, kKernelEndNs - static_cast<ns_t>(kPythonUs * 1000));  // 224 us
}

TEST(AnalyzeIlHostEvents, ProfilerSpansAndDeviceRangesDoNotOpenTheWindow) {
  // Only the profiler's own events and a record_function range as the GPU ran it come before the
  // launch: the window opens at the launch, 24 us before the kernel's end.
  const Trace t = load_events(kProfilerOwn + R"js(,
      {"ph": "X", "cat": "gpu_user_annotation", "name": "step", "pid": 0, "tid": 7, "ts": 50, "dur": 200},
      )js" + launch_and_kernel());
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.t_begin, static_cast<ns_t>(kLaunchUs * 1000));
  EXPECT_EQ(a.inference_latency, kKernelEndNs - static_cast<ns_t>(kLaunchUs * 1000));  // 24 us
}

TEST(AnalyzeIlHostEvents, OperatorsStillOpenTheWindowWhenThereAreAny) {
  // A python_function at 10 us and an operator at 100 us: the operator rule applies (IL from the
  // first top-level operator), the python range does not move it.
  constexpr double kOpUs = 100;
  const Trace t = load_events(R"js({"ph": "X", "cat": "python_function", "name": "f", "pid": 1, "tid": 2, "ts": 10, "dur": 300},
      {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 2, "ts": )js" +
                              std::to_string(kOpUs) + R"js(, "dur": 130},
      )js" + launch_and_kernel());
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.t_begin, static_cast<ns_t>(kOpUs * 1000));
  EXPECT_EQ(a.inference_latency, kKernelEndNs - static_cast<ns_t>(kOpUs * 1000));
}

TEST(AnalyzeIlHostEvents, ATimeWindowKeepsOnlyTheHostEventsInsideIt) {
  // python_function ranges at 10 us and 150 us; cut to [100 us, 300 us]: the one at 10 us is
  // outside, so the window opens at 150 us.
  constexpr double kInsideUs = 150;
  Trace t = load_events(R"js({"ph": "X", "cat": "python_function", "name": "f", "pid": 1, "tid": 2, "ts": 10, "dur": 1},
      {"ph": "X", "cat": "python_function", "name": "g", "pid": 1, "tid": 2, "ts": )js" +
                        std::to_string(kInsideUs) + R"js(, "dur": 1},
      )js" + launch_and_kernel());
  EXPECT_EQ(analyze_launches(t).t_begin, 10'000);
  restrict_to_window(t, TraceWindow{100'000, 300'000});
  const LaunchAnalysis a = analyze_launches(t);
  EXPECT_EQ(a.t_begin, static_cast<ns_t>(kInsideUs * 1000));
  EXPECT_EQ(a.inference_latency, kKernelEndNs - static_cast<ns_t>(kInsideUs * 1000));
}

}  // namespace
}  // namespace infertrace
