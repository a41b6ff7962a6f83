#include "analysis/fusion_sequences.h"

#include <algorithm>
#include <limits>

#include "analysis/launch_intervals.h"

namespace infertrace {

namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// The launch call each GPU activity links to (by correlation id) and whether the activity is the
// call's earliest one, which is where docs/metrics.md charges the call's launch latency.
struct Linkage {
  std::vector<uint32_t> api;       // per GPU row: launch call row, or kNone
  std::vector<uint8_t> earliest;   // per GPU row: 1 when it is the earliest activity of its call
  GraphLaunchCost graphs;
};

// A call's launch part, split exactly as analyze splits it (split_launch, launch_intervals.h), so
// both verbs give the same figure, also for unknown durations and corrupt timestamps.
ns_t launch_part_of(const ApiCallTable& api, uint32_t call, ns_t gpu_start) {
  return split_launch(gpu_start, api.start[call], api.dur[call]).launch_part();
}

Linkage link_activities(const Trace& t) {
  Linkage L;
  L.api.assign(t.gpu.size(), kNone);
  L.earliest.assign(t.gpu.size(), 0);

  // Launch calls by correlation; where two calls share an id, the earlier one owns it.
  struct Call { int64_t corr; ns_t start; uint32_t row; };
  std::vector<Call> calls;
  for (size_t i = 0; i < t.api.size(); ++i)
    if (is_launch(t.api.kind[i]) && t.api.correlation[i] >= 0)
      calls.push_back({t.api.correlation[i], t.api.start[i], static_cast<uint32_t>(i)});
  auto by_corr_call = [](const Call& a, const Call& b) {
    return a.corr != b.corr ? a.corr < b.corr : a.start != b.start ? a.start < b.start : a.row < b.row;
  };
  // Traces usually list calls in correlation order already; checking is much cheaper than sorting.
  if (!std::is_sorted(calls.begin(), calls.end(), by_corr_call)) std::sort(calls.begin(), calls.end(), by_corr_call);

  struct Act { int64_t corr; ns_t start; uint32_t row; };
  std::vector<Act> acts;
  acts.reserve(t.gpu.size());
  for (size_t i = 0; i < t.gpu.size(); ++i)
    if (t.gpu.correlation[i] >= 0) acts.push_back({t.gpu.correlation[i], t.gpu.start[i], static_cast<uint32_t>(i)});
  auto by_corr_act = [](const Act& a, const Act& b) {
    return a.corr != b.corr ? a.corr < b.corr : a.start != b.start ? a.start < b.start : a.row < b.row;
  };
  if (!std::is_sorted(acts.begin(), acts.end(), by_corr_act)) std::sort(acts.begin(), acts.end(), by_corr_act);

  size_t c = 0;
  for (size_t g = 0; g < acts.size();) {
    size_t end = g;
    while (end < acts.size() && acts[end].corr == acts[g].corr) ++end;
    while (c < calls.size() && calls[c].corr < acts[g].corr) ++c;
    if (c < calls.size() && calls[c].corr == acts[g].corr) {
      const uint32_t call = calls[c].row;
      int64_t kernels = 0;
      for (size_t k = g; k < end; ++k) {
        L.api[acts[k].row] = call;
        kernels += t.gpu.kind[acts[k].row] == GpuKind::Kernel;
      }
      L.earliest[acts[g].row] = 1;
      if (t.api.kind[call] == ApiKind::GraphLaunch && kernels > 0) {
        L.graphs.launches += 1;
        L.graphs.kernels += kernels;
        if (t.api.dur[call] >= 0) {  // -1: unknown, out of the sum and of its counts
          L.graphs.timed_launches += 1;
          L.graphs.timed_kernels += kernels;
          L.graphs.api_time = sat_add(L.graphs.api_time, t.api.dur[call]);
        }
        L.graphs.launch_part = sat_add(L.graphs.launch_part, launch_part_of(t.api, call, acts[g].start));
      }
    }
    g = end;
  }
  return L;
}

// Stream ids belong to a process (its CUDA context): two processes that both launch onto stream 7
// of device 0 run two streams, which Kineto writes with the same device and stream (review FL58
// M3). The GPU rows do not say which process they ran for; their launch calls do. Per kernel in
// `order` (sorted by device, stream, time): 0 on a (device, stream) launched from at most one
// process, which is every such stream as before. Where several processes launch onto one
// (device, stream), its kernels are regrouped, keeping time order, by their launch call's pid;
// kernels with no launch call there cannot be told apart and form one more sequence (key
// INT64_MIN), as the unkeyed stream did.
std::vector<int64_t> split_by_process(const Trace& t, const Linkage& link, std::vector<uint32_t>& order) {
  std::vector<int64_t> process(order.size(), 0);
  for (size_t begin = 0; begin < order.size();) {
    const uint32_t first = order[begin];
    size_t end = begin;
    bool several = false;
    int64_t pid = 0;
    bool have_pid = false;
    for (; end < order.size() && t.gpu.device[order[end]] == t.gpu.device[first] &&
           t.gpu.stream[order[end]] == t.gpu.stream[first];
         ++end) {
      const uint32_t call = link.api[order[end]];
      if (call == kNone) continue;
      if (have_pid && t.api.pid[call] != pid) several = true;
      pid = t.api.pid[call], have_pid = true;
    }
    if (several) {
      struct Keyed { int64_t pid; uint32_t row; };
      std::vector<Keyed> keyed;
      keyed.reserve(end - begin);
      for (size_t k = begin; k < end; ++k) {
        const uint32_t call = link.api[order[k]];
        keyed.push_back({call == kNone ? std::numeric_limits<int64_t>::min() : t.api.pid[call], order[k]});
      }
      std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) { return a.pid < b.pid; });
      for (size_t k = begin; k < end; ++k) order[k] = keyed[k - begin].row, process[k] = keyed[k - begin].pid;
    }
    begin = end;
  }
  return process;
}

}  // namespace

