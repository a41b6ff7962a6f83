#include "record/command_end.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>

#include "record/stop_signals.h"

namespace infertrace {

namespace {

double now_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void signal_all(const CommandEndPlan& p, int signo) {
  ::kill(p.command, signo);
  if (!p.tree) return;
  const pid_t self = ::getpid();
  for (pid_t pid : p.tree())
    if (pid > 1 && pid != self && pid != p.command) ::kill(pid, signo);
}

enum class Waited { Ended, TimedOut, Signalled, Lost };

// Polls the command's end for up to `seconds` (< 0: no limit). A stop signal that arrives meanwhile
// from outside the tree ends the wait early.
Waited wait_for(const CommandEndPlan& p, double seconds, int* status, unsigned* seen) {
  const double until = now_s() + seconds;
  for (;;) {
    const pid_t r = ::waitpid(p.command, status, WNOHANG);
    if (r == p.command) return Waited::Ended;
    if (r < 0 && errno != EINTR) return Waited::Lost;
    const unsigned n = StopSignals::count();
    if (n != *seen) {
      *seen = n;
      const StopSignal s = StopSignals::latest();
      if (!(s.sender > 0 && p.in_tree && p.in_tree(s.sender))) return Waited::Signalled;
    }
    if (seconds >= 0 && now_s() >= until) return Waited::TimedOut;
    const timespec nap{0, 10'000'000};
    ::nanosleep(&nap, nullptr);
  }
}

std::string seconds_text(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%g s", s);
  return b;
}

}  // namespace

int end_command(const CommandEndPlan& p) {
  int status = -1;
  unsigned seen = StopSignals::count();
  // The steps before SIGKILL: the signal each sends first (0: none), what it waits after, and the
  // signal the next step sends.
  struct Step {
    bool taken;
    int signo;
    const char* after;
    const char* next;
  };
  const Step steps[] = {{p.wait_first, 0, "the interrupt", "SIGTERM"}, {true, SIGTERM, "SIGTERM", "SIGKILL"}};
  for (const Step& step : steps) {
    if (!step.taken) continue;
    if (step.signo) {
      signal_all(p, step.signo);
      signal_all(p, SIGCONT);
    }
    std::string said;
    switch (wait_for(p, p.grace_s, &status, &seen)) {
      case Waited::Ended: return status;
      case Waited::Lost: return -1;
      case Waited::TimedOut:
        said = "the command did not end within " + seconds_text(p.grace_s) + " of " + step.after + ": sending it " + step.next;
        break;
      case Waited::Signalled: said = std::string("another stop signal: sending the command ") + step.next; break;
    }
    if (p.say) p.say(said);
  }
  signal_all(p, SIGKILL);
  for (;;) {  // SIGKILL cannot be caught: only an uninterruptible sleep in the kernel delays the end
    const pid_t r = ::waitpid(p.command, &status, 0);
    if (r == p.command) return status;
    if (r < 0 && errno != EINTR) return -1;
  }
}

int shell_status(int wait_status) {
  if (wait_status == -1) return -1;
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

}  // namespace infertrace
