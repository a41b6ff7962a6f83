#include <atomic>
#include "record/recorder.h"

#include "record/command_stop.h"
#include "util/error.h"

#include <fstream>

namespace infertrace {

// /proc/sys/kernel/pid_max bounds the processes and threads that exist at once, threads-max the
// threads: a map larger than the smaller could never fill.
uint32_t default_map_entries() {
  uint64_t n = kDefaultMapEntries;
  for (const char* path : {"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"}) {
    std::ifstream in(path);
    uint64_t v = 0;
    if (in >> v && v > 0 && v < n) n = v;
  }
  return static_cast<uint32_t>(n);
}

}  // namespace infertrace

#if INFERTRACE_HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <unordered_map>

#include "ingest/recording/itrace_format.h"
#include "record/cuda_apis.h"
#include "record/cuda_libraries.h"
#include "record/cuda_mode.h"
#include "util/elf_functions.h"
#include "record/cupti_merge.h"
#include "record/cupti_ring.h"
#include "record/command_end.h"
#include "record/cupti_ring_cleanup.h"
#include "record/invoking_user.h"
#include "record/irq_vectors.h"
#include "record/itrace_writer.h"
#include "record/preflight.h"
#include "record/process_liveness.h"
#include "record/progress_line.h"
#include "record/record_targets.h"
#include "record/record.skel.h"
#include "record/stop_signals.h"
#include "record/uprobe_multi_link.h"
#include "trace/thread_name.h"
#include "trace/trace.h"
#include "util/units.h"

namespace infertrace {

namespace {

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// libbpf's own messages are kept (not printed) so a load failure can show the verifier's reason.
std::string g_libbpf_log;
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  if (g_libbpf_log.size() < (64u << 10)) g_libbpf_log += buf;
  return n;
}

// The META events.<name> / dropped.<name> key of a record type: the lossable types by their one
// list (record_events.h), which the reader keys LOSS records by too.
const char* event_name(uint32_t type) {
  if (const char* n = itrace::lossable_event_name(type)) return n;
  return type == IT_EV_LOSS ? "loss" : type == IT_EV_UNTRACED ? "untraced" : "other";
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string last_lines(const std::string& s, size_t n) {
  size_t pos = s.size();
  for (size_t i = 0; i < n && pos > 0; ++i) pos = s.rfind('\n', pos - 1);
  return pos == std::string::npos || pos == 0 ? s : s.substr(pos + 1);
}

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

enum class Group { Launch, Always, Sched, Wakeup, Irq, Syscall };

Group group_of(const std::string& prog) {
  auto starts = [&](const char* p) { return prog.rfind(p, 0) == 0; };
  if (starts("api_")) return Group::Launch;
  if (starts("switch_")) return Group::Sched;
  if (starts("wakeup_")) return Group::Wakeup;
  if (starts("hardirq_") || starts("softirq_") || starts("sysvec_")) return Group::Irq;
  if (starts("sys_")) return Group::Syscall;
  return Group::Always;
}

bool wanted(Group g, const RecordOptions& o) {
  switch (g) {
    case Group::Launch: return o.launch;
    case Group::Sched: return o.sched;
    case Group::Wakeup: return o.wakeup;
    case Group::Irq: return o.irq;
    case Group::Syscall: return o.syscall;
    case Group::Always: return true;
  }
  return true;
}

uint64_t ring_bytes(double rate) {
  // Room for half a second of events at the expected rate, twice over: the consumer drains every
  // 100 ms, so this absorbs bursts of 10x the rate before anything is lost.
  const double want = std::max(1.0 * (1 << 20), rate * sizeof(it_switch) * 0.5 * 2);
  uint64_t size = 1 << 20;
  while (size < want && size < (1ull << 30)) size <<= 1;
  return size;
}

// Whether the running kernel has the tracepoint `tp` (x86's irq_vectors ones exist on x86 only): a
// tp_btf program for a missing one would fail the whole load, and with it every tp_btf program.
// The kernel's BTF has a btf_trace_<name> typedef for each of its tracepoints.
bool kernel_has_tracepoint(const std::string& tp) {
  static btf* vmlinux = btf__load_vmlinux_btf();
  return vmlinux && btf__find_by_name_kind(vmlinux, ("btf_trace_" + tp).c_str(), BTF_KIND_TYPEDEF) > 0;
}

bool is_multi_program(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, "_multi") == 0;
}

// Opens and loads the skeleton with the tp_btf programs (raw_tp when `raw`), and with the
// uprobe_multi programs when `multi`.
// The sizes of the traced set and of the per-thread maps (--max-processes, --max-threads).
uint32_t max_processes(const RecordOptions& o) { return o.max_processes ? o.max_processes : default_map_entries(); }
uint32_t max_threads(const RecordOptions& o) { return o.max_threads ? o.max_threads : default_map_entries(); }

record_bpf* open_and_load(const RecordOptions& o, bool raw, uint64_t rb_size, bool multi) {
  record_bpf* skel = record_bpf__open();
  if (!skel) throw Error("record: cannot open the BPF object: " + last_lines(g_libbpf_log, 5));
  skel->rodata->want_launch = o.launch;
  skel->rodata->want_sched = o.sched;
  skel->rodata->want_wakeup = o.wakeup;
  skel->rodata->want_irq = o.irq;
  skel->rodata->want_syscall = o.syscall;
  skel->rodata->syscall_counts_only = o.syscall_counts_only;
  skel->rodata->wakeup_threshold = rb_size / 4;
  bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(rb_size));
  // Hash maps are preallocated: a map no program of this recording uses gets one entry.
  bpf_map__set_max_entries(skel->maps.traced, max_processes(o));
  bpf_map__set_max_entries(skel->maps.sys_pending, o.syscall ? max_threads(o) : 1);
  bpf_map__set_max_entries(skel->maps.api_pending, o.launch ? max_threads(o) : 1);
  bpf_map__set_max_entries(skel->maps.fold_pending, o.launch ? max_threads(o) : 1);
  bpf_map__set_max_entries(skel->maps.wakers, o.wakeup ? max_threads(o) : 1);
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    const std::string name = bpf_program__name(prog);
    const bool is_raw = name.size() > 4 && name.compare(name.size() - 4, 4, "_raw") == 0;
    const bool is_btf = name.size() > 4 && name.compare(name.size() - 4, 4, "_btf") == 0;
    bool load = wanted(group_of(name), o);
    if (is_raw && !raw) load = false;
    if (is_btf && raw) load = false;
    // raw_tp programs load whether or not their tracepoint exists; attaching tells (below).
    const std::string sysvec = sysvec_tracepoint(name);
    if (load && is_btf && !sysvec.empty() && !kernel_has_tracepoint(sysvec + "_entry")) load = false;
    if (is_multi_program(name)) {
      load = load && multi;
      bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(kAttachUprobeMulti));
    }
    bpf_program__set_autoload(prog, load);
  }
  if (record_bpf__load(skel) != 0) {
    record_bpf__destroy(skel);
    return nullptr;
  }
  return skel;
}

class Recorder {
 public:
  Recorder(const RecordOptions& o, CudaMode mode) : o_(o), out_(o.output, ItraceWriter::OpenLater{}), mode_(mode), progress_(stderr, o.progress) {}

  RecordSummary run();
  // The warnings kept for --summary-file (RecordOptions::warnings_to_summary), on stderr.
  void print_kept_warnings() const {
    for (const std::string& w : sum_.warnings) std::cerr << "infertrace: warning: " << w << "\n";
  }

