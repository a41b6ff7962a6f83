// The one event model every source is turned into and every analysis reads.
//
// Tables are columnar (one std::vector per field) so analyses scan only the columns they need and
// a multi-GB trace costs a few bytes per field, not a heap object per event. All times are int64
// nanoseconds on the source's clock (Kineto: microsecond floats converted exactly; recordings:
// CLOCK_MONOTONIC). Unknown integer fields are -1, unknown strings kNoString.
#pragma once

#include <cstdlib>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "trace/api_kind.h"
#include "trace/launch_coverage.h"
#include "trace/string_table.h"

namespace infertrace {

using ns_t = int64_t;

// ---- GPU side -------------------------------------------------------------------------------

enum class GpuKind : uint8_t { Kernel = 0, Memcpy = 1, Memset = 2 };

struct GpuActivity {
  ns_t start = 0;
  ns_t dur = 0;
  GpuKind kind = GpuKind::Kernel;
  int32_t device = -1;
  int64_t stream = -1;
  int64_t correlation = -1;
  int64_t external_id = -1;
  StrId name = kNoString;
  // Launch geometry when the source has it (Kineto args.grid / args.block), else 0.
  uint32_t grid[3] = {0, 0, 0};
  uint32_t block[3] = {0, 0, 0};
};

struct GpuActivityTable {
  std::vector<ns_t> start, dur;
  std::vector<GpuKind> kind;
  std::vector<int32_t> device;
  std::vector<int64_t> stream, correlation, external_id;
  std::vector<StrId> name;
  std::vector<uint32_t> grid_x, grid_y, grid_z, block_x, block_y, block_z;

  size_t size() const { return start.size(); }
  // Every column, for code that treats them all alike (reserve(), kineto/column_rows.h,
  // kineto/table_prefault.cpp): list a new column here too.
  auto columns() {
    return std::tie(start, dur, kind, device, stream, correlation, external_id, name, grid_x, grid_y, grid_z,
                    block_x, block_y, block_z);
  }
  void push(const GpuActivity& a);
  GpuActivity row(size_t i) const;
  void reserve(size_t n);
};

// ---- Host side: CUDA runtime / driver API calls ---------------------------------------------

struct ApiCall {
  ns_t start = 0;
  ns_t dur = -1;  // -1: duration unknown (e.g. a recording without a return probe)
  int64_t pid = -1;
  int64_t tid = -1;
  int32_t cpu = -1;  // CPU it ran on, when a recording knows it
  int64_t correlation = -1;
  int64_t external_id = -1;
  int64_t stream = -1;  // when the source knows it (recordings read it from the call's arguments)
  StrId name = kNoString;
  ApiKind kind = ApiKind::Other;
  // Launch geometry the call was given, when the source has it (recordings read it from a kernel
  // launch's arguments; Kineto puts it on the kernel, not the call). `geometry_known` says so: a
  // failed launch's grid of 0 is still what the call was given.
  bool geometry_known = false;
  uint32_t grid[3] = {0, 0, 0};
  uint32_t block[3] = {0, 0, 0};
};

struct LaunchDims {
  bool known = false;
  uint32_t grid[3] = {0, 0, 0};
  uint32_t block[3] = {0, 0, 0};
};

struct ApiCallTable {
  std::vector<ns_t> start, dur;
  std::vector<int64_t> pid, tid;
  std::vector<int32_t> cpu;
  std::vector<int64_t> correlation, external_id, stream;
  std::vector<StrId> name;
  std::vector<ApiKind> kind;
  // Host-side launch geometry: empty until push() meets a call that has some (a recording's kernel
  // launches), then one entry per row (`known` false for the rows without). Not among columns(): a
  // Kineto trace never has it and pays nothing for it on millions of calls (its reader fills the
  // columns directly and leaves this empty).
  std::vector<LaunchDims> geometry;

  size_t size() const { return start.size(); }
  bool has_geometry(size_t i) const { return i < geometry.size() && geometry[i].known; }
  // Every column but geometry (see GpuActivityTable::columns).
  auto columns() { return std::tie(start, dur, pid, tid, cpu, correlation, external_id, stream, name, kind); }
  void push(const ApiCall& c);
  ApiCall row(size_t i) const;
  void reserve(size_t n);
};

// ---- Host side: framework operators (ATen ops, user annotations) ----------------------------

struct Operator {
  ns_t start = 0;
  ns_t dur = 0;
  int64_t pid = -1;
  int64_t tid = -1;
  int64_t external_id = -1;
  StrId name = kNoString;
  bool user_annotation = false;
};

struct OperatorTable {
  std::vector<ns_t> start, dur;
  std::vector<int64_t> pid, tid, external_id;
  std::vector<StrId> name;
  std::vector<uint8_t> user_annotation;

