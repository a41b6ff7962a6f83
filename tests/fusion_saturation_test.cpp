// fusion's launch part of a call (analysis/fusion_sequences.cpp) on corrupt timestamps near the
// int64 limits: saturated as analyze saturates it (split_launch, launch_intervals.h, which
// launch.cpp uses), never signed overflow. analyze_launches, which `fusion` runs too, then refuses
// such a trace (its span is beyond int64 ns: review CX L3), so no saturated figure is printed.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "analysis/fusion_sequences.h"
#include "analysis/launch.h"
#include "analysis/launch_intervals.h"
#include "util/error.h"

namespace infertrace {
namespace {

constexpr ns_t kMin = std::numeric_limits<ns_t>::min(), kMax = std::numeric_limits<ns_t>::max();

void add_launch(Trace& t, int64_t corr, ns_t call_start, ns_t call_dur, ns_t gpu_start) {
  ApiCall c;
  c.start = call_start, c.dur = call_dur, c.pid = 1, c.tid = 1, c.correlation = corr;
  c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
  t.api.push(c);
  GpuActivity g;
  g.start = gpu_start, g.dur = 1, g.device = 0, g.stream = 7, g.correlation = corr, g.name = t.strings.intern("k");
  t.gpu.push(g);
}

TEST(FusionSaturation, LaunchPartSaturatesAsAnalyzeDoes) {
  Trace t;
  // g - c overflows upwards: latency saturates at INT64_MAX. The call's end c + d is still far below
  // g, so g - (c + d) overflows too: queue INT64_MAX, launch part 0.
  add_launch(t, 1, kMin + 10, 5, kMax - 100);
  // c + d overflows upwards (saturates at INT64_MAX, past g): queue 0, launch part = latency g - c.
  add_launch(t, 2, 100, kMax, kMax - 50);
  // Unknown duration: the whole (saturated) latency is the launch part.
  add_launch(t, 3, kMin + 10, -1, kMax - 10);
  const KernelSequences seq = build_kernel_sequences(t);
  ASSERT_EQ(seq.launch_part.size(), 3u);  // one stream, in start order: the rows above in order
  const ns_t want[3] = {0, kMax - 150, kMax};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seq.launch_part[i], want[i]) << "row " << i;
    EXPECT_EQ(seq.launch_part[i], split_launch(t.gpu.start[i], t.api.start[i], t.api.dur[i]).launch_part()) << "row " << i;
  }
  EXPECT_THROW(analyze_launches(t), InputError);
}

}  // namespace
}  // namespace infertrace