 private:
  void load();
  void attach_tracepoints();
  void attach_system_vectors(const std::map<std::string, std::vector<bpf_program*>>& progs);
  void start_or_attach_targets();
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
  // Every message of the recorder while it records goes through here: on a line of its own.
  void warn(const std::string& message) {
    progress_.clear();
    if (o_.warnings_to_summary) sum_.warnings.push_back(message);
    else std::cerr << "infertrace: warning: " << message << "\n";
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
};

// The directory of CUPTI rings: /dev/shm, or INFERTRACE_CUPTI_RING_DIR when set and not empty.
// /dev/shm is shared by every recorder of the machine, and the clean-up below removes any stale
// ring there; a test that plants stale rings and counts what is removed points this at a directory
// of its own, so other recordings running meanwhile neither remove its rings nor get theirs removed.
// The directory must be absolute (the traced processes get the ring's path and may change their
// working directory: a relative one lost every CUDA record, review FB M1) and an existing directory.
static std::string cupti_ring_dir() {
  const char* dir = std::getenv("INFERTRACE_CUPTI_RING_DIR");
  if (!dir || !*dir) return "/dev/shm";
  const std::string d(dir);
  if (d[0] != '/')
    throw Error("record: INFERTRACE_CUPTI_RING_DIR=" + d + " is not an absolute path; the traced processes open the "
                "ring by its path from their own working directory");
  struct stat st{};
  if (::stat(d.c_str(), &st) != 0) throw Error("record: INFERTRACE_CUPTI_RING_DIR=" + d + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw Error("record: INFERTRACE_CUPTI_RING_DIR=" + d + " is not a directory");
  return d;
}

// CUPTI mode: the ring the injection library writes into, as a file in /dev/shm so every process
// of the traced tree can open it by path (file descriptors do not survive close_fds=True spawns).
void Recorder::create_cupti_ring() {
  const std::string ring_dir = cupti_ring_dir();
  cupti_lib_ = cupti_library_path();
  // Room for a second of records at the expected rate (two per launch: API + GPU), so a drain
  // every 100 ms absorbs bursts of 10x the rate.
  const uint64_t slots = std::max<uint64_t>(1 << 16, static_cast<uint64_t>(o_.expected_rate * 2));
  // Through sudo the ring goes to the invoking user (below), so that user's rings are ours to
  // clean up; otherwise our own.
  const char* sudo_uid = ::getuid() == 0 ? std::getenv("SUDO_UID") : nullptr;
  const uid_t ring_uid = sudo_uid ? static_cast<uid_t>(std::atoi(sudo_uid)) : ::getuid();
  // A recorder killed by SIGKILL or the OOM killer could not remove its ring (up to ~1 GiB of RAM
  // until reboot): the next CUPTI recording does, for rings whose recorder no longer runs.
  for (const cupti::RemovedRing& r : cupti::remove_stale_cupti_rings(ring_dir, ring_uid))
    warn("removed " + r.path + " (" + format_bytes(static_cast<double>(r.bytes)) + "), the CUPTI ring of recorder " +
         std::to_string(r.pid) + ", which no longer runs");
  static int counter = 0;
  std::string path;
  try {
    cupti_ring_ = cupti::create_named_ring(ring_dir, ::getpid(), &counter, std::min<uint64_t>(slots, 1ull << 24), &path);
  } catch (const std::exception& e) {
    throw Error(std::string("record: ") + e.what());
  }
  s_.cupti_ring_path = path;
  // Through sudo the command runs as the invoking user, who must be able to open the ring.
  // Through the descriptor of the file we created, never its path (review FB L1, FC L4: chown
  // followed a symlink, and a reopen by path could meet a swapped file or a FIFO, in a ring
  // directory the user owns).
  if (sudo_uid) {
    const char* sg = std::getenv("SUDO_GID");
    const int fd = cupti_ring_.file_descriptor();
    if (fd < 0 || ::fchown(fd, ring_uid, sg ? static_cast<gid_t>(std::atoi(sg)) : gid_t(-1)) != 0)
      throw Error("record: cannot hand the CUPTI ring " + path + " to the invoking user: " +
                  std::strerror(fd < 0 ? EBADF : errno));
  }
  merge_ = std::make_unique<CuptiMerge>(out_, static_cast<uint32_t>(cuda_apis().size()));
  out_.meta("cupti.library", cupti_lib_);
  out_.meta("cupti.ring_slots", std::to_string(cupti_ring_.capacity()));
}

void Recorder::finish_cupti() {
  if (!merge_) return;
  merge_->set_stop(stop_ns_);
  cupti_ring_.drain([&](uint32_t t, const unsigned char* p, uint32_t n) { merge_->consume(t, p, n); });
  const auto* h = cupti_ring_.header();
  // Positions claimed but never published: a producer died mid-copy (docs/record.md).
  sum_.cupti_ring_unpublished_slots = cupti_ring_.pending();
  out_.meta("cupti.ring_unpublished_slots", std::to_string(sum_.cupti_ring_unpublished_slots));
  merge_->finish(h->dropped_records.load(), h->dropped_bytes.load(), h->producers.load());
  const auto& st = merge_->stats();
  for (auto& [tid, n] : st.launches_per_thread) sum_.launches_per_thread[static_cast<int64_t>(tid)] += n;
  sum_.events["cuda_api (cupti)"] += st.api;
  sum_.events["gpu (cupti)"] += st.gpu;
  sum_.dropped["cupti_ring"] = h->dropped_records.load();
  sum_.dropped["cupti_activity"] = st.activity_dropped;
  sum_.cupti_activity_late = st.activity_late;
  sum_.folded_driver_calls += st.folded_driver_calls;
  sum_.cupti_processes = st.processes;
  sum_.cupti_processes_with_monotonic_clock = st.processes_with_timestamp_callback;
  sum_.cupti_processes_not_traced = st.processes_not_traced;
  sum_.cupti_gpu_without_timestamps = st.gpu_without_timestamps;
  sum_.cupti_gpu_without_clock = st.gpu_without_clock;
  sum_.cupti_callbacks = st.callbacks;
  sum_.cupti_launch_coverage = st.coverage;
  // CUPTI's calls after the stop, left out (with their GPU records) or cut at it by the merge, are
  // counted with the probes' events (the summary's "left out:" and "cut at the stop:" lines). Their
  // META, written before the CUPTI ring's last drain, is written again: a reader keeps the last value.
  if (st.api_after_stop + st.gpu_after_stop > 0) {
    sum_.after_stop += st.api_after_stop + st.gpu_after_stop;
    sum_.cupti_api_after_stop = st.api_after_stop;
    out_.meta("events_after_stop", std::to_string(sum_.after_stop));
  }
  if (st.api_cut_at_stop > 0) {
    sum_.cut_at_stop += st.api_cut_at_stop;
    out_.meta("events_cut_at_stop", std::to_string(sum_.cut_at_stop));
  }
  cupti_ring_.remove_file();
}

void Recorder::load() {
  const uint64_t rb = ring_bytes(o_.expected_rate);
  // The uprobe_multi programs load on any kernel that has bpf_get_attach_cookie; an older one that
  // refuses them is tried again without (every library then gets per-function links).
  const bool multi = o_.launch && uprobe_multi_wanted(std::getenv("INFERTRACE_UPROBE_MULTI"));
  auto try_load = [&](bool raw) {
    record_bpf* skel = open_and_load(o_, raw, rb, multi);
    if (!skel && multi) skel = open_and_load(o_, raw, rb, false);
    return skel;
  };
  s_.skel = try_load(/*raw=*/false);
  std::string mode = "tp_btf";
  if (!s_.skel) {
    s_.skel = try_load(/*raw=*/true);
    mode = "raw_tp";
    if (!s_.skel)
      throw Error("record: the kernel refused the BPF programs (tp_btf and raw_tp): " + last_lines(g_libbpf_log, 8));
  }
  out_.meta("tracepoint_mode", mode);
  out_.meta("ring_buffer_bytes", std::to_string(rb));
}

void Recorder::attach_tracepoints() {
  bpf_program* prog;
  std::map<std::string, std::vector<bpf_program*>> sysvec;  // tracepoint -> its entry and exit programs
  bpf_object__for_each_program(prog, s_.skel->obj) {
    if (!bpf_program__autoload(prog)) continue;
    const std::string name = bpf_program__name(prog);
    if (group_of(name) == Group::Launch) continue;  // uprobes: per library, below
    if (const std::string tp = sysvec_tracepoint(name); !tp.empty()) {
      sysvec[tp].push_back(prog);
      continue;
    }
    bpf_link* l = bpf_program__attach(prog);
    if (!l) throw Error("record: cannot attach " + name + ": " + std::strerror(errno) + " " + last_lines(g_libbpf_log, 3));
    s_.links.push_back(l);
  }
  if (!o_.irq) return;
  attach_system_vectors(sysvec);
}

// The x86 system vectors, each tracepoint pair on its own and both halves or neither (an entry
// without its exit would time nothing): a kernel without them still records everything else, and
// META says which were traced, so no reader takes the hard-IRQ figures to include ticks and IPIs
// when they do not.
void Recorder::attach_system_vectors(const std::map<std::string, std::vector<bpf_program*>>& progs) {
  std::vector<std::string> traced;
  for (const auto& [tp, list] : progs) {
    std::vector<bpf_link*> links;
    for (bpf_program* p : list)
      if (bpf_link* l = bpf_program__attach(p)) links.push_back(l);
    if (list.size() == 2 && links.size() == 2) {
      s_.links.insert(s_.links.end(), links.begin(), links.end());
      traced.push_back(tp);
    } else {
      for (bpf_link* l : links) bpf_link__destroy(l);
    }
  }
  const std::string names = traced_vector_names(traced), missing = missing_vector_tracepoints(traced);
  out_.meta("irq.system_vectors", names);
  out_.meta("irq.system_vectors_missing", missing);
  // Softirqs a thread runs as its own work (loopback sends) are told apart only when no interrupt
  // that raises softirqs goes untraced (record.bpf.c softirq_raised_own); readers of a file without
  // this key count every softirq as an interruption.
  const std::string tick = untraced_tick_devices();
  const std::string raising_untraced = softirq_raising_untraced(traced);
  const bool own = raising_untraced.empty() && tick.empty();
  if (own && s_.skel->bss) s_.skel->bss->softirq_own_on = 1;
  out_.meta("irq.softirq_context", own && s_.skel->bss ? "raise" : "not_told");
  // Why not (readers word their "not told apart" from it): the raising vectors left untraced, and a
  // tick that comes through no traced interrupt.
  if (!raising_untraced.empty()) out_.meta("irq.softirq_context_untraced", raising_untraced);
  if (!tick.empty()) out_.meta("irq.softirq_context_tick", tick);
  if (!missing.empty())
    warn("hard IRQs leave out the system-vector interrupts whose irq_vectors tracepoints this kernel lacks (" +
         missing + (names.empty() ? "; none traced: the tracepoints exist on x86 only)" : "; traced: " + names + ")"));
}

void Recorder::attach_library(const std::string& path, bool explicit_lib, pid_t mapped_late_by) {
  if (!o_.launch) return;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (explicit_lib) warn("--lib " + path + ": " + std::strerror(errno));
    return;
  }
  if (!S_ISREG(st.st_mode)) {  // a uprobe needs a file's inode; a FIFO would block its reader
    if (explicit_lib) warn("--lib " + path + ": not a regular file; nothing probed there");
    return;
  }
  if (!probed_files_.insert({st.st_dev, st.st_ino}).second) return;
  const auto apis = cuda_apis();
  std::vector<std::string> names;
  for (const auto& a : apis) names.emplace_back(a.symbol);
  const auto offsets = elf_function_offsets(path, names);
  // The probes this file gets: every API it defines, at entry, and at return where wanted.
  std::vector<uint64_t> entry_offsets, entry_cookies, return_offsets, return_cookies;
  for (uint32_t i = 0; i < apis.size(); ++i) {
    const auto at = offsets.find(names[i]);
    if (at == offsets.end()) continue;
    const uint64_t cookie = api_cookie(i, o_.launch_durations);
    entry_offsets.push_back(at->second);
    entry_cookies.push_back(cookie);
    if (wants_return_probe(apis[i], o_.launch_durations)) {
      return_offsets.push_back(at->second);
      return_cookies.push_back(cookie);
    }
  }
  int n = 0;
  const char* links_kind = "";
  if (!entry_offsets.empty() && attach_library_multi(path, entry_offsets, entry_cookies, return_offsets, return_cookies)) {
    n = static_cast<int>(entry_offsets.size());
    links_kind = "uprobe_multi";
  } else {
    // One link per probe (a kernel before 6.6, or INFERTRACE_UPROBE_MULTI=0).
    auto attach_each = [&](bpf_program* prog, const std::vector<uint64_t>& at, const std::vector<uint64_t>& cookies,
                           bool ret) {
      int attached = 0;
      for (size_t k = 0; k < at.size(); ++k) {
        LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookies[k], .retprobe = ret);
        bpf_link* l = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), at[k], &uo);
        if (!l) {
          warn("cannot probe " + path + " at offset " + std::to_string(at[k]) + ": " + std::strerror(errno));
          continue;
        }
        s_.links.push_back(l);
        ++attached;
      }
      return attached;
    };
    n = attach_each(s_.skel->progs.api_entry, entry_offsets, entry_cookies, false);
    attach_each(s_.skel->progs.api_return, return_offsets, return_cookies, true);
    links_kind = "per_function";
  }
  if (n == 0) {
    if (explicit_lib)
      warn("--lib " + path +
           ": not a 64-bit ELF file exporting any CUDA launch or sync symbol (cuLaunchKernel, cudaLaunchKernel, ...); "
           "nothing probed there");
    return;
  }
  std::string entry = path + " (" + std::to_string(n) + " functions";
  const std::string key = "library." + std::to_string(sum_.libraries.size());
  out_.meta(key, path);
  out_.meta(key + ".links", links_kind);
  if (mapped_late_by > 0) {
    // Review AC M1: a library dlopen'ed during the recording is probed at the next scan; the
    // launches made through it before then were lost without a word.
    const int64_t probed = monotonic_ns();
    const int64_t from = command_start_ns_ > 0 ? command_start_ns_ : first_traced_ns_ > 0 ? first_traced_ns_
                                                                                          : static_cast<int64_t>(ts_start_);
    char when[32];
    std::snprintf(when, sizeof(when), "%.2f", static_cast<double>(probed - from) / 1e9);
    out_.meta(key + ".probed_late_ns", std::to_string(probed));
    out_.meta(key + ".mapped_by_pid", std::to_string(mapped_late_by));
    entry += std::string("; probed ") + when + " s into the recording, after pid " + std::to_string(mapped_late_by) +
             " had mapped it: its earlier launches are not recorded";
    warn(path + " was mapped by pid " + std::to_string(mapped_late_by) + " after the recording started and probed " +
         when + " s into it: launches made through it before then are not recorded (mapped libraries are "
         "looked for every 0.25 s; --lib PATH probes one from the start)");
  }
  sum_.libraries.push_back(entry + ")");
}

