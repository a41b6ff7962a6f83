// write_chrome_json (report/exports.h): Chrome trace-event JSON, streamed (no DOM) so large
// recordings export in constant memory per event. Layout: one process per traced process with a
// track per thread (CUDA API calls, syscalls, operators); one "CPUs" process with a track per CPU
// (on-CPU slices of traced threads from the switch events, hard and soft IRQs); one process per GPU
// with a track per stream; flow arrows from a launch call to the GPU work it launched.
// The categories and args follow the PyTorch profiler's (Kineto) trace, so the file loads back into
// infertrace as a Kineto trace with the same launch and fusion analysis (CUDA calls as cuda_runtime /
// cuda_driver with their correlation, GPU work with device and stream in args; checked by
// tests/e2e/test_chrome_roundtrip.py). After the events, a Kineto trace's top-level facts as the
// reader kept them (trace_facts()); an event at ts 0 is marked a real time (Writer::slice).
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "analysis/launch.h"
#include "report/chrome_ids.h"
#include "report/exports.h"
#include "report/irq_number_arg.h"
#include "report/export_categories.h"
#include "report/thread_track_name.h"
#include "report/perfetto.h"  // OnCpuSliceWalk
#include "util/error.h"

namespace infertrace {

namespace {

// Synthetic process ids for the CPU and GPU tracks, far above Linux's pid_max (4194304).
constexpr int64_t kCpuPid = 1000000000;
constexpr int64_t kGpuPidBase = 1000000100;
constexpr int64_t kLossPid = 1000000050;  // "recorder loss": a thread per CPU (tid = the CPU, -1 unknown)
constexpr int64_t kOtherHostPid = 1000000060;  // "other host events": Trace::other_host_starts

// A GPU's process (review SQ L2, DH L10). Device d in [0, kMaxPid - kGpuPidBase] at kGpuPidBase + d,
// as always. Any other device (a negative one, which the readers keep as it is: docs/ingest.md, or
// one so large that kGpuPidBase + d would pass INT32_MAX) below kCpuPid: the k-th of the trace's
// such devices, in the order -1, -2, ..., INT32_MIN and then the large ones ascending, at
// kCpuPid - 1 - k. So every pid is below 2^31 (JSON importers may keep a pid in 32 bits), no two
// devices share one, and none is "CPUs", "recorder loss", "other host events" (all at or above
// kCpuPid) or a host's (below pid_max: k is below the number of GPU rows, far from 10^9).
constexpr int64_t kMaxPid = std::numeric_limits<int32_t>::max();
constexpr int64_t kLinuxPidMax = 4194304;
class GpuPids {
 public:
  explicit GpuPids(const std::set<int32_t>& devices) {
    int64_t k = 0;
    auto place = [&](int32_t d) {
      if (k >= kCpuPid - kLinuxPidMax) throw Error("chrome export: too many distinct GPU devices to give each a process id");
      other_[d] = kCpuPid - 1 - k++;
    };
    for (auto it = devices.lower_bound(0); it != devices.begin();) place(*--it);  // -1, -2, ...
    for (auto it = devices.lower_bound(0); it != devices.end(); ++it)
      if (!direct(*it)) place(*it);
  }
  int64_t operator()(int32_t device) const { return direct(device) ? kGpuPidBase + device : other_.at(device); }

