// `infertrace record`: loads the BPF programs (bpf/record.bpf.c), follows the traced process tree,
// probes the CUDA libraries it uses, and streams the events into a .itrace file until the command
// exits, the duration ends or SIGINT/SIGTERM arrives. All probes are released on every exit path.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "ingest/recording/cupti_callbacks.h"

namespace infertrace {

struct RecordOptions {
  std::string output = "run.itrace";
  double duration_s = 0;  // 0: until the command exits (or Ctrl-C)
  bool launch = true, sched = true, wakeup = true, irq = true, syscall = true;
  bool syscall_counts_only = false;  // count syscalls in the kernel instead of recording each one
  bool launch_durations = false;     // return probes on runtime launch calls too (a third probe hit)
  std::vector<int> pids;             // attach to running processes ...
  std::vector<std::string> command;  // ... or start this one
  std::vector<std::string> libs;     // extra libraries to probe (--lib)
  double expected_rate = 200000;     // events/s, sizes the ring buffer
  bool progress = false;             // progress line on stderr (set when a terminal takes it: progress_line_wanted)
  std::string cuda = "auto";         // cupti | uprobe | auto (record/cuda_mode.h)
  double stop_grace_s = 5;           // after a stop, each step's wait for the command (record/command_end.h)
  // The kernel side's maps (record.bpf.c): how many processes the traced set holds at once
  // (--max-processes) and how many threads can be in a recorded call at once (--max-threads, the
  // per-thread maps of calls in progress). 0: the default, kDefaultMapEntries held to the machine's
  // pid_max and threads-max (default_map_entries()). Past either, what is not kept is counted.
  uint32_t max_processes = 0;
  uint32_t max_threads = 0;
  // -- CMD only (--cpus, --nice): the started command's CPU affinity and the amount added to its nice
  // value, set in the forked child right before its exec, so the command itself is what record
  // resolves and probes (review TI H1: `record -- taskset -c 1 CMD` probed taskset, not CMD). Empty/0:
  // left as record's own. Record's own threads keep theirs.
  std::vector<int> command_cpus;
  int command_nice = 0;
  // --summary-file given: the recorder's warnings during the run (a library probed late, ...) are
  // kept in RecordSummary::warnings for the summary file instead of going to the stderr the command
  // shares, where a reader of the command's output took their numbers (review TI L9).
  bool warnings_to_summary = false;
  // With warnings_to_summary, the start-up's informational messages ("infertrace record: ...") are
  // kept too, for the same file: the caller's own so far (the CLI's "PID is a thread of process
  // TGID"), which record() hands back in RecordSummary::notes after them with its own (review TI
  // leftover: they went to the stderr the command shares). On a failure they go to stderr.
  std::vector<std::string> startup_notes;
};

// 64 Ki: a preallocated hash map of it holds about 6 MB (traced, sys_pending) to 9.5 MB (api_pending)
// of kernel memory.
inline constexpr uint32_t kDefaultMapEntries = 65536;
// kDefaultMapEntries, or fewer when the machine's pid_max or threads-max allow fewer tasks at once
// (more entries than tasks could never be used).
uint32_t default_map_entries();

struct RecordSummary {
  double seconds = 0;
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> events;   // per event type
  std::map<std::string, uint64_t> dropped;  // per event type (a ring full), cupti_ring, cupti_activity (CUPTI's buffers)
  uint64_t after_stop = 0;  // events that happened after a stop by signal or --duration (left out)
  uint64_t folded_driver_calls = 0;         // driver calls folded into the runtime call that made them
  uint64_t nested_runtime_calls = 0;
  std::map<int64_t, uint64_t> launches_per_thread;  // tid -> launch calls
  std::map<int64_t, std::string> thread_comm;
  std::vector<std::string> libraries;  // probed, with how many symbols each
  int command_exit_status = -1;        // -- CMD: its exit code (128+signal when killed)
  bool command_stopped = false;        // record was told to stop (--duration, Ctrl-C, SIGTERM) before the
                                       // command ended by itself: its status is not passed on
  int64_t command_wall_ns = -1;        // -- CMD: from its release to its exit (SIGCHLD), when it ended by itself
  std::string cuda_mode;               // "cupti" or "uprobe" (what --cuda resolved to)
  uint64_t cupti_processes = 0;        // processes the injection library reported from
  uint64_t cupti_processes_with_monotonic_clock = 0;
  uint64_t cupti_processes_not_traced = 0;  // the library declined them (another CUPTI client first)
  // GPU records CUPTI delivered that the merge left out, as they could not be placed in time
  // (record/cupti_merge.h): not lost to a full buffer, so not among `dropped`.
  uint64_t cupti_gpu_without_timestamps = 0;
  uint64_t cupti_gpu_without_clock = 0;
  // The callbacks CUPTI refused per process, and whether a launch callback was enabled (the summary
  // names both: cupti_callback_notes()).
  std::vector<CuptiCallbackStatus> cupti_callbacks;
  LaunchCoverage cupti_launch_coverage;  // which processes' launch figures are unmeasured or partial
  // CUPTI ring slots from one a killed producer claimed and never published to the ring's head (META
  // cupti.ring_unpublished_slots): up to that many records unread, not among `dropped` (exact
  // counts); the summary says so when above 0 (record/summary_lines.h).
  uint64_t cupti_ring_unpublished_slots = 0;
  int command_signal = 0;  // -- CMD: the signal that killed it (0: it exited; command_exit_status is then its own code)
  uint64_t cut_at_stop = 0;          // calls in progress at the stop, their durations cut at it
  // A stop came during record's start-up (loading the probes, setting up the targets, before the
  // output was truncated): no command started, the output not touched (an earlier file there is left
  // as it was); stop_signal is that signal.
  bool stopped_before_recording = false;
  int stop_signal = 0;
  // The kernel side's maps full (record.bpf.c): new processes of the traced tree it could not add to
  // the traced set (not traced, nor what they started: META untraced.processes), the pids of those
  // whose UNTRACED record was read (META untraced.pids), and calls whose entry a per-thread map
  // could not keep, by map ("syscall", "api", "fold": META pending_full.<name>). The sizes used:
  uint64_t untraced_processes = 0;
  std::vector<int64_t> untraced_pids;
  std::map<std::string, uint64_t> pending_full;
  uint32_t max_processes = 0, max_threads = 0;
  // The recording is not whole at its path (record exits 1 with this message, after the summary):
  // a write failed (write_failed: the recording stopped there, as a stop does, and the file was cut
  // back to its last whole record; `events` then counts what the file holds), or the path no longer
  // names the file written (deleted, moved, replaced, or written by another process meanwhile).
  std::string output_error;
  bool write_failed = false;
  uint64_t records_discarded = 0;  // records received after the write failure, not in the file
  // -- CMD that ended by itself: the processes of its tree (the kernel's traced set) still running
  // when record saw it end, sorted: the recording ends with the command, so nothing they did after
  // that is recorded (review SG L5: a launcher that backgrounds the real job left a 0.1 s recording
  // and no word of the job). META command.left_running, command.left_running_pids.
  std::vector<int64_t> left_running;
  uint64_t cupti_api_after_stop = 0;  // CUDA calls CUPTI reported that started after the stop (left out)
  // Records in buffers CUPTI handed over after a process's exit flush, freed unread (META
  // cupti.activity_late): not among `dropped` (no buffer was full).
  uint64_t cupti_activity_late = 0;
  std::vector<std::string> warnings;  // RecordOptions::warnings_to_summary: the run's warnings, in order
  // RecordOptions::warnings_to_summary: the start-up's informational messages, in order, without
  // their "infertrace record: " (RecordOptions::startup_notes); printed before the warnings.
  std::vector<std::string> notes;
  // RecordOptions::warnings_to_summary: the stop's messages ("the recording stops here", "waiting
  // up to 5 s for the command to end ...", "... sending it SIGKILL"), in order, without their
  // "infertrace record: "; printed after the warnings (review DI L7: they went to the stderr the
  // command shares).
  std::vector<std::string> stop_notes;
};

// The kept start-up notes, warnings and stop notes of a summary, one line each as they would have
// gone to stderr, in that order (a warning made while the recorder tears down after the stop comes
// before the stop's messages, not after them).
void print_kept_messages(std::FILE* out, const std::vector<std::string>& notes, const std::vector<std::string>& warnings,
                         const std::vector<std::string>& stop_notes = {});

// Throws Error with what is missing and how to fix it (privileges, BTF, tracefs) or UsageError.
RecordSummary record(const RecordOptions& opts);

}  // namespace infertrace