// Every probe of one file in one uprobe_multi link for the entries and one for the returns; false
// (nothing left attached) where the multi programs did not load or the kernel refuses the link.
bool Recorder::attach_library_multi(const std::string& path, const std::vector<uint64_t>& entry_offsets,
                                    const std::vector<uint64_t>& entry_cookies,
                                    const std::vector<uint64_t>& return_offsets,
                                    const std::vector<uint64_t>& return_cookies) {
  const int entry_prog = bpf_program__fd(s_.skel->progs.api_entry_multi);
  const int return_prog = bpf_program__fd(s_.skel->progs.api_return_multi);
  if (entry_prog < 0 || return_prog < 0) return false;
  // Said once: every library after this one is tried again (the kernel may refuse one file, not
  // all), and without it the only sign of the slower path is the exit taking ~0.1 s per probe.
  auto refused = [&](int err) {
    if (!multi_link_refusal_said_) {
      multi_link_refusal_said_ = true;
      warn("the kernel refused a uprobe_multi link for " + path + " (" + std::strerror(-err) +
           "; Linux 6.6 or later has them): one link per probe instead, and record will take about 0.1 s per "
           "probed function to detach at its end");
    }
    return false;
  };
  const int entry_fd = create_uprobe_multi_link(entry_prog, path, entry_offsets, entry_cookies, false);
  if (entry_fd < 0) return refused(entry_fd);
  int return_fd = -1;
  if (!return_offsets.empty()) {
    return_fd = create_uprobe_multi_link(return_prog, path, return_offsets, return_cookies, true);
    if (return_fd < 0) {
      ::close(entry_fd);
      return refused(return_fd);
    }
  }
  s_.link_fds.push_back(entry_fd);
  if (return_fd >= 0) s_.link_fds.push_back(return_fd);
  return true;
}