 private:
  static bool direct(int32_t d) { return d >= 0 && int64_t{d} <= kMaxPid - kGpuPidBase; }
  std::map<int32_t, int64_t> other_;
};

std::string json_str(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      case '\r': o += "\\r"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof(b), "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

// Microseconds with nanosecond digits, exact for int64 ns.
std::string us(int64_t ns) {
  char b[40];
  const char* sign = ns < 0 ? "-" : "";
  const uint64_t a = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  std::snprintf(b, sizeof(b), "%s%" PRIu64 ".%03" PRIu64, sign, a / 1000, a % 1000);
  return b;
}

void append_arg(std::string& args, const std::string& arg) { args += (args.empty() ? "" : ",") + arg; }

// The operator a call, an operator or GPU work belongs to, under Kineto's key, so that a trace
// read back links launches to operators by id, not by time containment.
std::string external_id_arg(int64_t id) { return "\"External id\":" + std::to_string(id); }

// Kineto's spelling for a kernel's geometry: "grid": [x, y, z], "block": [x, y, z].
std::string geometry_args(const uint32_t grid[3], const uint32_t block[3]) {
  auto dims = [](const uint32_t* d) {
    return "[" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + ", " + std::to_string(d[2]) + "]";
  };
  return "\"grid\":" + dims(grid) + ",\"block\":" + dims(block);
}

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path), out_(path) {
    if (!out_) throw Error(path + ": cannot create: " + std::strerror(errno));
    out_ << "{\"traceEvents\":[\n";
  }
  void event(const std::string& body) {
    out_ << (first_ ? "" : ",\n") << '{' << body << '}';
    first_ = false;
  }
  // `ids`: the "pid" and "tid" fields, both always there (ids() below, or ChromeHostIds, where
  // either may be null).
  // A slice that starts at exactly 0 carries "zero_ts": "real" in args. The trace had the time 0
  // (a legacy autograd trace's operator opened as profiling began: the reader keeps it there), but
  // written as a Kineto event (a category, a numeric pid) it would read back as a Kineto ts of 0, a
  // field some tool zeroed, and be left out (review RT M2). The mark is on the event, not on the
  // file: a file-wide mark would have to be read before every event it governs (a top-level key
  // after the event array, where Kineto writes traceName and this export its trace facts, is met
  // after the events), and a tool that merges, filters or re-serialises files need not keep it
  // there; an event carries its own mark wherever it goes. A real Kineto trace never has it, so
  // its events at ts 0 are still left out. Only events at 0 carry it (no byte more for the rest).
  void slice(const std::string& ids, int64_t ts, int64_t dur, std::string_view name, std::string_view cat,
             std::string args = "") {
    if (ts == 0) append_arg(args, "\"zero_ts\":\"real\"");
    event("\"ph\":\"X\"," + ids + "," + "\"ts\":" + us(ts) + ",\"dur\":" +
          us(dur < 0 ? 0 : dur) + ",\"name\":" + json_str(name) + ",\"cat\":" + json_str(cat) +
          (args.empty() ? "" : ",\"args\":{" + args + "}"));
  }
  // A thread-scoped instant ("s":"t": a mark on the thread's own track).
  void instant(const std::string& ids, int64_t ts, std::string_view name, std::string_view cat, const std::string& args) {
    event("\"ph\":\"i\",\"s\":\"t\"," + ids + ",\"ts\":" + us(ts) + ",\"name\":" + json_str(name) +
          ",\"cat\":" + json_str(cat) + ",\"args\":{" + args + "}");
  }
  void name_meta(const char* what, int64_t pid, int64_t tid, std::string_view name) {
    event(std::string("\"ph\":\"M\",\"name\":\"") + what + "\",\"pid\":" + std::to_string(pid) + ",\"tid\":" +
          std::to_string(tid) + ",\"args\":{\"name\":" + json_str(name) + "}");
  }
  // `members`: the top-level members after the event array (trace_facts()).
  void finish(const std::string& members) {
    out_ << "\n]," << members << "}\n";
    out_.flush();
    // With the reason, as the Perfetto writer words it (review SQ L3: "write failed", no reason).
    // errno is the failed write's unless a later call set it; 0 ("Success") says nothing (review DH L9).
    if (!out_) throw Error("cannot write " + path_ + ": " + (errno != 0 ? std::strerror(errno) : "the write failed"));
  }

