// `bench threads`' default sweep, best point and "not a clear winner" list (bench/thread_choice.h).
// The e2e test sees only this machine's CPU count, and recomputes the choice from measured rates,
// which never tie; these pin the sweep of other counts and the tie and boundary rules.
// Each expected value is worked out by hand in the comment above it.
#include <gtest/gtest.h>

#include <stdexcept>

#include "bench/thread_choice.h"

namespace infertrace::bench {
namespace {

using Tg = std::vector<std::vector<double>>;
using Idx = std::vector<size_t>;

TEST(BenchThreadChoice, DefaultSweepIsPowersOfTwoBelowTheCountThenTheCount) {
  using V = std::vector<int>;
  EXPECT_EQ(default_thread_sweep(16), (V{1, 2, 4, 8, 16}));
  EXPECT_EQ(default_thread_sweep(6), (V{1, 2, 4, 6}));  // not 1..6, not 8
  EXPECT_EQ(default_thread_sweep(5), (V{1, 2, 4, 5}));
  EXPECT_EQ(default_thread_sweep(4), (V{1, 2, 4}));  // 4 once, not again as "the count"
  EXPECT_EQ(default_thread_sweep(3), (V{1, 2, 3}));
  EXPECT_EQ(default_thread_sweep(1), (V{1}));
  EXPECT_EQ(default_thread_sweep(0), (V{1}));  // no CPU count known: one thread
}

TEST(BenchThreadChoice, TieGoesToTheFirstPointListed) {
  // Medians: {20, 10} -> 15, {15} -> 15, {16, 14} -> 15, {3} -> 3. Three tie at 15: the first wins.
  EXPECT_EQ(best_tg_index(Tg{{20, 10}, {15}, {16, 14}, {3}}), 0u);
  // Medians 1, 5, 5: the tie at 5 goes to index 1, not the later index 2.
  EXPECT_EQ(best_tg_index(Tg{{1}, {5}, {5}}), 1u);
}

TEST(BenchThreadChoice, HighestMedianNotHighestMeanOrMax) {
  // {1, 1, 30}: median 1, mean 10.67, max 30. {4, 5, 6}: median 5, mean 5. The median picks 1.
  EXPECT_EQ(best_tg_index(Tg{{1, 1, 30}, {4, 5, 6}}), 1u);
  // The best can be the last point listed: medians 2, 3, 7.
  EXPECT_EQ(best_tg_index(Tg{{2}, {3}, {7}}), 2u);
}

TEST(BenchThreadChoice, EvenCountMedianIsTheMeanOfTheMiddleTwo) {
  // {10, 1, 9, 2} sorted is {1, 2, 9, 10}: median (2 + 9) / 2 = 5.5 (lower middle 2, upper 9).
  // Against 5.6 it loses (the upper middle, 9, would win); against 5.4 it wins (the lower, 2,
  // would lose).
  EXPECT_EQ(best_tg_index(Tg{{10, 1, 9, 2}, {5.6}}), 1u);
  EXPECT_EQ(best_tg_index(Tg{{10, 1, 9, 2}, {5.4}}), 0u);
  // Two samples: {4, 8} -> 6 beats {5.9} and loses to {6.1}.
  EXPECT_EQ(best_tg_index(Tg{{5.9}, {8, 4}}), 1u);
  EXPECT_EQ(best_tg_index(Tg{{6.1}, {8, 4}}), 0u);
}

TEST(BenchThreadChoice, PointWithoutTgCountsAsZero) {
  // No tg samples: median 0. Any positive median beats it, wherever it is listed.
  EXPECT_EQ(best_tg_index(Tg{{}, {0.5}}), 1u);
  EXPECT_EQ(best_tg_index(Tg{{0.5}, {}}), 0u);
  // All empty: every median is 0, a tie, so the first.
  EXPECT_EQ(best_tg_index(Tg{{}, {}, {}}), 0u);
  // A best without samples has no slowest repetition: nothing overlaps it.
  EXPECT_EQ(overlapping_best(Tg{{}, {}}, 0), Idx{});
  // A point without samples never overlaps (its "fastest" does not exist), even at a best of 0.
  EXPECT_EQ(overlapping_best(Tg{{0, 0}, {}}, 0), Idx{});
}

TEST(BenchThreadChoice, SinglePoint) {
  EXPECT_EQ(best_tg_index(Tg{{3, 4}}), 0u);
  EXPECT_EQ(overlapping_best(Tg{{3, 4}}, 0), Idx{});  // the best does not overlap itself
}

TEST(BenchThreadChoice, NoPointIsAnError) { EXPECT_THROW(best_tg_index(Tg{}), std::invalid_argument); }

TEST(BenchThreadChoice, OverlapIsInclusiveAtTheBestsSlowest) {
  // Best index 1: {14, 10, 12}, median 12, slowest 10. Index 0 {8, 10}: fastest 10 = 10, overlaps.
  // Index 2 {9.5, 9.99}: fastest 9.99 < 10, does not. Index 3 {11}: overlaps.
  const Tg tg{{8, 10}, {14, 10, 12}, {9.5, 9.99}, {11}};
  ASSERT_EQ(best_tg_index(tg), 1u);
  EXPECT_EQ(overlapping_best(tg, 1), (Idx{0, 3}));
}

TEST(BenchThreadChoice, OverlapComparesFastestAgainstSlowestNotMedians) {
  // Best {20, 30, 40}: median 30, slowest 20. {5, 21, 6}: median 6, mean 10.67, but its fastest,
  // 21, reaches 20: it overlaps. {19, 19.9}: median 19.45 but fastest 19.9 < 20: it does not.
  const Tg tg{{5, 21, 6}, {19, 19.9}, {30, 20, 40}};
  ASSERT_EQ(best_tg_index(tg), 2u);
  EXPECT_EQ(overlapping_best(tg, 2), (Idx{0}));
}

TEST(BenchThreadChoice, TiedPointsOverlapTheFirst) {
  // Medians 5 and 5: the first is best; the second's fastest, 6, reaches the best's slowest, 4.
  const Tg tg{{4, 5, 6}, {5, 6, 4}};
  ASSERT_EQ(best_tg_index(tg), 0u);
  EXPECT_EQ(overlapping_best(tg, 0), (Idx{1}));
}

}  // namespace
}  // namespace infertrace::bench