void Recorder::rescan_libraries() {
  if (!o_.launch) return;
  for (pid_t tgid : traced_tgids())
    for (auto& p : mapped_cuda_candidates(static_cast<int>(tgid)))
      if (looked_at_.insert(p).second) attach_library(p, false, static_cast<pid_t>(tgid));
}

void Recorder::start_or_attach_targets() {
  const int fd = bpf_map__fd(s_.skel->maps.traced);
  auto trace_tgid = [&](uint32_t tgid, uint8_t state) {
    it_traced v{};
    v.state = state;  // leader_start 0: this entry is not tied to one incarnation of the id
    if (bpf_map_update_elem(fd, &tgid, &v, BPF_ANY) != 0)
      throw Error("record: cannot add pid " + std::to_string(tgid) + " to the traced set: " + std::strerror(errno) +
                  (errno == E2BIG ? " (it holds " + std::to_string(max_processes(o_)) + " processes: --max-processes)" : ""));
  };
  out_.meta("cuda.mode", cuda_mode_name(mode_));
  for (const auto& lib : o_.libs) attach_library(lib, true);
  for (const auto& lib : standard_cuda_libraries()) attach_library(lib, false);
  if (!o_.command.empty()) {
    // Checked before the output was opened too (check_record_targets); again here, for what changed since.
    const std::string exe = command_executable(o_.command[0]);
    // The executable itself (static cudart) and its dynamic dependencies, before it starts, so
    // launches from its first instruction on are seen.
    attach_library(exe, false);
    for (auto& dep : elf_dependencies(exe))
      if (looks_like_cuda_library(dep) || std::find(o_.libs.begin(), o_.libs.end(), dep) != o_.libs.end())
        attach_library(dep, false);
    if (mode_ == CudaMode::Cupti) create_cupti_ring();
    const InvokingUser user = invoking_user();  // looked up before fork: NSS is not fork-safe
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw Error(std::string("record: pipe: ") + std::strerror(errno));
    // The command's argv (as given, argv[0] included), the same through /bin/sh for a script without
    // a #! line, and a #! line's interpreter for the message when it is missing: made before the fork.
    std::vector<char*> argv, sh_argv{const_cast<char*>("sh"), const_cast<char*>(exe.c_str())};
    for (auto& a : o_.command) argv.push_back(const_cast<char*>(a.c_str()));
    for (size_t i = 1; i < o_.command.size(); ++i) sh_argv.push_back(const_cast<char*>(o_.command[i].c_str()));
    argv.push_back(nullptr);
    sh_argv.push_back(nullptr);
    const std::string interpreter = script_interpreter(exe);
    // --cpus / --nice: made before the fork, applied by the child to itself alone (record's threads
    // keep their own affinity and nice value).
    cpu_set_t command_set;
    CPU_ZERO(&command_set);
    std::string command_cpus_text;
    for (int c : o_.command_cpus) {
      CPU_SET(c, &command_set);
      command_cpus_text += (command_cpus_text.empty() ? "" : ",") + std::to_string(c);
    }
    if (!o_.command_cpus.empty()) out_.meta("traced.command_cpus", command_cpus_text);
    if (o_.command_nice != 0) out_.meta("traced.command_nice_added", std::to_string(o_.command_nice));
    // The child gets the signal dispositions and mask record started with before anything can reach
    // it (stop_signals.h): a stop signal sent meanwhile stays pending for it, never runs record's handler.
    StopSignals::block_for_fork();
    child_ = ::fork();
    const int fork_errno = errno;
    // Only a started command shares record's process group and is record's to end: its processes'
    // stop signals (its `kill 0`) are its own, told apart as each arrives (with --pid a stop signal
    // from a traced process is a stop: a script's `record --pid $$ & ... kill $!`, review RX2 M1).
    if (child_ > 0)
      StopSignals::set_tree(child_, bpf_map__fd(s_.skel->maps.traced), bpf_map__value_size(s_.skel->maps.traced));
    if (child_ != 0) StopSignals::unblock_after_fork();
    if (child_ < 0) throw Error(std::string("record: fork: ") + std::strerror(fork_errno));
    if (child_ == 0) {
      StopSignals::restore_in_child();
      ::close(pipefd[1]);
      char c;
      // Wait until the parent has put this process in the traced set.
      if (::read(pipefd[0], &c, 1) != 1) ::_exit(127);
      // Before dropping privileges (lowering the nice value may need root's CAP_SYS_NICE). As
      // `taskset -c` and `nice -n` would, but on the command itself, which record then probed.
      if (!o_.command_cpus.empty() && ::sched_setaffinity(0, sizeof(command_set), &command_set) != 0) {
        std::fprintf(stderr, "infertrace: error: cannot pin the command to CPUs %s (--cpus): %s\n",
                     command_cpus_text.c_str(), std::strerror(errno));
        ::_exit(126);
      }
      if (o_.command_nice != 0) {
        errno = 0;
        const int now = ::getpriority(PRIO_PROCESS, 0);
        if ((now == -1 && errno != 0) || ::setpriority(PRIO_PROCESS, 0, now + o_.command_nice) != 0) {
          std::fprintf(stderr, "infertrace: error: cannot add %d to the command's nice value (--nice): %s%s\n",
                       o_.command_nice, std::strerror(errno),
                       errno == EACCES || errno == EPERM ? " (lowering it needs CAP_SYS_NICE or RLIMIT_NICE)" : "");
          ::_exit(126);
        }
      }
      // Run as the invoking user when started through sudo: that user's uid, gid and supplementary
      // groups (access to /dev/nvidia* or /dev/dri often comes from a group such as video or
      // render), and the HOME, USER and LOGNAME that go with them.
      if (user.switch_user) {
        if (!become(user)) ::_exit(126);
        if (!user.name.empty()) {
          ::setenv("HOME", user.home.c_str(), 1);
          ::setenv("USER", user.name.c_str(), 1);
          ::setenv("LOGNAME", user.name.c_str(), 1);
        }
      }
      if (mode_ == CudaMode::Cupti) {
        ::setenv("CUDA_INJECTION64_PATH", cupti_lib_.c_str(), 1);
        ::setenv("INFERTRACE_CUPTI_RING", s_.cupti_ring_path.c_str(), 1);
      }
      // The file checked and probed above is the one run (execvp would search PATH again, with
      // glibc's own default when PATH is unset: another file, review RX L2); a file the kernel cannot
      // execute by itself goes to /bin/sh, as execvp does.
      ::execv(exe.c_str(), argv.data());
      const int exec_errno = errno;
      if (exec_errno == ENOEXEC) ::execv("/bin/sh", sh_argv.data());
      if (exec_errno == ENOENT && !interpreter.empty())
        std::fprintf(stderr, "infertrace: error: cannot run %s: its interpreter %s was not found\n", exe.c_str(),
                     interpreter.c_str());
      else
        std::fprintf(stderr, "infertrace: error: cannot run %s: %s\n", exe.c_str(), std::strerror(exec_errno));
      ::_exit(127);
    }
    ::close(pipefd[0]);
    release_fd_ = pipefd[1];
    // Traced from before its exec, but its syscalls only from the exec on: until then it runs the
    // recorder's own code (reading the release byte, dropping privileges).
    trace_tgid(static_cast<uint32_t>(child_), IT_TRACED_BEFORE_EXEC);
    out_.meta("traced.command", o_.command[0]);
    out_.meta("traced.pid", std::to_string(child_));
  } else {
    // Every process is checked and its CUDA libraries probed before any is marked traced: its
    // launches then count from the moment it is (review RP M2: the second --pid was traced 64 ms
    // after the first, behind the first's library probes, and a process's own launches between its
    // mark and its probes were lost while the wall time counted them). Probes fire only for traced
    // processes, so probing first records nothing early.
    for (int pid : o_.pids) {
      const unsigned long long start = process_start_ticks(pid);
      if (!process_running(pid, start)) throw Error("record: no process with pid " + std::to_string(pid) + " (it has exited)");
      pid_start_ticks_[pid] = start;
      for (auto& p : mapped_cuda_candidates(pid))
        if (looked_at_.insert(p).second) attach_library(p, false);
    }
    std::string traced_pids;  // META traced.pid: one key, every process (the reader keeps one value a key)
    for (int pid : o_.pids) {
      const std::string dir = "/proc/" + std::to_string(pid);
      if (!process_running(pid, pid_start_ticks_[pid]))
        throw Error("record: no process with pid " + std::to_string(pid) + " (it exited while record attached)");
      // The process's events are recorded from this moment on: its live threads are stamped with it.
      // (They were stamped with the start of the recorder, before the BPF programs were loaded and
      // attached: analyze's wall time then began ~70 ms before anything could be recorded, 7% of a
      // --duration 1 recording, and every share of wall time was that much too small.) Read just
      // before trace_tgid(): an event can follow the moment the process is marked traced, so a stamp
      // read after it could fall later than the first events of its threads.
      const auto traced_from = static_cast<uint64_t>(monotonic_ns());
      if (first_traced_ns_ == 0) first_traced_ns_ = static_cast<int64_t>(traced_from);
      trace_tgid(static_cast<uint32_t>(pid), IT_TRACED);
      traced_pids += (traced_pids.empty() ? "" : ",") + std::to_string(pid);
      // Threads alive now: the kernel reports only threads created from here on. Each one's state
      // is read here, after the stamp and after the process entered the traced set (the switch
      // probes were attached before): every switch from the mark on, microseconds after the stamp, is
      // recorded, so the walk can tell a thread that blocked or woke between the stamp and this read
      // by its first switch (a switch-in first: off the CPU at the stamp; a switch-out first: on it;
      // offcpu_walk.h). Read before the stamp instead, a thread that woke in between would have no
      // such witness. A thread that blocked between the stamp and the mark is counted off the CPU
      // from the stamp: up to that gap (a map update) too early.
      std::error_code ec;
      for (auto& t : std::filesystem::directory_iterator(dir + "/task", ec)) {
        it_task_state s{};
        it_task& e = s.t;
        e.h.type = IT_EV_TASK;
        e.h.ts = traced_from;
        e.h.pid = static_cast<uint32_t>(pid);
        e.h.tid = static_cast<uint32_t>(std::stoul(t.path().filename().string()));
        e.kind = IT_TASK_EXISTING;
        std::ifstream cf(t.path() / "comm");
        std::string comm;
        std::getline(cf, comm);
        std::strncpy(e.comm, comm.c_str(), IT_COMM_LEN - 1);
        s.state = static_cast<uint8_t>(thread_state(pid, static_cast<pid_t>(e.h.tid)));
        out_.record(IT_EV_TASK, &s, sizeof(s));
        counts_[IT_EV_TASK]++;
        // The summary's launches per thread name it too (review RP L3: only threads the kernel
        // reported, those created or ended while recording, had a name there).
        note_task(e.h.ts, e.h.pid, e.h.tid, comm.substr(0, IT_COMM_LEN - 1), false);
      }
    }
    out_.meta("traced.pid", traced_pids);
  }
}

