// The recorder's run(): the start-up (probes loaded and attached, the targets set up, the output
// opened, the command released), the recording loop until the command ends, --duration or a stop,
// the stop (a command still running ended), and the teardown into the summary. Also the stop
// requests and the progress line the loop looks at.
#if INFERTRACE_HAVE_BPF

#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "record/command_end.h"
#include "record/command_stop.h"
#include "record/cuda_apis.h"
#include "record/recorder_session.h"
#include "record/stop_signals.h"
#include "util/error.h"

namespace infertrace::recorder_impl {

void Recorder::progress_line(double elapsed) {
  uint64_t events = 0, lost = 0;
  for (auto& [t, n] : counts_) events += n;
  for (auto& [k, n] : read_stats())
    if (k >= IT_STAT_LOST_BASE) lost += n;
  char text[160];
  std::snprintf(text, sizeof(text), "recording %6.1f s  %9.0f events/s  %llu events  %llu dropped", elapsed,
                elapsed > 0 ? static_cast<double>(events) / elapsed : 0.0, static_cast<unsigned long long>(events),
                static_cast<unsigned long long>(lost));
  progress_.show(text);
}

// A stop signal not yet looked at, from outside the command's tree. The command's own signal to its
// process group (`kill 0`, a launcher cleaning up its workers) reaches record too and is not a request
// to stop (review RX M4); it is said once on stderr. StopSignals sorts each signal as it arrives, so
// a tree signal that follows an outside stop never hides it (review SG M2). `say_tree_signal` false:
// after a stop, when the command's own signals as it ends (a launcher's `kill 0`) change nothing.
bool Recorder::stop_requested(bool say_tree_signal) {
  if (const unsigned t = StopSignals::tree_count(); t != tree_signals_seen_ && say_tree_signal) {
    tree_signals_seen_ = t;
    const StopSignal s = StopSignals::latest_from_tree();
    if (!warned_tree_signal_)
      warn("ignored " + signal_named(s.signo) +
           " from process " + std::to_string(s.sender) + " of the traced command (its own signal, such as a kill of "
           "its process group, which record shares): not a stop");
    warned_tree_signal_ = true;
  }
  const unsigned n = StopSignals::count();
  if (n == stops_handled_) return false;
  stops_handled_ = n;
  return true;
}

void Recorder::write_start_meta() {
  ts_start_ = static_cast<uint64_t>(monotonic_ns());
  const auto apis = cuda_apis();
  for (uint32_t i = 0; i < apis.size(); ++i) out_.meta("api." + std::to_string(i), apis[i].symbol);
  out_.meta("start_ns", std::to_string(ts_start_));
  // What was asked for: an analysis must tell "no context switches" from "not recorded".
  std::string events;
  for (auto [on, name] : {std::pair{o_.launch, "launch"}, {o_.sched, "sched"}, {o_.wakeup, "wakeup"}, {o_.irq, "irq"},
                          {o_.syscall && !o_.syscall_counts_only, "syscall"}, {o_.syscall_counts_only, "syscall-counts"}})
    if (on) events += (events.empty() ? "" : ",") + std::string(name);
  out_.meta("events", events);
}

RecordSummary Recorder::stopped_during_startup() {
  sum_.stopped_before_recording = true;
  sum_.stop_signal = StopSignals::latest().signo;
  return sum_;
}

void Recorder::abandon_command() {
  if (release_fd_ >= 0) ::close(release_fd_), release_fd_ = -1;
  if (child_ > 0) {
    int status;
    while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
    child_ = -1;
  }
}

// A stop that came during the start-up, up to the moment the output would be truncated, ends it
// as one while the probes load does: nothing recorded, the command not run, an earlier file left
// as it was, exit 128 + the signal (review SG L7: after the targets were set up it truncated the
// file, wrote a recording of the start-up alone and exited 0). Asked once the file is locked, the
// last moment before anything in it changes; a stop after that is a stop of the recording (the
// loop sees it at once), the command released and then ended as after any stop. False: stopped.
bool Recorder::open_output() {
  bool opened = false;
  try {
    opened = out_.open([this] { return !stop_requested(); });
  } catch (...) {
    // Refused (another recorder writes that file) or not writable.
    abandon_command();
    throw;
  }
  if (!opened) abandon_command();
  return opened;
}

void Recorder::release_command() {
  if (release_fd_ < 0) return;
  command_start_ns_ = monotonic_ns();  // the command execs as soon as it reads this byte
  command_pid_ = child_;
  // The window starts here (recorded_from_ns): the command's switches, wake-ups and interrupts
  // while it waited for this byte are not recorded (record.bpf.c command_released_ns), those from
  // this stamp on are. Stored before the byte is written: the command wakes only after it.
  if (s_.skel && s_.skel->data) s_.skel->data->command_released_ns = static_cast<uint64_t>(command_start_ns_);
  (void)!::write(release_fd_, "g", 1);
  ::close(release_fd_);
  release_fd_ = -1;
}

Recorder::LoopEnd Recorder::record_until_stop(double t0, int64_t deadline_ns) {
  LoopEnd end;
  double last_progress = t0, last_scan = t0, last_window = t0;
  while (!end.stop_signal_in_loop) {
    int wait_ms = 100;
    if (deadline_ns > 0)
      wait_ms = static_cast<int>(std::clamp<int64_t>((deadline_ns - monotonic_ns() + 999'999) / 1'000'000, 0, 100));
    const int r = wait_for_events(wait_ms);
    if (r < 0 && r != -EINTR) throw Error("record: polling the ring buffer failed: " + std::string(std::strerror(-r)));
    // Taken before the drain: what happened before it is in the ring now, and read by this drain;
    // written after it (so in the file after those events: flushed by the next drain).
    const int64_t drained_to = monotonic_ns();
    drain();
    if (!out_.failed() && now_s() - last_window >= 0.25) {
      out_.meta("recorded_to_ns", std::to_string(deadline_ns > 0 ? std::min(drained_to, deadline_ns) : drained_to));
      last_window = now_s();
    }
    // A write failed (a full disk): nothing more can be recorded, so the recording stops here as a
    // stop does, the command ended by the same steps (review SG M1: record exited at once and left
    // its command running, untraced, its status lost).
    if (out_.failed()) {
      end.write_failed = true;
      break;
    }
    const double t = now_s();
    if (t - last_scan >= 0.25) rescan_libraries(), last_scan = t;
    if (t - last_progress >= 1.0) {
      if (o_.progress) progress_line(t - t0);
      warn_when_too_big_to_analyse();
      last_progress = t;
    }
    if (deadline_ns > 0 && monotonic_ns() >= deadline_ns) {
      end.duration_ended = true;
      break;
    }
    // A stop first: a command that handles the same Ctrl-C (or group SIGTERM) and exits at once has
    // ended by the time the loop wakes, and it ended because of the stop; its status must not
    // replace record's 0 (review S44 M1, docs/record.md "Exit status": 0 whatever the command did
    // after record got the stop signal). Reaping it is then the first step of ending it.
    end.stop_signal_in_loop = stop_requested();
    if (end.stop_signal_in_loop) break;
    if (command_done()) {
      end.command_ended = true;
      break;
    }
  }
  return end;
}

void Recorder::mark_stop(const LoopEnd& end, int64_t deadline_ns) {
  // A signal's stop is its moment (or the deadline, if that came first); a command that ended
  // keeps every event up to the deadline, if any.
  if (!end.command_ended && !end.duration_ended)
    stop_ns_ = static_cast<uint64_t>(deadline_ns > 0 ? std::min(deadline_ns, monotonic_ns()) : monotonic_ns());
  // Stopped: the kernel's counted totals end here, not after the teardown's seconds.
  if (!end.command_ended) count_until(stop_ns_);
  // Erased before the command is stopped: what it prints as it ends (a handler of SIGTERM) starts
  // on a clean line instead of continuing the progress text. The summary printed later says all
  // the line did (and more).
  progress_.clear();
  // A write failure's stop takes the steps of any stop; the wait after a terminal's Ctrl-C only when
  // one came (StopSignals::latest()), which the command then got too.
  if (end.write_failed)
    say_stop(out_.failure() + ": the recording stops here" +
             (child_ > 0 ? "; ending the command as a stop does (SIGTERM to its process tree, SIGKILL after --stop-grace)"
                         : "; the --pid processes run on"));
}

// Stopped by --duration, a signal or a write failure while the command still runs.
void Recorder::end_stopped_command(const LoopEnd& end) {
  sum_.command_stopped = true;
  CommandEndPlan plan;
  plan.command = child_;
  plan.tree = [this] { return traced_processes(); };
  plan.grace_s = o_.stop_grace_s;
  // A terminal's Ctrl-C, Ctrl-\ (or hang-up) reached the command too: it may be shutting down on its
  // own. Only when the command is still in record's process group: one that left it (setsid) did
  // not get it.
  // A SIGHUP is a hang-up whoever sent it: the terminal's, or a shell's passing its own on to its
  // jobs' process groups, record's and so the command's (bash -i does it as a kill(), which is no
  // terminal's by its sender: review S44 H1, the command got SIGTERM at once).
  const StopSignal stop = StopSignals::latest();
  const bool hang_up = !end.write_failed && stop.signo == SIGHUP;
  plan.hang_up = hang_up;
  plan.wait_first = !end.duration_ended && (stop.from_tty || hang_up) && ::getpgid(child_) == ::getpgrp();
  plan.wait_first_after = stop.signo == SIGHUP ? "the hang-up" : stop.signo == SIGQUIT ? "SIGQUIT" : "the interrupt";
  if (plan.wait_first && stop.signo == SIGHUP && ::getsid(0) == ::getpid()) {
    // A hang-up of record's own terminal while record leads the session: the kernel sends SIGHUP to
    // the session leader alone (the foreground group gets it only once the leader has exited), so
    // record passes it on to the command and to the processes of its tree in record's process group,
    // as a shell passes it on to its jobs (review SG L4: record waited a whole --stop-grace for a
    // command that never got it, then sent SIGTERM).
    say_stop("the terminal hung up (record leads its session, so only record got SIGHUP): sending it to the command");
    ::kill(child_, SIGHUP);
    for (pid_t pid : traced_processes())
      if (pid != child_ && pid != ::getpid() && ::getpgid(pid) == ::getpgrp()) ::kill(pid, SIGHUP);
  }
  // The probes stay attached while the command ends: the ring is kept drained (what comes after
  // the stop is left out), else it fills and the loss is counted (review RX2 H1: 511,120 "dropped"
  // after a clean --duration 2 recording of a busy command).
  plan.idle = [this](int ms) {
    if (wait_for_events(ms) < 0) return;  // (EINTR: a signal; a failure shows at the final drain)
    try {
      drain();
    } catch (const std::exception&) {  // said by the drain after the command has ended
    }
  };
  plan.say = [this](const std::string& m) { say_stop(m); };
  const int status = end_command(plan);
  sum_.command_exit_status = shell_status(status);
  sum_.command_signal = status != -1 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  child_ = -1;
}

int64_t Recorder::command_end_ns() {
  const int64_t signalled = StopSignals::child_exit_ns();
  if (!command_leader_exit_seen_ || command_exit_task_ns_ <= command_start_ns_ ||
      (signalled > 0 && command_exit_task_ns_ > signalled))
    return signalled;
  // A lost TASK record may be a later thread's exit: the last exit recorded is then no end.
  for (const auto& [k, n] : read_stats())
    if (k == static_cast<uint32_t>(IT_STAT_LOST_BASE) + static_cast<uint32_t>(IT_EV_TASK) && n > 0) return signalled;
  return command_exit_task_ns_;
}

// The time recorded, from when its events could start (as --duration counts; review RP L2: from
// after the start-up, a --duration 2 recording said 1.93 s): up to the stop when there was one
// (the command may take seconds to end after it, and nothing after the stop is kept), else up to
// the command's end.
// The command's end is its exit (command_end_ns(), as command.wall_ns), not the moment the loop
// saw it (review SG L3: up to a poll's 100 ms later, a 0.73 ms command recorded as 0.104 s).
void Recorder::measure_window(const LoopEnd& end, int64_t events_from) {
  const int64_t child_exit = command_end_ns();
  const int64_t recorded_to = stop_ns_ > 0 && !end.command_ended ? static_cast<int64_t>(stop_ns_)
                              : end.command_ended && child_exit > events_from && child_exit <= monotonic_ns() ? child_exit
                                                                                                               : monotonic_ns();
  sum_.seconds = std::max<double>(0, static_cast<double>(recorded_to - events_from) / 1e9);
  recorded_from_ns_ = events_from, recorded_to_ns_ = std::max(recorded_to, events_from);
}

void Recorder::detach_and_write_end() {
  drain();
  // Detach everything before the summary so no late event changes the counts.
  s_.destroy_links();
  drain();
  flush_loss_windows();
  write_summary_meta();
  finish_cupti();
}

void Recorder::fill_summary() {
  sum_.cuda_mode = cuda_mode_name(mode_);
  for (auto& [tid, names] : thread_names_) sum_.thread_comm[tid] = std::string(names.name());
  // The file's own content is lost or cut short: said after the summary, record exits 1.
  try {
    out_.finish();
  } catch (const Error& e) {
    sum_.output_error = e.what();
  }
  sum_.write_failed = out_.failed();
  // After a failed write `events` counts what the file holds: the records discarded are off.
  for (auto& [type, n] : counts_) {
    const auto d = out_.discarded().find(type);
    const uint64_t kept = n - std::min<uint64_t>(n, d == out_.discarded().end() ? 0 : d->second);
    if (kept > 0) sum_.events[event_name(type)] += kept;  // a type with none kept is not listed (review S44 L2)
  }
  for (auto& [type, n] : out_.discarded())
    if (type != IT_EV_END) sum_.records_discarded += n;
  sum_.bytes = out_.bytes_written();
}

RecordSummary Recorder::run() {
  // SIGINT, SIGTERM, SIGHUP stop the recording; SIGCHLD ends it when the command ends. Put back as
  // they were when run() returns. Installed first: loading and attaching the probes takes a good
  // part of a second, and a Ctrl-C then is a stop like any other, not a death that leaves nothing
  // said (review RX2 L5).
  StopSignals signals;
  libbpf_set_print(libbpf_print);
  write_start_meta();
  load();
  s_.rb = ring_buffer__new(bpf_map__fd(s_.skel->maps.events), on_sample, this, nullptr);
  if (!s_.rb) throw Error("record: cannot create the ring buffer reader: " + std::string(std::strerror(errno)));
  attach_tracepoints();

  // The output is opened (truncated) only now: a start-up that failed (an error above) or was
  // stopped leaves an earlier recording at that path as it was (review RX2 L5: it was replaced by a
  // 16-byte header). Nothing has been traced yet, so nothing is lost.
  if (stop_requested()) return stopped_during_startup();
  // And after the targets: a --pid process gone by now, or a command that cannot be set up, is an
  // error that leaves the earlier file too (review RP M1). The command waits for its release byte;
  // the --pid processes' first events wait in the ring.
  start_or_attach_targets();
  if (!open_output()) return stopped_during_startup();
  release_command();
  const double t0 = now_s();
  // --duration ends the recording S seconds after its events can start (the command's release, or
  // the first --pid process marked traced: writing the threads of many processes after that can
  // take a while) exactly: events after that instant are left out (stop_ns_, set now, so the loop
  // below drops them too), however late the loop notices it (a poll's wait, a library rescan, a
  // loaded machine), and the poll waits no longer than the time left.
  const int64_t events_from = first_traced_ns_ > 0 ? first_traced_ns_ : command_start_ns_ > 0 ? command_start_ns_ : monotonic_ns();
  const int64_t deadline_ns =
      o_.duration_s > 0 ? events_from + static_cast<int64_t>(std::llround(o_.duration_s * 1e9)) : 0;
  stop_ns_ = static_cast<uint64_t>(deadline_ns);
  if (deadline_ns > 0) count_until(stop_ns_);
  // The window is written now and its end moved on as the recording goes (at most every 0.25 s), as
  // well as at the end: a recorder killed before its end (kill -9, the OOM killer) leaves a file whose
  // window runs from its true start to about its last drain, instead of none (review SG L6: sched
  // took the span of a killed recording's few events, 3.5 ms of a 2 s recording, for its wall).
  // A reader keeps the last value of a META key (docs/recording-format.md).
  out_.meta("recorded_from_ns", std::to_string(events_from));
  out_.meta("recorded_to_ns", std::to_string(events_from));
  const LoopEnd end = record_until_stop(t0, deadline_ns);
  // end.stop_signal_in_loop: whether record had been told to stop when the loop ended. A Ctrl-C that
  // arrives later, during the teardown below, must not turn a command's own earlier failure into a stop.
  mark_stop(end, deadline_ns);
  if (child_ > 0) end_stopped_command(end);
  measure_window(end, events_from);
  detach_and_write_end();
  warn_when_too_big_to_analyse();  // (the loop looks once a second: a recording that grew past it in its last second)
  fill_summary();
  // Read here, long after the reap (the handler of a signal sent before the command died has run
  // by now); the rule: record/command_stop.h.
  const bool stop_later = stop_requested(!end.stop_signal_in_loop && !end.duration_ended);
  if (command_was_stopped(end.stop_signal_in_loop, end.duration_ended, stop_later, sum_.command_exit_status))
    sum_.command_stopped = true;
  return sum_;
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
