// Turns the records of a .itrace file into the Trace tables. Rows are added in file order, then each
// table is put in time order: the ring buffer interleaves CPUs and an API call is written at its
// return, so file order is not time order.
#include "ingest/recording/recording_reader.h"
#include "util/text_clean.h"

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>
#include <map>
#include <fstream>
#include <iterator>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ingest/input_pages.h"
#include "ingest/recording/analysis_memory.h"
#include "ingest/recording/cupti_callbacks.h"
#include "ingest/recording/cut_record_check.h"
#include "ingest/recording/impossible_threads.h"
#include "ingest/recording/implausible_stamps.h"
#include "ingest/recording/itrace_format.h"
#include "ingest/recording/syscall_names.h"
#include "ingest/recording/zero_filled_tail.h"
#include "trace/thread_name.h"
#include "util/comma_list.h"
#include "util/error.h"

namespace infertrace {

namespace {

std::string_view softirq_name(uint32_t vec) {
  // The kernel's softirq vector order (include/linux/interrupt.h), stable ABI of the tracepoint.
  static constexpr std::string_view names[] = {"HI",     "TIMER",   "NET_TX",  "NET_RX", "BLOCK",
                                               "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"};
  return vec < std::size(names) ? names[vec] : std::string_view{};
}

// A fixed-size, possibly unterminated comm/name field.
std::string_view fixed_str(const char* p, size_t n) {
  size_t len = 0;
  while (len < n && p[len] != 0) ++len;
  return {p, len};
}

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Row numbers in time order, rows of one time in file order (what a stable sort by time gives);
// empty when the rows are in that order already. Records arrive mostly in time order (per CPU; an
// API call is written at its return): (time, row) keys, 16 bytes, are sorted instead of the rows.
std::vector<size_t> time_order(const std::vector<ns_t>& ts) {
  const size_t n = ts.size();
  size_t i = 1;
  while (i < n && ts[i - 1] <= ts[i]) ++i;
  if (i >= n) return {};
  std::vector<std::pair<ns_t, size_t>> keys(n);
  for (size_t k = 0; k < n; ++k) keys[k] = {ts[k], k};
  // Keys are distinct (the row number breaks ties), so the order is that of a stable sort.
  std::sort(keys.begin(), keys.end());
  std::vector<size_t> order(n);
  for (size_t k = 0; k < n; ++k) order[k] = keys[k].second;
  return order;
}

// column = column[order[0]], column[order[1]], ... (one column at a time: the memory of one more).
template <class T>
void permute(std::vector<T>& column, const std::vector<size_t>& order) {
  std::vector<T> out;
  out.reserve(order.size());
  for (const size_t k : order) out.push_back(column[k]);
  column.swap(out);
}

// A table's rows (in file order) into time order.
template <class Table>
void sort_table_by_time(Table& table, const std::vector<ns_t>& ts) {
  const std::vector<size_t> order = time_order(ts);
  if (order.empty()) return;
  std::apply([&order](auto&... column) { (permute(column, order), ...); }, table.columns());
}

// Records of each type by their headers alone, from `off` up to the first header that does not fit
// (what the reader then finds there is its business): to reserve the Builder's rows once.
std::array<size_t, IT_EV_NTYPES> count_records(const unsigned char* data, size_t off, size_t size, bool release_input) {
  std::array<size_t, IT_EV_NTYPES> count{};
  SequentialPages pages(reinterpret_cast<const char*>(data), size, release_input);
  while (size - off >= itrace::kRecordHeaderBytes) {
    pages.at(off);
    const uint32_t type = load<uint32_t>(data + off), len = load<uint32_t>(data + off + 4);
    if (len > size - off - itrace::kRecordHeaderBytes) break;
    // (Only records long enough to be read: rows reserved stay within a small multiple of the file.)
    if (type < IT_EV_NTYPES && len >= itrace::min_payload(type)) ++count[type];
    off += itrace::kRecordHeaderBytes + len;
  }
  return count;
}

struct ThreadSeen {
  int64_t pid = -1;
  ns_t first = INT64_MAX, last = INT64_MIN;
  ThreadNameSources names;  // its name: the one it had last (trace/thread_name.h)
};

class Builder {
 public:
  explicit Builder(Trace& t) : t_(t) {}

  // Room for the events of each record type (`count` by type, from the record headers).
  void reserve(const std::array<size_t, IT_EV_NTYPES>& count) {
    t_.api.reserve(count[IT_EV_API]);
    api_rows_ = count[IT_EV_API];
    t_.gpu.reserve(count[IT_EV_GPU]);
    gpu_name_.reserve(count[IT_EV_GPU]);
    t_.switches.reserve(count[IT_EV_SWITCH]);
    t_.tasks.reserve(count[IT_EV_TASK]);
    t_.wakeups.reserve(count[IT_EV_WAKEUP]);
    t_.irqs.reserve(count[IT_EV_IRQ]);
    t_.syscalls.reserve(count[IT_EV_SYSCALL]);
  }

