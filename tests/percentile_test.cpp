// Nearest-rank percentiles and medians (percentile.h) against their definitions, recomputed here in
// integer arithmetic: rank = ceil(p * n / 100), 1-based, at least 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "analysis/percentile.h"

using namespace infertrace;

namespace {

// The samples 1..n, so the value at rank k is k.
std::vector<int64_t> one_to(int64_t n) {
  std::vector<int64_t> v;
  for (int64_t i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

TEST(Percentile, NearestRankIsTheCeilingOfPTimesN) {
  for (int64_t n = 1; n <= 200; ++n) {
    const std::vector<int64_t> v = one_to(n);
    for (int64_t p : {1, 10, 25, 50, 75, 90, 95, 99, 100}) {
      const int64_t rank = std::max<int64_t>(1, (p * n + 99) / 100);
      EXPECT_EQ(nearest_rank(v, static_cast<double>(p)), rank) << "p" << p << " of " << n;
    }
  }
  // Where p * n / 100 is whole the rank is exactly that, not one more: p90 of 10 samples is the 9th.
  EXPECT_EQ(nearest_rank(one_to(10), 90), 9);
  EXPECT_EQ(nearest_rank(one_to(100), 99), 99);
  EXPECT_EQ(nearest_rank({}, 99), 0);
}

TEST(Percentile, MedianIsTheMiddleOrTheMeanOfTheMiddleTwo) {
  EXPECT_DOUBLE_EQ(median_of_sorted({}), 0);
  EXPECT_DOUBLE_EQ(median_of_sorted({7}), 7);
  EXPECT_DOUBLE_EQ(median_of_sorted({1, 2, 3}), 2);
  EXPECT_DOUBLE_EQ(median_of_sorted({1, 2, 3, 10}), 2.5);
  EXPECT_EQ(percentile_of({5, 1, 4, 2, 3}, 40), 2);  // sorted 1..5, rank ceil(2.0) = 2
}

// place_ranks puts at each asked index what a full sort puts there (here: the sorted copy, read at
// that index), with many equal values too, and the median and nearest ranks read from the placed
// vector equal those read from the sorted one.
TEST(Percentile, PlacedRanksHoldTheSortedValues) {
  std::mt19937_64 rng(7);
  for (size_t n : {1u, 2u, 3u, 10u, 101u, 1000u, 4096u}) {
    for (int64_t spread : {3, 1000000}) {
      std::vector<int64_t> v(n);
      for (int64_t& x : v) x = static_cast<int64_t>(rng() % static_cast<uint64_t>(spread));
      std::vector<int64_t> sorted = v;
      std::sort(sorted.begin(), sorted.end());
      std::vector<size_t> at = median_indices(n);
      at.push_back(nearest_rank_index(n, 90));
      at.push_back(nearest_rank_index(n, 99));
      at.push_back(n - 1);
      at.push_back(0);
      at.push_back(n + 5);  // past the end: ignored
      std::vector<int64_t> placed = v;
      place_ranks(placed, at);
      for (size_t k : at) {
        if (k >= n) continue;
        EXPECT_EQ(placed[k], sorted[k]) << "index " << k << " of " << n;
      }
      EXPECT_DOUBLE_EQ(median_of_sorted(placed), median_of_sorted(sorted)) << n;
      EXPECT_EQ(nearest_rank(placed, 90), nearest_rank(sorted, 90)) << n;
      EXPECT_EQ(nearest_rank(placed, 99), nearest_rank(sorted, 99)) << n;
      // The same multiset: only the order changed.
      std::sort(placed.begin(), placed.end());
      EXPECT_EQ(placed, sorted);
    }
  }
  EXPECT_TRUE(median_indices(0).empty());
  EXPECT_EQ(median_indices(4), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(median_indices(5), (std::vector<size_t>{2}));
  EXPECT_EQ(nearest_rank_index(10, 90), 8u);
  EXPECT_EQ(nearest_rank_index(10, 0), 0u);
}

}  // namespace
