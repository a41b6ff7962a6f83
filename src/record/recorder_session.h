// The recorder's own parts (record/recorder*.cpp, eBPF builds only): the Session of BPF objects it
// holds and the Recorder that runs one recording. Internal: record() (recorder.h) is the interface.
//   recorder_bpf.cpp        BPF programs: open, size, load; tracepoint and system-vector attach
//   recorder_cuda_libs.cpp  CUDA library uprobes (per file, uprobe_multi or per function) and rescans
//   recorder_cupti.cpp      the CUPTI ring (create, final drain and its summary)
//   recorder_targets.cpp    the targets: start the command (-- CMD) or attach --pid processes; the traced set
//   recorder_events.cpp     the ring's samples, drains, kernel counters and loss windows
//   recorder_summary.cpp    the summary META written at the end
//   recorder_size_warning.cpp  the one warning that the file is past what this machine can analyse
//   recorder_run.cpp        run(): start-up, the recording loop, the stop and the teardown
#pragma once

#if INFERTRACE_HAVE_BPF

#include <bpf/libbpf.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ingest/recording/itrace_format.h"
#include "record/cuda_mode.h"
#include "record/cupti_merge.h"
#include "record/cupti_ring.h"
#include "record/itrace_writer.h"
#include "record/progress_line.h"
#include "record/record.skel.h"
#include "record/recorder.h"
#include "trace/thread_name.h"

namespace infertrace::recorder_impl {

struct CommandExec;  // recorder_targets.cpp: what the forked child runs, made before the fork

inline int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// libbpf's own messages are kept (not printed) so a load failure can show the verifier's reason.
extern std::string g_libbpf_log;
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args);

// The META events.<name> / dropped.<name> key of a record type: the lossable types by their one
// list (record_events.h), which the reader keys LOSS records by too.
inline const char* event_name(uint32_t type) {
  if (const char* n = itrace::lossable_event_name(type)) return n;
  return type == IT_EV_LOSS ? "loss" : type == IT_EV_UNTRACED ? "untraced" : "other";
}

// The sizes of the traced set and of the per-thread maps (--max-processes, --max-threads).
inline uint32_t max_processes(const RecordOptions& o) { return o.max_processes ? o.max_processes : default_map_entries(); }
inline uint32_t max_threads(const RecordOptions& o) { return o.max_threads ? o.max_threads : default_map_entries(); }

// Everything the BPF side holds, released in the destructor on every path (links first).
struct Session {
  record_bpf* skel = nullptr;
  std::vector<bpf_link*> links;
  // uprobe_multi links (uprobe_multi_link.h): plain fds, libbpf 1.1 cannot wrap them.
  std::vector<int> link_fds;
  // Detaches every link, from several threads. A uprobe's detach waits for an RCU grace period
  // (~90 ms each on Linux 6.18) and the kernel still runs those waits one after the other, so the
  // total is the same; but detached together every probe stops firing at once instead of one by
  // one over seconds: a --pid recording stopped under load got 15 events after the stop instead
  // of 5,449 (each one a trap into a process that keeps running).
  void destroy_links() {
    const size_t n = links.size() + link_fds.size(), workers = std::min<size_t>(n, 32);
    std::vector<std::thread> pool;
    for (size_t w = 0; w < workers; ++w)
      pool.emplace_back([this, w, n, workers] {
        for (size_t i = w; i < n; i += workers)
          if (i < links.size())
            bpf_link__destroy(links[i]);
          else
            ::close(link_fds[i - links.size()]);
      });
    for (auto& t : pool) t.join();
    links.clear();
    link_fds.clear();
  }
  ring_buffer* rb = nullptr;
  // The CUPTI ring's file, for the command's environment. Not removed here: the Recorder's
  // cupti::Ring removes it on every exit path, before it drops the ring's lock (cupti_ring.h), which
  // ~Session, running after the Ring is destroyed (it is declared after s_), could not.
  std::string cupti_ring_path;
  ~Session() {
    if (rb) ring_buffer__free(rb);
    destroy_links();
    if (skel) record_bpf__destroy(skel);
  }
};

