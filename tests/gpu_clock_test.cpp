// GPU-to-host clock mapping (gpu/gpu_clock.h) on synthetic calibration rounds with a known offset,
// granularity and drift: the estimate must contain the truth within its stated error.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "gpu/gpu_clock.h"
#include "util/error.h"

namespace infertrace::gpu {
namespace {

// A GPU clock counting from the epoch like %globaltimer, `offset` ahead of the host clock,
// advancing in steps of `step`, drifting by `ppm`.
struct FakeGpuClock {
  int64_t offset, step;
  double ppm = 0;
  int64_t host0 = 0;
  int64_t read_at(int64_t host) const {
    const int64_t drift = static_cast<int64_t>(static_cast<double>(host - host0) * ppm * 1e-6);
    const int64_t t = host + offset + drift;
    return t - t % step;
  }
};

std::vector<ClockSample> rounds(const FakeGpuClock& g, int64_t host_start, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> one_way(400, 3000);  // PCIe-like one-way ns
  std::vector<ClockSample> v;
  int64_t t = host_start;
  for (int i = 0; i < n; ++i) {
    ClockSample s;
    s.host_send_ns = t;
    const int64_t read = t + one_way(rng);
    s.gpu_ns = g.read_at(read);
    s.host_recv_ns = read + one_way(rng);
    v.push_back(s);
    t = s.host_recv_ns + 100;
  }
  return v;
}

TEST(GpuClock, OffsetWithinStatedErrorAndErrorIsTight) {
  const int64_t offset = 1'790'000'000'000'000'000 - 5'000'000'000'000 + 12'345;  // epoch vs uptime
  for (int64_t step : {1, 32, 1000}) {
    FakeGpuClock g{offset, step};
    const auto s = rounds(g, 5'000'000'000'000, 200, static_cast<uint32_t>(step));
    const ClockPoint p = estimate_clock_point(s, step);
    EXPECT_TRUE(p.intervals_consistent);
    EXPECT_LE(std::llabs(p.offset_ns - offset), static_cast<int64_t>(p.error_ns) + 1) << "step " << step;
    // The intersection's half width is about half the sum of the smallest one-way delays in each
    // direction (>= 400 ns each here) plus half a step: far below a typical round trip (~3.4 us).
    EXPECT_GE(p.error_ns, 400) << "step " << step;
    EXPECT_LT(p.error_ns, 520 + step) << "step " << step;
    EXPECT_EQ(p.samples, 200);
  }
}

TEST(GpuClock, SingleSampleErrorIsHalfTheRoundTripPlusStep) {
  ClockSample s{1000, 5'000'000 + 1500, 3000};  // sent at 1000, seen at 3000, GPU read 5,001,500
  const ClockPoint p = estimate_clock_point({s}, 32);
  // offset in [5,001,500 - 3000, 5,001,500 + 32 - 1000]
  EXPECT_EQ(p.offset_ns, 4'998'500 + (2032 / 2));
  EXPECT_DOUBLE_EQ(p.error_ns, 1016.0);
}

TEST(GpuClock, InconsistentIntervalsFallBackToTheNarrowest) {
  // Two rounds whose intervals cannot both hold (the GPU clock jumped by 1 ms between them).
  ClockSample a{0, 10'000 + 500, 1000};        // offset in [9500, 10500]
  ClockSample b{5000, 1'015'000 + 200, 5300};  // offset in [1,009,900, 1,010,200]
  const ClockPoint p = estimate_clock_point({a, b}, 0);
  EXPECT_FALSE(p.intervals_consistent);
  EXPECT_EQ(p.offset_ns, 1'009'900 + 150);
  EXPECT_DOUBLE_EQ(p.error_ns, 150.0);
  EXPECT_EQ(p.host_ns, 5150);
}

TEST(GpuClock, DriftBetweenTwoPointsIsApplied) {
  const int64_t offset = 1'790'000'000'000'000'000;
  FakeGpuClock g{offset, 1, 20.0, 1'000'000'000};  // 20 ppm
  const auto s1 = rounds(g, 1'000'000'000, 200, 1);
  const auto s2 = rounds(g, 11'000'000'000, 200, 2);  // 10 s later: 200 us of drift
  const GpuToHostClock c(estimate_clock_point(s1, 1), estimate_clock_point(s2, 1));
  EXPECT_NEAR(c.drift_ppm(), 20.0, 0.2);
  for (int64_t host : {1'000'000'000LL, 6'000'000'000LL, 11'000'000'000LL}) {
    const int64_t mapped = c.to_host_ns(g.read_at(host));
    EXPECT_LE(std::llabs(mapped - host), static_cast<int64_t>(c.error_ns()) + 2) << host;
  }
  // Without the second point the drift is lost: 100 us wrong in the middle.
  const GpuToHostClock no_drift(estimate_clock_point(s1, 1), estimate_clock_point(s1, 1));
  EXPECT_GT(std::llabs(no_drift.to_host_ns(g.read_at(6'000'000'000)) - 6'000'000'000), 90'000);
}

TEST(GpuClock, BadSamplesAreErrors) {
  EXPECT_THROW(estimate_clock_point({}, 1), Error);
  EXPECT_THROW(estimate_clock_point({ClockSample{100, 5, 50}}, 1), Error);
}

}  // namespace
}  // namespace infertrace::gpu
