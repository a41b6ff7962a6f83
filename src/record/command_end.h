// How record ends the command it started once the recording has stopped (docs/record.md "The stop"),
// so that record never returns while the command runs on (review RX H1: a second Ctrl-C used to
// interrupt the wait, and record exited with a garbage status, the command still running).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace infertrace {

struct CommandEndPlan {
  pid_t command = -1;                         // record's child
  // The command's processes (the traced set); those that have ended (zombies) are passed over.
  std::function<std::vector<pid_t>()> tree;
  double grace_s = 5;                         // each step's wait before the next
  bool wait_first = false;                    // the command got the stop itself (a terminal's Ctrl-C)
  std::function<void(const std::string&)> say;  // one line on stderr per step taken
  // Called with a number of milliseconds to pass while waiting (the recorder keeps its ring drained
  // meanwhile); a plain sleep without it.
  std::function<void(int)> idle;
  const char* wait_first_after = "the interrupt";  // what the command got, for step (0)'s line
  // The hang-up that stopped the recording: a further SIGHUP is the same hang-up delivered again (a
  // shell passes it on to its jobs, then the kernel sends its own when the shell exits), not another
  // stop (review S44 H1: the second one escalated to SIGKILL).
  bool hang_up = false;
};

// Waits for the command to end, step by step: (0) with wait_first, up to grace_s for it to end on
// its own (its graceful Ctrl-C shutdown); (1) SIGTERM, then SIGCONT (a stopped process acts on
// neither until continued), to the command and every process of its tree, and up to grace_s; (2)
// SIGKILL to them all. A further stop signal from outside the tree (StopSignals::count(), which the
// tree's own signals never move) skips to the next step at once, but for a SIGHUP after a hang-up. Once the command is reaped, the rest of its tree still there goes through the same
// steps (SIGTERM, sent once, then SIGKILL after the grace). Returns the command's wait status, or -1
// when it could not be reaped (not record's child any more).
int end_command(const CommandEndPlan& plan);

// The exit status a shell reports for a wait status (128+S for a signal), -1 for -1.
int shell_status(int wait_status);

}  // namespace infertrace