class Recorder {
 public:
  Recorder(const RecordOptions& o, CudaMode mode) : o_(o), out_(o.output, ItraceWriter::OpenLater{}), mode_(mode), progress_(stderr, o.progress) {}

  RecordSummary run();
  // The start-up notes said so far (RecordOptions::startup_notes and record()'s own), kept for
  // --summary-file: the summary's notes.
  void keep_notes(std::vector<std::string> notes) { sum_.notes = std::move(notes); }
  // The notes and warnings kept for --summary-file (RecordOptions::warnings_to_summary), on stderr.
  void print_kept_messages() const { infertrace::print_kept_messages(stderr, sum_.notes, sum_.warnings, sum_.stop_notes); }

 private:
  void load();
  void attach_tracepoints();
  void attach_system_vectors(const std::map<std::string, std::vector<bpf_program*>>& progs);
  // The targets (recorder_targets.cpp): the CUDA libraries named or standard, then the command
  // started (held before its exec until release_command()) or the --pid processes marked traced.
  void start_or_attach_targets();
  void start_command();
  [[noreturn]] void exec_command_in_child(const CommandExec& c, int release_read_fd);
  void attach_pids();
  void write_existing_threads(int pid, uint64_t traced_from);
  void trace_tgid(uint32_t tgid, uint8_t state);
  // mapped_late_by: the traced process found to have mapped `path` after the recording started
  // (the periodic scan), 0 otherwise: its launches through it until now were not recorded.
  void attach_library(const std::string& path, bool explicit_lib, pid_t mapped_late_by = 0);
  bool attach_library_multi(const std::string& path, const std::vector<uint64_t>& entry_offsets,
                            const std::vector<uint64_t>& entry_cookies, const std::vector<uint64_t>& return_offsets,
                            const std::vector<uint64_t>& return_cookies);
  void rescan_libraries();
  static int on_sample(void* ctx, void* data, size_t size);
  void drain();
  // Waits up to `ms` for events in the ring, or for a stop signal or the command's SIGCHLD (also one
  // that came before the wait began: StopSignals::wake_fd); the caller drains. < 0: -errno (-EINTR
  // for a signal during the wait).
  int wait_for_events(int ms);
  std::map<uint32_t, uint64_t> read_stats();
  std::vector<it_syscall_count> read_syscall_counts();
  // The kernel side stops its counted totals at this CLOCK_MONOTONIC instant (record.bpf.c
  // count_until_ns; its global data is mapped into this process).
  void count_until(uint64_t ns) {
    if (s_.skel && s_.skel->data) s_.skel->data->count_until_ns = ns;
  }
  void progress_line(double elapsed);
  // Once, when the file has passed the size whose analysis needs more memory than there is
  // (ingest/recording/analysis_memory.h; review RL57 M1): said on stderr while it still can be
  // stopped. Looked at once a second by the loop.
  void warn_when_too_big_to_analyse();
  // When the started command ended: the kernel's stamp of its threads' last exit (sched_process_exit)
  // when its leader's exit was recorded and no TASK record was lost, else the SIGCHLD handler's stamp,
  // which a recorder stopped or starved at that moment makes late (review RL57 L2: a 4.01 s command
  // "ran 5.754 s" with the recorder SIGSTOPped over its end).
  int64_t command_end_ns();
  // Every message of the recorder while it records goes through here: on a line of its own.
  void warn(const std::string& message) {
    progress_.clear();
    if (o_.warnings_to_summary) sum_.warnings.push_back(message);
    else std::cerr << "infertrace: warning: " << message << "\n";
  }
  // The stop's messages ("infertrace record: ..."): kept for --summary-file as warnings are.
  void say_stop(const std::string& message) {
    progress_.clear();
    if (o_.warnings_to_summary) sum_.stop_notes.push_back(message);
    else std::fprintf(stderr, "infertrace record: %s\n", message.c_str());
  }
  void flush_loss_windows();
  void write_summary_meta();
  bool command_done();
  // The summary's thread names (launches per thread), by the rule the reader's threads table has
  // (trace/thread_name.h): the name each thread had last in the recording.
  void note_task(uint64_t ts, uint32_t pid, uint32_t tid, std::string_view comm, bool exit) {
    task_pids_.insert(pid);
    thread_names_[tid].task(static_cast<int64_t>(ts), comm, exit);
  }
  void note_seen(uint64_t ts, uint32_t pid, uint32_t tid, std::string_view comm) {
    if (task_pids_.count(pid)) thread_names_[tid].seen(static_cast<int64_t>(ts), comm);
  }
  bool stop_requested(bool say_tree_signal = true);
  std::vector<pid_t> traced_processes();
  std::vector<pid_t> traced_tgids();
  void create_cupti_ring();
  void finish_cupti();