int Recorder::on_sample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Recorder*>(ctx);
  if (size < sizeof(it_hdr)) return 0;
  it_hdr h;
  std::memcpy(&h, data, sizeof(h));
  // A loss window that starts before the stop is kept whole; one that starts after it lost events
  // the recording leaves out anyway: its counts come off META dropped.* (lost_after_stop_), so the
  // windows written and the dropped counts still add up (docs/recording-format.md, LOSS).
  if (self->stop_ns_ > 0 && h.ts > self->stop_ns_) {
    if (h.type == IT_EV_LOSS && size >= sizeof(it_loss)) {
      it_loss e;
      std::memcpy(&e, data, sizeof e);
      for (int i = 0; i < IT_LOSS_SLOTS; ++i) self->lost_after_stop_[i] += e.lost[i];
    } else {
      ++self->sum_.after_stop;
    }
    return 0;
  }
  const uint32_t type = h.type;
  // A call in progress at the stop (a syscall, a synchronize or an IRQ, stamped at entry and written
  // at its end) ends at the stop here: the recording spans nothing after it. A command slow to end
  // after SIGTERM made a --duration 1 recording 3 s long (review RX M7). Counted: META
  // events_cut_at_stop.
  alignas(8) unsigned char cut[256];
  if (self->stop_ns_ > 0 && size <= sizeof cut) {
    size_t dur_at = 0;
    if (type == IT_EV_SYSCALL && size >= sizeof(it_syscall)) dur_at = offsetof(it_syscall, dur);
    if (type == IT_EV_IRQ && size >= sizeof(it_irq)) dur_at = offsetof(it_irq, dur);
    if (type == IT_EV_API && size >= sizeof(it_api)) {
      uint32_t flags;
      std::memcpy(&flags, static_cast<const unsigned char*>(data) + offsetof(it_api, flags), sizeof flags);
      if (flags & IT_API_HAS_DUR) dur_at = offsetof(it_api, dur);
    }
    uint64_t dur = 0;
    if (dur_at) std::memcpy(&dur, static_cast<const unsigned char*>(data) + dur_at, sizeof dur);
    if (dur_at && h.ts + dur > self->stop_ns_) {
      std::memcpy(cut, data, size);
      const uint64_t kept = self->stop_ns_ - h.ts;
      std::memcpy(cut + dur_at, &kept, sizeof kept);
      data = cut;
      ++self->sum_.cut_at_stop;
    }
  }
  self->out_.record(type, data, static_cast<uint32_t>(size));
  self->counts_[type]++;
  if (type == IT_EV_API) {
    it_api e;
    std::memcpy(&e, data, std::min(size, sizeof(e)));
    const auto apis = cuda_apis();
    if (e.api < apis.size() && is_launch(classify_api(apis[e.api].symbol))) self->sum_.launches_per_thread[e.h.tid]++;
  } else if (type == IT_EV_TASK && size >= sizeof(it_task)) {
    it_task e;
    std::memcpy(&e, data, sizeof(e));
    self->note_task(e.h.ts, e.h.pid, e.h.tid, std::string_view(e.comm, strnlen(e.comm, IT_COMM_LEN)), e.kind == IT_TASK_EXIT);
  } else if (type == IT_EV_SWITCH && size >= sizeof(it_switch)) {
    // A thread that renamed itself after its TASK record is named by its switches (review RC M1);
    // a side of a process without a TASK record is another process's thread.
    it_switch e;
    std::memcpy(&e, data, sizeof(e));
    self->note_seen(e.h.ts, e.h.pid, e.h.tid, std::string_view(e.prev_comm, strnlen(e.prev_comm, IT_COMM_LEN)));
    self->note_seen(e.h.ts, e.next_pid, e.next_tid, std::string_view(e.next_comm, strnlen(e.next_comm, IT_COMM_LEN)));
  } else if (type == IT_EV_WAKEUP && size >= sizeof(it_wakeup)) {
    it_wakeup e;
    std::memcpy(&e, data, sizeof(e));
    self->note_seen(e.h.ts, e.h.pid, e.h.tid, std::string_view(e.comm, strnlen(e.comm, IT_COMM_LEN)));
  } else if (type == IT_EV_UNTRACED) {
    self->sum_.untraced_pids.push_back(h.pid);
  }
  return 0;
}