  void api(const it_api& e, int64_t correlation = -1) {
    ApiCall c;
    c.correlation = correlation;
    c.start = static_cast<ns_t>(e.h.ts);
    c.dur = (e.flags & IT_API_HAS_DUR) ? static_cast<ns_t>(e.dur) : -1;
    c.pid = e.h.pid;
    c.tid = e.h.tid;
    c.cpu = static_cast<int32_t>(e.h.cpu);
    c.stream = (e.flags & IT_API_HAS_STREAM) ? static_cast<int64_t>(e.stream) : -1;
    if (e.flags & IT_API_HAS_GEOMETRY) {
      c.geometry_known = true;
      for (int i = 0; i < 3; ++i) c.grid[i] = e.grid[i], c.block[i] = e.block[i];
    }
    auto it = api_names_.find(e.api);
    if (it != api_names_.end()) {
      // Interned at its first call (ids are given in the order names are first met), then reused.
      ApiName& n = it->second;
      if (!n.interned) n.id = t_.strings.intern(n.name), n.kind = classify_api(n.name), n.interned = true;
      c.name = n.id;
      c.kind = n.kind;
    } else {
      const std::string name = "api#" + std::to_string(e.api);
      t_.count_skipped("api_index_without_name");
      c.name = t_.strings.intern(name);
      c.kind = classify_api(name);
    }
    // The geometry column, once a call has some, has a row for every call (ApiCallTable::push).
    if (c.geometry_known && t_.api.geometry.empty()) t_.api.geometry.reserve(std::max(api_rows_, t_.api.size() + 1));
    t_.api.push(c);
    traced(e.h.pid);
    touch(e.h.pid, e.h.tid, e.h.ts);
  }

  void gpu(const it_gpu& e) {
    GpuActivity a;
    a.start = static_cast<ns_t>(e.h.ts);
    a.dur = static_cast<ns_t>(e.dur);
    a.kind = e.kind == IT_GPU_MEMCPY ? GpuKind::Memcpy : e.kind == IT_GPU_MEMSET ? GpuKind::Memset : GpuKind::Kernel;
    a.device = static_cast<int32_t>(e.device);
    a.stream = static_cast<int64_t>(e.stream);
    a.correlation = static_cast<int64_t>(e.correlation);
    for (int i = 0; i < 3; ++i) a.grid[i] = e.grid[i], a.block[i] = e.block[i];
    t_.gpu.push(a);
    gpu_name_.push_back(e.name);
    if (e.kind > IT_GPU_MEMSET) t_.count_skipped("gpu_unknown_kind");
  }

  void string(uint32_t id, std::string_view text) { strings_[id] = clean(text); }

  void sw(const it_switch& e) {
    ContextSwitch s;
    s.ts = static_cast<ns_t>(e.h.ts);
    s.cpu = static_cast<int32_t>(e.h.cpu);
    s.prev_pid = e.h.pid;
    s.prev_tid = e.h.tid;
    s.prev_comm = intern_clean(fixed_str(e.prev_comm, IT_COMM_LEN));
    s.prev_state = static_cast<int64_t>(e.prev_state);
    // The kernel counts a switch as involuntary when it preempts, or when the thread is still
    // runnable (state 0, e.g. sched_yield); any other state is a block (a voluntary switch).
    s.preempted = e.preempt != 0 || e.prev_state == 0;
    s.next_pid = e.next_pid;
    s.next_tid = e.next_tid;
    s.next_comm = intern_clean(fixed_str(e.next_comm, IT_COMM_LEN));
    t_.switches.push(s);
  }

  void wakeup(const it_wakeup& e) {
    Wakeup w;
    w.ts = static_cast<ns_t>(e.h.ts);
    w.cpu = static_cast<int32_t>(e.target_cpu);
    w.pid = e.h.pid;
    w.tid = e.h.tid;
    w.waker_pid = e.waker_pid;
    w.waker_tid = e.waker_tid;
    t_.wakeups.push(w);
    traced(e.h.pid);
    const std::string_view comm = fixed_str(e.comm, IT_COMM_LEN);
    if (printable_ascii(comm)) touch(e.h.pid, e.h.tid, e.h.ts, comm);
    else touch(e.h.pid, e.h.tid, e.h.ts, clean(comm));
  }