  // The steps of run() (recorder_run.cpp), in their order.
  void write_start_meta();
  RecordSummary stopped_during_startup();
  // The command never released (a failed open, a stop): the closed pipe makes it exit 127 before its
  // exec; reaped here, not left to init.
  void abandon_command();
  bool open_output();
  void release_command();
  // How the recording loop ended (record_until_stop()).
  struct LoopEnd {
    bool command_ended = false, duration_ended = false, write_failed = false;
    bool stop_signal_in_loop = false;
  };
  LoopEnd record_until_stop(double t0, int64_t deadline_ns);
  void mark_stop(const LoopEnd& end, int64_t deadline_ns);
  void end_stopped_command(const LoopEnd& end);
  void measure_window(const LoopEnd& end, int64_t events_from);
  void detach_and_write_end();
  void fill_summary();

  const RecordOptions& o_;
  ItraceWriter out_;
  Session s_;
  RecordSummary sum_;
  pid_t child_ = -1;
  bool multi_link_refusal_said_ = false;
  int release_fd_ = -1;
  unsigned stops_handled_ = 0;    // StopSignals::count() already looked at
  bool warned_tree_signal_ = false;
  int64_t command_start_ns_ = 0;  // when the command was released (-- CMD)
  int64_t first_traced_ns_ = 0;   // when the first --pid process was marked traced
  std::set<std::pair<dev_t, ino_t>> probed_files_;
  std::map<int, unsigned long long> pid_start_ticks_;  // --pid: each process's start time at the attach
  std::set<std::string> looked_at_;
  std::map<uint32_t, uint64_t> counts_;
  // Processes with a TASK record so far (every traced process has one before its first switch: the
  // command's exec, a --pid attach's, a new process's at its fork), and each thread's names.
  std::set<uint32_t> task_pids_;
  std::unordered_map<uint32_t, ThreadNameSources> thread_names_;
  uint64_t ts_start_ = 0;
  // The recording window duration_s measures (META recorded_from_ns / recorded_to_ns): from when
  // its events could start to the stop, or to the command's end (CLOCK_MONOTONIC, as event stamps).
  int64_t recorded_from_ns_ = 0, recorded_to_ns_ = 0;
  // Set when a signal or --duration stops the recording: events that happened after it are left
  // out (the probes stay attached until they are detached, seconds for many uprobes, and with
  // --pid the traced process keeps running).
  uint64_t stop_ns_ = 0;
  uint64_t lost_after_stop_[IT_LOSS_SLOTS] = {};  // per event type: lost in windows that began after the stop
  CudaMode mode_;
  // Cleared before the recorder prints anything else (warn()) and at the end; its destructor
  // clears it when an error ends the recording.
  ProgressLine progress_;
  cupti::Ring cupti_ring_;
  std::unique_ptr<CuptiMerge> merge_;
  std::string cupti_lib_;
  unsigned tree_signals_seen_ = 0;  // StopSignals::tree_count() already looked at
  bool warned_analysis_memory_ = false;  // warn_when_too_big_to_analyse() said it
  // The started command's pid (child_ is -1 once it is reaped; its exit records may be drained after)
  // and the latest exit of its threads the kernel stamped (TASK records of kind exit).
  pid_t command_pid_ = -1;
  int64_t command_exit_task_ns_ = 0;
  bool command_leader_exit_seen_ = false;
};

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