KernelSequences build_kernel_sequences(const Trace& t) {
  KernelSequences seq;
  const Linkage link = link_activities(t);
  seq.graphs = link.graphs;

  std::vector<uint32_t> order;
  for (size_t i = 0; i < t.gpu.size(); ++i)
    if (t.gpu.kind[i] == GpuKind::Kernel) order.push_back(static_cast<uint32_t>(i));
  // Kernels of one stream that start at the same time (zero-length or sub-microsecond kernels in
  // a trace with rounded times) run in the order they were submitted: their launch calls' starts,
  // then their correlation ids, not their places in the file (review CX L12: swapping two rows
  // changed the chains). Every row gets one key, so the order is total whatever links exist.
  const auto call_start = [&](uint32_t r) {
    const uint32_t call = link.api[r];
    return call == kNone ? std::numeric_limits<ns_t>::max() : t.api.start[call];
  };
  auto stream_time_order = [&](uint32_t a, uint32_t b) {
    if (t.gpu.device[a] != t.gpu.device[b]) return t.gpu.device[a] < t.gpu.device[b];
    if (t.gpu.stream[a] != t.gpu.stream[b]) return t.gpu.stream[a] < t.gpu.stream[b];
    if (t.gpu.start[a] != t.gpu.start[b]) return t.gpu.start[a] < t.gpu.start[b];
    const ns_t ca = call_start(a), cb = call_start(b);
    if (ca != cb) return ca < cb;
    if (t.gpu.correlation[a] != t.gpu.correlation[b]) return t.gpu.correlation[a] < t.gpu.correlation[b];
    return a < b;
  };
  if (!std::is_sorted(order.begin(), order.end(), stream_time_order)) std::sort(order.begin(), order.end(), stream_time_order);
  const std::vector<int64_t> process = split_by_process(t, link, order);

  std::vector<ns_t> syncs;
  for (size_t i = 0; i < t.api.size(); ++i)
    if (t.api.kind[i] == ApiKind::Sync) syncs.push_back(t.api.start[i]);
  std::sort(syncs.begin(), syncs.end());
  // True when a sync call starts strictly between the two launch-call starts.
  auto sync_between = [&](ns_t a, ns_t b) {
    const ns_t lo = std::min(a, b), hi = std::max(a, b);
    auto it = std::upper_bound(syncs.begin(), syncs.end(), lo);
    return it != syncs.end() && *it < hi;
  };

  // Dense kernel-name ids in order of first appearance.
  std::vector<uint32_t> dense(t.strings.size(), kNone);
  seq.name.reserve(order.size());
  seq.launch_part.reserve(order.size());
  // The launch call of the last linked kernel on this stream: a sync is looked for between it and
  // the next linked kernel's call, so an unlinked kernel between them does not hide one (review AK
  // L3); the cut goes before that next linked kernel.
  uint32_t last_call = kNone;
  for (size_t k = 0; k < order.size(); ++k) {
    const uint32_t row = order[k];
    const bool new_stream = k == 0 || t.gpu.device[row] != t.gpu.device[order[k - 1]] ||
                            t.gpu.stream[row] != t.gpu.stream[order[k - 1]] || process[k] != process[k - 1];
    if (new_stream) {
      if (k > 0) seq.segment_end.push_back(static_cast<uint32_t>(k));
      seq.streams += 1;
      last_call = kNone;
    } else {
      const uint32_t call = link.api[row];
      if (last_call != kNone && call != kNone && sync_between(t.api.start[last_call], t.api.start[call])) {
        seq.segment_end.push_back(static_cast<uint32_t>(k));
        seq.sync_splits += 1;
      }
    }
    const StrId sid = t.gpu.name[row];
    if (dense[sid] == kNone) {
      dense[sid] = static_cast<uint32_t>(seq.names.size());
      seq.names.push_back(sid);
    }
    seq.name.push_back(dense[sid]);
    const uint32_t call = link.api[row];
    if (call == kNone) seq.unlinked_kernels += 1;
    else last_call = call;
    seq.launch_part.push_back(call != kNone && link.earliest[row] ? launch_part_of(t.api, call, t.gpu.start[row]) : 0);
  }
  if (!order.empty()) seq.segment_end.push_back(static_cast<uint32_t>(order.size()));

  std::vector<uint32_t> by_text(seq.names.size());
  for (uint32_t d = 0; d < by_text.size(); ++d) by_text[d] = d;
  std::sort(by_text.begin(), by_text.end(),
            [&](uint32_t a, uint32_t b) { return t.str(seq.names[a]) < t.str(seq.names[b]); });
  seq.name_rank.resize(by_text.size());
  for (uint32_t r = 0; r < by_text.size(); ++r) seq.name_rank[by_text[r]] = r;
  return seq;
}

}  // namespace infertrace
