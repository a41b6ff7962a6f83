// end_command() on real child processes: a command that ends by itself in the first wait, one that
// dies of SIGTERM, one that ignores it until SIGKILL after the grace, one stopped with SIGSTOP, and a
// grandchild of the tree that must not outlive the command. Timing bounds are loose (seconds).
#include "record/command_end.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>

namespace {

using infertrace::CommandEndPlan;
using infertrace::end_command;
using infertrace::shell_status;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A process is gone when /proc has no entry or it is a zombie (ended, not yet reaped).
bool alive(pid_t pid) {
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(st, text)) return false;
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

CommandEndPlan plan_for(pid_t child, double grace_s, bool wait_first = false) {
  CommandEndPlan p;
  p.command = child;
  p.grace_s = grace_s;
  p.wait_first = wait_first;
  return p;
}

TEST(CommandEnd, ACommandThatEndsByItselfIsOnlyWaitedFor) {
  const pid_t c = ::fork();
  ASSERT_GE(c, 0);
  if (c == 0) {
    ::usleep(100000);
    ::_exit(4);
  }
  const auto t = std::chrono::steady_clock::now();
  const int status = end_command(plan_for(c, 30, true));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 4) << status;
  EXPECT_EQ(shell_status(status), 4);
  EXPECT_LT(seconds_since(t), 20);
}

TEST(CommandEnd, SigtermEndsADefaultCommand) {
  const pid_t c = ::fork();
  ASSERT_GE(c, 0);
  if (c == 0) {
    for (;;) ::pause();
  }
  const int status = end_command(plan_for(c, 30));
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_EQ(shell_status(status), 128 + SIGTERM);
}

TEST(CommandEnd, SigkillAfterTheGraceForACommandIgnoringSigterm) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t c = ::fork();
  ASSERT_GE(c, 0);
  if (c == 0) {
    ::signal(SIGTERM, SIG_IGN);
    (void)!::write(ready[1], "r", 1);
    for (;;) ::pause();
  }
  char b;
  ASSERT_EQ(::read(ready[0], &b, 1), 1);  // SIG_IGN is in place
  ::close(ready[0]);
  ::close(ready[1]);
  std::string said;
  CommandEndPlan p = plan_for(c, 0.3);
  p.say = [&](const std::string& m) { said += m + "\n"; };
  const auto t = std::chrono::steady_clock::now();
  const int status = end_command(p);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_GE(seconds_since(t), 0.3);
  EXPECT_NE(said.find("did not end within 0.3 s of SIGTERM: sending it SIGKILL"), std::string::npos) << said;
}

TEST(CommandEnd, AStoppedCommandIsContinuedSoSigtermReachesIt) {
  const pid_t c = ::fork();
  ASSERT_GE(c, 0);
  if (c == 0) {
    ::raise(SIGSTOP);
    for (;;) ::pause();
  }
  int st;
  ASSERT_EQ(::waitpid(c, &st, WUNTRACED), c);  // it is stopped now
  ASSERT_TRUE(WIFSTOPPED(st));
  const int status = end_command(plan_for(c, 30));
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
}

TEST(CommandEnd, TheTreeEndsWithTheCommand) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  const pid_t c = ::fork();
  ASSERT_GE(c, 0);
  if (c == 0) {
    const pid_t g = ::fork();
    if (g == 0) {
      for (;;) ::pause();
    }
    (void)!::write(pipefd[1], &g, sizeof g);
    for (;;) ::pause();
  }
  pid_t grandchild = -1;
  ASSERT_EQ(::read(pipefd[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  CommandEndPlan p = plan_for(c, 30);
  // As the traced set: the live processes (record itself listed too: it is never signalled).
  p.tree = [&] {
    std::vector<pid_t> v{c, ::getpid()};
    if (alive(grandchild)) v.push_back(grandchild);
    return v;
  };
  const auto t = std::chrono::steady_clock::now();
  const int status = end_command(p);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_FALSE(alive(grandchild)) << "grandchild " << grandchild;
  EXPECT_LT(seconds_since(t), 20);  // it died of the SIGTERM: no wait for the grace
}

// A process of the tree that ignores SIGTERM outlives the command's own end: SIGKILL after the grace.
TEST(CommandEnd, ATreeProcessIgnoringSigtermIsKilledAfterTheGrace) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  const pid_t c = ::fork();
  ASSERT_GE(c, 0);
  if (c == 0) {
    const pid_t g = ::fork();
    if (g == 0) {
      ::signal(SIGTERM, SIG_IGN);
      const pid_t me = ::getpid();
      (void)!::write(pipefd[1], &me, sizeof me);
      for (;;) ::pause();
    }
    for (;;) ::pause();
  }
  pid_t grandchild = -1;
  ASSERT_EQ(::read(pipefd[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  CommandEndPlan p = plan_for(c, 0.3);
  p.tree = [&] {
    std::vector<pid_t> v{c};
    if (alive(grandchild)) v.push_back(grandchild);
    return v;
  };
  std::string said;
  p.say = [&](const std::string& m) { said += m + "\n"; };
  const int status = end_command(p);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  const auto t = std::chrono::steady_clock::now();
  while (alive(grandchild) && seconds_since(t) < 20) ::usleep(10000);
  EXPECT_FALSE(alive(grandchild)) << "grandchild " << grandchild;
  EXPECT_NE(said.find("the command's other processes did not end within 0.3 s of SIGTERM: sending them SIGKILL"),
            std::string::npos) << said;
}

TEST(CommandEnd, ShellStatus) {
  EXPECT_EQ(shell_status(-1), -1);
  EXPECT_EQ(shell_status(3 << 8), 3);
  EXPECT_EQ(shell_status(SIGKILL), 128 + SIGKILL);
}

}  // namespace
