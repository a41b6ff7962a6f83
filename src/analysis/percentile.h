// Nearest-rank percentiles: the value at 1-based rank ceil(p/100 * n) of the sorted samples. Chosen
// over interpolation so every reported percentile (and every median used in a penalty) is a value
// that was actually measured, and a test can recompute it exactly.
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

// Sorts a copy and takes the percentile.
inline int64_t percentile_of(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  return nearest_rank(v, p);
}

}  // namespace infertrace