  // `context`: the record's IT_IRQ_CTX_* tail (IT_IRQ_CTX_UNKNOWN when the record has none).
  void irq(const it_irq& e, uint32_t context) {
    Irq q;
    q.ts = static_cast<ns_t>(e.h.ts);
    q.dur = static_cast<ns_t>(e.dur);
    q.cpu = static_cast<int32_t>(e.h.cpu);
    q.kind = e.kind == IT_IRQ_SOFT ? IrqKind::Soft : IrqKind::Hard;
    // Files recorded before IT_IRQ_VECTOR wrote system vectors as IT_IRQ_HARD (mark_early_vectors
    // tells those of early 2026-12-03 apart by META).
    q.system_vector = e.kind == IT_IRQ_VECTOR;
    if (e.kind == IT_IRQ_VECTOR) saw_vector_kind_ = true;
    // A kind from a newer recorder: still a hard IRQ to every count, but said (as gpu_unknown_kind).
    if (e.kind > IT_IRQ_VECTOR) t_.count_skipped("irq_unknown_kind");
    q.irq = static_cast<int32_t>(e.irq);
    q.name = q.kind == IrqKind::Soft ? t_.strings.intern(softirq_name(e.irq)) : intern_clean(fixed_str(e.name, IT_IRQ_NAME_LEN));
    q.pid = e.h.pid;
    q.tid = e.h.tid;
    q.own = q.kind == IrqKind::Soft && context == IT_IRQ_CTX_OWN;
    t_.irqs.push(q);
    traced(e.h.pid);
    touch(e.h.pid, e.h.tid, e.h.ts);  // the interrupted thread is current from start to end
    touch(e.h.pid, e.h.tid, e.h.ts + e.dur);
  }

  void syscall(const it_syscall& e) {
    Syscall s;
    s.ts = static_cast<ns_t>(e.h.ts);
    s.dur = static_cast<ns_t>(e.dur);
    s.pid = e.h.pid;
    s.tid = e.h.tid;
    s.nr = static_cast<int32_t>(e.nr);
    s.name = syscall_id(e.nr);
    s.ret = e.ret;
    if (e.nr == IT_NR_IOCTL && e.fd_plus1 > 0) ioctl_fds_.push_back({t_.syscalls.size(), e.fd_plus1 - 1});
    t_.syscalls.push(s);
    traced(e.h.pid);
    touch(e.h.pid, e.h.tid, e.h.ts + e.dur);
    touch(e.h.pid, e.h.tid, e.h.ts);
  }

  // `state`: the kind-0 record's state letter, 0 when the record has none (48 bytes, or not read).
  void task(const it_task& e, uint32_t state) {
    TaskEvent r;
    r.ts = static_cast<ns_t>(e.h.ts), r.pid = e.h.pid, r.tid = e.h.tid;
    r.comm = intern_clean(fixed_str(e.comm, IT_COMM_LEN));
    switch (e.kind) {
      case IT_TASK_EXISTING:
        r.kind = TaskKind::Existing;
        // A letter /proc can print, else unknown (a newer writer's code, or a damaged byte).
        r.state = (state >= 'A' && state <= 'Z') || (state >= 'a' && state <= 'z') ? static_cast<char>(state) : 0;
        break;
      case IT_TASK_NEW: r.kind = TaskKind::New, r.parent_tid = e.parent_tid; break;
      case IT_TASK_EXEC: r.kind = TaskKind::Exec; break;
      case IT_TASK_EXIT: r.kind = TaskKind::Exit; break;
      case IT_TASK_RENAME: r.kind = TaskKind::Rename; break;
      default: break;  // a later writer's kind: its thread is still seen below, the record not kept
    }
    if (e.kind <= IT_TASK_RENAME) t_.tasks.push(r);
    else t_.count_skipped("task_unknown_kind");
    traced(e.h.pid);
    ThreadSeen& th = touch(e.h.pid, e.h.tid, e.h.ts);
    // exec renames the thread, and so does the thread itself (prctl: a RENAME record at the rename
    // since 2026-12-06); the name it had last wins, an exit record's over any later switch row of
    // its id (trace/thread_name.h).
    th.names.task(static_cast<ns_t>(e.h.ts), clean(fixed_str(e.comm, IT_COMM_LEN)), e.kind == IT_TASK_EXIT);
  }

  // A new process the recorder's traced set had no room for: not a traced process (no thread of the
  // table, its switches against traced threads are the outsider's side), only counted. The META the
  // recorder writes at its stop (untraced.processes, an exact counter, and untraced.pids) says the
  // same; a recording cut before its stop has only these records, which finish() turns into that META.
  void untraced(const it_task& e) { untraced_pids_.push_back(e.h.pid); }

  // "dev" + "nvidia0" -> "dev/nvidia0" (the last two components of the file's path).
  void fdname(const it_fdname& e) {
    const std::string dir = clean(fixed_str(e.dir, IT_FDNAME_LEN)), name = clean(fixed_str(e.name, IT_FDNAME_LEN));
    // An anonymous file (pipe, socket) has no name to give, but the record still says the fd no
    // longer holds the file named before: kept as kNoString, so a later ioctl on it is unnamed
    // instead of being put on the previous file (stderr moved from /dev/null to a pipe).
    const bool anonymous = name.empty() || name == "/";
    const std::string path = dir.empty() ? name : dir == "/" ? "/" + name : dir + "/" + name;
    fd_names_[{e.h.pid, e.fd}].push_back({static_cast<ns_t>(e.h.ts), anonymous ? kNoString : t_.strings.intern(path)});
  }

