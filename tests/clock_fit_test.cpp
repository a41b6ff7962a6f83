// The paired-sample clock fit (record/clock_fit.h) on synthetic clocks with a known offset and
// drift: the mapping is within the stated error bound, and the bound is what the docs say.
#include <gtest/gtest.h>

#include <cmath>

#include "record/clock_fit.h"

namespace infertrace {
namespace {

// The "GPU" clock runs at (1 + drift) of CLOCK_MONOTONIC and is offset from it.
struct Synthetic {
  double offset = 5.0e12, drift = 30e-6;  // 30 ppm
  uint64_t gpu_at(uint64_t mono) const { return static_cast<uint64_t>(std::llround(offset + mono * (1 + drift))); }
  uint64_t mono_at(uint64_t gpu) const { return static_cast<uint64_t>(std::llround((gpu - offset) / (1 + drift))); }
};

ClockSample sample(const Synthetic& s, uint64_t mono_read, uint64_t before_gap, uint64_t after_gap) {
  return {mono_read - before_gap, s.gpu_at(mono_read), mono_read + after_gap};
}

TEST(ClockFit, TwoSamplesRecoverOffsetAndDriftWithinTheBound) {
  Synthetic s;
  const uint64_t t0 = 1'000'000'000'000, t1 = t0 + 60'000'000'000;  // a minute apart
  // Brackets of 800 ns and 1200 ns; the GPU read sits off-centre in both (worst case for the mid).
  const auto fit = fit_clock({sample(s, t0, 100, 700), sample(s, t1, 1100, 100)});
  ASSERT_TRUE(fit);
  EXPECT_EQ(fit->samples, 2);
  EXPECT_NEAR(fit->slope, 1 / (1 + s.drift), 1e-7);
  EXPECT_NEAR(fit->error_bound_ns, 600.0, 1.0);  // half the widest bracket, zero residual
  for (uint64_t t = t0; t <= t1; t += 5'000'000'000) {
    const double err = std::fabs(static_cast<double>(fit->map(s.gpu_at(t))) - static_cast<double>(t));
    EXPECT_LE(err, fit->error_bound_ns + 1) << "at " << t;
  }
}

TEST(ClockFit, OneSampleIsAnOffsetWithHalfItsBracket) {
  Synthetic s;
  s.drift = 0;
  const auto fit = fit_clock({sample(s, 2'000'000'000, 250, 250)});
  ASSERT_TRUE(fit);
  EXPECT_DOUBLE_EQ(fit->slope, 1.0);
  EXPECT_DOUBLE_EQ(fit->error_bound_ns, 250.0);
  EXPECT_EQ(fit->map(s.gpu_at(2'000'000'000)), 2'000'000'000);
  EXPECT_EQ(fit->map(s.gpu_at(2'000'001'000)), 2'000'001'000);
}

TEST(ClockFit, APreemptedSampleIsLeftOutAndNoSamplesIsNoFit) {
  Synthetic s;
  const uint64_t t0 = 1'000'000'000'000;
  std::vector<ClockSample> v = {sample(s, t0, 200, 200), sample(s, t0 + 1'000'000'000, 200, 200),
                                sample(s, t0 + 2'000'000'000, 200, 200)};
  // A bracket of 5 ms (the sampling thread was switched out between the reads): the GPU read could
  // be anywhere in it, so it is not used.
  v.push_back({t0 + 3'000'000'000 - 10, s.gpu_at(t0 + 3'000'000'000 - 10), t0 + 3'005'000'000});
  const auto fit = fit_clock(v);
  ASSERT_TRUE(fit);
  EXPECT_EQ(fit->samples, 3);
  EXPECT_LE(fit->error_bound_ns, 201.0);
  EXPECT_FALSE(fit_clock({}));
}

// Three samples no line goes through, with the least-squares fit worked out by hand. The CUPTI reads
// are 1000 ns apart (x = 0, 1000, 2000) and the bracket midpoints, relative to the first, are
// y = 0, 2000, 1000 (brackets of 200 ns). Means 1000 and 1000; Sxy = (-1000)(-1000) + 0 + (1000)(0)
// = 1e6, Sxx = 2e6: slope 0.5, and the line y = 500 + 0.5 x. Its residuals are -500, 1000, -500, so
// the stated bound is half the widest bracket plus the largest residual: 100 + 1000 = 1100 ns.
TEST(ClockFit, ResidualOfSamplesOffTheLineIsInTheBound) {
  const uint64_t mono0 = 7'000'000'000, other0 = 3'000'000'000'000;
  auto at = [&](uint64_t x, uint64_t y) { return ClockSample{mono0 + y - 100, other0 + x, mono0 + y + 100}; };
  const auto fit = fit_clock({at(0, 0), at(1000, 2000), at(2000, 1000)});
  ASSERT_TRUE(fit);
  EXPECT_EQ(fit->samples, 3);
  EXPECT_DOUBLE_EQ(fit->slope, 0.5);
  EXPECT_DOUBLE_EQ(fit->error_bound_ns, 1100.0);
  EXPECT_EQ(fit->map(other0), static_cast<int64_t>(mono0 + 500));
  EXPECT_EQ(fit->map(other0 + 2000), static_cast<int64_t>(mono0 + 1500));
  // A later CUPTI time keeps the slope: 10 us of it are 5 us of CLOCK_MONOTONIC.
  EXPECT_EQ(fit->map(other0 + 10'000), static_cast<int64_t>(mono0 + 500 + 5000));
}

}  // namespace
}  // namespace infertrace
