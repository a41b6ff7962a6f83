// Nearest-rank percentiles: the value at 1-based rank ceil(p/100 * n) of the sorted samples. Chosen
// over interpolation so every reported p90/p99 is a value that was actually measured, and a test
// can recompute it exactly. Medians (and p50) are the usual median instead: median_of_sorted().
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace infertrace {

// `sorted` must be ascending. Returns 0 for no samples.
inline int64_t nearest_rank(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double n = static_cast<double>(sorted.size());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

// The median of ascending samples: the middle value, or the mean of the middle two for an even
// count (what "median" means in docs/metrics.md, and in Python's statistics.median). 0 for none.
inline double median_of_sorted(const std::vector<int64_t>& sorted) {
  const size_t n = sorted.size();
  if (n == 0) return 0;
  if (n % 2 == 1) return static_cast<double>(sorted[n / 2]);
  // Halved first: the sum of two large int64 values could overflow.
  return static_cast<double>(sorted[n / 2 - 1]) / 2.0 + static_cast<double>(sorted[n / 2]) / 2.0;
}

// Sorts a copy and takes the percentile.
inline int64_t percentile_of(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  return nearest_rank(v, p);
}

}  // namespace infertrace