  void syscall_count(const it_syscall_count& c) {
    const std::string name(syscall_label(c.nr));
    t_.meta["syscall_count." + name] = std::to_string(c.count);
    t_.meta["syscall_total_ns." + name] = std::to_string(c.total_dur);
    t_.meta["syscall_nr." + name] = std::to_string(c.nr);
    t_.strings.intern(name);  // so the syscall profile can name it (analysis/syscall.cpp)
  }

  void meta(std::string key, std::string value) {
    key = clean(key), value = clean(value);
    if (key.rfind("api.", 0) == 0) {
      try {
        api_names_[static_cast<uint32_t>(std::stoul(key.substr(4)))] = ApiName{value};
      } catch (const std::exception&) {
        t_.count_skipped("bad_api_name_record");
      }
    }
    t_.meta[std::move(key)] = std::move(value);
  }

  // The tables were filled in file order; each is put in time order here.
  void finish() {
    if (!untraced_pids_.empty() && !t_.meta.count("untraced.processes")) {
      t_.meta["untraced.processes"] = std::to_string(untraced_pids_.size());
      t_.meta["untraced.pids"] = itrace::untraced_pids_meta(untraced_pids_);
    }
    // The process tree's records by time (file order is not time order; records of one instant
    // keep theirs).
    sort_table_by_time(t_.tasks, t_.tasks.ts);
    // Switch sides belong to the threads table only for traced processes.
    const SwitchTable& sw = t_.switches;
    for (size_t i = 0; i < sw.size(); ++i) {
      if (is_traced(sw.prev_pid[i])) touch(sw.prev_pid[i], sw.prev_tid[i], sw.ts[i], t_.str(sw.prev_comm[i]));
      if (is_traced(sw.next_pid[i])) touch(sw.next_pid[i], sw.next_tid[i], sw.ts[i], t_.str(sw.next_comm[i]));
    }
    // So does the waker of a wake-up (e.g. a thread waking its parent as it exits).
    const WakeupTable& wk = t_.wakeups;
    for (size_t i = 0; i < wk.size(); ++i)
      if (is_traced(wk.waker_pid[i])) touch(wk.waker_pid[i], wk.waker_tid[i], wk.ts[i]);
    // GPU names are resolved at the end: a STRING record may follow the first activity using it.
    GpuActivityTable& gpu = t_.gpu;
    for (size_t i = 0; i < gpu.size(); ++i) {
      const uint32_t id = gpu_name_[i];
      if (id == 0) {
        gpu.name[i] = t_.strings.intern(gpu.kind[i] == GpuKind::Memcpy ? "Memcpy" : "Memset");
        continue;
      }
      auto it = strings_.find(id);
      if (it == strings_.end()) t_.count_skipped("gpu_name_id_without_string");
      gpu.name[i] = t_.strings.intern(it == strings_.end() ? "kernel#" + std::to_string(id) : it->second);
    }
    std::vector<uint32_t>().swap(gpu_name_);
    sort_table_by_time(gpu, gpu.start);
    sort_table_by_time(t_.switches, t_.switches.ts);
    sort_table_by_time(t_.wakeups, t_.wakeups.ts);
    mark_early_vectors();
    sort_table_by_time(t_.irqs, t_.irqs.ts);
    // An ioctl's fd is named by the latest FDNAME of that (process, fd) at or before the call.
    for (auto& [key, names] : fd_names_) std::stable_sort(names.begin(), names.end());
    SyscallTable& sc = t_.syscalls;
    for (auto [row, fd] : ioctl_fds_) {
      const auto it = fd_names_.find({sc.pid[row], fd});
      if (it == fd_names_.end()) continue;
      const auto after = std::upper_bound(it->second.begin(), it->second.end(),
                                          std::pair<ns_t, StrId>{sc.ts[row], std::numeric_limits<StrId>::max()});
      if (after != it->second.begin() && std::prev(after)->second != kNoString) sc.fd_target[row] = std::prev(after)->second;
    }
    sort_table_by_time(sc, sc.ts);
    {
      // (geometry is not among the columns; when present it has a row for every call.)
      ApiCallTable& api = t_.api;
      const std::vector<size_t> order = time_order(api.start);
      if (!order.empty()) {
        std::apply([&order](auto&... column) { (permute(column, order), ...); }, api.columns());
        if (!api.geometry.empty()) permute(api.geometry, order);
      }
    }
    std::vector<std::pair<int64_t, ThreadSeen*>> order;
    order.reserve(threads_.size());
    for (auto& [tid, th] : threads_) order.push_back({tid, &th});
    std::sort(order.begin(), order.end(), [](auto& a, auto& b) {
      return a.second->pid != b.second->pid ? a.second->pid < b.second->pid : a.first < b.first;
    });
    for (auto& [tid, th] : order) {
      ThreadInfo ti;
      ti.pid = th->pid;
      ti.tid = tid;
      ti.comm = t_.strings.intern(th->names.name());
      ti.first_ts = th->first;
      ti.last_ts = th->last;
      t_.threads.push(ti);
    }
  }

