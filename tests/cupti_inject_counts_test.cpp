// The exit counts of the CUPTI injection library (cupti_inject/inject_counts.h): a forked child
// reports only what it counted itself, since the merge sums the RingInfo of every process and the
// parent reports its own. No GPU needed.
#include <gtest/gtest.h>

#include "cupti_inject/inject_counts.h"

namespace infertrace::inject {
namespace {

TEST(CuptiInjectCounts, ForkedChildCountsFromZero) {
  ExitCounts parent;
  parent.folded_driver_calls += 7;
  parent.activity_dropped += 3;
  cupti::RingInfo info{};
  parent.fill(info);
  EXPECT_EQ(info.folded_driver_calls, 7u);
  EXPECT_EQ(info.activity_dropped, 3u);

  // What the child inherits at the fork, then its own counting.
  ExitCounts child;
  child.folded_driver_calls = parent.folded_driver_calls.load();
  child.activity_dropped = parent.activity_dropped.load();
  child.after_fork_child();
  child.folded_driver_calls += 2;
  cupti::RingInfo child_info{};
  child.fill(child_info);
  EXPECT_EQ(child_info.folded_driver_calls, 2u);
  EXPECT_EQ(child_info.activity_dropped, 0u);
  // Summed over both processes as the merge does: each call counted once.
  EXPECT_EQ(info.folded_driver_calls + child_info.folded_driver_calls, 9u);
  EXPECT_EQ(info.activity_dropped + child_info.activity_dropped, 3u);
}

}  // namespace
}  // namespace infertrace::inject
