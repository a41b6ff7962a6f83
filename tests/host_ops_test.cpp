// The operator nesting (self times) and the host figures, through analyze_launches() on hand-built
// traces: nesting by time containment, ties, a child overrunning its parent (whole-microsecond
// rounding), several interleaved threads, the launch figures left undefined without GPU activity,
// and the same self times with it. Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/host_ops.h"
#include "analysis/launch.h"

using namespace infertrace;

namespace {

struct Builder {
  Trace t;
  void op(const char* name, ns_t start, ns_t dur, int64_t tid = 1, int64_t pid = 7) {
    t.ops.push({start, dur, pid, tid, -1, t.strings.intern(name), false});
  }
  const HostOperatorStat& stat(const OperatorSelfTimes& h, const char* name) {
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
  const LaunchAnalysis a = analyze_launches(b.t);
  ASSERT_TRUE(a.host);
  const HostAnalysis& h = *a.host;
  const OperatorSelfTimes& s = a.by_self;
  EXPECT_EQ(h.t_begin, 100);
  EXPECT_EQ(h.t_end, 320);
  EXPECT_EQ(h.span, 220);
  EXPECT_EQ(s.top_level, 3);  // step, and thread 2's two
  EXPECT_EQ(b.stat(s, "step").self, 30);
  EXPECT_EQ(b.stat(s, "step").total, 100);
  EXPECT_EQ(b.stat(s, "linear").self, 10);
  EXPECT_EQ(b.stat(s, "addmm").self, 50);
  EXPECT_EQ(b.stat(s, "relu").count, 3);
  EXPECT_EQ(b.stat(s, "relu").self, 10 + 10 + 20);
  EXPECT_EQ(s.self_total, 30 + 10 + 50 + 40);
  // Sorted by self time: addmm 50, relu 40, step 30, linear 10.
  ASSERT_EQ(s.operators.size(), 4u);
  EXPECT_EQ(b.t.str(s.operators[0].name), "addmm");
  EXPECT_EQ(b.t.str(s.operators[3].name), "linear");
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
  // A zero-length operator exactly at addmm's end is not contained in it (torch's rule: what starts
  // at or after a parent's end is not its child): detach is top-level.
  b.op("detach", 1010, 0);
  // A child that overruns its parent by one: view [1020, 1031) is not contained in reshape
  // [1015, 1030), so (as torch nests) it is reshape's sibling: reshape keeps its 15, view its 11,
  // and view is top-level.
  b.op("reshape", 1015, 15);
  b.op("view", 1020, 11);
  // Inside the overrunning view: a child of view, not of reshape (which was closed).
  b.op("as_strided", 1030, 1);
  const LaunchAnalysis a = analyze_launches(b.t);
  ASSERT_TRUE(a.host);
  const HostAnalysis& h = *a.host;
  const OperatorSelfTimes& s = a.by_self;
  EXPECT_EQ(b.stat(s, "linear").self, 0);
  EXPECT_EQ(b.stat(s, "addmm").self, 6);
  EXPECT_EQ(b.stat(s, "copy_").self, 4);
  EXPECT_EQ(b.stat(s, "empty").self, 0);
  EXPECT_EQ(b.stat(s, "detach").self, 0);
  EXPECT_EQ(b.stat(s, "reshape").self, 15);
  EXPECT_EQ(b.stat(s, "view").self, 10);
  EXPECT_EQ(b.stat(s, "as_strided").self, 1);
  EXPECT_EQ(s.top_level, 4);  // linear, detach, reshape, view
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

TEST(HostOps, InterleavedThreadsAndGpuTraces) {
  Builder b;
  // Two threads written interleaved, each out of time order, and a pid that sorts before the
  // other's (threads are nested separately; a row of one never encloses the other's):
  //   pid 7 tid 1: fwd [0, 100) > mm [10, 50); mm [60, 90) (also inside fwd)   fwd self 100 - 40 - 30 = 30
  //   pid 3 tid 1: fwd [20, 70) > mm [30, 40)                                    fwd self 50 - 10 = 40
  b.op("mm", 60, 30, 1, 7);
  b.op("mm", 30, 10, 1, 3);
  b.op("fwd", 0, 100, 1, 7);
  b.op("mm", 10, 40, 1, 7);
  b.op("fwd", 20, 50, 1, 3);
  const auto check = [&](const LaunchAnalysis& a) {
    const OperatorSelfTimes& s = a.by_self;
    EXPECT_EQ(b.stat(s, "fwd").self, 30 + 40);
    EXPECT_EQ(b.stat(s, "fwd").total, 150);
    EXPECT_EQ(b.stat(s, "mm").self, 40 + 30 + 10);
    EXPECT_EQ(b.stat(s, "mm").count, 3);
    EXPECT_EQ(s.self_total, 150);  // top-level operators don't overlap within a thread: their union
    EXPECT_EQ(s.top_level, 2);
    EXPECT_EQ(b.t.str(s.operators[0].name), "mm");
    // The launch-tax table's calls and CPU time are the same figures as count and total.
    for (const OperatorStat& o : a.by_operator) {
      EXPECT_EQ(o.calls, b.stat(s, std::string(b.t.str(o.name)).c_str()).count);
      EXPECT_EQ(o.cpu_time, b.stat(s, std::string(b.t.str(o.name)).c_str()).total);
    }
  };
  const LaunchAnalysis cpu_only = analyze_launches(b.t);
  check(cpu_only);
  ASSERT_EQ(cpu_only.host->threads.size(), 2u);
  EXPECT_EQ(cpu_only.host->threads[0].pid, 7);  // active 100, against pid 3's 50
  EXPECT_EQ(cpu_only.host->span, 100);
  // With GPU work: the same table, and no host section.
  GpuActivity g;
  g.start = 120, g.dur = 10, g.correlation = 1, g.name = b.t.strings.intern("k");
  b.t.gpu.push(g);
  const LaunchAnalysis with_gpu = analyze_launches(b.t);
  EXPECT_FALSE(with_gpu.host);
  check(with_gpu);
}

TEST(HostOps, FileOrderAndSortedPathsAgree) {
  // The same operators in nesting order (the one-pass path) and in reverse (the sorting path):
  // every figure the same. Three threads of nested ranges, with ties and zero-length operators.
  Builder fwd, rev;
  struct Row { const char* name; ns_t start, dur; int64_t tid; };
  std::vector<Row> rows;
  for (ns_t step = 0; step < 50; ++step)  // the threads' rows interleaved
    for (int64_t tid = 1; tid <= 3; ++tid) {
      const ns_t b = step * 1000 + tid * 7;
      rows.push_back({"step", b, 900, tid});
      rows.push_back({"linear", b + 10, 400, tid});
      rows.push_back({"addmm", b + 10, 400, tid});  // a tie with linear: linear (first in file) encloses
      rows.push_back({"empty", b + 10, 0, tid});
      rows.push_back({"copy_", b + 20, step % 7, tid});
      rows.push_back({"relu", b + 500, 300 + step % 3, tid});
    }
  for (const Row& r : rows) fwd.op(r.name, r.start, r.dur, r.tid);
  // Reversed, ties swapped back so that file order among equal operators stays (linear first).
  for (size_t i = rows.size(); i-- > 0;) {
    const Row& r = rows[i];
    if (std::string(r.name) == "addmm") continue;
    rev.op(r.name, r.start, r.dur, r.tid);
    if (std::string(r.name) == "linear") rev.op(rows[i + 1].name, rows[i + 1].start, rows[i + 1].dur, rows[i + 1].tid);
  }
  const LaunchAnalysis a = analyze_launches(fwd.t), b = analyze_launches(rev.t);
  ASSERT_EQ(a.by_self.operators.size(), b.by_self.operators.size());
  for (size_t k = 0; k < a.by_self.operators.size(); ++k) {
    const HostOperatorStat &x = a.by_self.operators[k], &y = b.by_self.operators[k];
    EXPECT_EQ(fwd.t.str(x.name), rev.t.str(y.name));
    EXPECT_EQ(x.count, y.count);
    EXPECT_EQ(x.total, y.total);
    EXPECT_EQ(x.self, y.self);
  }
  EXPECT_EQ(a.by_self.top_level, 150);
  EXPECT_EQ(b.by_self.top_level, 150);
  // step: 900 - 400 (linear) - relu's 300 + step % 3 per instance (steps 0..49: 17 ones, 16 twos);
  // linear: 400 - 400 (addmm); addmm: 400 - copy_'s step % 7 (7 full rounds of 0..6 and 0)
  EXPECT_EQ(fwd.stat(a.by_self, "step").self, 3 * (50 * (900 - 400 - 300) - (17 * 1 + 16 * 2)));
  EXPECT_EQ(fwd.stat(a.by_self, "linear").self, 0);
  EXPECT_EQ(fwd.stat(a.by_self, "addmm").self, 3 * (50 * 400 - 7 * 21));
  ASSERT_EQ(a.host->threads.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(a.host->threads[k].tid, b.host->threads[k].tid);
    EXPECT_EQ(a.host->threads[k].active, b.host->threads[k].active);
    EXPECT_EQ(a.host->threads[k].active, 50 * 900);
  }
}

TEST(HostOps, EmptyTrace) {
  Builder b;
  const LaunchAnalysis a = analyze_launches(b.t);
  // Nothing at all: the launch figures are undefined, and there is no host section of zeros.
  EXPECT_TRUE(a.gpu_undefined());
  EXPECT_FALSE(a.host);
  EXPECT_TRUE(a.by_self.operators.empty());
}

TEST(HostOps, LaunchCallsWithoutGpuOrOperators) {
  // A recording without CUPTI: launch calls (from uprobes), no GPU activity, no operators. The
  // launch figures are undefined, and no host section (its span would read 0 ns).
  Builder b;
  b.t.api.push(ApiCall{.start = 100, .dur = 5, .pid = 1, .tid = 1, .correlation = 1, .kind = ApiKind::KernelLaunch});
  const LaunchAnalysis a = analyze_launches(b.t);
  EXPECT_TRUE(a.gpu_undefined());
  EXPECT_FALSE(a.host);
}

TEST(HostOps, SpanEndsAtTheLastHostEventEvenAnApiCall) {
  // docs/analyze.md: the host span runs from the first top-level operator's start to the last end
  // of any host event, API calls included. Operators [100, 1100) on thread 1; a cudaMalloc call
  // (no GPU work: the trace has none) [900, 2100) on the same thread: span 100 to 2100 = 2000,
  // the thread active 1000 (its operators only), idle 1000.
  Builder b;
  b.op("aten::empty", 100, 1'000);
  ApiCall c;
  c.start = 900, c.dur = 1'200, c.pid = 7, c.tid = 1, c.name = b.t.strings.intern("cudaMalloc");
  c.kind = ApiKind::Other;
  b.t.api.push(c);
  const LaunchAnalysis a = analyze_launches(b.t);
  ASSERT_TRUE(a.host);
  const HostAnalysis& h = *a.host;
  EXPECT_EQ(h.t_begin, 100);
  EXPECT_EQ(h.t_end, 2'100);
  EXPECT_EQ(h.span, 2'000);
  ASSERT_EQ(h.threads.size(), 1u);
  EXPECT_EQ(h.threads[0].active, 1'000);
  EXPECT_EQ(h.threads[0].idle, 1'000);
}

}  // namespace
