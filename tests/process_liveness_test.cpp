// record --pid's test of a live target (record/process_liveness.h): a zombie, which kill(pid, 0)
// still answers, is gone (review RP H1), and so is a pid whose start time is not the one seen at
// the attach (a reused pid); NSpid with more than one id is a nested PID namespace (review RP M5).
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
