#include "record/clock_fit.h"

#include <algorithm>
#include <cmath>

namespace infertrace {

int64_t ClockFit::map(uint64_t other) const {
  const double d = static_cast<double>(static_cast<int64_t>(other - other_ref));
  return static_cast<int64_t>(std::llround(offset_ns + slope * d));
}

std::optional<ClockFit> fit_clock(std::vector<ClockSample> samples) {
  samples.erase(std::remove_if(samples.begin(), samples.end(),
                               [](const ClockSample& s) { return s.mono_after < s.mono_before; }),
                samples.end());
  if (samples.empty()) return std::nullopt;
  uint64_t narrow = UINT64_MAX;
  for (auto& s : samples) narrow = std::min(narrow, s.mono_after - s.mono_before);
  const uint64_t limit = std::max<uint64_t>(narrow * 20, 1000);
  std::vector<ClockSample> kept;
  for (auto& s : samples)
    if (s.mono_after - s.mono_before <= limit) kept.push_back(s);
  if (kept.empty()) kept = samples;
  std::sort(kept.begin(), kept.end(), [](auto& a, auto& b) { return a.other < b.other; });

  ClockFit f;
  f.samples = static_cast<int>(kept.size());
  f.other_ref = kept.front().other;
  const double ref_mono = static_cast<double>(kept.front().mono_before);
  auto x = [&](const ClockSample& s) { return static_cast<double>(static_cast<int64_t>(s.other - f.other_ref)); };
  // Midpoints relative to the first sample's `before`, so the doubles stay small and exact.
  auto y = [&](const ClockSample& s) {
    return static_cast<double>(s.mono_before) - ref_mono + static_cast<double>(s.mono_after - s.mono_before) / 2.0;
  };
  double mx = 0, my = 0;
  for (auto& s : kept) mx += x(s), my += y(s);
  mx /= static_cast<double>(kept.size());
  my /= static_cast<double>(kept.size());
  double sxx = 0, sxy = 0;
  for (auto& s : kept) sxx += (x(s) - mx) * (x(s) - mx), sxy += (x(s) - mx) * (y(s) - my);
  f.slope = sxx > 0 ? sxy / sxx : 1.0;
  f.offset_ns = ref_mono + (my - f.slope * mx);
  double half = 0, resid = 0;
  for (auto& s : kept) {
    half = std::max(half, static_cast<double>(s.mono_after - s.mono_before) / 2.0);
    resid = std::max(resid, std::fabs(ref_mono + y(s) - (f.offset_ns + f.slope * x(s))));
  }
  f.error_bound_ns = half + resid;
  return f;
}

}  // namespace infertrace
