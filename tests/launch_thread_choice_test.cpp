// The launching thread is one thread for every verb (analysis/launch_thread_choice.h): analyze's
// launch_thread, sched's main_thread and the GPU-starvation fallback agree, count logical launches
// (a driver call nested in its runtime call is one launch) and break ties by the lowest (pid, tid).
#include <gtest/gtest.h>

#include "analysis/gpu_starvation.h"
#include "analysis/launch.h"
#include "analysis/sched.h"

namespace infertrace {
namespace {

int64_t g_corr = 1;

// A launch at `ts` on (pid, tid) with its kernel 10 ns later; `nested` adds the driver call the
// runtime call made, inside it and with the same correlation id (a duplicate record of one launch).
void launch(Trace& t, int64_t pid, int64_t tid, ns_t ts, bool nested = false) {
  const int64_t corr = g_corr++;
  ApiCall c;
  c.start = ts, c.dur = 8, c.pid = pid, c.tid = tid, c.correlation = corr;
  c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
  t.api.push(c);
  if (nested) {
    ApiCall d = c;
    d.start = ts + 2, d.dur = 4, d.name = t.strings.intern("cuLaunchKernel");
    t.api.push(d);
  }
  GpuActivity g;
  g.start = ts + 10, g.dur = 5, g.device = 0, g.stream = 7, g.correlation = corr, g.name = t.strings.intern("k");
  t.gpu.push(g);
}

struct Choice {
  int64_t analyze_pid, analyze_tid, sched_pid, sched_tid, starved_pid, starved_tid;
};

Choice choices(const Trace& t) {
  const LaunchAnalysis la = analyze_launches(t);
  const SchedAnalysis sa = analyze_sched(t);
  const GpuStarvation g = analyze_gpu_starvation(t);
  return {la.launch_thread_pid, la.launch_thread_tid, sa.main_pid, sa.main_tid, g.pid, g.tid};
}

TEST(LaunchThreadChoice, TieGoesToLowestPidThenTid) {
  // (pid 200, tid 150) and (pid 100, tid 160) launch twice each: by (pid, tid) the second wins,
  // though its tid is the larger (sched used to take the lowest tid: the first).
  Trace t;
  t.source = TraceSource::Recording;
  launch(t, 200, 150, 1000), launch(t, 100, 160, 1100), launch(t, 200, 150, 1200), launch(t, 100, 160, 1300);
  const Choice c = choices(t);
  EXPECT_EQ(c.analyze_pid, 100);
  EXPECT_EQ(c.analyze_tid, 160);
  EXPECT_EQ(c.sched_pid, 100);
  EXPECT_EQ(c.sched_tid, 160);
  EXPECT_EQ(c.starved_tid, 160);
  EXPECT_EQ(c.starved_pid, 100);
}

TEST(LaunchThreadChoice, CountsLogicalLaunchesNotCalls) {
  // Thread 11: 3 launches, each also recorded as a nested driver call (6 calls). Thread 12: 4
  // launches, 4 calls. By calls 11 would win (the GPU-starvation fallback counted calls); by logical
  // launches 12 does, in all three.
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t ts : {1000, 2000, 3000}) launch(t, 10, 11, ts, true);
  for (ns_t ts : {1500, 2500, 3500, 4500}) launch(t, 10, 12, ts);
  const Choice c = choices(t);
  EXPECT_EQ(c.analyze_tid, 12);
  EXPECT_EQ(c.sched_tid, 12);
  EXPECT_EQ(c.starved_tid, 12);
}

}  // namespace
}  // namespace infertrace
