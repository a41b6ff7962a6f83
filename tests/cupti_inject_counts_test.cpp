// The exit counts of the CUPTI injection library (cupti_inject/inject_counts.h): a forked child
// reports only what it counted itself, since the merge sums the RingInfo of every process and the
// parent reports its own. No GPU needed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "cupti_inject/inject_counts.h"

namespace infertrace::inject {
namespace {

// The registration's handlers stay for the rest of the process: what they touch is static.
ExitCounts g_fork_counts;
std::atomic<int> g_prepared{0}, g_parent_after{0}, g_child_after{0};
void count_prepare() { ++g_prepared; }
void count_parent() { ++g_parent_after; }
void count_child() { ++g_child_after; }

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

// The wiring (review DF F7: the test above never forks, so removing the pthread_atfork call, or the
// reset in its child handler, went unnoticed): after register_fork_handlers a real fork() gives a
// child whose counts are zero and whose own handler ran once, while the parent keeps its counts.
TEST(CuptiInjectCounts, RegisteredForkHandlersResetTheChildsCounts) {
  static const int registered = register_fork_handlers(g_fork_counts, count_prepare, count_parent, count_child);
  ASSERT_EQ(registered, 0);
  g_fork_counts.folded_driver_calls = 7;
  g_fork_counts.activity_dropped = 3;
  const int prepared = g_prepared, parent_after = g_parent_after;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the child: what it sees goes to the parent, nothing else runs here
    const uint64_t seen[3] = {g_fork_counts.folded_driver_calls.load(), g_fork_counts.activity_dropped.load(),
                              static_cast<uint64_t>(g_child_after.load())};
    _exit(::write(fds[1], seen, sizeof(seen)) == static_cast<ssize_t>(sizeof(seen)) ? 0 : 1);
  }
  ::close(fds[1]);
  uint64_t seen[3] = {99, 99, 99};
  size_t got = 0;
  while (got < sizeof(seen)) {
    const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(seen) + got, sizeof(seen) - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(got, sizeof(seen));
  EXPECT_EQ(seen[0], 0u) << "the child's folded driver calls";
  EXPECT_EQ(seen[1], 0u) << "the child's dropped activity records";
  EXPECT_EQ(seen[2], 1u) << "the child's own handler ran once";
  EXPECT_EQ(g_prepared, prepared + 1);
  EXPECT_EQ(g_parent_after, parent_after + 1);
  EXPECT_EQ(g_child_after, 0) << "the parent runs no child handler";
  EXPECT_EQ(g_fork_counts.folded_driver_calls, 7u) << "the parent keeps its counts";
  EXPECT_EQ(g_fork_counts.activity_dropped, 3u);
}

}  // namespace
}  // namespace infertrace::inject
