#include "report/perfetto.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "analysis/launch.h"
#include "analysis/thread_lives.h"
#include "report/exports.h"
#include "report/irq_number_arg.h"
#include "report/export_categories.h"
#include "report/proto/perfetto_trace.pb.h"
#include "report/thread_track_name.h"
#include "util/error.h"

namespace infertrace {

namespace pb = infertrace::pftrace;

uint64_t perfetto_track_uuid(PerfettoTrackKind kind, int64_t a, int64_t b) {
  // Each id as a 28-bit two's complement number: one bit pattern per id in [-2^27, 2^27). Before
  // 2026-12-06 the low id was folded (b ^ b >> 28 ^ b >> 56), which put -1 on 255, -2 on 254, ...:
  // a missing or named tid shared a real tid's track (review XP L2).
  constexpr int64_t kLimit = int64_t{1} << 27;
  constexpr uint64_t kMask = 0x0FFFFFFFull;
  if (a < -kLimit || a >= kLimit || b < -kLimit || b >= kLimit) return 0;
  return (static_cast<uint64_t>(kind) << 56) | ((static_cast<uint64_t>(a) & kMask) << 28) | (static_cast<uint64_t>(b) & kMask);
}

namespace {

enum class Table : uint8_t { Op, Api, Syscall, OnCpu, Irq, Gpu, Loss, Wakeup, Task };

// A launch's grid or block as "x,y,z" (a debug annotation).
std::string dims_text(const uint32_t d[3]) {
  return std::to_string(d[0]) + "," + std::to_string(d[1]) + "," + std::to_string(d[2]);
}
enum Phase : uint8_t { kEnd = 0, kBegin = 1, kInstant = 2 };

// One begin, end or instant to emit; sorted by time before writing.
struct Ev {
  ns_t ts;
  Phase phase;
  ns_t tie;  // ends: -start (inner slices end first); begins: -end (outer slices begin first)
  Table table;
  uint32_t row;
  uint64_t track;
};

class PacketWriter {
 public:
  explicit PacketWriter(const std::string& path) : path_(path), out_(path, std::ios::binary) {
    if (!out_) throw Error("cannot write " + path + ": " + std::strerror(errno));
  }
  void write(pb::TracePacket& p) {
    p.set_trusted_packet_sequence_id(1);
    // The first packet starts the sequence; later ones declare they belong to it.
    p.set_sequence_flags(packets_ == 0 ? 1 : 2);
    p.SerializeToString(&buf_);
    // Field 1 of Trace (repeated TracePacket), wire type 2: tag, length varint, bytes.
    out_.put(static_cast<char>(0x0A));
    uint64_t n = buf_.size();
    while (n >= 0x80) {
      out_.put(static_cast<char>((n & 0x7F) | 0x80));
      n >>= 7;
    }
    out_.put(static_cast<char>(n));
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    ++packets_;
  }
  void finish() {
    out_.flush();
    if (!out_) throw Error("cannot write " + path_ + ": " + std::strerror(errno));
  }
  int64_t packets() const { return packets_; }

 private:
  std::string path_;
  std::ofstream out_;
  std::string buf_;
  int64_t packets_ = 0;
};

// Perfetto interning: the first packet that uses a string defines it in its interned_data, later
// packets refer to it by iid. Kernel names repeat millions of times in a long trace, so this keeps
// the file a fraction of its size with names inline.
class Interning {
 public:
  explicit Interning(const Trace& t) : trace_(t), name_of_str_(t.strings.size(), 0) {}
  void use(pb::TracePacket* p) { packet_ = p; }

  uint64_t name(StrId id) {
    uint64_t& iid = name_of_str_[id];
    if (!iid) iid = name(trace_.str(id));
    return iid;
  }
  uint64_t name(std::string_view s) {
    return get(names_, s, [&](uint64_t iid) {
      auto* n = packet_->mutable_interned_data()->add_event_names();
      n->set_iid(iid);
      n->set_name(std::string(s));
    });
  }
  uint64_t category(std::string_view s) {
    return get(categories_, s, [&](uint64_t iid) {
      auto* n = packet_->mutable_interned_data()->add_event_categories();
      n->set_iid(iid);
      n->set_name(std::string(s));
    });
  }
  uint64_t annotation(std::string_view s) {
    return get(annotations_, s, [&](uint64_t iid) {
      auto* n = packet_->mutable_interned_data()->add_debug_annotation_names();
      n->set_iid(iid);
      n->set_name(std::string(s));
    });
  }
  // The same for a string literal (static storage: its address stands for its text for the whole
  // run), found by its address: a pointer's hash per annotation, not a string built and hashed
  // (most slices have two to seven annotations; review XP L4 added some).
  uint64_t annotation_literal(const char* literal) {
    const auto [it, fresh] = literal_annotations_.try_emplace(literal, 0);
    if (fresh) it->second = annotation(literal);
    return it->second;
  }