  size_t size() const { return start.size(); }
  // Every column (see GpuActivityTable::columns).
  auto columns() { return std::tie(start, dur, pid, tid, external_id, name, user_annotation); }
  void push(const Operator& o);
  Operator row(size_t i) const;
  void reserve(size_t n);
};

// ---- Threads --------------------------------------------------------------------------------

struct ThreadInfo {
  int64_t pid = -1;
  int64_t tid = -1;
  StrId comm = kNoString;
  ns_t first_ts = 0;
  ns_t last_ts = 0;
};

struct ThreadTable {
  std::vector<int64_t> pid, tid;
  std::vector<StrId> comm;
  std::vector<ns_t> first_ts, last_ts;

  size_t size() const { return pid.size(); }
  void push(const ThreadInfo& t);
  ThreadInfo row(size_t i) const;
};

// ---- OS events (filled by recordings; empty for Kineto traces) ------------------------------

// One sched_switch seen on `cpu`. prev_state is the kernel's task state of the outgoing thread
// (0 = TASK_RUNNING); preempted is true when the outgoing thread was still runnable.
struct ContextSwitch {
  ns_t ts = 0;
  int32_t cpu = -1;
  int64_t prev_pid = -1, prev_tid = -1;
  StrId prev_comm = kNoString;
  int64_t prev_state = 0;
  bool preempted = false;
  int64_t next_pid = -1, next_tid = -1;
  StrId next_comm = kNoString;
};

struct SwitchTable {
  std::vector<ns_t> ts;
  std::vector<int32_t> cpu;
  std::vector<int64_t> prev_pid, prev_tid;
  std::vector<StrId> prev_comm;
  std::vector<int64_t> prev_state;
  std::vector<uint8_t> preempted;
  std::vector<int64_t> next_pid, next_tid;
  std::vector<StrId> next_comm;

  size_t size() const { return ts.size(); }
  void push(const ContextSwitch& s);
  ContextSwitch row(size_t i) const;
  // Every column (see GpuActivityTable::columns).
  auto columns() { return std::tie(ts, cpu, prev_pid, prev_tid, prev_comm, prev_state, preempted, next_pid, next_tid, next_comm); }
  void reserve(size_t n);
};

struct Wakeup {
  ns_t ts = 0;
  int32_t cpu = -1;  // target CPU
  int64_t pid = -1, tid = -1;
  int64_t waker_pid = -1, waker_tid = -1;
};

struct WakeupTable {
  std::vector<ns_t> ts;
  std::vector<int32_t> cpu;
  std::vector<int64_t> pid, tid, waker_pid, waker_tid;

  size_t size() const { return ts.size(); }
  void push(const Wakeup& w);
  Wakeup row(size_t i) const;
  // Every column (see GpuActivityTable::columns).
  auto columns() { return std::tie(ts, cpu, pid, tid, waker_pid, waker_tid); }
  void reserve(size_t n);
};

enum class IrqKind : uint8_t { Hard = 0, Soft = 1 };

// A hard IRQ handler or softirq vector run on `cpu` while a traced thread (pid/tid) was current.
// `irq` is the IRQ number (hard) or the softirq vector number (soft); name is the handler name
// (hard) or the vector name ("TIMER", "NET_RX", ...) (soft).
//
// A hard IRQ is either a device IRQ (irq:irq_handler_entry: `irq` an IRQ number, name the handler)
// or an x86 system vector (irq_vectors tracepoints: the local timer tick, IPIs; `irq` the CPU's
// vector number, name its /proc/interrupts row, "LOC", "RES", ...): `system_vector` tells them
// apart, as vector 236 and IRQ 236 are different interrupts. Both stay IrqKind::Hard, as the hard
// IRQ counts and rates include both (docs/metrics.md §5); only where IRQs are listed or labelled
// are the two kept apart. A recording made before the recorder marked vectors (docs/
// recording-format.md) reads every hard IRQ as a device IRQ.
struct Irq {
  ns_t ts = 0;
  ns_t dur = 0;
  int32_t cpu = -1;
  IrqKind kind = IrqKind::Hard;
  int32_t irq = -1;
  StrId name = kNoString;
  int64_t pid = -1, tid = -1;
  bool system_vector = false;  // a hard IRQ that is an x86 system vector (false for softirqs)
  // A softirq the thread ran as its own work: raised in its own kernel code and run by it (the
  // receive side of a loopback send, run at local_bh_enable inside its write()/sendto()). Not an
  // interruption (docs/metrics.md §5). False for every row of a recording that does not tell them
  // apart (META irq.softirq_context != "raise").
  bool own = false;
};

struct IrqTable {
  std::vector<ns_t> ts, dur;
  std::vector<int32_t> cpu;
  std::vector<IrqKind> kind;
  std::vector<int32_t> irq;
  std::vector<StrId> name;
  std::vector<int64_t> pid, tid;
  std::vector<uint8_t> system_vector;  // Irq::system_vector (0/1)
  std::vector<uint8_t> own;            // Irq::own (0/1)

