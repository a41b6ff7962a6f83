// record --pid's test of a live target (record/process_liveness.h): a zombie, which kill(pid, 0)
// still answers, is gone (review RP H1), and so is a pid whose start time is not the one seen at
// the attach (a reused pid); NSpid with more than one id is a nested PID namespace (review RP M5);
// a thread's state letter at the attach (review RP M3).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/process_liveness.h"

namespace infertrace {
namespace {

TEST(ProcessLiveness, AZombieIsGoneThoughKillAnswers) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  const unsigned long long start = process_start_ticks(child);
  EXPECT_GT(start, 0u);
  // Until it is reaped the child is a zombie: kill(pid, 0) succeeds, the process runs no more.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(::kill(child, 0), 0);
  EXPECT_FALSE(process_running(child));
  EXPECT_FALSE(process_running(child, start));
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(process_running(child));
  EXPECT_EQ(process_start_ticks(child), 0u);
}

TEST(ProcessLiveness, ALiveProcessRunsUnderItsOwnStartTimeOnly) {
  const pid_t self = ::getpid();
  const unsigned long long start = process_start_ticks(self);
  ASSERT_GT(start, 0u);
  EXPECT_TRUE(process_running(self));
  EXPECT_TRUE(process_running(self, start));
  EXPECT_FALSE(process_running(self, start + 1));  // the pid, taken by another process since
  EXPECT_FALSE(process_running(0));
  EXPECT_FALSE(process_running(-5));
}

// The state at the attach (review RP M3): field 3 of /proc/PID/task/TID/stat, after a command name
// that may hold spaces and parentheses.
TEST(ProcessLiveness, StateLetterOfAStatLine) {
  EXPECT_EQ(stat_state("1234 (python3) S 1 1234 1234 0 -1"), 'S');
  EXPECT_EQ(stat_state("77 (a) b (c) D 1 2 3"), 'D');  // the name "a) b (c"
  EXPECT_EQ(stat_state("77 (x) t"), 't');
  EXPECT_EQ(stat_state("77 (x) SS 1"), 0);  // not one letter
  EXPECT_EQ(stat_state("77 (x) 5 1"), 0);
  EXPECT_EQ(stat_state("77 (x) "), 0);
  EXPECT_EQ(stat_state("no name here"), 0);
  EXPECT_EQ(stat_state(""), 0);
}

TEST(ProcessLiveness, ThreadStateOfABlockedChildAndOfThisThread) {
  // This thread reads its own state while it runs: R.
  EXPECT_EQ(thread_state(::getpid(), ::gettid()), 'R');
  // A child blocked reading an empty pipe sleeps (S) once it got there (polled up to 10 s).
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    ::close(fds[1]);
    ::_exit(::read(fds[0], &c, 1) == 1 ? 0 : 1);
  }
  ::close(fds[0]);
  char state = 0;
  for (int i = 0; i < 1000 && state != 'S'; ++i) {
    state = thread_state(child, child);
    if (state != 'S') ::usleep(10000);
  }
  EXPECT_EQ(state, 'S');
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  ::close(fds[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(thread_state(child, child), 0);  // gone: nothing to read
  EXPECT_EQ(thread_state(0, 1), 0);
}

TEST(ProcessLiveness, NestedPidNamespaceFromNSpid) {
  EXPECT_FALSE(nested_pid_namespace("Name:\tbash\nTgid:\t42\nNSpid:\t42\nNSpgid:\t42\n"));
  EXPECT_TRUE(nested_pid_namespace("Name:\tbash\nNSpid:\t9137\t1\nNSpgid:\t9137\t1\n"));
  EXPECT_TRUE(nested_pid_namespace("NSpid:\t9137\t20\t1"));  // two levels down, no final newline
  EXPECT_FALSE(nested_pid_namespace("Name:\tbash\n"));        // a kernel without the line
  EXPECT_FALSE(nested_pid_namespace(""));
}

TEST(ProcessLiveness, PidNamespaceOtherThanTheInitialOne) {
  EXPECT_FALSE(pid_namespace_not_initial("pid:[4026531836]"));  // 0xEFFFFFFC: the initial namespace
  EXPECT_TRUE(pid_namespace_not_initial("pid:[4026532175]"));
  EXPECT_FALSE(pid_namespace_not_initial("pid:[]"));
  EXPECT_FALSE(pid_namespace_not_initial("pid:[12x]"));
  EXPECT_FALSE(pid_namespace_not_initial("net:[4026532175]"));
  EXPECT_FALSE(pid_namespace_not_initial(""));
}

}  // namespace
}  // namespace infertrace