 private:
  template <class Define>
  static uint64_t get(std::unordered_map<std::string, uint64_t>& m, std::string_view s, Define define) {
    auto it = m.find(std::string(s));
    if (it != m.end()) return it->second;
    const uint64_t iid = m.size() + 1;  // iids start at 1
    m.emplace(std::string(s), iid);
    define(iid);
    return iid;
  }
  const Trace& trace_;
  pb::TracePacket* packet_ = nullptr;
  std::vector<uint64_t> name_of_str_;
  std::unordered_map<std::string, uint64_t> names_, categories_, annotations_;
  std::unordered_map<const char*, uint64_t> literal_annotations_;
};

// The writer's track uuids: perfetto_track_uuid's, or for a track with an id outside its range one
// of kind Wide, numbered in order of first use (the descriptors are written in a fixed order, so
// the same trace gets the same uuids).
class TrackUuids {
 public:
  uint64_t operator()(PerfettoTrackKind kind, int64_t a, int64_t b = 0) {
    if (const uint64_t uuid = perfetto_track_uuid(kind, a, b)) return uuid;
    const auto [it, fresh] = wide_.try_emplace({static_cast<uint8_t>(kind), a, b}, 0);
    if (fresh) it->second = (static_cast<uint64_t>(PerfettoTrackKind::Wide) << 56) | wide_.size();
    return it->second;
  }