 private:
  std::string syscall_label(uint32_t nr) {
    std::string_view n = syscall_name_x86_64(static_cast<int>(nr));
    return n.empty() ? "sys_" + std::to_string(nr) : std::string(n);
  }

  // Every name from the file, before it reaches a terminal, JSON or HTML (util/text_clean.h).
  std::string clean(std::string_view raw) {
    bool changed = false;
    std::string s = clean_text(raw, changed);
    if (changed) t_.count_cleaned("names_with_bytes_replaced");
    return s;
  }

  // clean() leaves printable ASCII as it is: such a name (nearly every one) is interned without a copy.
  static bool printable_ascii(std::string_view s) {
    for (const char ch : s)
      if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7F) return false;
    return true;
  }
  StrId intern_clean(std::string_view raw) {
    return printable_ascii(raw) ? t_.strings.intern(raw) : t_.strings.intern(clean(raw));
  }

  // A syscall's interned label, by number (the same id intern(syscall_label(nr)) gives).
  StrId syscall_id(uint32_t nr) {
    if (nr < syscall_ids_.size() && syscall_ids_[nr] != kNoString) return syscall_ids_[nr];
    const StrId id = t_.strings.intern(syscall_label(nr));
    if (nr < 1024) {
      if (nr >= syscall_ids_.size()) syscall_ids_.resize(nr + 1, kNoString);
      syscall_ids_[nr] = id;
    }
    return id;
  }

  // traced_pids_.insert(pid), without the set's lookup when pid is the one added last.
  void traced(int64_t pid) {
    if (pid == last_traced_pid_ && !traced_pids_.empty()) return;
    traced_pids_.insert(pid);
    last_traced_pid_ = pid;
  }

  // traced_pids_.count(pid) != 0, for finish() (the set no longer grows): the last answer kept for
  // each of the last two pids asked (a switch's two sides).
  bool is_traced(int64_t pid) {
    for (auto& [p, yes] : traced_asked_)
      if (p == pid) return yes;
    traced_asked_[1] = traced_asked_[0];
    traced_asked_[0] = {pid, traced_pids_.count(pid) != 0};
    return traced_asked_[0].second;
  }

  ThreadSeen& touch(int64_t pid, int64_t tid, uint64_t ts, std::string_view comm = {}) {
    // The thread touched last is touched again by most events (a syscall's two ends, a thread's run
    // of events on its CPU): its entry is kept (unordered_map entries do not move on a rehash).
    if (!last_thread_ || tid != last_tid_) last_thread_ = &threads_[tid], last_tid_ = tid;
    ThreadSeen& th = *last_thread_;
    th.pid = pid;
    th.first = std::min<ns_t>(th.first, static_cast<ns_t>(ts));
    th.last = std::max<ns_t>(th.last, static_cast<ns_t>(ts));
    if (!comm.empty()) th.names.seen(static_cast<ns_t>(ts), comm);
    return th;
  }

  // Recordings made earlier on 2026-12-03 traced the system vectors but wrote them as kind 0, with
  // META irq.system_vectors naming them: a kind-0 row with one of those names is a vector, so such
  // a file groups its vectors as a newer one does (review EK M1; CAL's two vectors
  // `CAL (vector 251)` and `CAL (vector 252)`, not two "device IRQs"). Only in a file with no
  // kind-2 row: in a newer one kind 0 is a device IRQ, whatever its handler's name. (A newer file without a single vector row and with a device
  // handler named LOC, CAL, ... would be misread; the tick alone makes such a file unlikely.)
  void mark_early_vectors() {
    const auto it = t_.meta.find("irq.system_vectors");
    if (saw_vector_kind_ || it == t_.meta.end() || it->second.empty()) return;
    const std::vector<std::string> list = split_commas(it->second);
    const std::unordered_set<std::string> names(list.begin(), list.end());
    IrqTable& q = t_.irqs;
    for (size_t i = 0; i < q.size(); ++i)
      if (q.kind[i] == IrqKind::Hard && names.count(std::string(t_.str(q.name[i])))) q.system_vector[i] = 1;
  }

