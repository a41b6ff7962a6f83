// Perfetto native protobuf export (`infertrace export --perfetto`): one TrackEvent trace with
//  - a process track per pid and a thread track per traced thread (operators and CUDA API calls
//    nest there; syscalls on a "syscalls" child track of the thread),
//  - a track per CPU with the traced threads' on-CPU slices, and a child "IRQs" track per CPU,
//  - a track per GPU device with a child track per stream (kernels, memcpys, memsets),
//  - a flow from every launch call to each GPU activity it started (linked by correlation id),
//  - for a recording with LOSS records, a "recorder loss" track with a child track per CPU whose
//    slices are the spans in which the recorder's ring was full (events of that CPU lost).
// Events are streamed packet by packet, so memory stays proportional to the event count, not to
// the output size. Schema: report/proto/perfetto_trace.proto (our subset of Perfetto's).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

struct PerfettoSummary {
  int64_t packets = 0;
  int64_t tracks = 0;
  int64_t slices = 0;    // begin/end pairs
  int64_t instants = 0;  // zero or unknown duration events
  int64_t flows = 0;     // launch -> GPU activity links
};

// Track uuids are derived from what the track shows, so a reader (and the tests) can find them.
// The top byte says the kind, the rest the identity: a (pid, device, CPU) in the high 28 bits and b
// (tid, stream) in the low 28, each as a 28-bit two's complement number, so every a and b in
// [-2^27, 2^27) gives its own uuid, negative ids (a missing tid -1, Kineto's named ids -2, -3, ...)
// included. A track with an id outside that range (a pthread id as tid, a stream handle) has no
// derived uuid (0 here): the writer numbers such tracks in order of first use, under kind Wide.
enum class PerfettoTrackKind : uint8_t {
  Process = 1, Thread = 2, ThreadSyscalls = 3, Cpu = 4, CpuIrqs = 5, GpuDevice = 6, GpuStream = 7,
  Loss = 8, LossCpu = 9,  // Loss: the one "recorder loss" track (a = 0); LossCpu: a = the CPU (-1: unknown)
  Lane = 10,  // a child track for slices that do not nest on their own track (numbered in order, not by a, b)
  Wide = 11,  // a track whose a or b lies outside [-2^27, 2^27) (numbered in order of first use)
  Empty = 12  // the one track of a trace with nothing to show (a = b = 0), named so
};
// 0 when a or b lies outside [-2^27, 2^27) (see above).
uint64_t perfetto_track_uuid(PerfettoTrackKind kind, int64_t a, int64_t b = 0);

// A traced thread's time on a CPU, from one context switch to the next on that CPU (switches in
// the trace's tables). A thread whose first recorded switch takes it off a CPU was on it before
// any switch was recorded: a slice from its first event to that switch; one whose last recorded
// switch puts it on a CPU stayed there: a slice from that switch to its last event. Drawn by the
// Perfetto and Chrome exports and the HTML report's timeline (one definition for all three).
struct OnCpuSlice {
  ns_t start, end;
  int32_t cpu;
  int64_t pid, tid;
  StrId comm;
  int64_t end_switch;  // row in Trace::switches that ended it; -1: ended at the thread's last event
};
// All of them, whole (56 bytes a slice). No caller but the tests, which take it as the reference
// for OnCpuSliceWalk's order and lookup by number; the exports and the timeline use the walk.
std::vector<OnCpuSlice> on_cpu_slices(const Trace& trace);

// The same slices one at a time, in the same order (by CPU, then start; on_cpu_slices() is made of
// this walk), without holding them: for a reader that draws a few of them, such as the HTML
// timeline, or one that looks them up by number after a sort of its own, such as the Perfetto
// export. Kept: the switches' order by CPU and time (4 bytes a switch), the places in it where a
// slice starts (4 bytes a slice), the few slices at a thread's first or last switch and where each
// of those falls among all slices. The whole vector, 56 bytes a slice, made `report` of a 1.5
// M-switch recording peak 176 MB above the trace (the vector growing) for its timeline to draw
// 3,000 events, and `export --perfetto` hold 85 MB more than this (docs/benchmarks.md). The trace
// must outlive the walk.
class OnCpuSliceWalk {
 public:
  explicit OnCpuSliceWalk(const Trace& trace);
  size_t size() const { return starts_.size() + edges_.size(); }
  // Slice number i (< size()), the i-th that for_each() gives: a binary search among the edge
  // slices' places, then between() for the others.
  OnCpuSlice at(size_t i) const {
    const size_t e = static_cast<size_t>(std::lower_bound(edge_at_.begin(), edge_at_.end(), i) - edge_at_.begin());
    if (e < edge_at_.size() && edge_at_[e] == i) return edges_[e];
    return between(starts_[i - e]);  // e edge slices come before it
  }
  // fn(const OnCpuSlice&) for every slice, in order: the slices between two switches (already in
  // order) merged with the edge slices, which come after those of an equal CPU and start (as the
  // stable sort of on_cpu_slices() placed them); where each edge slice falls is edge_at_ (the same
  // places at() reads).
  template <class Fn>
  void for_each(Fn&& fn) const {
    size_t e = 0, k = 0;
    for (size_t n = 0; n < size(); ++n) {
      if (e < edge_at_.size() && edge_at_[e] == n) fn(edges_[e++]);
      else fn(between(starts_[k++]));
    }
  }

 private:
  // The slice of the thread switched in at order_[k], up to the next switch on its CPU.
  OnCpuSlice between(uint32_t k) const {
    const uint32_t i = order_[k], j = order_[k + 1];
    const SwitchTable& sw = trace_.switches;
    return {sw.ts[i], sw.ts[j], sw.cpu[i], sw.next_pid[i], sw.next_tid[i], sw.next_comm[i], j};
  }
  const Trace& trace_;
  std::vector<uint32_t> order_;    // switch rows by CPU, then time (stable)
  std::vector<uint32_t> starts_;   // places k in order_ where a slice starts (ascending)
  std::vector<OnCpuSlice> edges_;  // slices at a thread's first or last switch, by CPU then start
  std::vector<size_t> edge_at_;    // per edge slice, its number among all slices (ascending)
};

// A process's name for the exports: the source's own (Kineto's process_name metadata, kept in
// Trace::meta, so a file read back keeps it), else the comm of its main thread (recordings), else "".
std::string trace_process_name(const Trace& trace, int64_t pid);

// Throws Error when the file cannot be written. `launch_calls`: launch_calls_of_gpu_rows(trace) when
// the caller has it (analysis/launch.h), else computed here.
PerfettoSummary write_perfetto_file(const Trace& trace, const std::string& path,
                                    const std::vector<uint32_t>* launch_calls = nullptr);

}  // namespace infertrace