 private:
  std::map<std::tuple<uint8_t, int64_t, int64_t>, uint64_t> wide_;
};

// The threads the trace is about: its thread table plus every thread that issued an API call.
std::set<std::pair<int64_t, int64_t>> traced_threads(const Trace& t) {
  std::set<std::pair<int64_t, int64_t>> s;
  for (size_t i = 0; i < t.threads.size(); ++i) s.insert({t.threads.pid[i], t.threads.tid[i]});
  for (size_t i = 0; i < t.api.size(); ++i) s.insert({t.api.pid[i], t.api.tid[i]});
  return s;
}

}  // namespace

std::string trace_process_name(const Trace& t, int64_t pid) {
  const auto m = t.meta.find("process_name." + std::to_string(pid));
  if (m != t.meta.end() && !m->second.empty()) return m->second;
  for (size_t i = 0; i < t.threads.size(); ++i)
    if (t.threads.pid[i] == pid && t.threads.tid[i] == pid && !t.str(t.threads.comm[i]).empty())
      return std::string(t.str(t.threads.comm[i]));
  return "";
}

OnCpuSliceWalk::OnCpuSliceWalk(const Trace& t) : trace_(t) {
  const auto traced = traced_threads(t);
  std::set<int64_t> traced_tids;
  for (auto& [pid, tid] : traced) traced_tids.insert(tid);
  // An id an outsider got after a traced thread's exit is not the traced thread then
  // (analysis/thread_lives.h): its time on a CPU is no slice of the traced thread's.
  const ThreadLives lives(t);
  const auto is_traced = [&](int64_t tid, ns_t ts) {
    return tid > 0 && (traced_tids.empty() || traced_tids.count(tid)) && lives.traced(tid, ts);
  };
  std::vector<uint32_t>& order = order_;
  order.resize(t.switches.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (t.switches.cpu[a] != t.switches.cpu[b]) return t.switches.cpu[a] < t.switches.cpu[b];
    return t.switches.ts[a] < t.switches.ts[b];
  });
  std::unordered_map<int32_t, uint32_t> final_on_cpu;  // CPU -> its last switch row in `order`
  for (size_t k = 0; k < order.size(); ++k)
    if (k + 1 == order.size() || t.switches.cpu[order[k + 1]] != t.switches.cpu[order[k]])
      final_on_cpu[t.switches.cpu[order[k]]] = order[k];
  for (uint32_t k = 0; k < order.size(); ++k) {
    const uint32_t i = order[k];
    if (!is_traced(t.switches.next_tid[i], t.switches.ts[i])) continue;
    // The thread runs until the next switch on the same CPU (between()); the last one is handled below.
    if (k + 1 >= order.size() || t.switches.cpu[order[k + 1]] != t.switches.cpu[i]) continue;
    starts_.push_back(k);
  }
  // Each thread's first and last switch in time (either side). Why: a thread already running when
  // the recording began (the command's main thread, released before its switch-in could be seen)
  // has no switch-in, and one still running at the end no switch-out; without these slices its
  // IRQs and syscalls of that time sit on a CPU track with no thread shown running there. What it
  // did before its first switch (or after its last) all ran on that CPU, so the first (last) of
  // its own on-CPU events bounds the slice without claiming time we did not see: its API calls,
  // syscalls, IRQs taken from it and wake-ups it made (not a TASK record written at its creation
  // nor a wake-up of it, which come before it runs).
  std::unordered_map<int64_t, std::pair<uint32_t, uint32_t>> first_last;  // tid -> switch rows
  for (uint32_t i = 0; i < t.switches.size(); ++i)
    for (int64_t tid : {t.switches.prev_tid[i], t.switches.next_tid[i]}) {
      if (!is_traced(tid, t.switches.ts[i])) continue;
      auto [it, fresh] = first_last.emplace(tid, std::make_pair(i, i));
      if (fresh) continue;
      if (t.switches.ts[i] < t.switches.ts[it->second.first]) it->second.first = i;
      if (t.switches.ts[i] >= t.switches.ts[it->second.second]) it->second.second = i;
    }
  std::unordered_map<int64_t, std::pair<ns_t, ns_t>> on_cpu_events;  // tid -> first start, last end
  const auto seen = [&](int64_t tid, ns_t start, ns_t end) {
    if (!first_last.count(tid)) return;
    auto [it, fresh] = on_cpu_events.emplace(tid, std::make_pair(start, end));
    if (!fresh) it->second = {std::min(it->second.first, start), std::max(it->second.second, end)};
  };
  for (size_t i = 0; i < t.api.size(); ++i) seen(t.api.tid[i], t.api.start[i], t.api.start[i] + std::max<ns_t>(t.api.dur[i], 0));
  for (size_t i = 0; i < t.syscalls.size(); ++i) seen(t.syscalls.tid[i], t.syscalls.ts[i], t.syscalls.ts[i] + t.syscalls.dur[i]);
  for (size_t i = 0; i < t.irqs.size(); ++i) seen(t.irqs.tid[i], t.irqs.ts[i], t.irqs.ts[i] + t.irqs.dur[i]);
  for (size_t i = 0; i < t.wakeups.size(); ++i) seen(t.wakeups.waker_tid[i], t.wakeups.ts[i], t.wakeups.ts[i]);
  for (auto& [tid, fl] : first_last) {
    const auto ev = on_cpu_events.find(tid);
    if (ev == on_cpu_events.end()) continue;
    const auto [first, last] = fl;
    const auto [ev_first, ev_last] = ev->second;
    if (t.switches.prev_tid[first] == tid && ev_first < t.switches.ts[first])
      edges_.push_back({ev_first, t.switches.ts[first], t.switches.cpu[first], t.switches.prev_pid[first], tid,
                        t.switches.prev_comm[first], first});
    // (When its CPU has a later switch, the loop above already ended the slice there.)
    const bool cpu_has_later = final_on_cpu.at(t.switches.cpu[last]) != last;
    if (t.switches.next_tid[last] == tid && !cpu_has_later && ev_last > t.switches.ts[last])
      edges_.push_back({t.switches.ts[last], ev_last, t.switches.cpu[last], t.switches.next_pid[last], tid,
                        t.switches.next_comm[last], -1});
  }
  // In their order of discovery where CPU and start tie, as the one stable sort of all slices had
  // them (for_each merges them after the in-between slices, which that sort kept first).
  std::stable_sort(edges_.begin(), edges_.end(), [](const OnCpuSlice& a, const OnCpuSlice& b) {
    return a.cpu != b.cpu ? a.cpu < b.cpu : a.start < b.start;
  });
  // Where each edge slice falls among all: after the in-between slices of an earlier or equal CPU
  // and start (those are in that order, as order_ is), and after the edge slices before it.
  edge_at_.reserve(edges_.size());
  for (size_t e = 0; e < edges_.size(); ++e) {
    const OnCpuSlice& edge = edges_[e];
    const auto before = std::partition_point(starts_.begin(), starts_.end(), [&](uint32_t k) {
      const uint32_t i = order_[k];
      const int32_t cpu = t.switches.cpu[i];
      return cpu != edge.cpu ? cpu < edge.cpu : t.switches.ts[i] <= edge.start;
    });
    edge_at_.push_back(e + static_cast<size_t>(before - starts_.begin()));
  }
}