int Recorder::wait_for_events(int ms) {
  const int wake = StopSignals::wake_fd();
  if (wake < 0) return ring_buffer__poll(s_.rb, ms);
  pollfd fds[2] = {{ring_buffer__epoll_fd(s_.rb), POLLIN, 0}, {wake, POLLIN, 0}};
  const int n = ::poll(fds, 2, ms);
  if (n < 0) return -errno;
  // Cleared before the loop looks at what the signals set: one arriving after this wakes the next wait.
  if (fds[1].revents & POLLIN) StopSignals::clear_wake();
  return n;
}

void Recorder::drain() {
  const int n = ring_buffer__consume(s_.rb);
  // The next fill past the threshold may wake the consumer again (record.bpf.c wake_sent). Data that
  // arrived meanwhile is not missed: a poll of a ring holding data returns at once.
  if (s_.skel && s_.skel->bss) s_.skel->bss->wake_sent = 0;
  if (n < 0 && n != -EINTR) throw Error("record: reading the ring buffer failed: " + std::string(std::strerror(-n)));
  if (merge_) {
    merge_->set_stop(stop_ns_);  // CUPTI's calls after the stop are left out as the probes' are
    cupti_ring_.drain([&](uint32_t t, const unsigned char* p, uint32_t len) { merge_->consume(t, p, len); });
  }
  out_.flush();
}

std::map<uint32_t, uint64_t> Recorder::read_stats() {
  std::map<uint32_t, uint64_t> r;
  const int fd = bpf_map__fd(s_.skel->maps.stats);
  const int ncpu = libbpf_num_possible_cpus();
  std::vector<uint64_t> vals(static_cast<size_t>(std::max(ncpu, 1)));
  for (uint32_t k = 0; k < IT_STAT_COUNT; ++k) {
    if (bpf_map_lookup_elem(fd, &k, vals.data()) != 0) continue;
    uint64_t total = 0;
    for (auto v : vals) total += v;
    if (total) r[k] = total;
  }
  return r;
}

// Loss the kernel side had no later successful reserve on that CPU to report (record.bpf.c,
// report_loss): written here, after the probes are detached, so that the LOSS records of a
// recording add up to its META dropped.* counts. The window is the kernel side's: first_ts the
// earliest stamp of a record lost in it, last_ts at or after the latest (note_loss), so the record
// spans the lost records' own stamps as one the kernel side writes does; first_ts is 0 with counts
// pending only when a program was cut between its count and its window (not once detached), when
// last_ts, at or after every lost stamp, is the best start left.
void Recorder::flush_loss_windows() {
  const int fd = bpf_map__fd(s_.skel->maps.loss_windows);
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  using Window = it_loss_window;  // the BPF side's own layout (record_events.h)
  // The per-CPU lookup copies the BPF side's value size for each CPU: an object built from another
  // revision of record_events.h would misread every CPU after the first (review DI). Said and
  // skipped, not thrown: the recording itself is whole; only the windows still open at stop go
  // unwritten.
  if (bpf_map__value_size(s_.skel->maps.loss_windows) != sizeof(Window)) {
    std::fprintf(stderr, "record: the loss-window map's layout differs from the recorder's; windows still open at "
                         "stop are not written (a build out of step: rebuild infertrace)\n");
    return;
  }
  std::vector<Window> vals(static_cast<size_t>(ncpu));
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(fd, &zero, vals.data()) != 0) return;
  for (int cpu = 0; cpu < ncpu; ++cpu) {
    const Window& w = vals[static_cast<size_t>(cpu)];
    it_loss e{};
    uint64_t total = 0;
    for (int i = 0; i < IT_LOSS_SLOTS; ++i) e.lost[i] = w.lost[i], total += w.lost[i];
    if (total == 0) continue;
    e.h.type = IT_EV_LOSS;
    e.h.cpu = static_cast<uint32_t>(cpu);
    e.h.ts = w.first_ts ? w.first_ts : w.last_ts;
    e.last_ts = std::max<uint64_t>(w.last_ts, e.h.ts);
    if (stop_ns_ > 0 && e.h.ts > stop_ns_) {  // all after the stop: as in on_sample
      for (int i = 0; i < IT_LOSS_SLOTS; ++i) lost_after_stop_[i] += e.lost[i];
      continue;
    }
    out_.record(IT_EV_LOSS, &e, sizeof(e));
    counts_[IT_EV_LOSS]++;
  }
}

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

bool Recorder::command_done() {
  if (child_ <= 0) {
    // --pid mode: done when every traced process is gone: the named ones and what they started
    // since (the kernel's traced set; review RP H2: a child making launches was cut off when its
    // parent exited). A zombie (exited, not yet reaped) is gone, and a named pid that another
    // process has taken since is too (review RP H1: kill(pid, 0) held a recording open for as long
    // as the target's parent did not reap it).
    if (o_.pids.empty()) return false;
    for (int pid : o_.pids)
      if (process_running(pid, pid_start_ticks_[pid])) return false;
    for (pid_t pid : traced_tgids())
      if (process_running(pid)) return false;
    return true;
  }
  int status;
  const pid_t r = ::waitpid(child_, &status, WNOHANG);
  if (r == child_) {
    sum_.command_exit_status = shell_status(status);
    sum_.command_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    const int64_t end = StopSignals::child_exit_ns();
    sum_.command_wall_ns = (end > command_start_ns_ ? end : monotonic_ns()) - command_start_ns_;
    // What the command left running (a launcher's background job, a daemon): not recorded from here
    // on, said in the summary and META (review SG L5).
    for (pid_t pid : traced_tgids())
      if (pid != child_ && pid != ::getpid() && process_running(pid)) sum_.left_running.push_back(pid);
    std::sort(sum_.left_running.begin(), sum_.left_running.end());
    child_ = -1;
    return true;
  }
  return false;
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

std::vector<pid_t> Recorder::traced_processes() {
  if (o_.command.empty()) return {};  // --pid: those processes are not record's to end
  return traced_tgids();
}

// The process ids in the kernel's traced set now.
std::vector<pid_t> Recorder::traced_tgids() {
  std::vector<pid_t> out;
  const int fd = bpf_map__fd(s_.skel->maps.traced);
  uint32_t key = 0, next;
  uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(static_cast<pid_t>(next));
    key = next;
    prev = &key;
  }
  return out;
}

