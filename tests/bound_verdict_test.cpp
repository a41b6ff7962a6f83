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

TEST(BoundVerdict, NothingToCompareLeavesItUndefinedWithTheReason) {
  LaunchAnalysis a = measured(0, 0, 1000);  // every latency clamped to 0
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_NE(a.bound_undefined_reason.find("TKLQT is 0"), std::string::npos) << a.bound_undefined_reason;

  a = measured(50, 10, 0);  // the GPU work ends before the first host event
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_NE(a.bound_undefined_reason.find("inference-latency window is empty"), std::string::npos);

  a = measured(0, 0, 0);
  a.linked_launch_calls = 0;
  a.bound = "cpu";  // a stale verdict is cleared too
  decide_bound(a);
  EXPECT_EQ(a.bound, "");
  EXPECT_EQ(a.bound_undefined_reason, "no launch call is linked to GPU work");
}

}  // namespace
}  // namespace infertrace