std::vector<OnCpuSlice> on_cpu_slices(const Trace& t) {
  const OnCpuSliceWalk walk(t);
  std::vector<OnCpuSlice> out;
  out.reserve(walk.size());
  walk.for_each([&](const OnCpuSlice& s) { out.push_back(s); });
  return out;
}

PerfettoSummary write_perfetto_file(const Trace& t, const std::string& path, const std::vector<uint32_t>* launch_calls) {
  PerfettoSummary sum;
  PacketWriter w(path);
  TrackUuids track_uuid;

  // ---- Track descriptors -------------------------------------------------------------------
  auto descriptor = [&](uint64_t uuid, uint64_t parent, const std::string& name,
                        const std::function<void(pb::TrackDescriptor*)>& fill) {
    pb::TracePacket p;
    auto* d = p.mutable_track_descriptor();
    d->set_uuid(uuid);
    if (parent) d->set_parent_uuid(parent);
    if (!name.empty()) d->set_name(name);
    if (fill) fill(d);
    w.write(p);
    ++sum.tracks;
  };

  const ThreadNameRows name_rows(t);  // a thread's name: its pid and tid's row (review XP L1)
  auto threads = traced_threads(t);
  for (size_t i = 0; i < t.ops.size(); ++i) threads.insert({t.ops.pid[i], t.ops.tid[i]});
  for (size_t i = 0; i < t.syscalls.size(); ++i)
    threads.insert({t.syscalls.pid[i], t.syscalls.tid[i]});
  // A woken thread's wake-ups go on its track (a wake-up of an unknown thread has no track: left out).
  for (size_t i = 0; i < t.wakeups.size(); ++i)
    if (t.wakeups.tid[i] >= 0) threads.insert({t.wakeups.pid[i], t.wakeups.tid[i]});
  // And a thread's process-tree records (birth, exec, exit, attach) on its own.
  for (size_t i = 0; i < t.tasks.size(); ++i)
    if (t.tasks.tid[i] >= 0) threads.insert({t.tasks.pid[i], t.tasks.tid[i]});
  // Perfetto's process and thread descriptors hold int32 ids (a negative one, a missing -1 or a
  // named -2.., is a sign-extended varint, as int32 is). An id beyond int32 (a Kineto trace's is
  // int64) written cut to 32 bits would name another process or thread, whose track a reader joins
  // by its ids: such a track has no descriptor of ids, only a name with the whole id.
  const auto fits_int32 = [](int64_t v) {
    return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
  };
  std::set<int64_t> pids;
  for (auto& [pid, tid] : threads) pids.insert(pid);
  for (int64_t pid : pids) {
    const std::string n = trace_process_name(t, pid);
    const bool fits = fits_int32(pid);
    const std::string plain = fits ? "" : "process " + std::to_string(pid) + (n.empty() ? "" : " (" + n + ")");
    descriptor(track_uuid(PerfettoTrackKind::Process, pid), 0, plain, [&](pb::TrackDescriptor* d) {
      if (!fits) return;
      d->mutable_process()->set_pid(static_cast<int32_t>(pid));
      if (!n.empty()) d->mutable_process()->set_process_name(n);
    });
  }
  // Plain copies, not the structured bindings, in the lambda: C++17/20 do not let a lambda capture
  // a structured binding (GCC accepts it, clang 14 refuses it).
  for (const auto& thread : threads) {
    const int64_t pid = thread.first, tid = thread.second;
    const std::optional<size_t> row = name_rows.row(pid, tid);
    const StrId comm = row ? t.threads.comm[*row] : kNoString;
    const bool fits = fits_int32(pid) && fits_int32(tid);
    const std::string plain = fits ? "" : thread_track_name(comm != kNoString ? t.str(comm) : std::string_view(), tid);
    descriptor(track_uuid(PerfettoTrackKind::Thread, pid, tid),
               track_uuid(PerfettoTrackKind::Process, pid), plain, [&](pb::TrackDescriptor* d) {
                 if (!fits) return;
                 auto* th = d->mutable_thread();
                 th->set_pid(static_cast<int32_t>(pid));
                 th->set_tid(static_cast<int32_t>(tid));
                 if (comm != kNoString) th->set_thread_name(std::string(t.str(comm)));
               });
  }
  std::set<std::pair<int64_t, int64_t>> syscall_threads;
  for (size_t i = 0; i < t.syscalls.size(); ++i)
    syscall_threads.insert({t.syscalls.pid[i], t.syscalls.tid[i]});
  for (auto& [pid, tid] : syscall_threads)
    descriptor(track_uuid(PerfettoTrackKind::ThreadSyscalls, pid, tid),
               track_uuid(PerfettoTrackKind::Thread, pid, tid), "syscalls", nullptr);

  // The on-CPU slices are looked up by number (their row) when written, after the sort of all
  // events: the walk gives each from the switches, not held whole (56 bytes a slice, 85 MB of a
  // 1.5 M-switch recording; docs/benchmarks.md).
  const OnCpuSliceWalk oncpu(t);
  std::set<int32_t> cpus;
  oncpu.for_each([&](const OnCpuSlice& s) { cpus.insert(s.cpu); });
  for (size_t i = 0; i < t.irqs.size(); ++i) cpus.insert(t.irqs.cpu[i]);
  for (int32_t cpu : cpus)
    descriptor(track_uuid(PerfettoTrackKind::Cpu, cpu), 0, "CPU " + std::to_string(cpu), nullptr);
  std::set<int32_t> irq_cpus(t.irqs.cpu.begin(), t.irqs.cpu.end());
  for (int32_t cpu : irq_cpus)
    descriptor(track_uuid(PerfettoTrackKind::CpuIrqs, cpu),
               track_uuid(PerfettoTrackKind::Cpu, cpu), "CPU " + std::to_string(cpu) + " IRQs",
               nullptr);

  std::set<std::pair<int32_t, int64_t>> streams;
  for (size_t i = 0; i < t.gpu.size(); ++i) streams.insert({t.gpu.device[i], t.gpu.stream[i]});
  std::set<int32_t> devices;
  for (auto& [dev, s] : streams) devices.insert(dev);
  for (int32_t dev : devices)
    descriptor(track_uuid(PerfettoTrackKind::GpuDevice, dev), 0, "GPU " + std::to_string(dev),
               nullptr);
  for (auto& [dev, s] : streams)
    descriptor(track_uuid(PerfettoTrackKind::GpuStream, dev, s),
               track_uuid(PerfettoTrackKind::GpuDevice, dev),
               "GPU " + std::to_string(dev) + " stream " + std::to_string(s), nullptr);

  // Where the recorder lost events (LOSS records): per CPU, as the windows of one CPU at most touch
  // (one may end where the next begins) but those of two CPUs overlap. Windows of an unknown CPU
  // (-1) share one track and may overlap there (the viewer then nests them). A child of one
  // "recorder loss" track, written only when there is one.
  std::set<int32_t> loss_cpus;
  for (const LossWindow& lw : t.loss_windows) loss_cpus.insert(lw.cpu);
  if (!loss_cpus.empty())
    descriptor(track_uuid(PerfettoTrackKind::Loss, 0), 0, "recorder loss", nullptr);
  for (int32_t cpu : loss_cpus)
    descriptor(track_uuid(PerfettoTrackKind::LossCpu, cpu), track_uuid(PerfettoTrackKind::Loss, 0),
               cpu >= 0 ? "CPU " + std::to_string(cpu) + " loss" : std::string("unknown CPU loss"), nullptr);

  // ---- Launch -> GPU activity links (by correlation id) -------------------------------------
  // The call gpu.csv, the Chrome JSON and the analysis name too (analysis/launch.h).
  std::vector<uint32_t> own;
  const std::vector<uint32_t>& launch_of = launch_calls_of_gpu_rows(t, launch_calls, own);
  std::unordered_map<uint32_t, std::vector<uint64_t>> flows_of_api;
  for (uint32_t g = 0; g < t.gpu.size(); ++g) {
    if (launch_of[g] == kNoLaunchCall) continue;
    flows_of_api[launch_of[g]].push_back(uint64_t{g} + 1);  // flow id: GPU row + 1 (never 0)
  }

  // ---- Events, in time order ----------------------------------------------------------------
  std::vector<Ev> evs;
  auto add = [&](ns_t start, ns_t dur, Table table, uint32_t row, uint64_t track) {
    if (dur <= 0) {
      evs.push_back({start, kInstant, 0, table, row, track});
      ++sum.instants;
      return;
    }
    evs.push_back({start, kBegin, -(start + dur), table, row, track});
    evs.push_back({start + dur, kEnd, -start, table, row, track});
    ++sum.slices;
  };
  for (uint32_t i = 0; i < t.ops.size(); ++i)
    add(t.ops.start[i], t.ops.dur[i], Table::Op, i,
        track_uuid(PerfettoTrackKind::Thread, t.ops.pid[i], t.ops.tid[i]));
  for (uint32_t i = 0; i < t.api.size(); ++i)
    add(t.api.start[i], t.api.dur[i], Table::Api, i,
        track_uuid(PerfettoTrackKind::Thread, t.api.pid[i], t.api.tid[i]));
  for (uint32_t i = 0; i < t.syscalls.size(); ++i)
    add(t.syscalls.ts[i], t.syscalls.dur[i], Table::Syscall, i,
        track_uuid(PerfettoTrackKind::ThreadSyscalls, t.syscalls.pid[i], t.syscalls.tid[i]));
  {
    uint32_t i = 0;
    oncpu.for_each([&](const OnCpuSlice& s) {
      add(s.start, s.end - s.start, Table::OnCpu, i++, track_uuid(PerfettoTrackKind::Cpu, s.cpu));
    });
  }
  for (uint32_t i = 0; i < t.irqs.size(); ++i)
    add(t.irqs.ts[i], t.irqs.dur[i], Table::Irq, i,
        track_uuid(PerfettoTrackKind::CpuIrqs, t.irqs.cpu[i]));
  for (uint32_t i = 0; i < t.gpu.size(); ++i)
    add(t.gpu.start[i], t.gpu.dur[i], Table::Gpu, i,
        track_uuid(PerfettoTrackKind::GpuStream, t.gpu.device[i], t.gpu.stream[i]));
  for (uint32_t i = 0; i < t.loss_windows.size(); ++i) {
    const LossWindow& lw = t.loss_windows[i];
    add(lw.first, lw.last - lw.first, Table::Loss, i, track_uuid(PerfettoTrackKind::LossCpu, lw.cpu));
  }
  for (uint32_t i = 0; i < t.wakeups.size(); ++i)
    if (t.wakeups.tid[i] >= 0)
      add(t.wakeups.ts[i], 0, Table::Wakeup, i, track_uuid(PerfettoTrackKind::Thread, t.wakeups.pid[i], t.wakeups.tid[i]));
  for (uint32_t i = 0; i < t.tasks.size(); ++i)
    if (t.tasks.tid[i] >= 0)
      add(t.tasks.ts[i], 0, Table::Task, i, track_uuid(PerfettoTrackKind::Thread, t.tasks.pid[i], t.tasks.tid[i]));
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    if (a.phase != b.phase) return a.phase < b.phase;
    return a.tie < b.tie;
  });
  // A slice END names no slice: it closes the innermost open one on its track. A slice that ends
  // after the slice it started in (whole-us legacy traces round a child 1 us past its parent,
  // docs/analyze.md) would close its parent and both durations would change (review FMT M1). So
  // each track's slices go on lanes where they nest properly, greedily (lane 0, the track itself,
  // first), and a slice that nests on none of the lanes so far opens a new one: a child track of
  // the track, named "overlaps N" (as the HTML timeline's extra lanes). Every slice keeps its
  // true start and end. One pass over the events in the order they are written (a track's begins
  // come in start order, the outer of two that start together first): no second sort.
  {
    struct TrackLanes {
      std::vector<std::vector<ns_t>> open;  // per lane, the ends of its open slices (innermost last)
      std::vector<uint64_t> uuid;           // per lane, its track (lane 0: the track itself)
    };
    std::unordered_map<uint64_t, TrackLanes> lanes_of;
    // Per table and row, the lane its slice's begin was put on, for its end.
    const size_t rows[] = {t.ops.size(), t.api.size(), t.syscalls.size(), oncpu.size(), t.irqs.size(), t.gpu.size(),
                           t.loss_windows.size(), t.wakeups.size(), t.tasks.size()};
    std::vector<std::vector<uint32_t>> lane_of_row(std::size(rows));
    uint64_t lane_uuid = static_cast<uint64_t>(PerfettoTrackKind::Lane) << 56;
    uint64_t last_track = 0;
    TrackLanes* last = nullptr;
    for (Ev& e : evs) {
      if (e.phase == kInstant) continue;
      const size_t table = static_cast<size_t>(e.table);
      if (e.phase == kEnd) {
        const std::vector<uint32_t>& lanes = lane_of_row[table];
        if (e.row < lanes.size() && lanes[e.row] != 0) e.track = lanes_of[e.track].uuid[lanes[e.row]];
        continue;
      }
      if (!last || last_track != e.track) last = &lanes_of[e.track], last_track = e.track;
      TrackLanes& tl = *last;
      if (tl.uuid.empty()) tl.uuid.push_back(e.track);
      const ns_t slice_end = -e.tie;
      size_t lane = 0;
      for (;; ++lane) {
        if (lane == tl.open.size()) tl.open.emplace_back();
        std::vector<ns_t>& open = tl.open[lane];
        while (!open.empty() && open.back() <= e.ts) open.pop_back();  // ended by now
        if (open.empty() || slice_end <= open.back()) break;           // nests in the innermost
      }
      tl.open[lane].push_back(slice_end);
      if (lane == tl.uuid.size()) {
        tl.uuid.push_back(++lane_uuid);
        descriptor(tl.uuid.back(), e.track, "overlaps " + std::to_string(lane), nullptr);
      }
      if (lane != 0) {
        std::vector<uint32_t>& lanes = lane_of_row[table];
        if (lanes.empty()) lanes.assign(rows[table], 0);
        lanes[e.row] = static_cast<uint32_t>(lane);
        e.track = tl.uuid[lane];
      }
    }
  }
  // Perfetto timestamps are unsigned: shift a trace that starts before 0 (never seen in practice).
  // A trace with nothing to show still gets one packet: a 0-byte file is a valid empty Trace
  // message, but ui.perfetto.dev refuses it as "not a recognized format" (review XP observation);
  // a track named for what happened opens and says it.
  if (evs.empty() && sum.tracks == 0)
    descriptor(track_uuid(PerfettoTrackKind::Empty, 0), 0, "no events: the trace has nothing to show", nullptr);
  const ns_t shift = (!evs.empty() && evs.front().ts < 0) ? -evs.front().ts : 0;

  pb::TracePacket p;
  Interning intern(t);
  intern.use(&p);
  // Each slice's args are --chrome's, under the same names (review XP L4; grid and block as text
  // "x,y,z" where --chrome has Kineto's arrays).
  // `name`: a string literal (Interning::annotation_literal), or a std::string built for the event.
  auto annotate = [&](pb::TrackEvent* e, const auto& name, auto v) {
    auto* a = e->add_debug_annotations();
    if constexpr (std::is_same_v<std::decay_t<decltype(name)>, std::string>) a->set_name_iid(intern.annotation(name));
    else a->set_name_iid(intern.annotation_literal(name));
    if constexpr (std::is_same_v<decltype(v), std::string>) a->set_string_value(v);
    else if constexpr (std::is_same_v<decltype(v), bool>) a->set_bool_value(v);
    else a->set_int_value(v);
  };
  constexpr const char* kExternalId = "External id";  // Kineto's key, as --chrome writes it
  for (const Ev& ev : evs) {
    p.Clear();
    p.set_timestamp(static_cast<uint64_t>(ev.ts + shift));
    auto* e = p.mutable_track_event();
    e->set_track_uuid(ev.track);
    if (ev.phase == kEnd) {
      e->set_type(pb::TrackEvent::TYPE_SLICE_END);
      w.write(p);
      continue;
    }
    e->set_type(ev.phase == kBegin ? pb::TrackEvent::TYPE_SLICE_BEGIN : pb::TrackEvent::TYPE_INSTANT);
    const uint32_t i = ev.row;
    switch (ev.table) {
      case Table::Op:
        e->set_name_iid(intern.name(t.ops.name[i]));
        e->add_category_iids(intern.category(t.ops.user_annotation[i] ? category::kUserAnnotation : category::kOperator));
        if (t.ops.external_id[i] != -1) annotate(e, kExternalId, t.ops.external_id[i]);
        break;
      case Table::Api: {
        e->set_name_iid(intern.name(t.api.name[i]));
        e->add_category_iids(intern.category(kineto_api_category(t.str(t.api.name[i]))));
        if (t.api.cpu[i] != -1) annotate(e, "cpu", int64_t{t.api.cpu[i]});
        if (t.api.stream[i] != -1) annotate(e, "stream", t.api.stream[i]);
        if (t.api.correlation[i] != -1) annotate(e, "correlation", t.api.correlation[i]);
        if (t.api.external_id[i] != -1) annotate(e, kExternalId, t.api.external_id[i]);
        // An instant here, so that it is not read as a measured 0 (--chrome writes it so too).
        if (t.api.dur[i] < 0) annotate(e, "duration", std::string("not measured"));
        if (t.api.has_geometry(i)) {
          const LaunchDims& d = t.api.geometry[i];
          annotate(e, "grid", dims_text(d.grid));
          annotate(e, "block", dims_text(d.block));
        }
        auto it = flows_of_api.find(i);
        if (it != flows_of_api.end())
          for (uint64_t f : it->second) {
            e->add_flow_ids(f);
            ++sum.flows;
          }
        break;
      }
      case Table::Syscall:
        e->set_name_iid(intern.name(t.syscalls.name[i]));
        e->add_category_iids(intern.category(category::kSyscall));
        annotate(e, "nr", int64_t{t.syscalls.nr[i]});
        annotate(e, "ret", t.syscalls.ret[i]);
        break;
      case Table::OnCpu: {
        const OnCpuSlice s = oncpu.at(i);
        std::string comm(t.str(s.comm));
        e->set_name_iid(intern.name((comm.empty() ? std::string("thread") : comm) + " " + std::to_string(s.tid)));
        e->add_category_iids(intern.category(category::kOnCpu));
        annotate(e, "pid", s.pid);
        annotate(e, "tid", s.tid);
        if (s.end_switch >= 0) {  // how the switch that ended it left the thread
          const size_t end = static_cast<size_t>(s.end_switch);
          annotate(e, "end_state", t.switches.prev_state[end]);
          annotate(e, "preempted", t.switches.preempted[end] != 0);
        }
        break;
      }
      case Table::Irq: {
        const bool soft = t.irqs.kind[i] == IrqKind::Soft;
        e->set_name_iid(intern.name(t.irqs.label_prefix(i) + std::string(t.str(t.irqs.name[i]))));
        e->add_category_iids(intern.category(soft ? category::kSoftIrq : category::kHardIrq));
        annotate(e, irq_number_arg(t.irqs, i), int64_t{t.irqs.irq[i]});
        annotate(e, "tid", t.irqs.tid[i]);  // the thread it interrupted (-1: not known)
        annotate(e, "source", std::string(t.irqs.source_name(i)));
        break;
      }
      case Table::Gpu:
        e->set_name_iid(intern.name(t.gpu.name[i]));
        e->add_category_iids(intern.category(gpu_category(t.gpu.kind[i])));
        annotate(e, "device", int64_t{t.gpu.device[i]});
        annotate(e, "stream", t.gpu.stream[i]);
        annotate(e, "correlation", t.gpu.correlation[i]);
        if (t.gpu.external_id[i] != -1) annotate(e, kExternalId, t.gpu.external_id[i]);
        if (t.gpu.grid_x[i] > 0) {
          const uint32_t grid[3] = {t.gpu.grid_x[i], t.gpu.grid_y[i], t.gpu.grid_z[i]};
          const uint32_t block[3] = {t.gpu.block_x[i], t.gpu.block_y[i], t.gpu.block_z[i]};
          annotate(e, "grid", dims_text(grid));
          annotate(e, "block", dims_text(block));
        }
        if (launch_of[i] != kNoLaunchCall)
          e->add_terminating_flow_ids(uint64_t{i} + 1);
        break;
      case Table::Loss: {
        // The counts per type, keyed as META dropped.<type> names them (Trace::loss_windows).
        const LossWindow& lw = t.loss_windows[i];
        e->set_name_iid(intern.name("events lost"));
        e->add_category_iids(intern.category(category::kRecorderLoss));
        annotate(e, "lost_total", lw.total());
        for (const auto& [type, n] : lw.lost) annotate(e, "lost_" + type, n);
        break;
      }
      case Table::Wakeup:
        // On the woken thread's track: who woke it (-1: unknown) and the CPU it was woken onto.
        e->set_name_iid(intern.name("wakeup"));
        e->add_category_iids(intern.category(category::kWakeup));
        annotate(e, "waker_pid", t.wakeups.waker_pid[i]);
        annotate(e, "waker_tid", t.wakeups.waker_tid[i]);
        annotate(e, "cpu", int64_t{t.wakeups.cpu[i]});
        break;
      case Table::Task:
        // The thread's name in the record (after an exec: the new program's), who made a new
        // thread, and an attached thread's state as /proc spelled it.
        e->set_name_iid(intern.name(task_instant_name(t.tasks.kind[i])));
        e->add_category_iids(intern.category(category::kProcessTree));
        if (t.tasks.comm[i] != kNoString) annotate(e, "comm", std::string(t.str(t.tasks.comm[i])));
        if (t.tasks.parent_tid[i] >= 0) annotate(e, "parent_tid", t.tasks.parent_tid[i]);
        if (t.tasks.state[i] != 0) annotate(e, "state", std::string(1, t.tasks.state[i]));
        break;
    }
    w.write(p);
  }
  w.finish();
  sum.packets = w.packets();
  return sum;
}

void write_perfetto(const Trace& trace, const std::string& path) { write_perfetto_file(trace, path); }

}  // namespace infertrace
