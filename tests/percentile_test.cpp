// Nearest-rank percentiles and medians (percentile.h) against their definitions, recomputed here in
// integer arithmetic: rank = ceil(p * n / 100), 1-based, at least 1.
#include <gtest/gtest.h>

#include <cstdint>
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

}  // namespace