void Recorder::write_summary_meta() {
  utsname u{};
  ::uname(&u);
  out_.meta("kernel", std::string(u.sysname) + " " + u.release + " " + u.machine);
  out_.meta("cpus", std::to_string(libbpf_num_possible_cpus()));
  out_.meta("clock", "CLOCK_MONOTONIC");
  out_.meta("duration_s", std::to_string(sum_.seconds));
  out_.meta("recorded_from_ns", std::to_string(recorded_from_ns_));
  out_.meta("recorded_to_ns", std::to_string(recorded_to_ns_));
  for (auto& [type, n] : counts_) out_.meta(std::string("events.") + event_name(type), std::to_string(n));
  if (sum_.after_stop) out_.meta("events_after_stop", std::to_string(sum_.after_stop));
  if (sum_.cut_at_stop) out_.meta("events_cut_at_stop", std::to_string(sum_.cut_at_stop));
  if (sum_.command_wall_ns >= 0) out_.meta("command.wall_ns", std::to_string(sum_.command_wall_ns));
  if (sum_.command_wall_ns >= 0) {  // the command ended by itself: what of its tree it left running
    out_.meta("command.left_running", std::to_string(sum_.left_running.size()));
    if (!sum_.left_running.empty()) out_.meta("command.left_running_pids", itrace::untraced_pids_meta(sum_.left_running));
  }
  const auto stats = read_stats();
  uint64_t lost_after_stop_total = 0;
  for (uint32_t t : {IT_EV_API, IT_EV_SWITCH, IT_EV_WAKEUP, IT_EV_IRQ, IT_EV_SYSCALL, IT_EV_TASK, IT_EV_FDNAME}) {
    auto it = stats.find(IT_STAT_LOST_BASE + t);
    const uint64_t all = it == stats.end() ? 0 : it->second, after = t < IT_LOSS_SLOTS ? lost_after_stop_[t] : 0;
    const uint64_t lost = all > after ? all - after : 0;
    lost_after_stop_total += all - lost;
    out_.meta(std::string("dropped.") + event_name(t), std::to_string(lost));
    sum_.dropped[event_name(t)] = lost;
  }
  // Lost after the stop: events the recording leaves out anyway (a command still running while it
  // ends fills the ring, review RX2 H1), not a loss of the recording.
  if (lost_after_stop_total) out_.meta("lost_after_stop", std::to_string(lost_after_stop_total));
  // Read once, after the detach: the kernel side stopped these totals at the stop itself
  // (count_until_ns, review RP L4: read without it, they went on counting what the processes did
  // during the teardown: 1,485,211 syscalls counted against 1,483,368 made up to the stop). A call
  // in progress at the stop is counted when it returns, its time cut at the stop.
  auto get = [&](uint32_t k) { auto it = stats.find(k); return it == stats.end() ? 0 : it->second; };
  sum_.folded_driver_calls = get(IT_STAT_NESTED_DRIVER);
  sum_.nested_runtime_calls = get(IT_STAT_NESTED_RUNTIME);
  out_.meta("folded_driver_calls", std::to_string(sum_.folded_driver_calls));
  out_.meta("nested_runtime_calls", std::to_string(sum_.nested_runtime_calls));
  // The kernel side's maps that were full (record.bpf.c): counted over the whole recording, the
  // teardown included (a child forked then was not traced either way). Zeros written too, so a
  // reader tells "none" from a recorder that did not count (docs/recording-format.md).
  sum_.max_processes = max_processes(o_);
  sum_.max_threads = max_threads(o_);
  out_.meta("max_processes", std::to_string(sum_.max_processes));
  out_.meta("max_threads", std::to_string(sum_.max_threads));
  sum_.untraced_processes = get(IT_STAT_UNTRACED_PROCESS);
  out_.meta("untraced.processes", std::to_string(sum_.untraced_processes));
  if (!sum_.untraced_pids.empty()) {
    // Those whose UNTRACED record reached the ring (a full ring can lose some: the count above is
    // exact), the first itrace::kUntracedPidsListed of them.
    out_.meta("untraced.pids", itrace::untraced_pids_meta(sum_.untraced_pids));
  }
  for (auto [name, stat] : {std::pair{"syscall", IT_STAT_PENDING_SYSCALL}, {"api", IT_STAT_PENDING_API},
                            {"fold", IT_STAT_PENDING_FOLD}}) {
    sum_.pending_full[name] = get(stat);
    out_.meta(std::string("pending_full.") + name, std::to_string(sum_.pending_full[name]));
  }
  if (o_.syscall && o_.syscall_counts_only)
    for (const it_syscall_count& c : read_syscall_counts())
      out_.record(IT_EV_SYSCALL_COUNT, &c, sizeof(c)), sum_.events["syscall (counted)"] += c.count;
}

// --events syscall-counts: the in-kernel totals per syscall number (those with a call).
std::vector<it_syscall_count> Recorder::read_syscall_counts() {
  std::vector<it_syscall_count> out;
  const int fd = bpf_map__fd(s_.skel->maps.sys_counts);
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  struct Total { uint64_t count, dur; };
  std::vector<Total> vals(static_cast<size_t>(ncpu));
  for (uint32_t nr = 0; nr < 512; ++nr) {
    if (bpf_map_lookup_elem(fd, &nr, vals.data()) != 0) continue;
    it_syscall_count c{};
    c.nr = nr;
    for (auto& v : vals) c.count += v.count, c.total_dur += v.dur;
    if (c.count) out.push_back(c);
  }
  return out;
}

