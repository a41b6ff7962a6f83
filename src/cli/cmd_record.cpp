// `infertrace record`: eBPF recording of a CUDA process tree (record/recorder.h) into a .itrace
// file (docs/recording-format.md, docs/record.md).
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/output_file.h"
#include "cli/registry.h"
#include "engine/runtime/thread_pool.h"
#include "record/progress_line.h"
#include "record/record_targets.h"
#include "record/recorder.h"
#include "record/stop_signals.h"
#include "record/summary_lines.h"
#include "util/display_width.h"
#include "util/comma_list.h"
#include "util/error.h"
#include "util/inherited_descriptor.h"
#include "util/text_clean.h"
#include "util/write_text_file.h"

namespace infertrace::cli {

namespace {

struct Options {
  RecordOptions rec;
  std::string events = "launch,sched,wakeup,irq,syscall";
  CLI::Option* stop_grace = nullptr;  // to tell a --stop-grace given from the default
  // --summary-file: the end-of-run summary goes there instead of stderr, which the command shares,
  // so a reader of the command's output (bench interference's --metric-regex) does not see record's
  // numbers as the command's (review BI M3).
  std::string summary_file;
  // --max-processes, --max-threads as given (0: the default, as docs/record.md says), checked in run().
  int64_t max_processes = 0, max_threads = 0;
  // --cpus as given ("": not given), parsed in run().
  std::optional<std::string> command_cpus;  // unset: not given (an empty list is an error: review DH L5)
};

void parse_events(const std::string& list, RecordOptions& r) {
  r.launch = r.sched = r.wakeup = r.irq = r.syscall = false;
  // Every item, an empty one too ("launch," or "launch,,sched" is a typo, refused as --scenarios
  // refuses it; getline dropped a trailing one), and each once (review CA L6, L11).
  // (An empty --events is refused before: cli/empty_values.h.)
  std::vector<std::string> seen;
  for (const std::string& e : split_commas(list)) {
    if (e.empty()) throw UsageError("record: --events " + list + ": an empty item (a comma too many); expected e.g. launch,sched");
    if (std::find(seen.begin(), seen.end(), e) != seen.end())
      throw UsageError("record: --events: '" + e + "' is listed twice");
    seen.push_back(e);
    if (e == "launch") r.launch = true;
    else if (e == "sched") r.sched = true;
    else if (e == "wakeup") r.wakeup = true;
    else if (e == "irq") r.irq = true;
    else if (e == "syscall") r.syscall = true;
    else if (e == "syscall-counts") r.syscall_counts_only = true;
    else if (!e.empty())
      throw UsageError("record: unknown event type '" + e +
                       "' in --events (known: launch, sched, wakeup, irq, syscall, syscall-counts)");
  }
  // Counting in the kernel is the mode for "only counts": asked together with the per-call rows
  // it would silently drop them.
  if (r.syscall_counts_only && r.syscall)
    throw UsageError("record: --events syscall and syscall-counts exclude each other (rows of every call, or counts "
                     "made in the kernel)");
  if (r.syscall_counts_only) r.syscall = true;
}

// --pid takes processes; a thread id (a task of /proc/PID/task that is not the group leader) names
// its process, which is what gets traced (the kernel's traced set holds thread-group ids). Said at
// once, or kept for --summary-file with the recorder's start-up notes (RecordOptions::startup_notes).
void resolve_pids(RecordOptions& r) {
  std::vector<int>& pids = r.pids;
  for (int& pid : pids) {
    if (pid <= 0) throw UsageError("record: --pid must be a positive process id, not " + std::to_string(pid));
    std::ifstream st("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(st, line)) {
      if (line.rfind("Tgid:", 0) != 0) continue;
      const int tgid = std::atoi(line.c_str() + 5);
      if (tgid > 0 && tgid != pid) {
        const std::string note = std::to_string(pid) + " is a thread of process " + std::to_string(tgid) + ": recording the process";
        if (r.warnings_to_summary) r.startup_notes.push_back(note);
        else std::fprintf(stderr, "infertrace record: %s\n", note.c_str());
        pid = tgid;
      }
      break;
    }
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
}

// On stderr (or --summary-file), as time, strace and perf record report: stdout is the command's, byte for byte (a
// summary appended there corrupted `record -- gen > out.json`, review RX M6).
void print_summary(std::FILE* out, const RecordOptions& r, const RecordSummary& s) {
  const double mb = static_cast<double>(s.bytes) / 1e6;
  struct stat st{};
  const bool regular = ::stat(r.output.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (s.write_failed && !regular)  // a FIFO or device: what its reader got cannot be cut back or counted here
    std::fprintf(out, "recorded %.2f s into %s, cut short by a failed write: what reached its reader ends without "
                 "the recording's end, and a FIFO or device cannot be cut back to whole records or counted, so the "
                 "events below leave out what was written into it\n",
                 s.seconds, r.output.c_str());
  else if (s.write_failed)  // the error itself is the last line (run())
    std::fprintf(out, "recorded %.2f s into %s (%.1f MB), cut short by a failed write: the file holds the events "
                 "below, without the recording's end (every verb reads it as an incomplete recording)\n",
                 s.seconds, r.output.c_str(), mb);
  else if (!s.output_error.empty())
    std::fprintf(out, "recorded %.2f s, %.1f MB written, but %s no longer holds that recording (the error below)\n",
                 s.seconds, mb, r.output.c_str());
  else
    std::fprintf(out, "recorded %.2f s into %s (%.1f MB)\n", s.seconds, r.output.c_str(), mb);
  std::fprintf(out, "events:");
  for (auto& [type, n] : s.events) std::fprintf(out, " %s %llu", type.c_str(), static_cast<unsigned long long>(n));
  std::fprintf(out, "\n");
  uint64_t dropped = 0;
  for (auto& [type, n] : s.dropped) dropped += n;
  // cupti_activity is CUPTI's own buffers, not a ring of ours: the label says both.
  std::fprintf(out, "dropped (buffers full: the recorder's rings, or CUPTI's own for cupti_activity): %llu",
              static_cast<unsigned long long>(dropped));
  for (auto& [type, n] : s.dropped)
    if (n) std::fprintf(out, " %s %llu", type.c_str(), static_cast<unsigned long long>(n));
  std::fprintf(out, "\n");
  // The CUPTI ring's unpublished slots bound the records lost, never count them: apart, "up to".
  if (const std::string line = unpublished_slots_line(s.cupti_ring_unpublished_slots); !line.empty())
    std::fprintf(out, "%s\n", line.c_str());
  // Not among "dropped" either: not a full ring (--expected-rate), a full map of the kernel side.
  for (const std::string& line : map_full_lines(s.untraced_processes, s.untraced_pids, s.max_processes, s.pending_full,
                                                s.max_threads))
    std::fprintf(out, "%s\n", line.c_str());
  // The kernel counts a fold whether or not the ring kept the runtime call's own record, so with API
  // drops this is not a count of recorded launches (audit CT F6).
  const auto api_drops = s.dropped.find("api");
  const bool api_lost = api_drops != s.dropped.end() && api_drops->second > 0;
  std::fprintf(out, "driver calls folded into their runtime call (one logical launch each): %llu%s\n",
              static_cast<unsigned long long>(s.folded_driver_calls),
              api_lost ? " (API events were dropped: this counts folds whose runtime call's record may be lost)" : "");
  if (s.cuda_mode == "cupti") {
    std::fprintf(out, "CUDA side: cupti injection, %llu process(es) reported, %llu with GPU times on CLOCK_MONOTONIC\n",
                static_cast<unsigned long long>(s.cupti_processes),
                static_cast<unsigned long long>(s.cupti_processes_with_monotonic_clock));
    if (s.cupti_processes_not_traced)
      std::fprintf(out, "  %llu process(es) not traced: another CUPTI client (a profiler, Nsight, a sanitizer) held CUPTI "
                  "or CUPTI refused the setup (META cupti.not_traced.<pid>; docs/record.md)\n",
                  static_cast<unsigned long long>(s.cupti_processes_not_traced));
    // Always printed, as the drops are: GPU records left out show up nowhere else in the summary,
    // only as launch calls without GPU activity in the analysis.
    std::fprintf(out, "  GPU records left out: %llu without timestamps (CUPTI left a start or end at 0), %llu without a "
                "clock sample (a raw GPU clock its process sent no sample to map)\n",
                static_cast<unsigned long long>(s.cupti_gpu_without_timestamps),
                static_cast<unsigned long long>(s.cupti_gpu_without_clock));
    if (s.cupti_activity_late > 0)
      std::fprintf(out, "  records in CUPTI buffers handed over after a process's exit flush, not read: %llu (no buffer "
                  "was full: a thread still launching while its process exited; META cupti.activity_late)\n",
                  static_cast<unsigned long long>(s.cupti_activity_late));
    // Refused callbacks cost their calls only; a process without any launch callback has no launch
    // count at all (META cupti.callbacks.<pid>.*; docs/record.md).
    for (const std::string& line : cupti_coverage_lines(s.cupti_callbacks, s.cupti_launch_coverage))
      std::fprintf(out, "  %s\n", line.c_str());
    if (s.cupti_processes == 0 && s.cupti_processes_not_traced == 0)
      std::fprintf(out, "  no process loaded the injection library: the command made no CUDA call, or CUDA ignored "
                  "CUDA_INJECTION64_PATH (see its stderr)\n");
  } else if (s.libraries.empty() && r.launch) {
    std::fprintf(out, "CUDA libraries probed: none found (name one with --lib PATH)\n");
  }
  for (auto& l : s.libraries) std::fprintf(out, "probed: %s\n", l.c_str());
  if (!s.launches_per_thread.empty()) {
    // Launch-class calls (async copies and sets too); where launches were not measured, or records
    // that may have been launches were lost, only what was recorded (review RC L2).
    // Timed CUDA calls whose entry a full map could not keep were not recorded either (may be launches).
    std::map<std::string, uint64_t> lost = s.dropped;
    if (const auto api = s.pending_full.find("api"); api != s.pending_full.end() && api->second > 0)
      lost["pending_full_api"] = api->second;
    std::fprintf(out, "%s\n",
                 launches_per_thread_heading(lost, s.cupti_ring_unpublished_slots, s.cupti_launch_coverage.measured())
                     .c_str());
    for (auto& [tid, n] : s.launches_per_thread) {
      // The kernel cuts a comm at 15 bytes, inside a UTF-8 character as often as not, and a thread
      // names itself anything: cleaned (U+FFFD for a broken byte) and padded by terminal columns,
      // not bytes, as the tables are.
      auto c = s.thread_comm.find(tid);
      const std::string name = display_pad_right(clean_text(c == s.thread_comm.end() ? "" : c->second), 16);
      std::fprintf(out, "  tid %lld %s %llu\n", static_cast<long long>(tid), name.c_str(), static_cast<unsigned long long>(n));
    }
  }
  uint64_t launches = 0;
  for (auto& [tid, n] : s.launches_per_thread) launches += n;
  // (A command that left its tree running, a launcher that backgrounds the real job: the line below
  // says why, not the libraries.) The advice is the mode's: uprobe mode names the libraries probed;
  // in CUPTI mode there are none (review DJ L3), and a run where no process loaded the injection
  // library, or one without launch callbacks, has said why above.
  if (r.launch && launches == 0 && s.cupti_launch_coverage.measured() && s.left_running.empty()) {
    if (s.cuda_mode != "cupti")
      std::fprintf(out, "no CUDA launch was recorded: if the program does launch kernels, it may load another copy of the CUDA "
                  "libraries than those probed (compare the probed: lines with /proc/PID/maps; --lib names one) or link "
                  "cudart statically (--lib the executable)\n");
    else if (s.cupti_processes > 0 && s.cupti_api_after_stop > 0)
      std::fprintf(out, "no CUDA launch was recorded before the stop: the %llu process(es) CUPTI traced made their CUDA "
                   "calls (%llu) after it, left out\n",
                   static_cast<unsigned long long>(s.cupti_processes),
                   static_cast<unsigned long long>(s.cupti_api_after_stop));
    else if (s.cupti_processes > 0)
      std::fprintf(out, "no CUDA launch was recorded: the %llu process(es) CUPTI traced reported no launch call\n",
                   static_cast<unsigned long long>(s.cupti_processes));
  }
  if (s.after_stop)
    // (Since the CUPTI records after the stop are counted here too, "probes detach slowly" alone was
    // the wrong reason for them: review DG L6.)
    std::fprintf(out, "left out: %llu events from after the stop (reported until the probes detach%s; %s)\n",
                static_cast<unsigned long long>(s.after_stop),
                s.cuda_mode == "cupti" ? " and the traced processes exit" : "", r.pids.empty() ? "the command was still ending" : "a --pid process runs on");
  if (s.cut_at_stop)
    std::fprintf(out, "cut at the stop: %llu calls still in progress then (their durations end at the stop)\n",
                 static_cast<unsigned long long>(s.cut_at_stop));
  if (s.records_discarded)
    std::fprintf(out, "not in the file: %llu records received after the write failed\n",
                 static_cast<unsigned long long>(s.records_discarded));
  if (s.command_exit_status >= 0)
    std::fprintf(out, "command exit status: %d%s\n", s.command_exit_status,
                s.command_signal > 0 ? (", killed by " + signal_named(s.command_signal)).c_str() : "");
  if (s.command_wall_ns >= 0) std::fprintf(out, "command ran: %.3f s\n", static_cast<double>(s.command_wall_ns) / 1e9);
  if (!s.left_running.empty()) {
    // Review SG L5: the recording ends with the command; what it left running is not recorded.
    std::string pids;
    for (size_t i = 0; i < s.left_running.size() && i < 16; ++i) pids += (i ? ", " : "") + std::to_string(s.left_running[i]);
    if (s.left_running.size() > 16) pids += ", ...";
    const size_t n = s.left_running.size();
    std::fprintf(out, "%zu process%s of the command's tree still running (pid%s %s): not recorded after the command's "
                 "exit; record --pid %lld to follow %s\n", n, n == 1 ? "" : "es", n == 1 ? "" : "s", pids.c_str(),
                 static_cast<long long>(s.left_running.front()), n == 1 ? "it" : "one");
  }
}

// --summary-file is written when the command has ended: what would make that write fail or hit
// the wrong file is said before the recording starts (review CA M1, L2: a hard link to the recording
// passed the by-name check and the summary replaced the recording; a missing folder, a directory,
// was found out only after the whole run).
void check_summary_file(const Options& o) {
  const std::string f = dash_as_stdout(o.summary_file);
  // A recording not made yet has no inode to compare: its name is.
  std::error_code e1, e2;
  if (std::filesystem::weakly_canonical(f, e1) == std::filesystem::weakly_canonical(o.rec.output, e2) && !e1 && !e2)
    throw UsageError("record: --summary-file " + o.summary_file + " is the recording (-o): name another file");
  const std::string label = "record: --summary-file " + o.summary_file;
  // Another name for a file record reads or writes (a hard link, a symlink): a usage error, as the
  // same name is and as -o naming the command's executable or a --lib file is.
  try {
    refuse_input_as_output(f, {o.rec.output}, "the recording (-o)", label);
    if (!o.rec.command.empty()) refuse_input_as_output(f, {command_executable(o.rec.command[0])}, "the command's executable", label);
    refuse_input_as_output(f, o.rec.libs, "a --lib file", label);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    if (std::string(e.what()).rfind(label, 0) != 0) throw;  // command_executable's own error
    throw UsageError(e.what());
  }
  // Our stdout is written into at the end, nothing to check in its folder; resolving it now would
  // take it aside for the run (util/inherited_descriptor.h), and the command inherits it (review DI
  // M1: the command's output went to stderr).
  if (names_our_stdout(f)) return;
  // A directory, a missing or read-only folder: found now, not after the run.
  try {
    check_output_file(f, {}, "");
  } catch (const Error& e) {
    std::string why = e.what();
    if (why.rfind(f + ": ", 0) == 0) why.erase(0, f.size() + 2);  // the name once
    throw Error(label + ": " + why, e.exit_code());
  }
}

// The summary (with the kept start-up messages and warnings) into --summary-file, whole or not at
// all (written beside it and renamed into place, as every output); when that fails, said on stderr
// with the summary after it, and record exits 1 unless the command's own status is already its.
void write_summary_file(const std::string& typed, const std::string& text) {
  try {
    // Bounded: after a recording, a summary no process reads goes to stderr rather than hang the end.
    write_text_file(dash_as_stdout(typed), text, nullptr, FifoWait::Bounded);
  } catch (const std::exception& e) {
    std::string why = e.what();
    const std::string shown = dash_as_stdout(typed);
    if (shown != typed)  // the name the user gave, not /dev/stdout
      for (size_t at = why.find(shown); at != std::string::npos; at = why.find(shown, at + typed.size()))
        why.replace(at, shown.size(), typed);
    std::fprintf(stderr, "infertrace record: --summary-file %s not written (%s): the summary follows here\n",
                 typed.c_str(), why.c_str());
    std::fwrite(text.data(), 1, text.size(), stderr);
    if (exit_code() == 0) set_exit_code(1);
  }
}

void run(Options& o) {
  // First: record's reader may go at any moment (`record ... 2>&1 | head`, an -o FIFO whose reader
  // exits). A write then fails with EPIPE, said as any failed write, instead of a SIGPIPE death that
  // left the command running untraced, the file without its end and nothing said (review SG L1; before,
  // SIGPIPE was ignored only for the summary, review RX2 L6). The command gets the caller's SIGPIPE
  // disposition back before its exec (StopSignals::restore_in_child).
  StopSignals::ignore_sigpipe();
  parse_events(o.events, o.rec);
  if (o.rec.duration_s < 0) throw UsageError("record: --duration must not be negative (0, the default, records until the command ends)");
  // The recorder converts the rate to buffer slots (a double cast to an integer): a negative,
  // non-finite or absurd value was accepted and made that cast undefined.
  if (!(o.rec.stop_grace_s >= 0 && o.rec.stop_grace_s <= 3600))
    throw UsageError("record: --stop-grace must be a number of seconds from 0 to 3600");
  // record never ends --pid processes (they are not its to end): a grace for them would be ignored.
  if (!o.rec.pids.empty() && o.stop_grace && o.stop_grace->count() > 0)
    throw UsageError("record: --stop-grace applies to a command record starts (-- CMD); --pid processes are never ended by record");
  if (!(o.rec.expected_rate > 0 && o.rec.expected_rate <= 1e9))
    throw UsageError("record: --expected-rate must be a number of events per second above 0 and at most 1e9");
  // 4194304: the kernel's PID_MAX_LIMIT, more tasks than can ever exist at once.
  for (auto [given, name, field] : {std::tuple{o.max_processes, "--max-processes", &o.rec.max_processes},
                                    {o.max_threads, "--max-threads", &o.rec.max_threads}}) {
    if (given == 0) continue;  // not given (or 0, which --help and docs/record.md name): the default
    if (given < 1 || given > 4194304)
      throw UsageError(std::string("record: ") + name + " must be a whole number from 1 to 4194304 (the kernel's "
                       "PID_MAX_LIMIT; 0: the default), not " + std::to_string(given));
    *field = static_cast<uint32_t>(given);
  }
  // --cpus, --nice: set in the child record starts (-- CMD), right before its exec.
  if ((o.command_cpus || o.rec.command_nice != 0) && o.rec.command.empty())
    throw UsageError("record: --cpus and --nice apply to a command record starts (-- CMD), not to --pid processes");
  if (o.command_cpus) {
    if (o.command_cpus->empty()) throw UsageError("record: --cpus needs a CPU list, e.g. 0-3,8 (it was empty)");
    o.rec.command_cpus = engine::parse_pinning_cpus(*o.command_cpus, "record --cpus");
  }
  if (o.rec.command_nice < -39 || o.rec.command_nice > 39)
    throw UsageError("record: --nice must be a whole number from -39 to 39 (added to the nice value, which stays within "
                     "-20..19), not " + std::to_string(o.rec.command_nice));
  if (!o.summary_file.empty()) check_summary_file(o);
  o.rec.warnings_to_summary = !o.summary_file.empty();
  try {
    resolve_pids(o.rec);
  } catch (...) {
    print_kept_messages(stderr, o.rec.startup_notes, {});  // no summary follows: with the error
    throw;
  }
  o.rec.progress = progress_line_wanted_on_stderr();
  const RecordSummary s = record(o.rec);
  if (s.stopped_before_recording) {
    // No summary follows: notes and warnings kept for --summary-file go to stderr (review DH M1).
    print_kept_messages(stderr, s.notes, s.warnings, s.stop_notes);
    // Nothing was recorded and no file written: a status of its own (128 + the signal, as a shell
    // reports a job it interrupted), so a script does not go on to analyze an older file.
    std::fprintf(stderr, "infertrace record: stopped by %s during its start-up (loading the probes, opening the output): nothing recorded, %s left untouched%s\n",
                 signal_named(s.stop_signal).c_str(), o.rec.output.c_str(),
                 o.rec.command.empty() ? "" : ", the command not started");
    set_exit_code(128 + s.stop_signal);
    return;
  }
  // (SIGPIPE is ignored since run()'s start: the summary's reader may be gone, review RX2 L6.)
  // --summary-file: the text is gathered in memory and written whole once the command has ended.
  char* kept = nullptr;
  size_t kept_size = 0;
  std::FILE* file = o.summary_file.empty() ? nullptr : open_memstream(&kept, &kept_size);
  if (!o.summary_file.empty() && !file) {
    // The recording is made: its summary is not lost for want of a buffer.
    std::fprintf(stderr, "infertrace record: --summary-file %s not written (%s): the summary follows here\n",
                 o.summary_file.c_str(), std::strerror(errno));
    if (exit_code() == 0) set_exit_code(1);
  }
  std::FILE* out = file ? file : stderr;
  // The start-up's notes and the run's warnings, kept for the summary file (review TI L9): before the
  // summary, as they came.
  print_kept_messages(out, s.notes, s.warnings, s.stop_notes);
  print_summary(out, o.rec, s);
  // As `time` and `strace` do: a command that failed on its own (exit status N, or killed by signal
  // S: 128+S) makes record exit with that status, so `record -- CMD` fails in a script where CMD
  // alone would. Once record is told to stop (--duration, Ctrl-C, SIGTERM), whatever the command
  // then did (it may die of the same Ctrl-C first) is what was asked: 0.
  // The recording is not whole at its path (a failed write, the file deleted or replaced meanwhile):
  // an error of record, 1, whatever the command's status (the summary's "command exit status" says it).
  if (!s.output_error.empty()) {
    if (file) std::fprintf(file, "error: %s\n", s.output_error.c_str());
    std::fprintf(stderr, "infertrace: error: %s\n", s.output_error.c_str());
    set_exit_code(1);
  } else if (s.command_exit_status > 0 && !s.command_stopped) {
    std::fprintf(out, "infertrace record: the command %s: record exits with %d (the recording is complete)\n",
                 s.command_signal > 0 ? ("was killed by " + signal_named(s.command_signal)).c_str()
                                      : ("exited with status " + std::to_string(s.command_exit_status)).c_str(),
                 s.command_exit_status);
    set_exit_code(s.command_exit_status);
  }
  if (file) {
    std::fclose(file);
    const std::string text(kept, kept_size);
    std::free(kept);
    write_summary_file(o.summary_file, text);
  }
}

const CommandRegistrar reg(300, "record", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "record", "Record CUDA launches, context switches, wake-ups, IRQs and syscalls of a process tree with eBPF");
  cmd->add_option("-o,--output", opt->rec.output, "Recording to write (.itrace); overwrites only a new or empty file, an earlier recording (not one another "
                  "recorder is writing), or a "
                  "character device/FIFO (written into): anything else, a block device, /dev/stdout or another open "
                  "descriptor (the command shares them), the command's executable or a --lib file is refused")->capture_default_str();
  cmd->add_option("--duration", opt->rec.duration_s,
                  "Stop after this many seconds (default, or 0: when the command or every --pid process exits)");
  cmd->add_option("--events", opt->events,
                  "Comma-separated: launch,sched,wakeup,irq,syscall (syscall-counts: count syscalls in the kernel only)")
      ->capture_default_str();
  cmd->add_option("--cuda", opt->rec.cuda,
                  "CUDA side: cupti (injection library: API calls + GPU execution; -- CMD only), uprobe (eBPF "
                  "uprobes, host side only; works with --pid), auto (cupti when built with CUPTI and a GPU is "
                  "present and a command is started, else uprobe)")
      ->check(CLI::IsMember({"cupti", "uprobe", "auto"}).description(""))  // (the text names them)
      ->capture_default_str();
  // One value per occurrence (repeat the option for more): a vector option otherwise takes words up
  // to the `--` and swallows it, so `--lib X -- sh -c CMD` read -c as an option of record.
  cmd->add_option("--pid", opt->rec.pids, "Attach to this running process and its threads")
      ->allow_extra_args(false);
  cmd->add_option("--lib", opt->rec.libs, "Also probe this CUDA driver/runtime library or executable")
      ->allow_extra_args(false);
  cmd->add_flag("--launch-durations", opt->rec.launch_durations,
                "Also time runtime launch calls (a return probe: a third probe hit per launch instead of two)");
  cmd->add_option("--expected-rate", opt->rec.expected_rate, "Expected events per second (sizes the ring buffer; above 0, at most 1e9)")
      ->capture_default_str();
  opt->stop_grace = cmd->add_option("--stop-grace", opt->rec.stop_grace_s,
                  "After a stop, seconds the command gets at each step to end: after a terminal's Ctrl-C (which "
                  "it got too) to end by itself, then after SIGTERM, before SIGKILL; a second Ctrl-C skips ahead (0 to 3600)")
      ->capture_default_str();
  // The kernel side's maps are preallocated: a larger one costs kernel memory for the whole recording.
  cmd->add_option("--max-processes", opt->max_processes,
                  "Processes the recorder can trace at once (1 to 4194304; 0: the default), an exited one until the kernel frees it a few ms after it "
                  "is reaped (default " + std::to_string(kDefaultMapEntries) +
                  ", or the machine's pid_max/threads-max when lower; about 90 bytes of kernel memory each): a new "
                  "process of the traced tree beyond it is not traced, which the summary and the recording say");
  cmd->add_option("--max-threads", opt->max_threads,
                  "Threads that can be inside a recorded syscall or CUDA call at once (1 to 4194304; 0: the default; default as --max-processes; "
                  "about 330 bytes of kernel memory each): a call beyond it is not recorded, which the summary and the "
                  "recording say");
  cmd->add_option("--cpus", opt->command_cpus,
                  "Run the command (-- CMD) on these CPUs (\"0-3,6\"), as `taskset -c LIST`, set right before its "
                  "exec: record still resolves and probes CMD itself (`record -- taskset -c 1 CMD` would probe taskset "
                  "and miss CMD's own CUDA code); record's own threads are not pinned");
  cmd->add_option("--nice", opt->rec.command_nice,
                  "Add N (-39..39) to the command's nice value (-- CMD), as `nice -n N`, set right before its exec; "
                  "lowering it needs root (CAP_SYS_NICE); record's own threads keep theirs");
  cmd->add_option("--summary-file", opt->summary_file,
                  "Write the summary printed after the run, and the start-up messages and warnings of the run before it, "
                  "to this file instead of stderr (which the command shares; errors stay on stderr, and on a failure the "
                  "messages and warnings go there with the error); - is standard output; checked before the run: not "
                  "the recording, the command or a --lib file, in a writable folder");
  // prefix_command() makes CLI11 hand every word after `--` to the positional, options included.
  cmd->add_option("command", opt->rec.command, "-- COMMAND [ARGS...]: start and trace this command");
  cmd->prefix_command();
  cmd->footer("Needs root (or CAP_BPF+CAP_PERFMON) and kernel BTF. Through sudo, the command runs as the invoking user.\n"
              "Exit status: the command's own when it fails by itself (N, or 128+signal when killed), as `time` and "
              "strace pass it on; 0 when it succeeds or once record is told to stop (--duration, Ctrl-C, SIGTERM; even "
              "when the command died of the same Ctrl-C first); 128+signal when stopped while the probes load (nothing "
              "recorded, the output left as it was); 1 for an error of record (a failed write of the recording, or the output "
              "deleted or replaced during it, after the summary), 2 for a usage error.\n"
              "A stop (Ctrl-C, SIGTERM, SIGHUP, --duration) ends the command's whole process tree: after a terminal's "
              "Ctrl-C it may first end by itself, then SIGTERM, then SIGKILL, --stop-grace seconds apart; a second "
              "Ctrl-C skips ahead. The summary goes to stderr (or --summary-file); stdout is the command's.\n"
              "Example: sudo infertrace record -o run.itrace -- python3 infer.py");
  cmd->callback([opt, cmd]() {
    refuse_dash(opt->rec.output, "-o", "a recording (written as the events arrive)");  // made a file called - (review CX L9)
    // The positional takes every word after `--`; what CLI11 leaves over is the `--` itself and
    // options it did not recognise before it.
    bool dashes = false;
    for (auto& a : cmd->remaining()) {
      if (a == "--") {
        dashes = true;
        continue;
      }
      throw UsageError("record: unknown option '" + a + "' (put the command after `--`: record [OPTIONS] -- CMD ARGS...)");
    }
    // Without `--`, CLI11 takes the first word for the command and goes on reading the words after it
    // as record's options (`record ./prog -o x` read -o twice): the synopsis asks for `--` (review RX L4).
    if (!opt->rec.command.empty() && !dashes)
      throw UsageError("record: put the command after `--` (record [OPTIONS] -- " + opt->rec.command[0] +
                       " ARGS...): the words after it would otherwise be read as record's options");
    run(*opt);
  });
});

}  // namespace

}  // namespace infertrace::cli
