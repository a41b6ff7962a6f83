// Writes a Perfetto trace from a hand-built Trace with every table filled, reads it back with the
// generated protobuf classes and checks tracks, slices, nesting and launch->kernel flows against
// what the input says (computed here independently of the writer).
#include <gtest/gtest.h>

#include <algorithm>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "loss_window_make.h"
#include "file_text.h"
#include "report/exports.h"
#include "report/perfetto.h"
#include "report/proto/perfetto_trace.pb.h"
#include "temp_dir.h"
#include "util/error.h"

using namespace infertrace;
namespace pb = infertrace::pftrace;

namespace {

Trace sample_trace() {
  Trace t;
  t.threads.push({100, 101, t.strings.intern("python3"), 0, 10'000});
  t.meta["process_name.100"] = "python3 serve";  // Kineto's process_name metadata, as the reader keeps it
  // One operator containing two kernel launches and a graph launch of two kernels.
  t.ops.push({1'000, 5'000, 100, 101, 7, t.strings.intern("aten::linear"), false});
  auto api = [&](ns_t s, ns_t d, int64_t corr, const char* name) {
    ApiCall c;
    c.start = s, c.dur = d, c.pid = 100, c.tid = 101, c.correlation = corr, c.external_id = 7;
    c.name = t.strings.intern(name), c.kind = classify_api(name);
    t.api.push(c);
  };
  api(1'100, 400, 1, "cudaLaunchKernel");
  api(1'600, 400, 2, "cudaLaunchKernel");
  api(2'100, 900, 3, "cudaGraphLaunch");
  api(3'100, 0, -1, "cudaStreamSynchronize");  // zero duration: an instant
  auto gpu = [&](ns_t s, ns_t d, int64_t stream, int64_t corr, const char* name) {
    GpuActivity a;
    a.start = s, a.dur = d, a.device = 0, a.stream = stream, a.correlation = corr;
    a.name = t.strings.intern(name);
    a.grid[0] = 4, a.grid[1] = 1, a.grid[2] = 1, a.block[0] = 128, a.block[1] = 1, a.block[2] = 1;
    t.gpu.push(a);
  };
  gpu(1'500, 300, 7, 1, "gemm_a");
  gpu(2'000, 300, 7, 2, "gemm_b");
  gpu(3'000, 200, 7, 3, "graph_k1");
  gpu(3'200, 200, 7, 3, "graph_k2");
  gpu(4'000, 100, 9, 99, "orphan_kernel");  // no launch call: no flow
  // Two CPUs: the traced thread runs on cpu 0 from 500 to 6000, then on cpu 1 from 6500 to 9000.
  auto sw = [&](ns_t ts, int32_t cpu, int64_t prev, int64_t next, bool pre) {
    ContextSwitch s;
    s.ts = ts, s.cpu = cpu, s.prev_pid = prev ? 100 : 0, s.prev_tid = prev, s.preempted = pre;
    s.next_pid = next ? 100 : 0, s.next_tid = next;
    s.next_comm = t.strings.intern(next ? "python3" : "swapper/0");
    t.switches.push(s);
  };
  sw(500, 0, 0, 101, false);
  sw(6'000, 0, 101, 0, true);
  sw(6'500, 1, 0, 101, false);
  sw(9'000, 1, 101, 0, false);
  // A softirq with a hard IRQ nested inside it, both on cpu 0 while the thread was current.
  t.irqs.push({2'500, 400, 0, IrqKind::Soft, 1, t.strings.intern("TIMER"), 100, 101});
  t.irqs.push({2'600, 100, 0, IrqKind::Hard, 35, t.strings.intern("nvidia"), 100, 101});
  t.syscalls.push({1'200, 50, 100, 101, 16, t.strings.intern("ioctl"), 0, -1});
  return t;
}

pb::Trace read_back(const std::string& path) {
  pb::Trace tr;
  EXPECT_TRUE(tr.ParseFromString(slurp(path)));
  return tr;
}

// A file in this process's own temporary directory (removed at exit): a fixed name in /tmp was
// shared with every other checkout's ctest running at the same time.
std::string tmp_path(const char* name) {
  static const infertrace::TempDir dir("infertrace-perfetto-export");
  return (dir.path / name).string();
}

}  // namespace

TEST(PerfettoExport, TracksSlicesAndFlowsMatchTheInput) {
  const Trace t = sample_trace();
  const std::string path = tmp_path("perfetto_test.pftrace");
  const PerfettoSummary sum = write_perfetto_file(t, path);
  const pb::Trace tr = read_back(path);
  std::filesystem::remove(path);
  ASSERT_EQ(tr.packet_size(), sum.packets);

  // Tracks: process, thread, syscalls child, 2 CPUs, IRQ child of cpu 0, GPU 0 with 2 streams.
  std::map<uint64_t, pb::TrackDescriptor> tracks;
  for (auto& p : tr.packet())
    if (p.has_track_descriptor()) tracks[p.track_descriptor().uuid()] = p.track_descriptor();
  EXPECT_EQ(static_cast<int64_t>(tracks.size()), sum.tracks);
  EXPECT_EQ(tracks.size(), 9u);
  const uint64_t thread = perfetto_track_uuid(PerfettoTrackKind::Thread, 100, 101);
  ASSERT_TRUE(tracks.count(thread));
  EXPECT_EQ(tracks[thread].thread().pid(), 100);
  EXPECT_EQ(tracks[thread].thread().tid(), 101);
  EXPECT_EQ(tracks[thread].thread().thread_name(), "python3");
  EXPECT_EQ(tracks[thread].parent_uuid(), perfetto_track_uuid(PerfettoTrackKind::Process, 100));
  EXPECT_EQ(tracks[perfetto_track_uuid(PerfettoTrackKind::Process, 100)].process().process_name(), "python3 serve");
  EXPECT_EQ(tracks[perfetto_track_uuid(PerfettoTrackKind::Cpu, 1)].name(), "CPU 1");
  EXPECT_EQ(tracks[perfetto_track_uuid(PerfettoTrackKind::GpuStream, 0, 9)].name(), "GPU 0 stream 9");
  EXPECT_EQ(tracks[perfetto_track_uuid(PerfettoTrackKind::CpuIrqs, 0)].parent_uuid(),
            perfetto_track_uuid(PerfettoTrackKind::Cpu, 0));

  // Replay every track's begin/end stack: proper nesting, and each slice's (start, end, name).
  struct Open { uint64_t ts; std::string name; };
  std::map<uint64_t, std::vector<Open>> stacks;
  std::multiset<std::tuple<uint64_t, uint64_t, uint64_t, std::string>> slices;  // track, start, end, name
  std::multiset<std::tuple<uint64_t, uint64_t, std::string>> instants;
  uint64_t last_ts = 0;
  std::map<uint64_t, std::string> flow_from, flow_to;  // flow id -> API / GPU names
  std::map<std::string, int64_t> corr_of;              // name -> correlation annotation
  // Interned strings: defined by the packet that first uses them (or an earlier one).
  std::map<uint64_t, std::string> names, annotation_names, categories;
  std::set<std::string> seen_categories;
  for (auto& p : tr.packet()) {
    for (auto& n : p.interned_data().event_names()) EXPECT_TRUE(names.emplace(n.iid(), n.name()).second);
    for (auto& n : p.interned_data().debug_annotation_names()) annotation_names.emplace(n.iid(), n.name());
    for (auto& n : p.interned_data().event_categories()) categories.emplace(n.iid(), n.name());
    if (!p.has_track_event()) continue;
    EXPECT_GE(p.timestamp(), last_ts) << "events are written in time order";
    last_ts = p.timestamp();
    const auto& e = p.track_event();
    ASSERT_TRUE(tracks.count(e.track_uuid())) << "event on an undeclared track";
    if (e.type() == pb::TrackEvent::TYPE_SLICE_END) {
      EXPECT_EQ(e.name_iid(), 0u);  // ends carry no name
    } else {
      ASSERT_TRUE(names.count(e.name_iid())) << "name iid " << e.name_iid() << " used before it is defined";
      for (uint64_t c : e.category_iids()) {
        ASSERT_TRUE(categories.count(c));
        seen_categories.insert(categories[c]);
      }
    }
    const std::string name = e.type() == pb::TrackEvent::TYPE_SLICE_END ? "" : names[e.name_iid()];
    for (auto& a : e.debug_annotations()) {
      ASSERT_TRUE(annotation_names.count(a.name_iid()));
      if (annotation_names[a.name_iid()] == "correlation") corr_of[name] = a.int_value();
    }
    for (uint64_t f : e.flow_ids()) flow_from[f] = name;
    for (uint64_t f : e.terminating_flow_ids()) flow_to[f] = name;
    if (e.type() == pb::TrackEvent::TYPE_SLICE_BEGIN) {
      stacks[e.track_uuid()].push_back({p.timestamp(), name});
    } else if (e.type() == pb::TrackEvent::TYPE_SLICE_END) {
      auto& st = stacks[e.track_uuid()];
      ASSERT_FALSE(st.empty()) << "end without begin at " << p.timestamp();
      slices.insert({e.track_uuid(), st.back().ts, p.timestamp(), st.back().name});
      st.pop_back();
    } else if (e.type() == pb::TrackEvent::TYPE_INSTANT) {
      instants.insert({e.track_uuid(), p.timestamp(), name});
    }
  }
  for (auto& [track, st] : stacks) EXPECT_TRUE(st.empty()) << "unclosed slice on track " << track;

  // Expected slices, straight from the input tables.
  std::multiset<std::tuple<uint64_t, uint64_t, uint64_t, std::string>> want;
  for (size_t i = 0; i < t.ops.size(); ++i)
    want.insert({thread, t.ops.start[i], t.ops.start[i] + t.ops.dur[i], std::string(t.str(t.ops.name[i]))});
  for (size_t i = 0; i < t.api.size(); ++i)
    if (t.api.dur[i] > 0)
      want.insert({thread, t.api.start[i], t.api.start[i] + t.api.dur[i], std::string(t.str(t.api.name[i]))});
  for (size_t i = 0; i < t.gpu.size(); ++i)
    want.insert({perfetto_track_uuid(PerfettoTrackKind::GpuStream, 0, t.gpu.stream[i]), t.gpu.start[i],
                 t.gpu.start[i] + t.gpu.dur[i], std::string(t.str(t.gpu.name[i]))});
  want.insert({perfetto_track_uuid(PerfettoTrackKind::ThreadSyscalls, 100, 101), 1'200, 1'250, "ioctl"});
  want.insert({perfetto_track_uuid(PerfettoTrackKind::Cpu, 0), 500, 6'000, "python3 101"});
  want.insert({perfetto_track_uuid(PerfettoTrackKind::Cpu, 1), 6'500, 9'000, "python3 101"});
  want.insert({perfetto_track_uuid(PerfettoTrackKind::CpuIrqs, 0), 2'500, 2'900, "softirq TIMER"});
  want.insert({perfetto_track_uuid(PerfettoTrackKind::CpuIrqs, 0), 2'600, 2'700, "irq nvidia"});
  EXPECT_EQ(slices, want);
  EXPECT_EQ(static_cast<int64_t>(slices.size()), sum.slices);
  ASSERT_EQ(instants.size(), 1u);
  EXPECT_EQ(std::get<2>(*instants.begin()), "cudaStreamSynchronize");

  // Flows: one per GPU activity that has a launch call (4 of 5), each from the launch call with
  // the same correlation id; the orphan kernel has none.
  EXPECT_EQ(flow_from.size(), 4u);
  EXPECT_EQ(sum.flows, 4);
  ASSERT_EQ(flow_to.size(), 4u);
  std::map<std::string, std::string> launcher;
  for (auto& [id, gpu_name] : flow_to) {
    ASSERT_TRUE(flow_from.count(id)) << "flow " << id << " has no start";
    launcher[gpu_name] = flow_from[id];
  }
  EXPECT_EQ(launcher["gemm_a"], "cudaLaunchKernel");
  EXPECT_EQ(launcher["graph_k1"], "cudaGraphLaunch");
  EXPECT_EQ(launcher["graph_k2"], "cudaGraphLaunch");
  EXPECT_FALSE(launcher.count("orphan_kernel"));
  EXPECT_EQ(corr_of["gemm_b"], 2);
  // The categories --chrome writes (review FMT L3: these were "sched" and "irq").
  EXPECT_EQ(seen_categories, (std::set<std::string>{"cpu_op", "cuda_runtime", "kernel", "syscall", "on_cpu", "softirq", "hardirq"}));
  // Each distinct name is defined once: 1 op, 3 API names, 5 GPU names, 1 syscall, 1 on-CPU, 2 IRQs.
  EXPECT_EQ(names.size(), 13u);
}

// An empty trace gives one packet, a track saying so: a 0-byte file (a valid empty Trace message)
// is refused by ui.perfetto.dev as not a recognized format.
TEST(PerfettoExport, EmptyTraceGivesOneTrackSayingSo) {
  Trace t;
  const std::string path = tmp_path("perfetto_empty.pftrace");
  const PerfettoSummary sum = write_perfetto_file(t, path);
  EXPECT_EQ(sum.packets, 1);
  EXPECT_GT(std::filesystem::file_size(path), 0u);
  const pb::Trace back = read_back(path);
  ASSERT_EQ(back.packet_size(), 1);
  ASSERT_TRUE(back.packet(0).has_track_descriptor());
  EXPECT_EQ(back.packet(0).track_descriptor().name(), "no events: the trace has nothing to show");
  std::filesystem::remove(path);
}

TEST(PerfettoExport, UnwritablePathIsAnErrorNamingIt) {
  Trace t;
  try {
    write_perfetto_file(t, "/nonexistent-dir/x.pftrace");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.pftrace"), std::string::npos);
    EXPECT_EQ(e.exit_code(), 1);
  }
}

// A thread running before the first recorded switch, or after the last one, still gets its
// on-CPU time, bounded by its own on-CPU events (never by a TASK record or a wake-up of it).
TEST(PerfettoExport, OnCpuSlicesAtTheEdgesOfTheRecording) {
  Trace t;
  t.threads.push({100, 101, t.strings.intern("main"), 50, 900});
  t.threads.push({100, 102, t.strings.intern("late"), 10, 700});
  auto sw = [&](ns_t ts, int32_t cpu, int64_t prev, int64_t next) {
    ContextSwitch s;
    s.ts = ts, s.cpu = cpu, s.prev_pid = prev ? 100 : 0, s.prev_tid = prev, s.prev_state = prev ? 1 : 0;
    s.next_pid = next ? 100 : 0, s.next_tid = next;
    t.switches.push(s);
  };
  // 101: already on CPU 0 (a syscall at 200) until it blocks at 400; back on CPU 1 at 600, still
  // there at the end (an IRQ taken from it at 800-850). 102: woken at 10 (not on a CPU then),
  // switched in on CPU 0 at 450, off at 500.
  t.syscalls.push({200, 30, 100, 101, 39, t.strings.intern("getpid"), 0, -1});
  t.wakeups.push({10, 0, 100, 102, 100, 101});
  sw(400, 0, 101, 0);
  sw(450, 0, 0, 102);
  sw(500, 0, 102, 0);
  sw(600, 1, 0, 101);
  t.irqs.push({800, 50, 1, IrqKind::Hard, 30, t.strings.intern("eth0"), 100, 101});
  std::vector<std::tuple<int32_t, ns_t, ns_t, int64_t, int64_t>> got;
  for (const OnCpuSlice& o : on_cpu_slices(t)) got.emplace_back(o.cpu, o.start, o.end, o.tid, o.end_switch);
  const std::vector<std::tuple<int32_t, ns_t, ns_t, int64_t, int64_t>> want = {
      {0, 10, 400, 101, 0},    // from the wake-up 101 made at 10 (its first on-CPU event)
      {0, 450, 500, 102, 2},   // an ordinary switch-in to switch-out
      {1, 600, 850, 101, -1},  // to the end of the last IRQ taken from it
  };
  EXPECT_EQ(got, want);
}

// The walk the HTML timeline reads (OnCpuSliceWalk) gives on_cpu_slices()'s slices in its order
// without holding them: by CPU, then start, a slice at a thread's first switch merged among those
// between two switches, after one of an equal start (as the one stable sort of all slices had it).
TEST(PerfettoExport, OnCpuSliceWalkMergesTheEdgeSlicesInOrder) {
  Trace t;
  for (int64_t tid : {101, 102, 103, 104}) t.threads.push({100, tid, t.strings.intern("t"), 0, 1000});
  auto sw = [&](ns_t ts, int32_t cpu, int64_t prev, int64_t next) {
    ContextSwitch s;
    s.ts = ts, s.cpu = cpu, s.prev_pid = prev ? 100 : 0, s.prev_tid = prev, s.prev_state = prev ? 1 : 0;
    s.next_pid = next ? 100 : 0, s.next_tid = next;
    t.switches.push(s);
  };
  // 101 ran before its first switch (off CPU 0 at 400) from its syscall at 150, the start of 103's
  // slice too; 104 ran on CPU 1 from its syscall at 20 to its first switch at 50.
  t.syscalls.push({150, 10, 100, 101, 39, t.strings.intern("getpid"), 0, -1});
  t.syscalls.push({20, 5, 100, 104, 39, t.strings.intern("getpid"), 0, -1});
  sw(100, 0, 0, 102);
  sw(150, 0, 102, 103);
  sw(300, 0, 103, 0);
  sw(400, 0, 101, 0);
  sw(50, 1, 104, 0);
  using Row = std::tuple<int32_t, ns_t, ns_t, int64_t, int64_t>;
  auto row = [](const OnCpuSlice& o) { return Row{o.cpu, o.start, o.end, o.tid, o.end_switch}; };
  const OnCpuSliceWalk walk(t);
  std::vector<Row> walked, whole;
  walk.for_each([&](const OnCpuSlice& o) { walked.push_back(row(o)); });
  for (const OnCpuSlice& o : on_cpu_slices(t)) whole.push_back(row(o));
  const std::vector<Row> want = {
      {0, 100, 150, 102, 1},  // between two switches
      {0, 150, 300, 103, 2},  // between two switches, first at its start
      {0, 150, 400, 101, 3},  // 101's first switch (an edge slice)
      {1, 20, 50, 104, 4},    // CPU 1 after CPU 0, though it starts first
  };
  EXPECT_EQ(walked, want);
  EXPECT_EQ(whole, want);
  EXPECT_EQ(walk.size(), want.size());
}

// The Perfetto export looks slices up by number (OnCpuSliceWalk::at) after its event sort: slice
// i must be on_cpu_slices()'s i-th (the rows, and so the sort's tie-breaks, unchanged), with edge
// slices first on a CPU, at a tie with an in-between slice's start (after it), at a thread's last
// switch (after a zero-length in-between slice of the same start), and alone on a CPU.
TEST(PerfettoExport, OnCpuSliceWalkLooksSlicesUpByNumber) {
  Trace t;
  for (int64_t tid = 101; tid <= 107; ++tid) t.threads.push({100, tid, t.strings.intern("t"), 0, 2000});
  auto sw = [&](ns_t ts, int32_t cpu, int64_t prev, int64_t next) {
    ContextSwitch s;
    s.ts = ts, s.cpu = cpu, s.prev_pid = prev ? 100 : 0, s.prev_tid = prev, s.prev_state = prev ? 1 : 0;
    s.next_pid = next ? 100 : 0, s.next_tid = next;
    t.switches.push(s);
  };
  const StrId getpid = t.strings.intern("getpid");
  t.syscalls.push({5, 1, 100, 107, 39, getpid, 0, -1});     // 107 on CPU 0 from 5 (first switch: off at 1000)
  t.syscalls.push({200, 10, 100, 101, 39, getpid, 0, -1});  // 101 on CPU 0 from 200 (off at 500), 103's start
  t.syscalls.push({850, 50, 100, 104, 39, getpid, 0, -1});  // 104 on CPU 1 from its last switch to 900
  t.syscalls.push({10, 5, 100, 105, 39, getpid, 0, -1});    // 105 on CPU 2 from 10 (off at 50)
  sw(100, 0, 0, 102);
  sw(200, 0, 102, 103);
  sw(300, 0, 103, 0);
  sw(500, 0, 101, 0);
  sw(1000, 0, 107, 0);
  sw(700, 1, 0, 106);
  sw(700, 1, 106, 104);  // 106's zero-length slice, then 104 stays on CPU 1
  sw(50, 2, 105, 0);
  using Row = std::tuple<int32_t, ns_t, ns_t, int64_t, int64_t>;
  auto row = [](const OnCpuSlice& o) { return Row{o.cpu, o.start, o.end, o.tid, o.end_switch}; };
  const std::vector<Row> want = {
      {0, 5, 1000, 107, 4},   // an edge slice before every in-between one
      {0, 100, 200, 102, 1},  // between two switches
      {0, 200, 300, 103, 2},  // between two switches, first at its start
      {0, 200, 500, 101, 3},  // 101's first switch (an edge slice) after it
      {1, 700, 700, 106, 6},  // zero-length, between two switches at one time
      {1, 700, 900, 104, -1}, // 104's last switch (an edge slice) after it
      {2, 10, 50, 105, 7},    // an edge slice alone on its CPU, last of all
  };
  const OnCpuSliceWalk walk(t);
  const std::vector<OnCpuSlice> whole = on_cpu_slices(t);  // the reference
  ASSERT_EQ(walk.size(), want.size());
  ASSERT_EQ(whole.size(), want.size());
  std::vector<Row> walked;
  walk.for_each([&](const OnCpuSlice& o) { walked.push_back(row(o)); });
  EXPECT_EQ(walked, want);
  for (size_t i = 0; i < want.size(); ++i) {
    const OnCpuSlice got = walk.at(i);
    EXPECT_EQ(row(got), row(whole[i])) << "slice " << i;
    EXPECT_EQ(row(got), want[i]) << "slice " << i;
    EXPECT_EQ(got.pid, whole[i].pid) << "slice " << i;
    EXPECT_EQ(got.comm, whole[i].comm) << "slice " << i;
  }
}

// Review SP M1 in the timeline: traced thread 101 (pid 100) exits at 300 (its final switch-out,
// TASK_DEAD); an untraced process then gets id 101 and runs on CPU 0 from 400 to 500 between a
// traced thread's switches (102 out at 400, back at 500). Its time is no slice of the traced
// thread's: the slices are 101's [100, 300] and 102's [500, 600] only.
TEST(PerfettoExport, OnCpuSlicesLeaveOutAnOutsiderWithADeadThreadsId) {
  Trace t;
  t.threads.push({100, 101, t.strings.intern("main"), 100, 300});
  t.threads.push({100, 102, t.strings.intern("side"), 100, 600});
  auto sw = [&](ns_t ts, int64_t prev_pid, int64_t prev, int64_t prev_state, int64_t next_pid, int64_t next) {
    ContextSwitch s;
    s.ts = ts, s.cpu = 0, s.prev_pid = prev_pid, s.prev_tid = prev, s.prev_state = prev_state;
    s.next_pid = next_pid, s.next_tid = next;
    t.switches.push(s);
  };
  sw(100, 0, 0, 0, 100, 101);
  sw(300, 100, 101, 0x80, 0, 0);  // 101's final switch-out
  sw(350, 0, 0, 0, 100, 102);
  sw(400, 100, 102, 0, 101, 101);  // the outsider (pid 101) with the dead thread's id
  sw(500, 101, 101, 0, 100, 102);
  sw(600, 100, 102, 1, 0, 0);
  std::vector<std::tuple<ns_t, ns_t, int64_t>> got;
  for (const OnCpuSlice& o : on_cpu_slices(t)) got.emplace_back(o.start, o.end, o.tid);
  std::sort(got.begin(), got.end());
  const std::vector<std::tuple<ns_t, ns_t, int64_t>> want = {{100, 300, 101}, {350, 400, 102}, {500, 600, 102}};
  EXPECT_EQ(got, want);
}

TEST(PerfettoExport, FlowStartsAtTheLaunchCallOfASharedCorrelation) {
  // A synchronous cudaMemcpy (not a launch) made its copy through the driver's async copy, and both
  // calls carry the copy's correlation (5): the arrow starts at the launch call (the driver's), even
  // though the runtime call comes first in the table. A correlation with no launch-kind call (6,
  // a lone cudaMemcpy2D) starts its arrow at that call: the rule gpu.csv and Chrome follow too
  // (analysis/launch.h launch_calls_of_gpu_rows, KinetoExports.GpuCsvAndChromeNameTheSameLaunchCall).
  Trace t;
  t.threads.push({100, 101, t.strings.intern("python3"), 1'000, 3'000});
  auto api = [&](ns_t s, ns_t d, const char* name, int64_t corr) {
    ApiCall c;
    c.start = s, c.dur = d, c.pid = 100, c.tid = 101, c.correlation = corr;
    c.name = t.strings.intern(name), c.kind = classify_api(name);
    t.api.push(c);
  };
  api(1'000, 800, "cudaMemcpy", 5);
  api(1'010, 50, "cuMemcpyHtoDAsync_v2", 5);
  api(2'000, 400, "cudaMemcpy2D", 6);
  ASSERT_FALSE(is_launch(t.api.kind[0]));
  ASSERT_TRUE(is_launch(t.api.kind[1]));
  ASSERT_FALSE(is_launch(t.api.kind[2]));
  auto gpu = [&](ns_t s, const char* name, int64_t corr) {
    GpuActivity a;
    a.start = s, a.dur = 300, a.kind = GpuKind::Memcpy, a.device = 0, a.stream = 7, a.correlation = corr;
    a.name = t.strings.intern(name);
    t.gpu.push(a);
  };
  gpu(1'100, "Memcpy HtoD", 5);
  gpu(2'050, "Memcpy 2D", 6);
  const std::string path = tmp_path("perfetto_shared_corr.pftrace");
  const PerfettoSummary sum = write_perfetto_file(t, path);
  const pb::Trace tr = read_back(path);
  std::filesystem::remove(path);
  EXPECT_EQ(sum.flows, 2);
  std::map<uint64_t, std::string> names;
  std::map<uint64_t, std::string> start_of, end_of;  // flow id -> the slice it starts / ends at
  for (auto& p : tr.packet()) {
    for (auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    if (!p.has_track_event()) continue;
    const auto& e = p.track_event();
    for (uint64_t id : e.flow_ids()) start_of[id] = names[e.name_iid()];
    for (uint64_t id : e.terminating_flow_ids()) end_of[id] = names[e.name_iid()];
  }
  std::set<std::pair<std::string, std::string>> arrows;
  for (auto& [id, from] : start_of) arrows.insert({from, end_of[id]});
  EXPECT_EQ(arrows, (std::set<std::pair<std::string, std::string>>{{"cuMemcpyHtoDAsync_v2", "Memcpy HtoD"},
                                                                   {"cudaMemcpy2D", "Memcpy 2D"}}));
  EXPECT_EQ(end_of.size(), start_of.size());
}

// A recording's LOSS records: one "recorder loss" track, a child per CPU (windows of two CPUs
// overlap in time), a slice per window (an instant for a window of one failed reserve), each with
// its counts as annotations. A trace without them has no such track (the test above counts 9).
TEST(PerfettoExport, LossWindowsOnARecorderLossTrackPerCpu) {
  Trace t = sample_trace();
  const auto window = [&](ns_t first, ns_t last, int32_t cpu, int64_t api, int64_t sw) {
    t.loss_windows.push_back(make_loss_window(first, last, cpu, api, sw));
  };
  window(2'000, 4'000, 0, 5, 2);
  window(3'000, 3'500, 1, 0, 4);
  window(7'000, 7'000, 0, 1, 0);
  const std::string path = tmp_path("perfetto_loss_test.pftrace");
  write_perfetto_file(t, path);
  const pb::Trace tr = read_back(path);
  std::filesystem::remove(path);

  std::map<uint64_t, pb::TrackDescriptor> tracks;
  std::map<uint64_t, std::string> names, annotation_names;
  // track -> (start, end or start for an instant, lost_total, lost_api, lost_switch); -1: no annotation
  std::multiset<std::tuple<uint64_t, uint64_t, uint64_t, int64_t, int64_t, int64_t>> got;
  std::map<uint64_t, std::tuple<uint64_t, int64_t, int64_t, int64_t>> open;  // track -> begin's fields
  for (auto& p : tr.packet()) {
    if (p.has_track_descriptor()) tracks[p.track_descriptor().uuid()] = p.track_descriptor();
    for (auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    for (auto& n : p.interned_data().debug_annotation_names()) annotation_names.emplace(n.iid(), n.name());
    if (!p.has_track_event()) continue;
    const auto& e = p.track_event();
    if (e.track_uuid() >> 56 != static_cast<uint64_t>(PerfettoTrackKind::LossCpu)) continue;
    if (e.type() == pb::TrackEvent::TYPE_SLICE_END) {
      ASSERT_TRUE(open.count(e.track_uuid()));
      const auto [start, total, api, sw] = open[e.track_uuid()];
      got.insert({e.track_uuid(), start, p.timestamp(), total, api, sw});
      open.erase(e.track_uuid());
      continue;
    }
    EXPECT_EQ(names[e.name_iid()], "events lost");
    int64_t total = -1, api = -1, sw = -1;
    for (auto& a : e.debug_annotations()) {
      const std::string& n = annotation_names[a.name_iid()];
      if (n == "lost_total") total = a.int_value();
      else if (n == "lost_api") api = a.int_value();
      else if (n == "lost_switch") sw = a.int_value();
      else ADD_FAILURE() << "unexpected annotation " << n;
    }
    if (e.type() == pb::TrackEvent::TYPE_SLICE_BEGIN) open[e.track_uuid()] = {p.timestamp(), total, api, sw};
    else got.insert({e.track_uuid(), p.timestamp(), p.timestamp(), total, api, sw});
  }
  EXPECT_TRUE(open.empty());
  const uint64_t root = perfetto_track_uuid(PerfettoTrackKind::Loss, 0);
  ASSERT_TRUE(tracks.count(root));
  EXPECT_EQ(tracks[root].name(), "recorder loss");
  std::multiset<std::tuple<uint64_t, uint64_t, uint64_t, int64_t, int64_t, int64_t>> want;
  for (const LossWindow& w : t.loss_windows) {
    const uint64_t track = perfetto_track_uuid(PerfettoTrackKind::LossCpu, w.cpu);
    ASSERT_TRUE(tracks.count(track));
    EXPECT_EQ(tracks[track].parent_uuid(), root);
    EXPECT_EQ(tracks[track].name(), "CPU " + std::to_string(w.cpu) + " loss");
    const auto count = [&](const char* k) { return w.lost.count(k) ? w.lost.at(k) : int64_t{-1}; };
    want.insert({track, static_cast<uint64_t>(w.first), static_cast<uint64_t>(w.last), w.total(), count("api"),
                 count("switch")});
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(tracks.size(), 9u + 1u + 2u);  // the sample's tracks, the root and two CPUs
}

// A child that ends after its parent on one track (a whole-us legacy trace: aten::random_ ends 1 us
// past aten::randint, review FMT M1). An END closes the innermost open slice, so on one track
// Perfetto would show the child 1 us short and the parent 1 us long. Every slice, replayed as
// Perfetto pairs BEGIN/END per track, must keep the input's (name, start, end); the overrunning
// child goes on an "overlaps 1" child track of the thread's track, and well-nested slices stay.
TEST(PerfettoExport, OverrunningChildKeepsItsTimesOnAnotherLane) {
  Trace t;
  const auto op = [&](ns_t s, ns_t d, const char* name) { t.ops.push({s, d, 100, 101, -1, t.strings.intern(name), false}); };
  op(172'000, 20'000, "aten::randint");   // ends 192000
  op(181'000, 12'000, "aten::random_");   // ends 193000: past its parent
  op(182'000, 3'000, "aten::inner");      // inside random_ (and randint)
  op(190'000, 5'000, "aten::overrun2");   // starts inside randint and random_, overruns both
  op(200'000, 10'000, "aten::next");      // after all of them: lane 0 again
  op(201'000, 2'000, "aten::next_child");
  const std::string path = tmp_path("perfetto_overrun.pftrace");
  write_perfetto_file(t, path);
  const pb::Trace tr = read_back(path);
  std::filesystem::remove(path);

  std::map<uint64_t, pb::TrackDescriptor> tracks;
  std::map<uint64_t, std::string> names;
  std::map<uint64_t, std::vector<std::pair<uint64_t, std::string>>> stacks;
  std::multiset<std::tuple<std::string, uint64_t, uint64_t>> got;  // name, start, end
  std::map<std::string, uint64_t> track_of;
  for (auto& p : tr.packet()) {
    if (p.has_track_descriptor()) tracks[p.track_descriptor().uuid()] = p.track_descriptor();
    for (auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    if (!p.has_track_event()) continue;
    const auto& e = p.track_event();
    ASSERT_TRUE(tracks.count(e.track_uuid())) << "event on an undeclared track";
    auto& st = stacks[e.track_uuid()];
    if (e.type() == pb::TrackEvent::TYPE_SLICE_BEGIN) {
      st.push_back({p.timestamp(), names[e.name_iid()]});
      track_of[names[e.name_iid()]] = e.track_uuid();
    } else if (e.type() == pb::TrackEvent::TYPE_SLICE_END) {
      ASSERT_FALSE(st.empty());
      got.insert({st.back().second, st.back().first, p.timestamp()});
      st.pop_back();
    }
  }
  std::multiset<std::tuple<std::string, uint64_t, uint64_t>> want;
  for (size_t i = 0; i < t.ops.size(); ++i)
    want.insert({std::string(t.str(t.ops.name[i])), t.ops.start[i], t.ops.start[i] + t.ops.dur[i]});
  EXPECT_EQ(got, want);

  const uint64_t thread = perfetto_track_uuid(PerfettoTrackKind::Thread, 100, 101);
  EXPECT_EQ(track_of["aten::randint"], thread);
  EXPECT_EQ(track_of["aten::next"], thread);
  EXPECT_EQ(track_of["aten::next_child"], thread);
  const uint64_t lane1 = track_of["aten::random_"], lane2 = track_of["aten::overrun2"];
  EXPECT_NE(lane1, thread);
  EXPECT_EQ(track_of["aten::inner"], thread);  // nests in randint: the first lane it fits
  EXPECT_NE(lane2, thread);
  EXPECT_NE(lane2, lane1);
  for (const uint64_t lane : {lane1, lane2}) {
    ASSERT_TRUE(tracks.count(lane));
    EXPECT_EQ(tracks[lane].parent_uuid(), thread);
  }
  EXPECT_EQ(tracks[lane1].name(), "overlaps 1");
  EXPECT_EQ(tracks[lane2].name(), "overlaps 2");
}

// One set of categories for both trace exports (review FMT L3: Perfetto wrote memcpy, memset, irq
// and sched where Chrome wrote gpu_memcpy, gpu_memset, hardirq and on_cpu): every slice name of a
// trace with each kind of slice has the same category in --perfetto as in --chrome.
TEST(PerfettoExport, CategoriesAreChromes) {
  Trace t = sample_trace();
  t.ops.push({7'000, 500, 100, 101, -1, t.strings.intern("step_annotation"), true});
  GpuActivity copy;
  copy.start = 4'500, copy.dur = 100, copy.device = 0, copy.stream = 9, copy.kind = GpuKind::Memcpy;
  copy.name = t.strings.intern("Memcpy HtoD");
  t.gpu.push(copy);
  copy.start = 4'700, copy.kind = GpuKind::Memset, copy.name = t.strings.intern("Memset");
  t.gpu.push(copy);
  t.loss_windows.push_back(make_loss_window(7'000, 7'100, 0, 0, 3));
  t.wakeups.push({6'400, 1, 100, 101, 0, 0});
  t.tasks.push({6'500, 100, 101, TaskKind::Exec, -1, 0, t.strings.intern("python3")});
  const std::string pf = tmp_path("categories.pftrace"), ch = tmp_path("categories.json");
  write_perfetto_file(t, pf);
  write_chrome_json(t, ch);

  std::map<std::string, std::set<std::string>> chrome, perfetto;  // slice name -> categories
  const nlohmann::json doc = nlohmann::json::parse(slurp(ch));
  for (const auto& e : doc["traceEvents"])
    if (e.value("ph", "") == "X" || e.value("ph", "") == "i") chrome[e.value("name", "")].insert(e.value("cat", ""));
  std::map<uint64_t, std::string> names, categories;
  const pb::Trace tr = read_back(pf);
  for (const auto& p : tr.packet()) {
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    for (const auto& n : p.interned_data().event_categories()) categories.emplace(n.iid(), n.name());
    if (!p.has_track_event() || p.track_event().type() == pb::TrackEvent::TYPE_SLICE_END) continue;
    for (uint64_t c : p.track_event().category_iids()) perfetto[names[p.track_event().name_iid()]].insert(categories[c]);
  }
  EXPECT_EQ(perfetto, chrome);
  EXPECT_EQ(perfetto["Memcpy HtoD"], std::set<std::string>{"gpu_memcpy"});
  EXPECT_EQ(perfetto["Memset"], std::set<std::string>{"gpu_memset"});
  EXPECT_EQ(perfetto["irq nvidia"], std::set<std::string>{"hardirq"});
  EXPECT_EQ(perfetto["python3 101"], std::set<std::string>{"on_cpu"});
  EXPECT_EQ(perfetto["step_annotation"], std::set<std::string>{"user_annotation"});
  EXPECT_EQ(perfetto["events lost"], std::set<std::string>{"recorder_loss"});
  EXPECT_EQ(perfetto["wakeup"], std::set<std::string>{"wakeup"});
  EXPECT_EQ(perfetto["exec"], std::set<std::string>{"process_tree"});
}

// Wake-ups (wakeups.csv, SQLite `wakeup`) in both trace exports (review FMT L2: in neither): an
// instant "wakeup" on the woken thread's track at its time, with the waker's pid and tid and the
// CPU it was woken onto; a wake-up of a thread the record does not name (tid -1) has no track.
TEST(PerfettoExport, WakeupsAreInstantsOnTheWokenThreadsTrack) {
  Trace t = sample_trace();
  t.wakeups.push({6'400, 1, 100, 101, 0, 0});       // woken by the idle task (swapper)
  t.wakeups.push({8'000, 0, 100, 102, 100, 101});   // 101 wakes 102, a thread with no other event
  t.wakeups.push({8'500, 0, -1, -1, 100, 101});     // no woken thread: left out
  const std::string pf = tmp_path("wakeups.pftrace"), ch = tmp_path("wakeups.json");
  const PerfettoSummary sum = write_perfetto_file(t, pf);
  EXPECT_EQ(sum.instants, 1 + 2);  // cudaStreamSynchronize and the two placed wake-ups
  write_chrome_json(t, ch);

  // (track or pid/tid, ts, waker_pid, waker_tid, cpu) of every wake-up mark.
  using Mark = std::tuple<uint64_t, uint64_t, int64_t, int64_t, int64_t>;
  const std::set<Mark> want = {{perfetto_track_uuid(PerfettoTrackKind::Thread, 100, 101), 6'400, 0, 0, 1},
                               {perfetto_track_uuid(PerfettoTrackKind::Thread, 100, 102), 8'000, 100, 101, 0}};
  std::set<Mark> perfetto;
  std::set<uint64_t> declared;
  std::map<uint64_t, std::string> names, annotation_names;
  const pb::Trace tr = read_back(pf);
  for (const auto& p : tr.packet()) {
    if (p.has_track_descriptor()) declared.insert(p.track_descriptor().uuid());
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    for (const auto& n : p.interned_data().debug_annotation_names()) annotation_names.emplace(n.iid(), n.name());
    if (!p.has_track_event() || p.track_event().type() != pb::TrackEvent::TYPE_INSTANT) continue;
    const auto& e = p.track_event();
    if (names[e.name_iid()] != "wakeup") continue;
    std::map<std::string, int64_t> a;
    for (const auto& d : e.debug_annotations()) a[annotation_names[d.name_iid()]] = d.int_value();
    EXPECT_TRUE(declared.count(e.track_uuid())) << "wake-up on an undeclared track";
    perfetto.insert({e.track_uuid(), p.timestamp(), a["waker_pid"], a["waker_tid"], a["cpu"]});
  }
  EXPECT_EQ(perfetto, want);

  std::set<Mark> chrome;
  const nlohmann::json doc = nlohmann::json::parse(slurp(ch));
  for (const auto& e : doc["traceEvents"]) {
    if (e.value("name", "") != "wakeup") continue;
    EXPECT_EQ(e["ph"], "i");
    EXPECT_EQ(e["s"], "t");
    EXPECT_EQ(e["cat"], "wakeup");
    chrome.insert({perfetto_track_uuid(PerfettoTrackKind::Thread, e["pid"].get<int64_t>(), e["tid"].get<int64_t>()),
                   static_cast<uint64_t>(std::llround(e["ts"].get<double>() * 1000)), e["args"]["waker_pid"].get<int64_t>(),
                   e["args"]["waker_tid"].get<int64_t>(), e["args"]["cpu"].get<int64_t>()});
  }
  EXPECT_EQ(chrome, want);
}

// The process tree (TASK records: Trace::tasks, SQLite `task`) in both trace exports: an instant per
// record on the thread's own track, named by its kind, with the record's comm, the parent of a new
// thread and an attached thread's state; a thread with no other event gets a track for it.
TEST(PerfettoExport, ProcessTreeRecordsAreInstantsOnTheThreadsTrack) {
  Trace t = sample_trace();
  const StrId py = t.strings.intern("python3"), worker = t.strings.intern("wo\"rker");
  t.tasks.push({1'000, 100, 101, TaskKind::Existing, -1, 'S', py});
  t.tasks.push({2'000, 100, 105, TaskKind::New, 101, 0, worker});  // a thread with no other event
  t.tasks.push({3'000, 100, 101, TaskKind::Exec, -1, 0, t.strings.intern("bash")});
  t.tasks.push({9'000, 100, 105, TaskKind::Exit, -1, 0, worker});
  t.tasks.push({9'500, 100, -1, TaskKind::Exit, -1, 0, kNoString});  // no thread: no track
  const std::string pf = tmp_path("tasks.pftrace"), ch = tmp_path("tasks.json");
  const PerfettoSummary sum = write_perfetto_file(t, pf);
  EXPECT_EQ(sum.instants, 1 + 4);  // cudaStreamSynchronize and the four placed records
  write_chrome_json(t, ch);

  // (track, ts, name, comm, parent_tid (-1: none), state ("" none)) of every process-tree mark.
  using Mark = std::tuple<uint64_t, uint64_t, std::string, std::string, int64_t, std::string>;
  const uint64_t main_track = perfetto_track_uuid(PerfettoTrackKind::Thread, 100, 101);
  const uint64_t worker_track = perfetto_track_uuid(PerfettoTrackKind::Thread, 100, 105);
  const std::set<Mark> want = {{main_track, 1'000, "attached", "python3", -1, "S"},
                               {worker_track, 2'000, "thread start", "wo\"rker", 101, ""},
                               {main_track, 3'000, "exec", "bash", -1, ""},
                               {worker_track, 9'000, "thread exit", "wo\"rker", -1, ""}};
  std::set<Mark> perfetto;
  std::set<uint64_t> declared;
  std::map<uint64_t, std::string> names, categories, annotation_names;
  const pb::Trace tr = read_back(pf);
  for (const auto& p : tr.packet()) {
    if (p.has_track_descriptor()) declared.insert(p.track_descriptor().uuid());
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    for (const auto& n : p.interned_data().event_categories()) categories.emplace(n.iid(), n.name());
    for (const auto& n : p.interned_data().debug_annotation_names()) annotation_names.emplace(n.iid(), n.name());
    if (!p.has_track_event() || p.track_event().type() != pb::TrackEvent::TYPE_INSTANT) continue;
    const auto& e = p.track_event();
    ASSERT_EQ(e.category_iids_size(), 1);
    if (categories[e.category_iids(0)] != "process_tree") continue;
    std::string comm, state;
    int64_t parent = -1;
    for (const auto& d : e.debug_annotations()) {
      const std::string& key = annotation_names[d.name_iid()];
      if (key == "comm") comm = d.string_value();
      else if (key == "state") state = d.string_value();
      else if (key == "parent_tid") parent = d.int_value();
      else ADD_FAILURE() << "unexpected annotation " << key;
    }
    EXPECT_TRUE(declared.count(e.track_uuid())) << "process-tree mark on an undeclared track";
    perfetto.insert({e.track_uuid(), p.timestamp(), names[e.name_iid()], comm, parent, state});
  }
  EXPECT_EQ(perfetto, want);

  std::set<Mark> chrome;
  const nlohmann::json doc = nlohmann::json::parse(slurp(ch));
  for (const auto& e : doc["traceEvents"]) {
    if (e.value("cat", "") != "process_tree") continue;
    EXPECT_EQ(e["ph"], "i");
    EXPECT_EQ(e["s"], "t");
    const nlohmann::json& a = e["args"];
    chrome.insert({perfetto_track_uuid(PerfettoTrackKind::Thread, e["pid"].get<int64_t>(), e["tid"].get<int64_t>()),
                   static_cast<uint64_t>(std::llround(e["ts"].get<double>() * 1000)), e["name"].get<std::string>(),
                   a.value("comm", ""), a.value("parent_tid", int64_t{-1}), a.value("state", "")});
  }
  EXPECT_EQ(chrome, want);
}

// A tid that two processes each have (a Kineto trace's (pid, tid) rows; a recording's reused id)
// names each thread track after its own process's row (review XP L1: both were named after the
// last row of the tid, as --chrome and the HTML did not). A track whose pid and tid no row has is
// named after the tid's first row, as --chrome names it (review S41 L8).
TEST(PerfettoExport, OneTidInTwoProcessesKeepsEachThreadsName) {
  Trace t;
  t.threads.push({100, 101, t.strings.intern("python3"), 0, 10'000});
  t.threads.push({200, 101, t.strings.intern("loader"), 0, 10'000});
  t.ops.push({1'000, 500, 100, 101, -1, t.strings.intern("aten::mm"), false});
  t.ops.push({2'000, 500, 200, 101, -1, t.strings.intern("aten::empty"), false});
  t.syscalls.push({3'000, 50, 300, 101, 16, t.strings.intern("ioctl"), 0, -1});
  const std::string pf = tmp_path("tid_in_two_pids.pftrace");
  write_perfetto_file(t, pf);
  std::map<std::pair<int64_t, int64_t>, std::string> names;  // (pid, tid) -> thread_name
  const pb::Trace tr = read_back(pf);
  for (const auto& p : tr.packet())
    if (p.has_track_descriptor() && p.track_descriptor().has_thread()) {
      const auto& th = p.track_descriptor().thread();
      EXPECT_TRUE(names.emplace(std::pair<int64_t, int64_t>{th.pid(), th.tid()}, th.thread_name()).second);
    }
  const std::map<std::pair<int64_t, int64_t>, std::string> want = {
      {{100, 101}, "python3"}, {{200, 101}, "loader"}, {{300, 101}, "python3"}};
  EXPECT_EQ(names, want);
}

// Every thread and stream gets a track of its own, whatever its id: a missing tid (-1), a named
// one (-2, ...), one beyond 28 bits and a stream handle beyond 32 bits each had a uuid that an
// ordinary small id also had (review XP L2: -1 was tid 255's, -2 tid 254's), and the two threads'
// slices went on one track. Each slice is checked against the descriptor of the track it is on.
TEST(PerfettoExport, EveryThreadAndStreamHasItsOwnTrack) {
  Trace t;
  const std::vector<int64_t> tids = {255, -1, 254, -2, 268'435'711, 4'096, 1};
  const std::vector<int64_t> streams = {7, 263, (int64_t{1} << 36) + 7, -1, 255};
  std::map<std::string, std::pair<int64_t, int64_t>> want;  // slice name -> (pid, tid) or (device, stream)
  ns_t ts = 1'000;
  for (int64_t tid : tids) {
    const std::string name = "op of " + std::to_string(tid);
    t.ops.push({ts += 1'000, 500, 100, tid, -1, t.strings.intern(name), false});
    want[name] = {100, tid};
  }
  for (int64_t stream : streams) {
    const std::string name = "kernel on " + std::to_string(stream);
    GpuActivity a;
    a.start = ts += 1'000, a.dur = 500, a.device = 0, a.stream = stream, a.name = t.strings.intern(name);
    t.gpu.push(a);
    want[name] = {0, stream};
  }
  const std::string pf = tmp_path("track_ids.pftrace");
  write_perfetto_file(t, pf);
  std::map<uint64_t, pb::TrackDescriptor> tracks;
  std::map<uint64_t, std::string> names;
  std::map<std::string, std::pair<int64_t, int64_t>> got;
  const pb::Trace tr = read_back(pf);
  for (const auto& p : tr.packet()) {
    if (p.has_track_descriptor()) {
      EXPECT_TRUE(tracks.emplace(p.track_descriptor().uuid(), p.track_descriptor()).second)
          << "two tracks with uuid " << p.track_descriptor().uuid();
    }
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    if (!p.has_track_event() || p.track_event().type() != pb::TrackEvent::TYPE_SLICE_BEGIN) continue;
    const auto it = tracks.find(p.track_event().track_uuid());
    ASSERT_NE(it, tracks.end());
    const pb::TrackDescriptor& d = it->second;
    const std::string& name = names[p.track_event().name_iid()];
    if (d.has_thread()) {
      got[name] = {d.thread().pid(), d.thread().tid()};
    } else {  // "GPU d stream s"
      int64_t device = -1, stream = 0;
      ASSERT_EQ(std::sscanf(d.name().c_str(), "GPU %" SCNd64 " stream %" SCNd64, &device, &stream), 2) << d.name();
      got[name] = {device, stream};
    }
  }
  EXPECT_EQ(got, want);
  // A process, a thread per tid, a device and a stream per stream.
  EXPECT_EQ(tracks.size(), 1 + tids.size() + 1 + streams.size());
}

// The two trace exports give each slice and instant the same args under the same names (review
// XP L4: IRQs had `interrupted_tid` in Perfetto and `tid` in Chrome, on-CPU slices `end_state` and
// `preempted` only in Chrome, calls, operators and GPU work `External id` (GPU work also `device`
// and `stream`) only in Chrome, an unmeasured call's "duration": "not measured" only in Chrome).
// Compared as JSON values per (name, start); the one difference of form the docs give: Chrome's
// grid and block are Kineto's [x, y, z] arrays, Perfetto's the text "x,y,z".
TEST(PerfettoExport, ArgsAreChromes) {
  Trace t = sample_trace();
  ApiCall c;  // a recording's launch: CPU, stream and geometry known, duration not measured
  c.start = 3'500, c.dur = -1, c.pid = 100, c.tid = 101, c.cpu = 3, c.correlation = 4, c.external_id = 7, c.stream = 9;
  c.name = t.strings.intern("cuLaunchKernel"), c.kind = classify_api("cuLaunchKernel");
  c.geometry_known = true, c.grid[0] = 2, c.grid[1] = 3, c.grid[2] = 4, c.block[0] = 32, c.block[1] = c.block[2] = 1;
  t.api.push(c);
  GpuActivity copy;
  copy.start = 4'500, copy.dur = 100, copy.device = 0, copy.stream = 9, copy.kind = GpuKind::Memcpy, copy.correlation = 4;
  copy.external_id = 8, copy.name = t.strings.intern("Memcpy HtoD");
  t.gpu.push(copy);
  t.irqs.push({8'000, 50, 1, IrqKind::Hard, 236, t.strings.intern("LOC"), -1, -1, true});  // a system vector, no known thread
  t.loss_windows.push_back(make_loss_window(7'000, 7'100, 0, 0, 3));
  t.wakeups.push({6'400, 1, 100, 101, 0, 0});
  t.tasks.push({6'450, 100, 101, TaskKind::Exec, -1, 0, t.strings.intern("python3")});
  const std::string pf = tmp_path("args.pftrace"), ch = tmp_path("args.json");
  write_perfetto_file(t, pf);
  write_chrome_json(t, ch);

  using Key = std::pair<std::string, int64_t>;  // name, start (ns)
  std::map<Key, std::multiset<std::string>> chrome, perfetto;  // -> args objects as JSON text
  const nlohmann::json doc = nlohmann::json::parse(slurp(ch));
  for (const auto& e : doc["traceEvents"]) {
    const std::string ph = e.value("ph", "");
    if (ph != "X" && ph != "i") continue;
    nlohmann::json args = e.value("args", nlohmann::json::object());
    for (const char* dims : {"grid", "block"})
      if (args.contains(dims)) {
        const auto& d = args[dims];
        args[dims] = std::to_string(d[0].get<int64_t>()) + "," + std::to_string(d[1].get<int64_t>()) + "," +
                     std::to_string(d[2].get<int64_t>());
      }
    chrome[{e["name"].get<std::string>(), std::llround(std::stod(e["ts"].dump()) * 1000)}].insert(args.dump());
  }
  std::map<uint64_t, std::string> names, annotation_names;
  const pb::Trace tr = read_back(pf);
  for (const auto& p : tr.packet()) {
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    for (const auto& n : p.interned_data().debug_annotation_names()) annotation_names.emplace(n.iid(), n.name());
    if (!p.has_track_event() || p.track_event().type() == pb::TrackEvent::TYPE_SLICE_END) continue;
    nlohmann::json args = nlohmann::json::object();
    for (const auto& a : p.track_event().debug_annotations()) {
      nlohmann::json& v = args[annotation_names[a.name_iid()]];
      if (a.has_int_value()) v = a.int_value();
      else if (a.has_bool_value()) v = a.bool_value();
      else if (a.has_string_value()) v = a.string_value();
      else ADD_FAILURE() << "annotation " << annotation_names[a.name_iid()] << " without a value";
    }
    perfetto[{names[p.track_event().name_iid()], static_cast<int64_t>(p.timestamp())}].insert(args.dump());
  }
  EXPECT_EQ(perfetto, chrome);
  // What the review found missing, by hand: the IRQ's tid, the on-CPU slice's end, the ids.
  EXPECT_EQ(perfetto[Key("vector LOC", 8'000)], std::multiset<std::string>{R"({"source":"system_vector","tid":-1,"vector":236})"});
  EXPECT_EQ(perfetto[Key("python3 101", 500)],
            std::multiset<std::string>{R"({"end_state":0,"pid":100,"preempted":true,"tid":101})"});
  EXPECT_EQ(perfetto[Key("cuLaunchKernel", 3'500)],
            std::multiset<std::string>{R"({"External id":7,"block":"32,1,1","correlation":4,"cpu":3,"duration":"not measured",)"
                                       R"("grid":"2,3,4","stream":9})"});
  EXPECT_EQ(perfetto[Key("Memcpy HtoD", 4'500)],
            std::multiset<std::string>{R"({"External id":8,"correlation":4,"device":0,"stream":9})"});
  EXPECT_EQ(perfetto[Key("aten::linear", 1'000)], std::multiset<std::string>{R"({"External id":7})"});
}

// Perfetto's process and thread descriptors hold int32 ids. A negative one (a missing tid -1) is
// written as int32 is on the wire: a 10-byte varint, sign-extended. An id beyond int32 (Kineto's
// are int64) was cut to 32 bits: pid 2^32 + 100 became process 100 and tid 2^32 + 101 thread
// (100, 101), so a reader joining tracks by their ids showed them as the other one. Such a track
// has no descriptor of ids now, only a name with the whole id.
TEST(PerfettoExport, IdsBeyondInt32AreNamedNotCutAndNegativeOnesSignExtended) {
  Trace t;
  const int64_t wide_tid = (int64_t{1} << 32) + 101, wide_pid = (int64_t{1} << 32) + 100;
  t.ops.push({1'000, 500, 100, 101, -1, t.strings.intern("op of 101"), false});
  t.ops.push({2'000, 500, 100, wide_tid, -1, t.strings.intern("op of wide tid"), false});
  t.ops.push({3'000, 500, wide_pid, 7, -1, t.strings.intern("op of wide pid"), false});
  t.ops.push({4'000, 500, 100, -1, -1, t.strings.intern("op of no tid"), false});
  ThreadInfo wide;
  wide.pid = 100, wide.tid = wide_tid, wide.comm = t.strings.intern("wide");
  t.threads.push(wide);
  const std::string pf = tmp_path("wide_ids.pftrace");
  write_perfetto_file(t, pf);

  std::map<uint64_t, pb::TrackDescriptor> tracks;
  std::map<uint64_t, std::string> names;
  std::map<std::string, uint64_t> slice_track;
  const pb::Trace tr = read_back(pf);
  for (const auto& p : tr.packet()) {
    if (p.has_track_descriptor()) tracks.emplace(p.track_descriptor().uuid(), p.track_descriptor());
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    if (p.has_track_event() && p.track_event().type() == pb::TrackEvent::TYPE_SLICE_BEGIN)
      slice_track[names[p.track_event().name_iid()]] = p.track_event().track_uuid();
  }
  std::multiset<std::pair<int64_t, int64_t>> thread_ids;
  std::multiset<int64_t> process_ids;
  for (const auto& [uuid, d] : tracks) {
    if (d.has_thread()) thread_ids.insert({d.thread().pid(), d.thread().tid()});
    if (d.has_process()) process_ids.insert(d.process().pid());
  }
  EXPECT_EQ(thread_ids, (std::multiset<std::pair<int64_t, int64_t>>{{100, 101}, {100, -1}}));
  EXPECT_EQ(process_ids, std::multiset<int64_t>{100});
  const auto track_of = [&](const std::string& slice) -> const pb::TrackDescriptor& {
    static const pb::TrackDescriptor none;
    const auto s = slice_track.find(slice);
    if (s == slice_track.end()) return none;
    const auto d = tracks.find(s->second);
    return d == tracks.end() ? none : d->second;
  };
  EXPECT_EQ(track_of("op of wide tid").name(), "wide 4294967397");
  EXPECT_FALSE(track_of("op of wide tid").has_thread());
  const pb::TrackDescriptor& seven = track_of("op of wide pid");
  EXPECT_EQ(seven.name(), "thread 7");
  EXPECT_FALSE(seven.has_thread());
  ASSERT_TRUE(tracks.count(seven.parent_uuid()));
  EXPECT_EQ(tracks.at(seven.parent_uuid()).name(), "process 4294967396");
  EXPECT_FALSE(tracks.at(seven.parent_uuid()).has_process());
  // tid -1 on the wire: ThreadDescriptor field 2, varint (tag 0x10), ten bytes: nine 0xFF then 0x01.
  const std::string bytes = slurp(pf);
  EXPECT_NE(bytes.find(std::string("\x10") + std::string(9, '\xFF') + "\x01"), std::string::npos);
  EXPECT_EQ(track_of("op of no tid").thread().tid(), -1);
}
