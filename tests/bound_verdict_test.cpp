// The CPU-/GPU-bound verdict (analysis/bound_verdict.h): from the launch and queue parts, and
// undefined, with the reason, when there is nothing to compare. Before, a trace whose every kernel
// started before its launch call (clock skew: TKLQT 0, IL 0) was "CPU-bound" from 0 >= 0
// (review AW item 11).
#include <gtest/gtest.h>

#include "analysis/bound_verdict.h"

namespace infertrace {
namespace {

LaunchAnalysis measured(ns_t launch_part, ns_t queue_part, ns_t il) {
  LaunchAnalysis a;
  a.linked_launch_calls = 3;
  a.tklqt_launch = launch_part, a.tklqt_queue = queue_part, a.tklqt = launch_part + queue_part;
  a.inference_latency = il;
  return a;
}

TEST(BoundVerdict, QueuePartAboveLaunchPartIsGpuBoundElseCpuBound) {
  LaunchAnalysis a = measured(10, 11, 1000);
  decide_bound(a);
  EXPECT_EQ(a.bound, "gpu");
  EXPECT_TRUE(a.bound_undefined_reason.empty());
  a = measured(10, 10, 1000);  // a tie is launch-dominated (metrics.md: "otherwise CPU-bound")
  decide_bound(a);
  EXPECT_EQ(a.bound, "cpu");
  a = measured(7, 0, 1000);
  decide_bound(a);
  EXPECT_EQ(a.bound, "cpu");
}

// Review BD M1: the IL window starts at the first top-level operator; one that starts after the GPU
// work empties the window, yet the parts are measured per call (launch 3 us, queue 2 us, none
// clamped), so the verdict stands: 3 >= 2 is CPU-bound.
TEST(BoundVerdict, AnEmptyWindowAloneKeepsTheMeasuredVerdict) {
  LaunchAnalysis a = measured(3000, 2000, 0);
  a.operators = 1;
  decide_bound(a);
  EXPECT_EQ(a.bound, "cpu");
  EXPECT_TRUE(a.bound_undefined_reason.empty()) << a.bound_undefined_reason;
  a = measured(1000, 4000, -20);
  decide_bound(a);
  EXPECT_EQ(a.bound, "gpu");
  a = measured(3000, 2000, 0);  // the same window with one clamped call is clock skew: no verdict
  a.clock_skew_clamped = 1;
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_NE(a.bound_undefined_reason.find("1 launch call had its GPU work"), std::string::npos) << a.bound_undefined_reason;
}

TEST(BoundVerdict, NothingToCompareLeavesItUndefinedWithTheReason) {
  LaunchAnalysis a = measured(0, 0, 1000);  // every latency clamped to 0
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_NE(a.bound_undefined_reason.find("TKLQT is 0"), std::string::npos) << a.bound_undefined_reason;

  a = measured(50, 10, 0);  // the GPU work ends before the first host event, 2 calls clamped
  a.clock_skew_clamped = 2;
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_NE(a.bound_undefined_reason.find("inference-latency window is empty"), std::string::npos);
  EXPECT_NE(a.bound_undefined_reason.find("before the first host event"), std::string::npos);
  EXPECT_NE(a.bound_undefined_reason.find("2 launch calls had their GPU work start before"), std::string::npos)
      << a.bound_undefined_reason;

  a = measured(0, 0, 0);  // empty window, nothing clamped but nothing measured either
  a.operators = 1;
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_NE(a.bound_undefined_reason.find("before the first top-level operator, and TKLQT is 0"), std::string::npos)
      << a.bound_undefined_reason;

  a = measured(0, 0, 1000);  // every l exactly 0 without clamping: no "clock skew" claim
  decide_bound(a);
  EXPECT_EQ(a.bound_undefined_reason.find("clock skew"), std::string::npos) << a.bound_undefined_reason;
  a.clock_skew_clamped = 3;
  decide_bound(a);
  EXPECT_NE(a.bound_undefined_reason.find("(3 clamped: clock skew)"), std::string::npos) << a.bound_undefined_reason;

  a = measured(0, 0, 0);
  a.linked_launch_calls = 0;
  a.bound = "cpu";  // a stale verdict is cleared too
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_EQ(a.bound_undefined_reason, "no launch call is linked to GPU work");
}

// The idle share from which a GPU-bound verdict is "in bursts" (review UX H1: an H100 BERT trace at
// batch 32, GPU-bound with the GPU idle 55.6%, was told only faster kernels would help): half the
// inference latency or more, for a GPU-bound verdict only, never for an empty window.
TEST(BoundVerdict, GpuBoundInBurstsFromHalfTheLatencyIdle) {
  EXPECT_TRUE(gpu_bound_in_bursts("gpu", 500, 1000));
  EXPECT_TRUE(gpu_bound_in_bursts("gpu", 1000, 1000));
  EXPECT_FALSE(gpu_bound_in_bursts("gpu", 499, 1000));
  EXPECT_FALSE(gpu_bound_in_bursts("cpu", 900, 1000));
  EXPECT_FALSE(gpu_bound_in_bursts("", 900, 1000));
  EXPECT_FALSE(gpu_bound_in_bursts("gpu", 0, 0));
}

// The mirror (review AK M1): a CPU-bound verdict whose GPU idles under a tenth of the inference
// latency (a host that syncs after each kernel) is flagged; the verdict stays CPU-bound.
TEST(BoundVerdict, CpuBoundWithBusyGpuBelowATenthIdle) {
  EXPECT_TRUE(cpu_bound_gpu_busy("cpu", 99, 1000));
  EXPECT_TRUE(cpu_bound_gpu_busy("cpu", 0, 1000));
  EXPECT_FALSE(cpu_bound_gpu_busy("cpu", 100, 1000));
  EXPECT_FALSE(cpu_bound_gpu_busy("gpu", 10, 1000));
  EXPECT_FALSE(cpu_bound_gpu_busy("", 10, 1000));
  EXPECT_FALSE(cpu_bound_gpu_busy("cpu", 0, 0));
  LaunchAnalysis a = measured(15, 0, 50'044'000);  // 5 launches of 3 us, queue 0 (the reviewer's trace)
  a.gpu_idle = 44'000;
  decide_bound(a);
  EXPECT_EQ(a.bound, "cpu");
  EXPECT_TRUE(a.cpu_bound_gpu_busy);
  a = measured(15, 0, 1000);
  a.gpu_idle = 500;
  decide_bound(a);
  EXPECT_EQ(a.bound, "cpu");
  EXPECT_FALSE(a.cpu_bound_gpu_busy);
  const std::string m = cpu_bound_gpu_busy_meaning("the GPU", "0.1%", "99.9%");
  EXPECT_NE(m.find("idle only 0.1% of inference latency"), std::string::npos) << m;
  EXPECT_NE(m.find("in syncs 99.9%"), std::string::npos) << m;
  EXPECT_EQ(cpu_bound_gpu_busy_meaning("the GPU", "0.1%", "").find("syncs"), std::string::npos);
}

// Several devices (review AK M2): the busy-GPU flag judges by the most idle device. Two GPUs in turn,
// each idle 51.2% of 205 us while their union is idle 2.4%: no flag; both busy: the flag stands.
TEST(BoundVerdict, SeveralDevicesJudgedByTheMostIdleOne) {
  LaunchAnalysis a = measured(40, 0, 205);
  a.gpu_idle = 5;
  a.by_device = {DeviceStat{0, 100, 105}, DeviceStat{1, 100, 105}};
  a.most_idle_device = 0, a.most_idle_device_idle = 105;
  EXPECT_EQ(a.most_idle_gpu_idle(), 105);
  decide_bound(a);
  EXPECT_EQ(a.bound, "cpu");
  EXPECT_FALSE(a.cpu_bound_gpu_busy);
  a.by_device = {DeviceStat{0, 200, 5}, DeviceStat{1, 196, 9}};
  a.most_idle_device = 1, a.most_idle_device_idle = 9;
  decide_bound(a);
  EXPECT_TRUE(a.cpu_bound_gpu_busy);
  // Without a device table (an analysis built by hand) the union's idle stands in.
  LaunchAnalysis b = measured(40, 0, 205);
  b.gpu_idle = 120;
  EXPECT_EQ(b.most_idle_gpu_idle(), 120);
  EXPECT_EQ(idle_gpu_words(1, 0), "the GPU");
  EXPECT_EQ(idle_gpu_words(0, -1), "the GPU");
  EXPECT_EQ(idle_gpu_words(2, 1), "device 1, the most idle of 2 GPUs,");
}

}  // namespace
}  // namespace infertrace
