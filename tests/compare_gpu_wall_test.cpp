// The wall time compare's launch rate divides by (SchedAnalysis::wall) spans every event of the
// trace, GPU activity included (review SW M3): a capture without a trailing sync, whose GPU work
// outlasts its last host event, read a 1.5x slower GPU as "no measurable change". Expected values
// are computed here from the events the test builds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "analysis/compare.h"
#include "analysis/sched.h"
#include "report/compare_trace.h"

namespace infertrace {
namespace {

constexpr int kLaunches = 50;

// One host thread launching kLaunches kernels 10 us apart (5 us calls); the GPU runs them back to
// back, 40 us each, so it finishes long after the last call returns (no sync at the end). With
// `stretch` every GPU event is stretched from the first GPU start (a slower GPU, same host side).
Trace no_sync_trace(double stretch) {
  Trace t;
  t.source = TraceSource::Kineto;
  t.file = "nosync.json";
  const ns_t host_end = (kLaunches - 1) * 10'000 + 5'000;
  t.threads.push({1, 2, t.strings.intern("python"), 1'000, host_end});
  ns_t gpu_free = 0, first_gpu = -1;
  std::vector<GpuActivity> gpu;
  for (int i = 0; i < kLaunches; ++i) {
    ApiCall c;
    c.start = 1'000 + i * 10'000, c.dur = 4'000, c.pid = 1, c.tid = 2, c.correlation = i + 1;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = std::max(c.start + 6'000, gpu_free), g.dur = 40'000, g.device = 0, g.stream = 7, g.correlation = i + 1;
    g.name = t.strings.intern("gemm_kernel"), g.grid[0] = 64, g.block[0] = 128;
    gpu_free = g.start + g.dur;
    if (first_gpu < 0) first_gpu = g.start;
    gpu.push_back(g);
  }
  for (GpuActivity g : gpu) {
    g.start = first_gpu + static_cast<ns_t>(static_cast<double>(g.start - first_gpu) * stretch);
    g.dur = static_cast<ns_t>(static_cast<double>(g.dur) * stretch);
    t.gpu.push(g);
  }
  return t;
}

// First to last moment of any event the test put in (interval ends included), by its own walk.
ns_t span_of(const Trace& t) {
  ns_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t i = 0; i < t.api.size(); ++i) lo = std::min(lo, t.api.start[i]), hi = std::max(hi, t.api.start[i] + t.api.dur[i]);
  for (size_t i = 0; i < t.gpu.size(); ++i) lo = std::min(lo, t.gpu.start[i]), hi = std::max(hi, t.gpu.start[i] + t.gpu.dur[i]);
  for (size_t i = 0; i < t.threads.size(); ++i) lo = std::min(lo, t.threads.first_ts[i]), hi = std::max(hi, t.threads.last_ts[i]);
  return hi - lo;
}

TEST(CompareGpuWall, WallHoldsGpuWorkThatOutlastsTheHost) {
  const Trace fast = no_sync_trace(1.0), slow = no_sync_trace(1.5);
  // The GPU does outlast the host here: the fix is what the test is about.
  ASSERT_GT(fast.gpu.start.back() + fast.gpu.dur.back(), fast.api.start.back() + fast.api.dur.back());
  const ns_t wall_fast = span_of(fast), wall_slow = span_of(slow);
  ASSERT_GT(wall_slow, wall_fast);
  EXPECT_EQ(analyze_sched(fast).wall, wall_fast);
  EXPECT_EQ(analyze_sched(slow).wall, wall_slow);

  const Comparison c = compare_scenarios({scenario_from_trace(fast, "fast", "fast.json"),
                                          scenario_from_trace(slow, "slow", "slow.json")});
  ASSERT_EQ(c.basis, "launch_rate");
  const double rate_fast = kLaunches * 1e9 / static_cast<double>(wall_fast);
  const double rate_slow = kLaunches * 1e9 / static_cast<double>(wall_slow);
  EXPECT_DOUBLE_EQ(*c.rows[0].rate, rate_fast);
  EXPECT_DOUBLE_EQ(*c.rows[1].rate, rate_slow);
  const double slowdown = (rate_fast - rate_slow) / rate_fast * 100.0;
  ASSERT_TRUE(c.rows[1].slowdown_pct);
  EXPECT_NEAR(*c.rows[1].slowdown_pct, slowdown, 1e-9);
  char want[64];
  std::snprintf(want, sizeof want, "%.1f%% slower", slowdown);
  EXPECT_EQ(c.rows[1].verdict, want);
}

// The span starts at the earliest event whatever its table: here a GPU copy before the first call.
TEST(CompareGpuWall, WallStartsAtAnEarlierGpuEvent) {
  Trace t = no_sync_trace(1.0);
  GpuActivity early;
  early.start = 200, early.dur = 300, early.kind = GpuKind::Memcpy, early.device = 0, early.stream = 7;
  early.name = t.strings.intern("Memcpy HtoD");
  t.gpu.push(early);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.t_begin, 200);
  EXPECT_EQ(a.wall, span_of(t));
}

}  // namespace
}  // namespace infertrace
