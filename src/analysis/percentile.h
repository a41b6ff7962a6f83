// Nearest-rank percentiles: the value at 1-based rank ceil(p/100 * n) of the sorted samples. Chosen
// over interpolation so every reported p90/p99 is a value that was actually measured, and a test
// can recompute it exactly. Medians (and p50) are the usual median instead: median_of_sorted().
#pragma once

#include <algorithm>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <vector>

namespace infertrace {

// The 0-based index of the nearest rank p among n > 0 ascending samples.
inline size_t nearest_rank_index(size_t n, double p) {
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  return std::clamp<size_t>(rank, 1, n) - 1;
}

// `sorted` must be ascending. Returns 0 for no samples. Whole nanoseconds as a rule; fractional
// ones (bench serve's TPOT, a quotient) as doubles.
template <class T = int64_t>
inline T nearest_rank(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[nearest_rank_index(sorted.size(), p)];
}

// The median of ascending samples: the middle value, or the mean of the middle two for an even
// count (what "median" means in docs/metrics.md, and in Python's statistics.median). 0 for none.
template <class T = int64_t>
inline double median_of_sorted(const std::vector<T>& sorted) {
  const size_t n = sorted.size();
  if (n == 0) return 0;
  if (n % 2 == 1) return static_cast<double>(sorted[n / 2]);
  // Halved first: the sum of two large int64 values could overflow.
  return static_cast<double>(sorted[n / 2 - 1]) / 2.0 + static_cast<double>(sorted[n / 2]) / 2.0;
}

// Reorders `v` so that each index in `at` holds the value an ascending sort would put there, without
// sorting the rest (std::nth_element per index, in ascending order, each over the part after the
// previous one): the figures above from unsorted samples in linear time (sched's pair intervals
// and run-queue waits: millions of samples). Indices at or past the end are ignored.
inline void place_ranks(std::vector<int64_t>& v, std::vector<size_t> at) {
  std::sort(at.begin(), at.end());
  size_t from = 0;
  for (size_t k : at) {
    if (k >= v.size() || k < from) continue;
    std::nth_element(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    from = k + 1;
  }
}

// The indices median_of_sorted reads for n samples (none for 0). median_of_sorted and nearest_rank
// read nothing else, so on a vector placed at those indices (and nearest_rank_index's) they give
// what they give on the sorted vector.
inline std::vector<size_t> median_indices(size_t n) {
  if (n == 0) return {};
  if (n % 2 == 1) return {n / 2};
  return {n / 2 - 1, n / 2};
}

// Sorts a copy and takes the percentile.
inline int64_t percentile_of(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  return nearest_rank(v, p);
}

}  // namespace infertrace