  Trace& t_;
  bool saw_vector_kind_ = false;
  struct ApiName {
    std::string name;
    bool interned = false;  // id and kind below are set
    StrId id = kNoString;
    ApiKind kind = ApiKind::Other;
  };
  std::unordered_map<uint32_t, ApiName> api_names_;
  std::unordered_set<int64_t> traced_pids_;
  std::vector<int64_t> untraced_pids_;  // IT_EV_UNTRACED records' processes, in file order
  int64_t last_traced_pid_ = 0;
  std::pair<int64_t, bool> traced_asked_[2] = {{INT64_MIN, false}, {INT64_MIN, false}};  // is_traced()
  std::unordered_map<int64_t, ThreadSeen> threads_;
  ThreadSeen* last_thread_ = nullptr;
  int64_t last_tid_ = 0;
  std::vector<StrId> syscall_ids_;  // syscall_id(): by number below 1024, kNoString until met
  size_t api_rows_ = 0;  // API records counted by reserve()
  std::vector<uint32_t> gpu_name_;  // the STRING id of each row of t_.gpu (file order)
  std::unordered_map<uint32_t, std::string> strings_;
  std::vector<std::pair<size_t, uint32_t>> ioctl_fds_;  // (row in t_.syscalls, file order; fd) of ioctls
  std::map<std::pair<int64_t, uint32_t>, std::vector<std::pair<ns_t, StrId>>> fd_names_;  // (pid, fd) -> (ts, name)
};

}  // namespace

bool is_recording(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(itrace::kMagic)];
  return in.read(magic, sizeof(magic)) && std::memcmp(magic, itrace::kMagic, sizeof(magic)) == 0;
}

bool is_recording(const char* data, size_t size) {
  return size >= sizeof(itrace::kMagic) && std::memcmp(data, itrace::kMagic, sizeof(itrace::kMagic)) == 0;
}

