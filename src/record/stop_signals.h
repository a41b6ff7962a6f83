// The signals that stop a recording (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXCPU), those meant for the
// command that record ignores (SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, ... sent to the process group it
// shares with the command), and the command's SIGCHLD, handled so that the command still sees what
// it would see alone (review RX): a signal its parent ignored stays ignored for it and for record (a
// non-interactive shell's background job ignores SIGINT, nohup ignores SIGHUP), the command never
// runs record's handlers or inherits record's ignoring (between fork and exec it gets the
// dispositions record started with back, and signals arriving meanwhile stay pending for it), and
// each stop signal is sorted by its sender as it arrives, so the command's own signal to its process
// group (`kill 0`) is not taken for a request to stop the recording, and never hides one that was
// (review SG M2: only the latest signal was kept, and a `kill 0` right after a Ctrl-C replaced it).
#pragma once

#include <sys/types.h>

#include <string>

namespace infertrace {

// One stop signal as its handler saw it.
struct StopSignal {
  int signo = 0;
  pid_t sender = 0;    // the sending process for kill()/sigqueue()/tgkill(), else 0
  bool from_tty = false;  // the kernel sent SIGINT, SIGQUIT or SIGHUP: a terminal's Ctrl-C, Ctrl-\ or hang-up
};

// "signal 11 (SIGSEGV)", for messages: a status of 139 alone does not say whether a command exited
// with 139 or died of signal 11.
std::string signal_named(int signo);

class StopSignals {
 public:
  // Installs the handlers and ignores the command's signals; the destructor puts back what was there
  // before (a second recording in the same process saves the caller's dispositions again, never
  // record's own).
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Stop signals from outside the command's tree: how many arrived so far, and the latest of them.
  // A signal from the tree never changes either.
  static unsigned count();
  static StopSignal latest();
  // Stop signals sent by a process of the command's tree (not stops): how many, and the latest.
  static unsigned tree_count();
  static StopSignal latest_from_tree();
  // Tells the handler which senders are the command's tree: the command, and every process in the
  // kernel's traced set (the BPF hash map `traced_map_fd`, keyed by a u32 process id, values of
  // `value_size` bytes), looked up as each signal arrives, while its sender still exists. Until it is
  // called (the probes loading; --pid, whose traced processes are not record's command) every
  // sender is outside. The destructor forgets it.
  static void set_tree(pid_t command, int traced_map_fd, unsigned value_size);
  // SIGCHLD's stamp (CLOCK_MONOTONIC ns of the latest one; 0: none yet).
  static long long child_exit_ns();
  // Readable (POLLIN) once a handled stop signal or SIGCHLD has arrived since the last clear_wake():
  // polled with the recorder's ring, it wakes the loop even when the signal came just before the
  // poll began. -1 when no eventfd could be made (the poll's timeout bounds the wait then).
  static int wake_fd();
  static void clear_wake();

  // Ignores SIGPIPE from now on for the whole process (record's first step: a warning written to a
  // closed stderr pipe, or an output FIFO whose reader left, is then a failed write, EPIPE, not a
  // death), keeping the disposition it had before for the command (restore_in_child).
  static void ignore_sigpipe();

  // Around fork(): the parent blocks the handled signals before, and unblocks them after; the child
  // calls restore_in_child() first thing (async-signal-safe only): the dispositions and the signal
  // mask record started with, so a signal sent meanwhile is delivered to the child as it would be
  // to the command alone.
  static void block_for_fork();
  static void unblock_after_fork();
  static void restore_in_child();
};

}  // namespace infertrace
