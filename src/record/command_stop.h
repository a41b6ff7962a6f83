// Whether a recorded command's status is its own or record's stop (docs/record.md "Exit status"):
// record passes a command's own failure on as its exit status, but not a status record caused.
#pragma once

#include <csignal>

namespace infertrace {

// `stop_in_loop`: a stop signal (Ctrl-C, SIGTERM) had arrived when the recording loop ended;
// `duration_ended`: --duration ended it; `stop_later`: a stop signal has arrived by the end of the
// teardown; `status`: the command's exit code (128+signal when killed).
// Ctrl-C and `timeout` signal the whole process group, so the command can die of the signal (and be
// reaped as if it ended by itself) before record's handler runs: a status that is that signal's
// (130, 143, 129 for a hang-up or 131 for Ctrl-\, which stop record too) counts as the stop. Any other status, with no stop asked while the loop ran, is the
// command's own, even if a signal arrives afterwards during the teardown.
inline bool command_was_stopped(bool stop_in_loop, bool duration_ended, bool stop_later, int status) {
  const bool stop_signal_status = status == 128 + SIGINT || status == 128 + SIGTERM || status == 128 + SIGHUP ||
                                  status == 128 + SIGQUIT;
  return stop_in_loop || duration_ended || (stop_later && stop_signal_status);
}

}  // namespace infertrace