Trace read_recording_bytes(const unsigned char* data, size_t size, const std::string& name, bool release_input) {
  Trace t;
  t.source = TraceSource::Recording;
  t.file = name;
  if (size < sizeof(itrace::kMagic) || std::memcmp(data, itrace::kMagic, sizeof(itrace::kMagic)) != 0)
    throw InputError(name, 0, "not an infertrace recording (missing INFTRACE header)");
  if (size < itrace::kFileHeaderBytes)  // the magic alone: a recorder stopped before its first write ended
    throw InputError(name, static_cast<int64_t>(size), "recording cut off inside its " +
                                                           std::to_string(itrace::kFileHeaderBytes) + "-byte file header (" +
                                                           std::to_string(size) + " bytes)");
  const uint32_t version = load<uint32_t>(data + 8);
  const uint32_t header_bytes = load<uint32_t>(data + 12);
  if (version < itrace::kOldestVersion || version > itrace::kVersion)
    throw InputError(name, 8, "recording format version " + std::to_string(version) + " is not supported (this build reads " +
                                  std::to_string(itrace::kOldestVersion) + " to " + std::to_string(itrace::kVersion) + ")");
  if (header_bytes < itrace::kFileHeaderBytes || header_bytes > size)
    throw InputError(name, 12, "bad header size " + std::to_string(header_bytes));

  Builder b(t);
  const std::array<size_t, IT_EV_NTYPES> count = count_records(data, header_bytes, size, release_input);
  require_analysis_memory(count, name, size);  // before any row is made: fail fast, not thrash (review RL57 M1)
  b.reserve(count);
  bool complete = false;
  size_t off = header_bytes;
  // A crash before the last blocks reached the disk leaves zeros at the end (zero_filled_tail.h):
  // the records before them are kept, as for a record cut off while it was written, and the one the
  // zeros begin inside is left out with them (it would read as an event with zeroed fields).
  const size_t zeros_from = itrace::final_zero_run_start(data, header_bytes, size);
  int64_t skipped_gpu = 0;  // GPU records left out (Trace::skipped_gpu_events)
  itrace::StampBounds stamps;  // judged against META written at the end (implausible_stamps.h)
  SequentialPages pages(reinterpret_cast<const char*>(data), size, release_input);
  while (off < size) {
    pages.at(off);
    // Only a record that reaches the final zero run can start it: one comparison for every other
    // record (a clean recording's run is its END record's own zero bytes).
    const bool whole_header = size - off >= itrace::kRecordHeaderBytes;
    const uint64_t claimed = whole_header ? load<uint32_t>(data + off + 4) : 0;
    if (off + itrace::kRecordHeaderBytes + claimed > zeros_from &&
        itrace::zero_tail_starts_at(off, claimed, zeros_from, size,
                                    whole_header && itrace::min_payload(load<uint32_t>(data + off)) == 0)) {
      t.count_skipped("truncated_tail_bytes", static_cast<int64_t>(size - off));
      t.meta["recording.zero_filled_tail"] = "true";
      break;
    }
    if (size - off < itrace::kRecordHeaderBytes) {
      t.count_skipped("truncated_tail_bytes", static_cast<int64_t>(size - off));
      break;
    }
    const uint32_t type = load<uint32_t>(data + off);
    const uint32_t len = load<uint32_t>(data + off + 4);
    if (len > itrace::kMaxRecordBytes || type == 0 || type >= 0x10000)
      throw InputError(name, static_cast<int64_t>(off), "corrupt record header (type " + std::to_string(type) +
                                                             ", length " + std::to_string(len) + ")");
    if (len > size - off - itrace::kRecordHeaderBytes) {
      // Whole records inside the bytes it claims: its length is damaged, the file was not cut here.
      if (const auto next = itrace::whole_records_up_to_end(data, off + itrace::kRecordHeaderBytes, size))
        throw InputError(name, static_cast<int64_t>(off),
                         "corrupt record length (type " + std::to_string(type) + " claims " + std::to_string(len) +
                             " bytes, " + std::to_string(size - off - itrace::kRecordHeaderBytes) +
                             " remain, and whole records follow from offset " + std::to_string(*next) +
                             " to the end of the file, the last possibly cut off): not a record cut off while it "
                             "was written");
      // The recorder was stopped in the middle of writing this record: keep what came before.
      t.count_skipped("truncated_tail_bytes", static_cast<int64_t>(size - off));
      // Bytes that read as an END record close the file: a clean stop after a damaged length, or a
      // cut payload that happens to end so (a stream handle of 9, then zeros). One END is too weak
      // to call corruption (review BD L4b), but the note must not claim there is no end record.
      if (size - off >= 2 * itrace::kRecordHeaderBytes && load<uint32_t>(data + size - 8) == IT_EV_END &&
          load<uint32_t>(data + size - 4) == 0)
        t.meta["recording.tail_ends_in_end_record"] = "true";
      break;
    }
    const unsigned char* p = data + off + itrace::kRecordHeaderBytes;
    // Version 1 had no GPU or STRING records: in such a file those type numbers are unknown types,
    // skipped and counted like any other, whatever their length (the correlation tail of API
    // records is ignored too).
    if (version < 2 && (type == IT_EV_GPU || type == IT_EV_STRING)) {
      if (complete) t.count_skipped("records_after_end");
      t.count_skipped("unknown_record_type");
      off += itrace::kRecordHeaderBytes + len;
      continue;
    }
    if (len < itrace::min_payload(type))
      throw InputError(name, static_cast<int64_t>(off), "record of type " + std::to_string(type) + " has " +
                                                            std::to_string(len) + " bytes, expected at least " +
                                                            std::to_string(itrace::min_payload(type)));
    // An event whose thread fields no recorded event can hold (impossible_threads.h): its payload
    // was zeroed or overwritten. When the file's final zero run is what zeroed them (the record ends
    // the file, and with the run's bytes made non-zero its fields would be possible) it is that
    // zero-filled tail; anywhere else it is corruption, not an event of thread 0.
    if (itrace::has_impossible_thread_fields(type, p)) {
      const size_t payload_at = off + itrace::kRecordHeaderBytes;
      if (payload_at + len == size &&
          itrace::impossible_only_by_zeros_from(type, p, len, zeros_from > payload_at ? zeros_from - payload_at : 0)) {
        t.count_skipped("truncated_tail_bytes", static_cast<int64_t>(size - off));
        t.meta["recording.zero_filled_tail"] = "true";
        break;
      }
      throw InputError(name, static_cast<int64_t>(off),
                       "corrupt record: type " + std::to_string(type) + " names " + itrace::thread_fields_text(type, p) +
                           ", which no recorded event can (its payload was zeroed or overwritten)");
    }
    if (complete) t.count_skipped("records_after_end");
    // Times are u64 in the file and int64 in the Trace: a time (or time + duration) past INT64_MAX
    // would wrap to a negative number and poison every span it touches, so the event is left out.
    if (type == IT_EV_API || type == IT_EV_GPU || type == IT_EV_SWITCH || type == IT_EV_WAKEUP || type == IT_EV_IRQ ||
        type == IT_EV_SYSCALL || type == IT_EV_TASK || type == IT_EV_FDNAME) {  // event records (long enough: checked above)
      const uint64_t ts = load<it_hdr>(p).ts;
      uint64_t dur = 0;
      if (type == IT_EV_GPU) dur = load<it_gpu>(p).dur;
      else if (type == IT_EV_API && (load<it_api>(p).flags & IT_API_HAS_DUR)) dur = load<it_api>(p).dur;
      else if (type == IT_EV_IRQ) dur = load<it_irq>(p).dur;
      else if (type == IT_EV_SYSCALL) dur = load<it_syscall>(p).dur;
      if (!itrace::event_time_fits(ts, dur)) {
        t.count_skipped("time_out_of_range");
        skipped_gpu += type == IT_EV_GPU;
        off += itrace::kRecordHeaderBytes + len;
        continue;
      }
      stamps.observe(type, p, off);
    }
    switch (type) {
      case IT_EV_META: {
        const uint32_t klen = load<uint32_t>(p);
        if (klen > len - 4)
          throw InputError(name, static_cast<int64_t>(off + 8), "metadata key length " + std::to_string(klen) +
                                                                    " exceeds its record");
        b.meta(std::string(reinterpret_cast<const char*>(p + 4), klen),
               std::string(reinterpret_cast<const char*>(p + 4 + klen), len - 4 - klen));
        break;
      }
      case IT_EV_API: {
        const it_api a = load<it_api>(p);
        // CUPTI mode appends the correlation id (it_api_corr); a shorter record has none.
        const bool corr = version >= 2 && (a.flags & IT_API_HAS_CORRELATION) && len >= sizeof(it_api_corr);
        b.api(a, corr ? static_cast<int64_t>(load<it_api_corr>(p).correlation) : -1);
        break;
      }
      case IT_EV_GPU: b.gpu(load<it_gpu>(p)); break;
      case IT_EV_STRING:
        b.string(load<uint32_t>(p), std::string_view(reinterpret_cast<const char*>(p + 4), len - 4));
        break;
      case IT_EV_SWITCH: b.sw(load<it_switch>(p)); break;
      case IT_EV_WAKEUP: b.wakeup(load<it_wakeup>(p)); break;
      case IT_EV_IRQ:  // the context tail follows the 72 bytes since 2026-12-06
        b.irq(load<it_irq>(p), len >= sizeof(it_irq_ctx) ? load<it_irq_ctx>(p).context : IT_IRQ_CTX_UNKNOWN);
        break;
      case IT_EV_SYSCALL: b.syscall(load<it_syscall>(p)); break;
      case IT_EV_TASK:
        // The attach state follows the 48 bytes in a kind-0 record written since 2026-12-05.
        b.task(load<it_task>(p), len >= sizeof(it_task_state) ? load<it_task_state>(p).state : 0);
        break;
      case IT_EV_FDNAME: b.fdname(load<it_fdname>(p)); break;
      case IT_EV_UNTRACED: b.untraced(load<it_task>(p)); break;
      case IT_EV_SYSCALL_COUNT: b.syscall_count(load<it_syscall_count>(p)); break;
      case IT_EV_LOSS: {
        const it_loss l = load<it_loss>(p);
        // Both ends become int64 times: a window past INT64_MAX (or ending before it starts) is
        // corrupt, left out and counted like any event time out of range.
        if (!itrace::event_time_fits(l.h.ts, 0) || !itrace::event_time_fits(l.last_ts, 0) || l.last_ts < l.h.ts) {
          t.count_skipped("time_out_of_range");
          break;
        }
        LossWindow w;
        w.first = static_cast<ns_t>(l.h.ts), w.last = static_cast<ns_t>(l.last_ts);
        // A CPU beyond int32 is corrupt: -1 (unknown), as every other CPU field reads it.
        w.cpu = l.h.cpu <= static_cast<uint32_t>(INT32_MAX) ? static_cast<int32_t>(l.h.cpu) : -1;
        for (uint32_t type = 0; type < IT_LOSS_SLOTS; ++type)
          if (l.lost[type] > 0)
            w.lost[itrace::event_type_key(type)] = static_cast<int64_t>(std::min<uint64_t>(l.lost[type], INT64_MAX));
        // The recorder never writes a window that lost nothing (review DE L5): such a record is
        // damaged, and as a loss span it would leave pairs out for no loss.
        if (w.lost.empty()) {
          t.count_skipped("loss_without_counts");
          break;
        }
        t.loss_windows.push_back(std::move(w));
        break;
      }
      case IT_EV_END: complete = true; break;
      default: t.count_skipped("unknown_record_type"); break;
    }
    off += itrace::kRecordHeaderBytes + len;
  }
  pages.finish();  // (before the tables are put in time order: the file's pages are not needed there)
  stamps.check(t.meta, name);
  b.finish();
  t.meta["recording.complete"] = complete ? "true" : "false";
  if (skipped_gpu > 0) t.meta["skipped_gpu_events"] = std::to_string(skipped_gpu);
  t.launch_coverage = read_launch_coverage(t);  // (META cupti.callbacks.<pid>.*: the launch figures' one rule)
  return t;
}

Trace read_recording(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, -1, "cannot open");
  in.seekg(0, std::ios::end);
  const std::streamoff n = in.tellg();
  in.seekg(0);
  std::vector<unsigned char> bytes(n > 0 ? static_cast<size_t>(n) : 0);
  if (n > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), n)) throw InputError(path, -1, "read error");
  return read_recording_bytes(bytes.data(), bytes.size(), path);
}

}  // namespace infertrace
