// The scheduler analysis's scope (analysis/sched_scope.h, docs/metrics.md section 5): the traced
// threads, and the logical launches ("a logical launch is counted once even when both the runtime
// call and the driver call it makes are observed") on hand-built launch calls; the expected launch
// times and drop counts are worked out in the comments.
#include <gtest/gtest.h>

#include <vector>

#include "analysis/sched_scope.h"

namespace infertrace {
namespace {

void launch(Trace& t, int64_t tid, ns_t start, ns_t dur) {
  ApiCall c;
  c.start = start, c.dur = dur, c.pid = 1, c.tid = tid, c.name = t.strings.intern("cudaLaunchKernel");
  c.kind = ApiKind::KernelLaunch;
  t.api.push(c);
}

// A runtime call [0,100) and its driver call starting with it [0,10), then a third call at 50: it
// starts inside the runtime call, so all three are one launch (the enclosing call is kept: the
// longer of two that start together). A call at 100, where the runtime call ends, is the next one.
// The shorter call is written first, so the order is the analysis's own, not the file's.
TEST(LogicalLaunches, EnclosingCallIsKeptWhenTwoStartTogether) {
  Trace t;
  launch(t, 7, 0, 10);
  launch(t, 7, 0, 100);
  launch(t, 7, 50, 5);
  launch(t, 7, 100, 20);
  int64_t dropped = -1;
  const std::vector<ThreadLaunches> l = logical_launches(t, &dropped);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].tid, 7);
  EXPECT_EQ(l[0].ts, (std::vector<ns_t>{0, 100}));
  EXPECT_EQ(dropped, 2);
}

// Calls of unknown duration (0) cover only their start: two at the same time are one launch (a
// runtime call and its driver call, neither with an end), one a nanosecond later is another.
TEST(LogicalLaunches, CallsWithoutADurationAtOneTimeAreOneLaunch) {
  Trace t;
  launch(t, 3, 500, 0);
  launch(t, 3, 500, 0);
  launch(t, 3, 501, 0);
  launch(t, 4, 500, 0);  // another thread: its own launch
  int64_t dropped = -1;
  const std::vector<ThreadLaunches> l = logical_launches(t, &dropped);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].tid, 3);
  EXPECT_EQ(l[0].ts, (std::vector<ns_t>{500, 501}));
  EXPECT_EQ(l[1].tid, 4);
  EXPECT_EQ(l[1].ts, (std::vector<ns_t>{500}));
  EXPECT_EQ(dropped, 1);
}

// Traced threads (sched_scope.h): the processes named by the thread table and the launch calls,
// and the threads of both by id, so a row that knows only its thread id is still in scope.
TEST(TracedScope, ThreadTableAndLaunchCallsNameProcessesAndThreads) {
  Trace t;
  t.threads.push(ThreadInfo{10, 11, kNoString, 0, 100});
  t.threads.push(ThreadInfo{-1, 12, kNoString, 0, 100});  // pid unknown
  launch(t, 21, 0, 5);                                   // pid 1, tid 21
  const TracedScope s = traced_scope(t);
  EXPECT_TRUE(s.contains(10, -1, 0));
  EXPECT_TRUE(s.contains(1, -1, 0));
  EXPECT_TRUE(s.contains(-1, 11, 0));
  EXPECT_TRUE(s.contains(-1, 12, 0));
  EXPECT_TRUE(s.contains(-1, 21, 0));
  EXPECT_FALSE(s.contains(-1, 13, 0));
  EXPECT_FALSE(s.contains(30, 31, 0));
  EXPECT_FALSE(s.contains(-1, -1, 0));
}

}  // namespace
}  // namespace infertrace