  size_t size() const { return ts.size(); }
  void push(const Irq& q);
  Irq row(size_t i) const;
  // Every column (see GpuActivityTable::columns).
  auto columns() { return std::tie(ts, dur, cpu, kind, irq, name, pid, tid, system_vector, own); }
  void reserve(size_t n);
  // What row i is, as the exports spell it: "device", "system_vector" (hard IRQs), "softirq" or
  // "softirq_own" (a softirq the thread ran as its own work, Irq::own).
  const char* source_name(size_t i) const;
  // Whether row i interrupted its thread: every row but a softirq the thread ran as its own work
  // (Irq::own). The IRQ counts, rates, IRQ time and launch-pair classes count these rows only.
  bool interrupting(size_t i) const { return own[i] == 0; }
  // Its slice label in the timelines: "irq NAME", "vector NAME", "softirq NAME" or "own softirq NAME".
  const char* label_prefix(size_t i) const;
};

struct Syscall {
  ns_t ts = 0;
  ns_t dur = 0;
  int64_t pid = -1, tid = -1;
  int32_t nr = -1;
  StrId name = kNoString;
  int64_t ret = 0;
  int64_t fd_target = -1;  // ioctl: interned path of the fd's target when known, else -1
};

struct SyscallTable {
  std::vector<ns_t> ts, dur;
  std::vector<int64_t> pid, tid;
  std::vector<int32_t> nr;
  std::vector<StrId> name;
  std::vector<int64_t> ret, fd_target;

  size_t size() const { return ts.size(); }
  void push(const Syscall& s);
  Syscall row(size_t i) const;
  // Every column (see GpuActivityTable::columns).
  auto columns() { return std::tie(ts, dur, pid, tid, nr, name, ret, fd_target); }
  void reserve(size_t n);
};

// ---- The traced process tree (a recording's TASK records; empty for Kineto traces) ----------

// What a TASK record says (docs/recording-format.md): a thread alive when its process entered the
// recording (Existing: `record --pid`, or the command at its start), one made while it ran (New: a
// thread or a process of the traced tree), an exec, an exit, a rename (the thread took a new name:
// prctl, pthread_setname_np, /proc; recordings made since 2026-12-06).
enum class TaskKind : uint8_t { Existing = 0, New = 1, Exec = 2, Exit = 3, Rename = 4 };

struct TaskEvent {
  ns_t ts = 0;
  int64_t pid = -1, tid = -1;
  TaskKind kind = TaskKind::New;
  int64_t parent_tid = -1;  // New: the thread that made it; else -1
  // Existing: the thread's state at the attach as /proc spelled it ('R' running or runnable; 'S',
  // 'D', 'T', 't', 'I', ...: off the CPU); 0 unknown (a recording made before 2026-12-05, a read
  // that failed) and for the other kinds.
  char state = 0;
  StrId comm = kNoString;  // the thread's name in the record
};

struct TaskTable {
  std::vector<ns_t> ts;
  std::vector<int64_t> pid, tid, parent_tid;
  std::vector<TaskKind> kind;
  std::vector<char> state;
  std::vector<StrId> comm;

  size_t size() const { return ts.size(); }
  void push(const TaskEvent& e);
  TaskEvent row(size_t i) const;
  // Every column (see GpuActivityTable::columns).
  auto columns() { return std::tie(ts, pid, tid, parent_tid, kind, state, comm); }
  void reserve(size_t n);
};

// A window of time on one CPU in which the recorder lost events to a full ring buffer (a LOSS record:
// docs/recording-format.md): between `first` and `last` (the earliest and latest stamp of a record it
// lost: a launch's entry, a sync call's or syscall's return; in recordings made before 2026-12-04
// its first and last failed reserve) `lost`
// events of each type were lost, keyed as META dropped.<type> ("api", "switch", ...). Events of
// threads that ran on other CPUs meanwhile were kept, but a thread migrates, so an analysis treats
// a window as a gap of every thread (analysis/loss_windows.h).
struct LossWindow {
  ns_t first = 0, last = 0;
  int32_t cpu = -1;
  std::map<std::string, int64_t> lost;  // by type, only non-zero counts
  int64_t total() const {
    int64_t n = 0;
    for (const auto& [type, c] : lost) n += c;
    return n;
  }
};

// ---- The whole trace ------------------------------------------------------------------------

enum class TraceSource : uint8_t { Unknown = 0, Kineto = 1, Recording = 2 };

// What every output says of Trace::names_cleaned's counts (text, HTML, ingest).
inline constexpr const char* kNamesCleanedMeaning = "names kept with characters replaced (? or U+FFFD); their events are used";
// What every output says of Trace::invalid_api_names_resolved() and _kept() (text, JSON's page, HTML).
inline constexpr const char* kInvalidNamesResolvedMeaning = "runtime calls the trace names INVALID (PyTorch 2.0 and older), named here by their callback id (args.cbid) and counted as what they are";
inline constexpr const char* kInvalidNamesKeptMeaning = "calls the trace names INVALID that are no launch or sync call by their callback id (or have none): kept as INVALID, not launch calls";

struct Trace {
  TraceSource source = TraceSource::Unknown;
  std::string file;  // path it was read from, as text: not-UTF-8 bytes and control characters read ?