RecordSummary Recorder::run() {
  // SIGINT, SIGTERM, SIGHUP stop the recording; SIGCHLD ends it when the command ends. Put back as
  // they were when run() returns. Installed first: loading and attaching the probes takes a good
  // part of a second, and a Ctrl-C then is a stop like any other, not a death that leaves nothing
  // said (review RX2 L5).
  StopSignals signals;
  libbpf_set_print(libbpf_print);
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
  load();
  s_.rb = ring_buffer__new(bpf_map__fd(s_.skel->maps.events), on_sample, this, nullptr);
  if (!s_.rb) throw Error("record: cannot create the ring buffer reader: " + std::string(std::strerror(errno)));
  attach_tracepoints();

  // The output is opened (truncated) only now: a start-up that failed (an error above) or was
  // stopped leaves an earlier recording at that path as it was (review RX2 L5: it was replaced by a
  // 16-byte header). Nothing has been traced yet, so nothing is lost.
  if (stop_requested()) {
    sum_.stopped_before_recording = true;
    sum_.stop_signal = StopSignals::latest().signo;
    return sum_;
  }
  // And after the targets: a --pid process gone by now, or a command that cannot be set up, is an
  // error that leaves the earlier file too (review RP M1). The command waits for its release byte;
  // the --pid processes' first events wait in the ring.
  start_or_attach_targets();
  // The command never released (a failed open, a stop): the closed pipe makes it exit 127 before its
  // exec; reaped here, not left to init.
  const auto abandon_command = [this] {
    if (release_fd_ >= 0) ::close(release_fd_), release_fd_ = -1;
    if (child_ > 0) {
      int status;
      while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
      }
      child_ = -1;
    }
  };
  // A stop that came during the start-up, up to the moment the output would be truncated, ends it
  // as one while the probes load does: nothing recorded, the command not run, an earlier file left
  // as it was, exit 128 + the signal (review SG L7: after the targets were set up it truncated the
  // file, wrote a recording of the start-up alone and exited 0). Asked once the file is locked, the
  // last moment before anything in it changes; a stop after that is a stop of the recording (the
  // loop below sees it at once), the command released and then ended as after any stop.
  bool opened = false;
  try {
    opened = out_.open([this] { return !stop_requested(); });
  } catch (...) {
    // Refused (another recorder writes that file) or not writable.
    abandon_command();
    throw;
  }
  if (!opened) {
    abandon_command();
    sum_.stopped_before_recording = true;
    sum_.stop_signal = StopSignals::latest().signo;
    return sum_;
  }
  if (release_fd_ >= 0) {
    command_start_ns_ = monotonic_ns();  // the command execs as soon as it reads this byte
    // The window starts here (recorded_from_ns): the command's switches, wake-ups and interrupts
    // while it waited for this byte are not recorded (record.bpf.c command_released_ns), those from
    // this stamp on are. Stored before the byte is written: the command wakes only after it.
    if (s_.skel && s_.skel->data) s_.skel->data->command_released_ns = static_cast<uint64_t>(command_start_ns_);
    (void)!::write(release_fd_, "g", 1);
    ::close(release_fd_);
    release_fd_ = -1;
  }
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
  double last_progress = t0, last_scan = t0, last_window = t0;
  bool command_ended = false, duration_ended = false, write_failed = false;
  bool stop_signal_in_loop = false;
  while (!stop_signal_in_loop) {
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
      write_failed = true;
      break;
    }
    const double t = now_s();
    if (t - last_scan >= 0.25) rescan_libraries(), last_scan = t;
    if (o_.progress && t - last_progress >= 1.0) progress_line(t - t0), last_progress = t;
    if (deadline_ns > 0 && monotonic_ns() >= deadline_ns) {
      duration_ended = true;
      break;
    }
    // A stop first: a command that handles the same Ctrl-C (or group SIGTERM) and exits at once has
    // ended by the time the loop wakes, and it ended because of the stop; its status must not
    // replace record's 0 (review S44 M1, docs/record.md "Exit status": 0 whatever the command did
    // after record got the stop signal). Reaping it is then the first step of ending it.
    stop_signal_in_loop = stop_requested();
    if (stop_signal_in_loop) break;
    if (command_done()) {
      command_ended = true;
      break;
    }
  }
  // stop_signal_in_loop: whether record had been told to stop when the loop ended. A Ctrl-C that
  // arrives later, during the teardown below, must not turn a command's own earlier failure into a stop.
  // A signal's stop is its moment (or the deadline, if that came first); a command that ended
  // keeps every event up to the deadline, if any.
  if (!command_ended && !duration_ended)
    stop_ns_ = static_cast<uint64_t>(deadline_ns > 0 ? std::min(deadline_ns, monotonic_ns()) : monotonic_ns());
  // Stopped: the kernel's counted totals end here, not after the teardown's seconds.
  if (!command_ended) count_until(stop_ns_);
  // Erased before the command is stopped: what it prints as it ends (a handler of SIGTERM) starts
  // on a clean line instead of continuing the progress text. The summary printed later says all
  // the line did (and more).
  progress_.clear();
  // A write failure's stop takes the steps of any stop; the wait after a terminal's Ctrl-C only when
  // one came (StopSignals::latest()), which the command then got too.
  if (write_failed)
    std::fprintf(stderr, "infertrace record: %s: the recording stops here%s\n", out_.failure().c_str(),
                 child_ > 0 ? "; ending the command as a stop does (SIGTERM to its process tree, SIGKILL after "
                              "--stop-grace)"
                            : "; the --pid processes run on");
  if (child_ > 0) {  // stopped by --duration, a signal or a write failure while the command still runs
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
    const bool hang_up = !write_failed && stop.signo == SIGHUP;
    plan.hang_up = hang_up;
    plan.wait_first = !duration_ended && (stop.from_tty || hang_up) && ::getpgid(child_) == ::getpgrp();
    plan.wait_first_after = stop.signo == SIGHUP ? "the hang-up" : stop.signo == SIGQUIT ? "SIGQUIT" : "the interrupt";
    if (plan.wait_first && stop.signo == SIGHUP && ::getsid(0) == ::getpid()) {
      // A hang-up of record's own terminal while record leads the session: the kernel sends SIGHUP to
      // the session leader alone (the foreground group gets it only once the leader has exited), so
      // record passes it on to the command and to the processes of its tree in record's process group,
      // as a shell passes it on to its jobs (review SG L4: record waited a whole --stop-grace for a
      // command that never got it, then sent SIGTERM).
      std::fprintf(stderr, "infertrace record: the terminal hung up (record leads its session, so only record got "
                   "SIGHUP): sending it to the command\n");
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
    plan.say = [](const std::string& m) { std::fprintf(stderr, "infertrace record: %s\n", m.c_str()); };
    const int status = end_command(plan);
    sum_.command_exit_status = shell_status(status);
    sum_.command_signal = status != -1 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    child_ = -1;
  }
  // The time recorded, from when its events could start (as --duration counts; review RP L2: from
  // after the start-up, a --duration 2 recording said 1.93 s): up to the stop when there was one
  // (the command may take seconds to end after it, and nothing after the stop is kept), else up to
  // the command's end.
  // The command's end is its exit, stamped by SIGCHLD (as command.wall_ns), not the moment the loop
  // saw it (review SG L3: up to a poll's 100 ms later, a 0.73 ms command recorded as 0.104 s).
  const int64_t child_exit = StopSignals::child_exit_ns();
  const int64_t recorded_to = stop_ns_ > 0 && !command_ended ? static_cast<int64_t>(stop_ns_)
                              : command_ended && child_exit > events_from && child_exit <= monotonic_ns() ? child_exit
                                                                                                           : monotonic_ns();
  sum_.seconds = std::max<double>(0, static_cast<double>(recorded_to - events_from) / 1e9);
  recorded_from_ns_ = events_from, recorded_to_ns_ = std::max(recorded_to, events_from);
  drain();
  // Detach everything before the summary so no late event changes the counts.
  s_.destroy_links();
  drain();
  flush_loss_windows();
  write_summary_meta();
  finish_cupti();
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
  // Read here, long after the reap (the handler of a signal sent before the command died has run
  // by now); the rule: record/command_stop.h.
  const bool stop_later = stop_requested(!stop_signal_in_loop && !duration_ended);
  if (command_was_stopped(stop_signal_in_loop, duration_ended, stop_later, sum_.command_exit_status))
    sum_.command_stopped = true;
  return sum_;
}

}  // namespace

RecordSummary record(const RecordOptions& opts) {
  if (opts.command.empty() == opts.pids.empty())
    throw UsageError("record: give either --pid PID (one or more) or -- COMMAND [ARGS...]");
  if (!(opts.launch || opts.sched || opts.wakeup || opts.irq || opts.syscall))
    throw UsageError("record: --events selects nothing");
  // Before the Recorder opens (and truncates) the output: a usage error leaves the file as it was.
  check_record_targets(opts);
  CudaModeFacts facts;
  facts.have_command = !opts.command.empty();
  facts.have_pids = !opts.pids.empty();
  facts.library = cupti_library_path();
  facts.gpu_present = opts.cuda == "auto" && facts.have_command && !facts.library.empty() && gpu_present();
  if (const char* inj = std::getenv("CUDA_INJECTION64_PATH"); inj && *inj && std::string(inj) != facts.library)
    facts.other_injection = inj;
  if (opts.cuda == "auto" && !facts.other_injection.empty() && !facts.library.empty() && facts.gpu_present && opts.launch)
    std::fprintf(stderr, "infertrace record: CUDA_INJECTION64_PATH=%s is set: recording with --cuda uprobe, which "
                 "leaves it in place (cupti mode would replace it)\n", facts.other_injection.c_str());
  // Without launch events asked for, auto mode does not inject anything.
  const CudaMode mode = opts.cuda == "auto" && !opts.launch ? CudaMode::Uprobe : resolve_cuda_mode(opts.cuda, facts);
  check_record_prerequisites();
  // CUPTI sees the API calls itself: the launch uprobes stay off so nothing is recorded twice.
  RecordOptions o = opts;
  if (mode == CudaMode::Cupti) o.launch = false;
  Recorder r(o, mode);
  try {
    return r.run();
  } catch (...) {
    // Warnings kept for --summary-file reach it only through a returned summary: on a failure
    // they go to stderr with the error, not nowhere (review DH M1).
    r.print_kept_warnings();
    throw;
  }
}

}  // namespace infertrace

#else  // built without eBPF

namespace infertrace {
RecordSummary record(const RecordOptions&) {
  throw Error(std::string("this build of infertrace has no eBPF recorder: ") + INFERTRACE_BPF_MISSING +
              " at build time (install clang, bpftool and libbpf-dev with scripts/setup.sh, then rebuild)");
}
}  // namespace infertrace

#endif
