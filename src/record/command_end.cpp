#include "record/command_end.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>

#include "record/process_liveness.h"
#include "record/stop_signals.h"

namespace infertrace {

namespace {

double now_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The tree's processes other than the command and record itself that still run. A zombie has ended:
// it stays in the traced set until its parent reaps it, which a parent that does not reap orphans at
// once (a container's init, a subreaper) can put off for seconds (review SG L2: a --duration 1 stop
// waited the whole --stop-grace for one, then said it "did not end within 5 s of SIGTERM").
std::vector<pid_t> rest_of_tree(const CommandEndPlan& p) {
  std::vector<pid_t> out;
  if (!p.tree) return out;
  const pid_t self = ::getpid();
  for (pid_t pid : p.tree())
    if (pid > 1 && pid != self && pid != p.command && process_running(pid)) out.push_back(pid);
  return out;
}

void signal_all(const CommandEndPlan& p, int signo, bool command_too) {
  if (command_too) ::kill(p.command, signo);
  for (pid_t pid : rest_of_tree(p)) ::kill(pid, signo);
}

void pause_a_moment(const CommandEndPlan& p) {
  if (p.idle) {
    p.idle(10);
    return;
  }
  const timespec nap{0, 10'000'000};
  ::nanosleep(&nap, nullptr);
}

enum class Waited { Ended, TimedOut, Signalled, Lost };

// Waits up to `seconds` for `ended()`. A stop signal that arrives meanwhile from outside the tree
// ends the wait early.
template <class Ended>
Waited wait_until(const CommandEndPlan& p, double seconds, unsigned* seen, Ended ended) {
  const double until = now_s() + seconds;
  for (;;) {
    if (const Waited w = ended(); w == Waited::Ended || w == Waited::Lost) return w;
    if (const unsigned n = StopSignals::count(); n != *seen) {  // from outside the tree only
      *seen = n;
      if (!(p.hang_up && StopSignals::latest().signo == SIGHUP)) return Waited::Signalled;
    }
    if (now_s() >= until) return Waited::TimedOut;
    pause_a_moment(p);
  }
}

std::string seconds_text(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%g s", s);
  return b;
}

// The steps before SIGKILL: the signal each sends first (0: none), what it waits after, and the
// signal the next step sends.
struct Step {
  bool taken;
  int signo;
  const char* after;
  const char* next;
};

// Runs the steps for `ended()` (the command's end, or the rest of the tree's); says why it goes on
// to the next step; false when the wait was lost (the command is not record's child).
template <class Ended>
bool run_steps(const CommandEndPlan& p, const Step (&steps)[2], bool command_too, unsigned* seen, const char* who,
               bool* sent_term, Ended ended) {
  for (const Step& step : steps) {
    if (!step.taken) continue;
    if (step.signo == SIGTERM) *sent_term = true;
    if (step.signo) {
      signal_all(p, step.signo, command_too);
      signal_all(p, SIGCONT, command_too);  // a stopped process acts on neither until continued
    }
    std::string said;
    switch (wait_until(p, p.grace_s, seen, ended)) {
      case Waited::Ended: return true;
      case Waited::Lost: return false;
      case Waited::TimedOut:
        said = std::string(who) + " did not end within " + seconds_text(p.grace_s) + " of " + step.after +
               ": sending " + (command_too ? "it " : "them ") + step.next;
        break;
      case Waited::Signalled: said = std::string("another stop signal: sending ") + who + " " + step.next; break;
    }
    if (p.say) p.say(said);
  }
  signal_all(p, SIGKILL, command_too);
  return true;
}

}  // namespace

int end_command(const CommandEndPlan& p) {
  int status = -1;
  unsigned seen = StopSignals::count();
  if (p.wait_first && p.say)
    p.say("waiting up to " + seconds_text(p.grace_s) +
          " for the command to end after " + p.wait_first_after + " (it got it too); Ctrl-C again to end it now");
  const Step steps[] = {{p.wait_first, 0, "the interrupt", "SIGTERM"}, {true, SIGTERM, "SIGTERM", "SIGKILL"}};
  bool reaped = false, sent_term = false;
  const bool waited = run_steps(p, steps, true, &seen, "the command", &sent_term, [&] {
    const pid_t r = ::waitpid(p.command, &status, WNOHANG);
    if (r == p.command) {
      reaped = true;
      return Waited::Ended;
    }
    if (r < 0 && errno != EINTR) return Waited::Lost;
    return Waited::TimedOut;  // still running
  });
  if (!waited) return -1;
  while (!reaped) {  // SIGKILL was sent; it cannot be caught: only an uninterruptible sleep delays the end
    const pid_t r = ::waitpid(p.command, &status, 0);
    if (r == p.command) reaped = true;
    else if (r < 0 && errno != EINTR) return -1;
  }
  // The rest of the tree ends too (a child that ignores SIGTERM, one the command left behind): the
  // same steps for those still there, SIGTERM sent once (review RX2 M2: 44 of a 300-process tree
  // outlived record when only the command got SIGKILL).
  if (!rest_of_tree(p).empty()) {
    const Step rest[] = {{false, 0, "", ""}, {true, sent_term ? 0 : SIGTERM, "SIGTERM", "SIGKILL"}};
    run_steps(p, rest, false, &seen, "the command's other processes", &sent_term,
              [&] { return rest_of_tree(p).empty() ? Waited::Ended : Waited::TimedOut; });
  }
  return status;
}

int shell_status(int wait_status) {
  if (wait_status == -1) return -1;
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

}  // namespace infertrace