 private:
  std::string path_;
  std::ofstream out_;
  bool first_ = true;
};

std::string ids(int64_t pid, int64_t tid) {
  return "\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid);
}

std::string process_name(const Trace& t, int64_t pid) {
  std::string n = trace_process_name(t, pid);
  return n.empty() ? "process " + std::to_string(pid) : n;
}

std::string thread_name(const Trace& t, size_t i) { return thread_track_name(t.str(t.threads.comm[i]), t.threads.tid[i]); }

// Process and thread names, before any slice. A named pid or tid (below -1: a Kineto trace's
// string pid such as "Spans", or a pid below -1) is written as its number, which the Kineto reader
// takes as a name again and numbers by first use, from -2 down, pids and tids apart
// (docs/ingest.md, "Named pids and tids"). So that each comes back as the id it has here, with its
// name, the named pids first appear in the order -2, -3, ... (their process_name records), then
// the named tids (the first thread_name record of each). An id between them that no row keeps
// gets a record too (process_name: the process of a "Spans" span, say; thread_name under pid -1,
// "none"), or every id after it would come back one higher (chrome_named_ids_in_order).
void name_tracks(const Trace& t, Writer& w) {
  std::set<int64_t> pids, tids;
  for (size_t i = 0; i < t.threads.size(); ++i) pids.insert(t.threads.pid[i]), tids.insert(t.threads.tid[i]);
  // A call's or operator's -1 ("none") is written only where a thread row has it (ChromeHostIds),
  // so it is a thread's id here already, or is not written at all: no "process -1" of its own.
  const auto used = [](std::set<int64_t>& s, int64_t id) {
    if (id != -1) s.insert(id);
  };
  for (size_t i = 0; i < t.api.size(); ++i) used(pids, t.api.pid[i]), used(tids, t.api.tid[i]);
  for (size_t i = 0; i < t.ops.size(); ++i) used(pids, t.ops.pid[i]), used(tids, t.ops.tid[i]);
  for (int64_t p : chrome_named_ids_in_order(pids)) w.name_meta("process_name", p, 0, process_name(t, p));
  for (int64_t p : pids)
    if (p >= -1) w.name_meta("process_name", p, 0, process_name(t, p));

  const ThreadNameRows rows(t);
  std::vector<bool> written(t.threads.size(), false);
  for (int64_t tid : chrome_named_ids_in_order(tids)) {
    const std::optional<size_t> row = rows.first_of_tid(tid);
    if (!row) {
      w.name_meta("thread_name", -1, tid, "thread " + std::to_string(tid));  // (no thread row: none to name)
      continue;
    }
    w.name_meta("thread_name", t.threads.pid[*row], tid, thread_name(t, *row));
    written[*row] = true;
  }
  for (size_t i = 0; i < t.threads.size(); ++i)
    if (!written[i]) w.name_meta("thread_name", t.threads.pid[i], t.threads.tid[i], thread_name(t, i));

  // Every other track a thread's events go on, named as --perfetto names it (by its tid's thread
  // row, ThreadNameRows): Trace::threads has one row per tid, so a reused tid's earlier life under
  // another process (a thread of one process, later a process of its own) had events on a track
  // with no name (review S41 L8). Syscalls, wake-ups and process-tree records; a call's or operator's ids are
  // thread rows already (the reader made them), or -1, which gets no track of its own here either.
  std::set<std::pair<int64_t, int64_t>> named;
  for (size_t i = 0; i < t.threads.size(); ++i) named.insert({t.threads.pid[i], t.threads.tid[i]});
  std::set<std::pair<int64_t, int64_t>> tracks;
  for (size_t i = 0; i < t.syscalls.size(); ++i) tracks.insert({t.syscalls.pid[i], t.syscalls.tid[i]});
  for (size_t i = 0; i < t.wakeups.size(); ++i)
    if (t.wakeups.tid[i] >= 0) tracks.insert({t.wakeups.pid[i], t.wakeups.tid[i]});
  for (size_t i = 0; i < t.tasks.size(); ++i)
    if (t.tasks.tid[i] >= 0) tracks.insert({t.tasks.pid[i], t.tasks.tid[i]});
  for (const auto& [pid, tid] : tracks) {
    // (a named id below -1 only as the rows above numbered it: a new one would shift the others)
    if (named.count({pid, tid}) || (tid < -1 && !tids.count(tid)) || (pid < -1 && !pids.count(pid))) continue;
    if (pid >= -1 && pids.insert(pid).second) w.name_meta("process_name", pid, 0, process_name(t, pid));
    const std::optional<size_t> row = rows.row(pid, tid);
    w.name_meta("thread_name", pid, tid, row ? thread_name(t, *row) : thread_track_name("", tid));
  }
}

// The "pid" and "tid" of API call i (its flow arrow starts on its track).
std::string api_ids(const Trace& t, const ChromeHostIds& host, size_t i) {
  return host.fields(t.api.pid[i], t.api.tid[i], t.api.start[i], t.api.dur[i]);
}

void thread_tracks(const Trace& t, const ChromeHostIds& host, Writer& w) {
  name_tracks(t, w);
  for (size_t i = 0; i < t.api.size(); ++i) {
    std::string args;
    if (t.api.cpu[i] != -1) append_arg(args, "\"cpu\":" + std::to_string(t.api.cpu[i]));
    if (t.api.stream[i] != -1) append_arg(args, "\"stream\":" + std::to_string(t.api.stream[i]));
    if (t.api.correlation[i] != -1) append_arg(args, "\"correlation\":" + std::to_string(t.api.correlation[i]));
    if (t.api.external_id[i] != -1) append_arg(args, external_id_arg(t.api.external_id[i]));
    if (t.api.dur[i] < 0) append_arg(args, "\"duration\":\"not measured\"");
    if (t.api.has_geometry(i)) append_arg(args, geometry_args(t.api.geometry[i].grid, t.api.geometry[i].block));
    w.slice(api_ids(t, host, i), t.api.start[i], t.api.dur[i], t.str(t.api.name[i]),
            kineto_api_category(t.str(t.api.name[i])), args);
  }
  for (size_t i = 0; i < t.syscalls.size(); ++i)
    w.slice(ids(t.syscalls.pid[i], t.syscalls.tid[i]), t.syscalls.ts[i], t.syscalls.dur[i], t.str(t.syscalls.name[i]),
            category::kSyscall, "\"nr\":" + std::to_string(t.syscalls.nr[i]) + ",\"ret\":" + std::to_string(t.syscalls.ret[i]));
  for (size_t i = 0; i < t.ops.size(); ++i)
    w.slice(host.fields(t.ops.pid[i], t.ops.tid[i], t.ops.start[i], t.ops.dur[i]), t.ops.start[i], t.ops.dur[i],
            t.str(t.ops.name[i]),
            t.ops.user_annotation[i] ? category::kUserAnnotation : category::kOperator,
            t.ops.external_id[i] != -1 ? external_id_arg(t.ops.external_id[i]) : "");
  // Wake-ups on the woken thread's track, as --perfetto puts them (a wake-up of an unknown thread
  // has no track: left out). The Kineto reader takes instants as context only: a round trip drops them.
  for (size_t i = 0; i < t.wakeups.size(); ++i)
    if (t.wakeups.tid[i] >= 0)
      w.instant(ids(t.wakeups.pid[i], t.wakeups.tid[i]), t.wakeups.ts[i], "wakeup", category::kWakeup,
                "\"waker_pid\":" + std::to_string(t.wakeups.waker_pid[i]) + ",\"waker_tid\":" +
                    std::to_string(t.wakeups.waker_tid[i]) + ",\"cpu\":" + std::to_string(t.wakeups.cpu[i]));
  // The process tree's records (birth, exec, exit, attach) likewise, with the --perfetto args.
  for (size_t i = 0; i < t.tasks.size(); ++i) {
    if (t.tasks.tid[i] < 0) continue;
    std::string args;
    if (t.tasks.comm[i] != kNoString) append_arg(args, "\"comm\":" + json_str(t.str(t.tasks.comm[i])));
    if (t.tasks.parent_tid[i] >= 0) append_arg(args, "\"parent_tid\":" + std::to_string(t.tasks.parent_tid[i]));
    if (t.tasks.state[i] != 0) append_arg(args, "\"state\":" + json_str(std::string(1, t.tasks.state[i])));
    w.instant(ids(t.tasks.pid[i], t.tasks.tid[i]), t.tasks.ts[i], task_instant_name(t.tasks.kind[i]),
              category::kProcessTree, args);
  }
}

void cpu_tracks(const Trace& t, Writer& w) {
  std::set<int32_t> cpus;
  for (size_t i = 0; i < t.switches.size(); ++i) cpus.insert(t.switches.cpu[i]);
  for (size_t i = 0; i < t.irqs.size(); ++i) cpus.insert(t.irqs.cpu[i]);
  if (cpus.empty()) return;
  w.name_meta("process_name", kCpuPid, 0, "CPUs");
  for (int32_t c : cpus) w.name_meta("thread_name", kCpuPid, c, "CPU " + std::to_string(c));
  // On-CPU slices of traced threads, as the Perfetto export and the HTML timeline draw them. Walked
  // (OnCpuSliceWalk), not built whole: each is written as it comes, and the 56-bytes-a-slice vector
  // was the export's largest allocation after the trace (docs/benchmarks.md).
  OnCpuSliceWalk(t).for_each([&](const OnCpuSlice& o) {
    std::string args = "\"pid\":" + std::to_string(o.pid) + ",\"tid\":" + std::to_string(o.tid);
    if (o.end_switch >= 0) {
      const size_t e = static_cast<size_t>(o.end_switch);
      args += ",\"end_state\":" + std::to_string(t.switches.prev_state[e]) +
              ",\"preempted\":" + (t.switches.preempted[e] ? "true" : "false");
    }
    w.slice(ids(kCpuPid, o.cpu), o.start, o.end - o.start, std::string(t.str(o.comm)) + " " + std::to_string(o.tid), category::kOnCpu,
            args);
  });
  for (size_t i = 0; i < t.irqs.size(); ++i) {
    const bool soft = t.irqs.kind[i] == IrqKind::Soft;
    w.slice(ids(kCpuPid, t.irqs.cpu[i]), t.irqs.ts[i], t.irqs.dur[i],
            t.irqs.label_prefix(i) + std::string(t.str(t.irqs.name[i])), soft ? category::kSoftIrq : category::kHardIrq,
            "\"" + std::string(irq_number_arg(t.irqs, i)) + "\":" + std::to_string(t.irqs.irq[i]) +
                ",\"tid\":" + std::to_string(t.irqs.tid[i]) +
                ",\"source\":\"" + t.irqs.source_name(i) + "\"");
  }
}

// Where the recorder lost events (LOSS records), as --perfetto draws them (review FMT L2): one
// "events lost" slice per window, over the timestamps of the records it lost, on a thread per CPU
// of a "recorder loss" process (the windows of two CPUs overlap), with lost_total and lost_TYPE.
void loss_tracks(const Trace& t, Writer& w) {
  if (t.loss_windows.empty()) return;
  std::set<int32_t> cpus;
  for (const LossWindow& lw : t.loss_windows) cpus.insert(lw.cpu);
  w.name_meta("process_name", kLossPid, 0, "recorder loss");
  for (int32_t c : cpus) w.name_meta("thread_name", kLossPid, c, c >= 0 ? "CPU " + std::to_string(c) + " loss" : "unknown CPU loss");
  for (const LossWindow& lw : t.loss_windows) {
    std::string args = "\"lost_total\":" + std::to_string(lw.total());
    for (const auto& [type, n] : lw.lost) append_arg(args, json_str("lost_" + type) + ":" + std::to_string(n));
    w.slice(ids(kLossPid, lw.cpu), lw.first, lw.last - lw.first, "events lost", category::kRecorderLoss, args);
  }
}

// A Kineto trace's host events that no table keeps (python_function ranges, ...; Trace::other_host_starts):
// only their starts were kept, and with no operator in the trace the inference latency starts at
// the earliest host event, so they are written back, as slices of no duration on one track of an
// "other host events" process; read back, each is such a start again (a round trip had dropped
// them, and the IL of a trace without operators started later).
void other_host_tracks(const Trace& t, Writer& w) {
  if (t.other_host_starts.empty()) return;
  w.name_meta("process_name", kOtherHostPid, 0, "other host events");
  w.name_meta("thread_name", kOtherHostPid, 0, "starts of host events not read (python_function, ...)");
  for (ns_t ts : t.other_host_starts) w.slice(ids(kOtherHostPid, 0), ts, 0, "host event start", category::kOtherHost);
}

void gpu_tracks(const Trace& t, const ChromeHostIds& host, const std::vector<uint32_t>* launch_calls, Writer& w) {
  if (t.gpu.size() == 0) return;
  std::set<std::pair<int32_t, int64_t>> streams;
  for (size_t i = 0; i < t.gpu.size(); ++i) streams.insert({t.gpu.device[i], t.gpu.stream[i]});
  std::set<int32_t> devices;
  for (auto& [d, s] : streams) devices.insert(d);
  const GpuPids gpu_pid(devices);
  const std::pair<int32_t, int64_t>* previous = nullptr;  // each device's name before its streams'
  for (const auto& ds : streams) {
    const auto& [d, s] = ds;
    if (!previous || previous->first != d) w.name_meta("process_name", gpu_pid(d), 0, "GPU " + std::to_string(d));
    w.name_meta("thread_name", gpu_pid(d), s, "stream " + std::to_string(s));
    previous = &ds;
  }
  std::vector<uint32_t> own;  // the call gpu.csv names as the launch
  const std::vector<uint32_t>& launch_of = launch_calls_of_gpu_rows(t, launch_calls, own);
  for (size_t i = 0; i < t.gpu.size(); ++i) {
    const int64_t pid = gpu_pid(t.gpu.device[i]);
    const int64_t corr = t.gpu.correlation[i];
    std::string args = "\"device\":" + std::to_string(t.gpu.device[i]) + ",\"stream\":" + std::to_string(t.gpu.stream[i]) +
                       ",\"correlation\":" + std::to_string(corr);
    if (t.gpu.external_id[i] != -1) append_arg(args, external_id_arg(t.gpu.external_id[i]));
    if (t.gpu.grid_x[i] > 0) {
      const uint32_t grid[3] = {t.gpu.grid_x[i], t.gpu.grid_y[i], t.gpu.grid_z[i]};
      const uint32_t block[3] = {t.gpu.block_x[i], t.gpu.block_y[i], t.gpu.block_z[i]};
      append_arg(args, geometry_args(grid, block));
    }
    w.slice(ids(pid, t.gpu.stream[i]), t.gpu.start[i], t.gpu.dur[i], t.str(t.gpu.name[i]),
            gpu_category(t.gpu.kind[i]), args);
    if (launch_of[i] == kNoLaunchCall) continue;
    const size_t a = launch_of[i];
    // One id per arrow, not the correlation: a graph launch starts many GPU activities under one
    // correlation, and importers key a v1 flow by (id, cat, name): Perfetto drops every "s" whose
    // id is already open (flow_duplicate_id) and each "f" after the first ends nothing, so only
    // one kernel of a graph would get its arrow. The correlation stays in the slices' args.
    const std::string id = std::to_string(i + 1);
    const std::string from = api_ids(t, host, a);
    w.event("\"ph\":\"s\",\"id\":" + id + "," + from + "," + "\"ts\":" + us(t.api.start[a]) + ",\"name\":\"launch\",\"cat\":\"flow\"");
    w.event("\"ph\":\"f\",\"bp\":\"e\",\"id\":" + id + ",\"pid\":" + std::to_string(pid) + ",\"tid\":" +
            std::to_string(t.gpu.stream[i]) + ",\"ts\":" + us(t.gpu.start[i]) + ",\"name\":\"launch\",\"cat\":\"flow\"");
  }
}

// Whether `s` is a JSON number (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?).
bool is_json_number(std::string_view s) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// The top-level facts of a Kineto trace, as the reader kept them in Trace::meta (docs/ingest.md),
// written back where the reader finds them (review RT L2): "kineto.KEY" (a scalar top-level member,
// kept as its text) as the member KEY, and "device.N.name" (the name of deviceProperties' Nth
// object) as deviceProperties, an object per N with its name ({} for an N without one, so each
// name keeps its position). A value whose text is a JSON number, true or false is written bare,
// anything else as a string: read back, both give the same text, which is all the reader keeps
// (a string "1" and the number 1 are one fact there). The reader's own count
// "kineto.zero_duration_events" is no member of the file and is not written (read back, the events
// count themselves). displayTimeUnit is "ns" unless the trace names its own. After the event
// array, where Kineto writes traceName too: a reader that looks for "traceEvents" in a file's first
// bytes finds it there however long the facts are (report's cli/result_document.h reads on).
std::string trace_facts(const Trace& t) {
  constexpr std::string_view kKineto = "kineto.";
  constexpr size_t kMaxDevices = 65536;  // device.N.name from a recording's META: no array of billions
  std::map<size_t, std::string_view> device_names;
  for (const auto& [key, value] : t.meta) {
    constexpr std::string_view kHead = "device.", kTail = ".name";
    if (key.size() <= kHead.size() + kTail.size() || key.rfind(kHead, 0) != 0 ||
        key.compare(key.size() - kTail.size(), kTail.size(), kTail) != 0)
      continue;
    const std::string_view n(key.data() + kHead.size(), key.size() - kHead.size() - kTail.size());
    if (n.size() > 5 || (n[0] == '0' && n.size() > 1)) continue;  // (as the reader writes N: no leading 0)
    size_t v = 0;
    if (std::from_chars(n.data(), n.data() + n.size(), v).ptr != n.data() + n.size()) continue;
    if (v < kMaxDevices) device_names[v] = value;
  }
  const auto member = [](std::string_view k, const std::string& value) {
    const bool bare = value == "true" || value == "false" || is_json_number(value);
    return json_str(k) + ":" + (bare ? value : json_str(value)) + ",";
  };
  // displayTimeUnit first, whether the trace's or the default: written again from the trace read
  // back, the members come in the same order (the same bytes).
  const auto unit = t.meta.find("kineto.displayTimeUnit");
  std::string out = member("displayTimeUnit", unit == t.meta.end() ? std::string("ns") : unit->second);
  for (const auto& [key, value] : t.meta) {
    if (key.rfind(kKineto, 0) != 0) continue;
    const std::string_view k = std::string_view(key).substr(kKineto.size());
    if (k == "zero_duration_events" || k == "traceEvents" || k == "displayTimeUnit") continue;
    if (k == "deviceProperties" && !device_names.empty()) continue;  // (a scalar one: the names win)
    out += member(k, value);
  }
  if (!device_names.empty()) {
    out += "\"deviceProperties\":[";
    for (size_t d = 0; d <= device_names.rbegin()->first; ++d) {
      auto it = device_names.find(d);
      out += std::string(d ? "," : "") + (it == device_names.end() ? "{}" : "{\"name\":" + json_str(it->second) + "}");
    }
    out += "],";
  }
  out.pop_back();  // the last ','
  return out;
}

}  // namespace

void write_chrome_json(const Trace& trace, const std::string& path, const std::vector<uint32_t>* launch_calls) {
  Writer w(path);
  const ChromeHostIds host(trace);
  thread_tracks(trace, host, w);
  cpu_tracks(trace, w);
  loss_tracks(trace, w);
  other_host_tracks(trace, w);
  gpu_tracks(trace, host, launch_calls, w);
  w.finish(trace_facts(trace));
}

}  // namespace infertrace