  StringTable strings;
  GpuActivityTable gpu;
  ApiCallTable api;
  OperatorTable ops;
  ThreadTable threads;
  SwitchTable switches;
  WakeupTable wakeups;
  IrqTable irqs;
  SyscallTable syscalls;
  std::vector<LossWindow> loss_windows;  // in file order (a recording's LOSS records; empty otherwise)

  // Events the ingest could not use, by reason ("skipped_missing_ts", "skipped_bad_type", ...).
  // Every reader counts here instead of dropping silently; outputs print all non-zero counters.
  std::map<std::string, int64_t> skipped;
  // Free-form facts about the source (PyTorch version, device name, kernel version, clock, ...).
  std::map<std::string, std::string> meta;
  // Whether the launch calls were all recorded (a CUPTI recording whose process had launch callbacks
  // refused: trace/launch_coverage.h); filled by the recording reader from its META.
  LaunchCoverage launch_coverage;
  // The traced process tree's TASK records, sorted by time (recordings only). Before 2026-12-05 the
  // attach states alone travelled, as the meta string "recording.attach_states".
  TaskTable tasks;
  // Start times of a Kineto trace's host events that no table above keeps (python_function ranges,
  // other CPU-side categories infertrace does not read), in file order: with no operator in the
  // trace, the inference latency starts at the earliest host event (docs/metrics.md "Inference
  // latency"), and these are host events too. The profiler's own spans (the "Trace" span of the
  // profiling window, CUPTI "overhead") and device-side ranges are not here
  // (ingest/kineto/event_sink.cpp). Empty for recordings. Since 2026-12-05.
  std::vector<ns_t> other_host_starts;
  // Names the readers kept with characters replaced, by reason ("names_with_control_chars_replaced",
  // "names_with_surrogates_replaced", a recording's "names_with_bytes_replaced"): their events are
  // used, so these are no skipped events (until 2026-12-06 they were counted in `skipped` and
  // printed as events "the reader could not use": review CX L8). Outputs print them as a note.
  std::map<std::string, int64_t> names_cleaned;

  void count_skipped(const std::string& reason, int64_t n = 1) { skipped[reason] += n; }
  void count_cleaned(const std::string& reason, int64_t n = 1) { names_cleaned[reason] += n; }
  // Kineto events kept with a duration of 0 (meta "kineto.zero_duration_events"; 0 when absent).
  int64_t zero_duration_events() const {
    const auto it = meta.find("kineto.zero_duration_events");
    return it == meta.end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10);
  }
  // GPU events the reader left out (meta "skipped_gpu_events"; each is also counted in `skipped`
  // under its reason): a trace with none kept but some here had GPU work, just none usable.
  int64_t skipped_gpu_events() const {
    const auto it = meta.find("skipped_gpu_events");
    return it == meta.end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10);
  }
  // Kineto runtime calls named "INVALID" (PyTorch 2.0 and older: Kineto's name table ended before
  // newer callback ids) that the reader named by their args.cbid (trace/runtime_cbid_names.h; meta
  // "invalid_api_names_resolved"), and those it kept as "INVALID": no launch or sync call by
  // that id, no id, or a driver call (meta "invalid_api_names_kept"). 0 when absent.
  int64_t invalid_api_names_resolved() const { return meta_count("invalid_api_names_resolved"); }
  int64_t invalid_api_names_kept() const { return meta_count("invalid_api_names_kept"); }
  std::string_view str(StrId id) const { return strings.view(id); }
  // A count the readers keep in meta as text; 0 when absent.
  int64_t meta_count(const char* key) const {
    const auto it = meta.find(key);
    return it == meta.end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10);
  }
};

}  // namespace infertrace
