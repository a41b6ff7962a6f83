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
#include <functional>
#include <string>
#include <vector>

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

// A command (a forked child) with a child of its own; `ignores_term`: that grandchild ignores
// SIGTERM (set before it sends its pid, so in place once this returns). {-1, -1} on failure.
struct CommandWithChild {
  pid_t command = -1, grandchild = -1;
};

CommandWithChild spawn_command_with_child(bool ignores_term) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {};
  const pid_t c = ::fork();
  if (c == 0) {
    if (::fork() == 0) {
      if (ignores_term) ::signal(SIGTERM, SIG_IGN);
      const pid_t me = ::getpid();
      (void)!::write(pipefd[1], &me, sizeof me);
    }
    for (;;) ::pause();
  }
  CommandWithChild out;
  out.command = c;
  if (c < 0 || ::read(pipefd[0], &out.grandchild, sizeof out.grandchild) != static_cast<ssize_t>(sizeof out.grandchild))
    out = {};
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  return out;
}

// As the traced set: the command and its grandchild while it lives, plus `extra`.
std::function<std::vector<pid_t>()> live_tree(const CommandWithChild& t, std::vector<pid_t> extra = {}) {
  return [t, extra] {
    std::vector<pid_t> v = extra;
    v.push_back(t.command);
    if (alive(t.grandchild)) v.push_back(t.grandchild);
    return v;
  };
}

TEST(CommandEnd, TheTreeEndsWithTheCommand) {
  const CommandWithChild t = spawn_command_with_child(false);
  ASSERT_GT(t.grandchild, 0);
  CommandEndPlan p = plan_for(t.command, 30);
  p.tree = live_tree(t, {::getpid()});  // record itself listed too: it is never signalled
  const auto start = std::chrono::steady_clock::now();
  const int status = end_command(p);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_FALSE(alive(t.grandchild)) << "grandchild " << t.grandchild;
  EXPECT_LT(seconds_since(start), 20);  // it died of the SIGTERM: no wait for the grace
}

// A process of the tree that ignores SIGTERM outlives the command's own end: SIGKILL after the grace.
TEST(CommandEnd, ATreeProcessIgnoringSigtermIsKilledAfterTheGrace) {
  const CommandWithChild t = spawn_command_with_child(true);
  ASSERT_GT(t.grandchild, 0);
  CommandEndPlan p = plan_for(t.command, 0.3);
  p.tree = live_tree(t);
  std::string said;
  p.say = [&](const std::string& m) { said += m + "\n"; };
  const int status = end_command(p);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  const auto start = std::chrono::steady_clock::now();
  while (alive(t.grandchild) && seconds_since(start) < 20) ::usleep(10000);
  EXPECT_FALSE(alive(t.grandchild)) << "grandchild " << t.grandchild;
  EXPECT_NE(said.find("the command's other processes did not end within 0.3 s of SIGTERM: sending them SIGKILL"),
            std::string::npos) << said;
}

TEST(CommandEnd, ShellStatus) {
  EXPECT_EQ(shell_status(-1), -1);
  EXPECT_EQ(shell_status(3 << 8), 3);
  EXPECT_EQ(shell_status(SIGKILL), 128 + SIGKILL);
}

}  // namespace
