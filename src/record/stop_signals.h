// The signals that stop a recording (SIGINT, SIGTERM, SIGHUP) and the command's SIGCHLD, handled so
// that the command still sees what it would see alone (review RX): a signal its parent ignored stays
// ignored for it and for record (a non-interactive shell's background job ignores SIGINT, nohup
// ignores SIGHUP), the command never runs record's handlers (between fork and exec it gets the
// dispositions record started with back, and signals arriving meanwhile stay pending for it), and
// each stop signal keeps who sent it, so the command's own signal to its process group (`kill 0`) is
// not taken for a request to stop the recording.
#pragma once

#include <sys/types.h>

#include <string>

namespace infertrace {

// One stop signal as its handler saw it.
struct StopSignal {
  int signo = 0;
  pid_t sender = 0;    // the sending process for kill()/sigqueue()/tgkill(), else 0
  bool from_tty = false;  // the kernel sent it (a terminal's Ctrl-C or hang-up): the foreground group got it too
};

// "signal 11 (SIGSEGV)", for messages: a status of 139 alone does not say whether a command exited
// with 139 or died of signal 11.
std::string signal_named(int signo);

class StopSignals {
 public:
  // Installs the handlers; the destructor puts back what was there before (a second recording in the
  // same process saves the caller's dispositions again, never record's own).
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // How many stop signals arrived so far, and the latest.
  static unsigned count();
  static StopSignal latest();
  // SIGCHLD's stamp (CLOCK_MONOTONIC ns of the latest one; 0: none yet).
  static long long child_exit_ns();

  // Around fork(): the parent blocks the four signals before, and unblocks them after; the child
  // calls restore_in_child() first thing (async-signal-safe only): the dispositions and the signal
  // mask record started with, so a signal sent meanwhile is delivered to the child as it would be
  // to the command alone.
  static void block_for_fork();
  static void unblock_after_fork();
  static void restore_in_child();
};

}  // namespace infertrace
