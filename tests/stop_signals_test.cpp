// record's signals (record/stop_signals.h) without a recorder: stop signals sorted by their sender as
// they arrive (review SG M2), the command's signals ignored by record and given back to the command
// (M3), SIGPIPE ignored from before the recording (L1). The senders are forked processes; "the tree"
// is one of them, named by set_tree with no traced-set map.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

#include "record/stop_signals.h"

namespace {
using infertrace::StopSignals;

// A child that waits for a byte on `go`, then sends `signo` to the parent and exits.
pid_t sender(int go_read, int signo) {
  const pid_t parent = ::getpid();
  const pid_t p = ::fork();
  if (p == 0) {
    char c;
    if (::read(go_read, &c, 1) != 1) ::_exit(1);
    ::kill(parent, signo);
    ::_exit(0);
  }
  return p;
}

// Lets the sender run, reaps it, and waits until `count()` reaches `want` (the handler has run).
void fire(int go_write, pid_t who, unsigned (*count)(), unsigned want) {
  ASSERT_EQ(::write(go_write, "g", 1), 1);
  int st = 0;
  pid_t r;
  while ((r = ::waitpid(who, &st, 0)) < 0 && errno == EINTR) {
  }  // the signal's handler interrupts the wait (no SA_RESTART, as the recorder's poll needs)
  ASSERT_EQ(r, who);
  for (int i = 0; i < 5000 && count() < want; ++i) {
    const timespec ms{0, 1'000'000};
    ::nanosleep(&ms, nullptr);
  }
}

bool handler_is(int signo, void (*h)(int)) {
  struct sigaction sa{};
  ::sigaction(signo, nullptr, &sa);
  return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == h;
}

TEST(StopSignals, ATreeSignalAfterAnOutsideStopDoesNotHideIt) {
  int tree_go[2], out_go[2];
  ASSERT_EQ(::pipe(tree_go), 0);
  ASSERT_EQ(::pipe(out_go), 0);
  {
    StopSignals signals;
    const pid_t tree = sender(tree_go[0], SIGINT);
    const pid_t outside = sender(out_go[0], SIGTERM);
    StopSignals::set_tree(tree, -1, 0);
    // The outside SIGTERM first, then the tree's SIGINT (a launcher's `kill 0` answering a Ctrl-C).
    fire(out_go[1], outside, StopSignals::count, 1);
    fire(tree_go[1], tree, StopSignals::tree_count, 1);
    EXPECT_EQ(StopSignals::count(), 1u);
    EXPECT_EQ(StopSignals::latest().signo, SIGTERM);
    EXPECT_EQ(StopSignals::latest().sender, outside);
    EXPECT_FALSE(StopSignals::latest().from_tty);  // kill(): not the kernel's
    EXPECT_EQ(StopSignals::tree_count(), 1u);
    EXPECT_EQ(StopSignals::latest_from_tree().signo, SIGINT);
    EXPECT_EQ(StopSignals::latest_from_tree().sender, tree);
  }
  for (int fd : {tree_go[0], tree_go[1], out_go[0], out_go[1]}) ::close(fd);
  // The destructor put the defaults back.
  EXPECT_TRUE(handler_is(SIGINT, SIG_DFL) || handler_is(SIGINT, SIG_IGN));
  EXPECT_TRUE(handler_is(SIGUSR1, SIG_DFL));
}

TEST(StopSignals, SigquitIsAStop) {
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  {
    StopSignals signals;
    const pid_t outside = sender(go[0], SIGQUIT);
    fire(go[1], outside, StopSignals::count, 1);
    EXPECT_EQ(StopSignals::count(), 1u);
    EXPECT_EQ(StopSignals::latest().signo, SIGQUIT);
  }
  ::close(go[0]);
  ::close(go[1]);
}

TEST(StopSignals, TheCommandsSignalsAreIgnoredByRecordAndGivenBackToTheCommand) {
  ASSERT_TRUE(handler_is(SIGUSR1, SIG_DFL));
  StopSignals::ignore_sigpipe();  // as record's verb does first
  {
    StopSignals signals;
    // Record survives them (the test process would die of any of these at its default).
    for (int s : {SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGRTMIN, SIGRTMAX}) {
      ASSERT_EQ(::raise(s), 0);
      EXPECT_TRUE(handler_is(s, SIG_IGN)) << s;
    }
    EXPECT_EQ(StopSignals::count(), 0u);  // not stops
    // The command gets them back as record's caller left them: here the default, SIGPIPE too (it was
    // ignored by ignore_sigpipe() before StopSignals saved it). A child reports by its exit status.
    StopSignals::block_for_fork();
    const pid_t child = ::fork();
    if (child == 0) {
      StopSignals::restore_in_child();
      int bad = 0;
      for (int s : {SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGRTMIN, SIGQUIT, SIGTERM, SIGCHLD})
        if (!handler_is(s, SIG_DFL)) ++bad;
      ::_exit(bad);
    }
    StopSignals::unblock_after_fork();
    int st = 0;
    pid_t r;
    while ((r = ::waitpid(child, &st, 0)) < 0 && errno == EINTR) {
    }
    ASSERT_EQ(r, child);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
  }
  EXPECT_TRUE(handler_is(SIGUSR1, SIG_DFL));
  EXPECT_TRUE(handler_is(SIGPIPE, SIG_IGN));  // ignore_sigpipe() holds for the rest of the process
  std::signal(SIGPIPE, SIG_DFL);
}

}  // namespace
