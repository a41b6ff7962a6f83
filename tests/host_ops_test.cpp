// analyze_host() and analyze_launches() on hand-built traces without GPU activity: nesting by time
// containment, ties, a child overrunning its parent (whole-microsecond rounding), several threads,
// and the launch figures left undefined. Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <string>

#include "analysis/host_ops.h"
#include "analysis/launch.h"

using namespace infertrace;

namespace {

struct Builder {
  Trace t;
  void op(const char* name, ns_t start, ns_t dur, int64_t tid = 1, int64_t pid = 7) {
    t.ops.push({start, dur, pid, tid, -1, t.strings.intern(name), false});
  }
  const HostOperatorStat& stat(const HostAnalysis& h, const char* name) {
    for (const HostOperatorStat& s : h.operators)
      if (t.str(s.name) == name) return s;
    throw std::runtime_error(std::string("no row for ") + name);
  }
};

TEST(HostOps, SelfTimeByContainment) {
  Builder b;
  // Thread 1, in file order (children listed before their parent on purpose: order is by time):
  //   step   [100, 200)                  children: linear, relu        self 100 - 60 - 10 = 30
  //   linear [110, 170)  child: addmm   self 60 - 50 = 10
  //   addmm  [115, 165)                  self 50
  //   relu   [180, 190)                  self 10
  b.op("addmm", 115, 50);
  b.op("linear", 110, 60);
  b.op("relu", 180, 10);
  b.op("step", 100, 100);
  // Thread 2: two top-level operators with a gap: [150, 160) and [300, 320); span end is 320.
  b.op("relu", 150, 10, 2);
  b.op("relu", 300, 20, 2);
  const HostAnalysis h = analyze_host(b.t);
  EXPECT_EQ(h.t_begin, 100);
  EXPECT_EQ(h.t_end, 320);
  EXPECT_EQ(h.span, 220);
  EXPECT_EQ(h.top_level, 3);  // step, and thread 2's two
  EXPECT_EQ(b.stat(h, "step").self, 30);
  EXPECT_EQ(b.stat(h, "step").total, 100);
  EXPECT_EQ(b.stat(h, "linear").self, 10);
  EXPECT_EQ(b.stat(h, "addmm").self, 50);
  EXPECT_EQ(b.stat(h, "relu").count, 3);
  EXPECT_EQ(b.stat(h, "relu").self, 10 + 10 + 20);
  EXPECT_EQ(h.self_total, 30 + 10 + 50 + 40);
  // Sorted by self time: addmm 50, relu 40, step 30, linear 10.
  ASSERT_EQ(h.operators.size(), 4u);
  EXPECT_EQ(b.t.str(h.operators[0].name), "addmm");
  EXPECT_EQ(b.t.str(h.operators[3].name), "linear");
  // Threads by active time: thread 1 is active 100 of 220 (one top-level run), thread 2 10 + 20.
  ASSERT_EQ(h.threads.size(), 2u);
  EXPECT_EQ(h.threads[0].tid, 1);
  EXPECT_EQ(h.threads[0].active, 100);
  EXPECT_EQ(h.threads[0].idle, 120);
  EXPECT_EQ(h.threads[0].operators, 4);
  EXPECT_EQ(h.threads[1].active, 30);
  EXPECT_EQ(h.threads[1].idle, 190);
}

TEST(HostOps, TiesOverrunsAndZeroDurations) {
  Builder b;
  // linear and addmm start together and last as long (rounded to the same microsecond): the first
  // in file order encloses. linear [1000, 1010) self 0; addmm self 10 - 4 (copy_) = 6.
  b.op("linear", 1000, 10);
  b.op("addmm", 1000, 10);
  b.op("copy_", 1003, 4);
  // empty: 0 long at addmm's start, inside it (takes nothing).
  b.op("empty", 1000, 0);
  // A zero-length operator exactly at addmm's end is still contained in it (torch's rule).
  b.op("detach", 1010, 0);
  // A child that overruns its parent by one: view [1020, 1031) is not contained in reshape
  // [1015, 1030), so (as torch nests) it is reshape's sibling: reshape keeps its 15, view its 11,
  // and view is top-level.
  b.op("reshape", 1015, 15);
  b.op("view", 1020, 11);
  // Inside the overrunning view: a child of view, not of reshape (which was closed).
  b.op("as_strided", 1030, 1);
  const HostAnalysis h = analyze_host(b.t);
  EXPECT_EQ(b.stat(h, "linear").self, 0);
  EXPECT_EQ(b.stat(h, "addmm").self, 6);
  EXPECT_EQ(b.stat(h, "copy_").self, 4);
  EXPECT_EQ(b.stat(h, "empty").self, 0);
  EXPECT_EQ(b.stat(h, "detach").self, 0);
  EXPECT_EQ(b.stat(h, "reshape").self, 15);
  EXPECT_EQ(b.stat(h, "view").self, 10);
  EXPECT_EQ(b.stat(h, "as_strided").self, 1);
  EXPECT_EQ(h.top_level, 3);  // linear, reshape, view
  EXPECT_EQ(h.span, 1031 - 1000);
  // Active: [1000, 1010) and [1015, 1031) (reshape's and view's runs overlap).
  EXPECT_EQ(h.threads[0].active, 10 + 16);
}

TEST(HostOps, LaunchFiguresUndefinedWithoutGpu) {
  Builder b;
  b.op("step", 100, 50);
  const LaunchAnalysis a = analyze_launches(b.t);
  ASSERT_TRUE(a.gpu_undefined());
  EXPECT_EQ(a.host->span, 50);
  EXPECT_EQ(a.operators, 1);
  // A trace with GPU work keeps the launch figures and has no host section.
  GpuActivity g;
  g.start = 120, g.dur = 10, g.correlation = 1, g.name = b.t.strings.intern("k");
  b.t.gpu.push(g);
  const LaunchAnalysis with_gpu = analyze_launches(b.t);
  EXPECT_FALSE(with_gpu.gpu_undefined());
  EXPECT_EQ(with_gpu.inference_latency, 130 - 100);
}

TEST(HostOps, EmptyTrace) {
  Builder b;
  const HostAnalysis h = analyze_host(b.t);
  EXPECT_EQ(h.span, 0);
  EXPECT_TRUE(h.threads.empty());
  EXPECT_TRUE(h.operators.empty());
}

}  // namespace
