// analyze_launches(): one pass to link GPU work to launch calls by correlation id, then the
// section-2 sums, the IL window with its busy/idle unions, and the breakdown tables.
#include "analysis/launch.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "analysis/launch_id_map.h"
#include "analysis/launch_intervals.h"
#include "analysis/launch_operators.h"

namespace infertrace {

namespace {

constexpr uint32_t kNone = CorrelationMap::kNone;

// Correlation id -> the launch call that owns it. Ids are unique per API call in CUPTI, but a
// source that records both a runtime call and the driver call it makes may repeat one: the
// earliest-starting launch call is the logical launch and the others are counted as duplicates.
CorrelationMap map_correlations(const ApiCallTable& api, std::vector<uint8_t>& duplicate, int64_t& n_dup) {
  // Distinct ids in order (Kineto's API calls): no call can lose its id, and the map is the column.
  CorrelationMap m(api.correlation, CorrelationMap::SelfRows::IfDistinctAscending);
  if (m.self_rows()) return m;
  duplicate.assign(api.size(), 0);
  for (uint32_t r = 0; r < api.size(); ++r) {
    const int64_t id = api.correlation[r];
    if (id < 0) continue;
    const uint32_t prev = m.find(id);
    if (prev == kNone) {
      m.set(id, r);
      continue;
    }
    const bool r_launch = is_launch(api.kind[r]), prev_launch = is_launch(api.kind[prev]);
    const bool r_wins = (r_launch && !prev_launch) ||
                        (r_launch == prev_launch && api.start[r] < api.start[prev]);
    const uint32_t loser = r_wins ? prev : r;
    if (r_wins) m.set(id, r);
    if (is_launch(api.kind[loser])) {
      duplicate[loser] = 1;
      ++n_dup;
    }
  }
  return m;
}

void count_activities(const Trace& t, LaunchAnalysis& a) {
  const GpuActivityTable& g = t.gpu;
  a.gpu_activities = static_cast<int64_t>(g.size());
  ns_t kernel_total = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    switch (g.kind[i]) {
      case GpuKind::Kernel: ++a.kernels, kernel_total += g.dur[i]; break;
      case GpuKind::Memcpy: ++a.memcpys; break;
      case GpuKind::Memset: ++a.memsets; break;
    }
  }
  a.akd_ns = a.kernels ? static_cast<double>(kernel_total) / static_cast<double>(a.kernels) : 0.0;
}

// The IL window: first start of any top-level operator (the earliest operator is top-level), or of
// any host event when there are none, to the last end of any GPU activity.
void il_window(const Trace& t, LaunchAnalysis& a) {
  if (t.gpu.size() == 0) return;
  const auto& host = t.ops.size() ? t.ops.start : t.api.size() ? t.api.start : t.gpu.start;
  a.t_begin = *std::min_element(host.begin(), host.end());
  ns_t last = t.gpu.start[0];
  for (size_t i = 0; i < t.gpu.size(); ++i) last = std::max(last, end_of(t.gpu.start[i], t.gpu.dur[i]));
  a.t_end = std::max(last, a.t_begin);
  a.inference_latency = sat_sub(a.t_end, a.t_begin);
}

// Dense group numbers for a handful of keys (streams, devices, threads): a linear scan while there
// are few, a map beyond that, so a trace with thousands of streams stays O(n log n).
template <class Key>
class GroupIndex {
 public:
  // {group number, true when the key is new}
  std::pair<uint32_t, bool> find_or_add(const Key& k) {
    if (keys_.size() <= kScan) {
      for (uint32_t i = 0; i < keys_.size(); ++i)
        if (keys_[i] == k) return {i, false};
    } else if (auto it = map_.find(k); it != map_.end()) {
      return {it->second, false};
    }
    const auto n = static_cast<uint32_t>(keys_.size());
    keys_.push_back(k);
    if (keys_.size() > kScan) {
      if (map_.empty())
        for (uint32_t i = 0; i < keys_.size(); ++i) map_.emplace(keys_[i], i);
      else
        map_.emplace(k, n);
    }
    return {n, true};
  }

 private:
  static constexpr size_t kScan = 16;
  std::vector<Key> keys_;
  std::map<Key, uint32_t> map_;
};

// GPU busy overall, per device and per stream: one pass over activities in start order, one union
// accumulator per group, every interval clipped to the IL window.
void gpu_busy(const Trace& t, LaunchAnalysis& a) {
  const GpuActivityTable& g = t.gpu;
  // Readers mostly keep time order: then the unions are fed in the same pass that finds each row's
  // stream and device, with no row-order, stream or device vectors (three columns' worth of fresh,
  // page-faulted memory on a large trace).
  const bool in_order = std::is_sorted(g.start.begin(), g.start.end());
  std::vector<uint32_t> order, stream_of, device_of;
  if (!in_order) {
    order.resize(g.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return g.start[x] < g.start[y]; });
    stream_of.resize(g.size()), device_of.resize(g.size());
  }

  GroupIndex<std::pair<int32_t, int64_t>> stream_index;
  GroupIndex<int32_t> device_index;
  std::vector<int32_t> devices;
  std::vector<UnionAccumulator> stream_union, device_union;
  UnionAccumulator all;
  auto add_interval = [&](size_t i, uint32_t k, uint32_t d) {
    const ns_t s = std::max(g.start[i], a.t_begin), e = std::min(end_of(g.start[i], g.dur[i]), a.t_end);
    all.add(s, e);
    stream_union[k].add(s, e);
    device_union[d].add(s, e);
  };
  for (size_t i = 0; i < g.size(); ++i) {
    const auto [k, added] = stream_index.find_or_add({g.device[i], g.stream[i]});
    if (added) {
      StreamStat s;
      s.device = g.device[i], s.stream = g.stream[i];
      a.by_stream.push_back(s);
      stream_union.emplace_back();
    }
    StreamStat& s = a.by_stream[k];
    switch (g.kind[i]) {
      case GpuKind::Kernel: ++s.kernels, s.kernel_time += g.dur[i]; break;
      case GpuKind::Memcpy: ++s.memcpys; break;
      case GpuKind::Memset: ++s.memsets; break;
    }
    const auto [d, new_device] = device_index.find_or_add(g.device[i]);
    if (new_device) devices.push_back(g.device[i]), device_union.emplace_back();
    if (in_order) {
      add_interval(i, k, d);
    } else {
      stream_of[i] = k, device_of[i] = d;
    }
  }
  for (uint32_t i : order) add_interval(i, stream_of[i], device_of[i]);
  a.gpu_busy = all.total();
  a.gpu_idle = a.inference_latency - a.gpu_busy;
  for (size_t k = 0; k < a.by_stream.size(); ++k) a.by_stream[k].busy = stream_union[k].total();
  std::sort(a.by_stream.begin(), a.by_stream.end(), [](const StreamStat& x, const StreamStat& y) {
    return std::tie(x.device, x.stream) < std::tie(y.device, y.stream);
  });
  for (size_t k = 0; k < devices.size(); ++k) {
    DeviceStat d;
    d.device = devices[k], d.busy = device_union[k].total(), d.idle = a.inference_latency - d.busy;
    a.by_device.push_back(d);
  }
  std::sort(a.by_device.begin(), a.by_device.end(), [](const DeviceStat& x, const DeviceStat& y) { return x.device < y.device; });
}

// host_activity when the thread's operators, and its API calls, each come in order of start time
// (how readers keep them): they are merged on the fly into the union accumulators (a union only
// needs its intervals in order of start, and clipping to the window keeps that order).
// Materialising, sorting and merging the interval vectors instead was ~6% of `analyze` on a 1 GB
// trace, most of it page faults of fresh memory. The order is checked during the same pass (a
// separate pass read the pid, tid and start columns once more); returns false, having set
// nothing, at the first row out of order.
bool host_activity_in_order(const Trace& t, int64_t pid, int64_t tid, LaunchAnalysis& a) {
  const ns_t lo = a.t_begin, hi = a.t_end;
  if (hi <= lo) {  // as union_length: an empty window has no activity, whatever the order
    a.host_sync = 0, a.host_active = 0, a.cpu_idle = a.inference_latency;
    return true;
  }
  const OperatorTable& ops = t.ops;
  const ApiCallTable& api = t.api;
  auto next_op = [&](size_t o) {
    while (o < ops.size() && (ops.pid[o] != pid || ops.tid[o] != tid)) ++o;
    return o;
  };
  auto next_api = [&](size_t r) {
    while (r < api.size() && (api.pid[r] != pid || api.tid[r] != tid)) ++r;
    return r;
  };
  UnionAccumulator active, sync;
  ns_t last_op = std::numeric_limits<ns_t>::min(), last_api = std::numeric_limits<ns_t>::min();
  size_t o = next_op(0), r = next_api(0);
  while (o < ops.size() || r < api.size()) {
    if (r == api.size() || (o < ops.size() && ops.start[o] <= api.start[r])) {
      if (ops.start[o] < last_op) return false;
      last_op = ops.start[o];
      active.add(std::max(ops.start[o], lo), std::min(end_of(ops.start[o], ops.dur[o]), hi));
      o = next_op(o + 1);
    } else {
      if (api.start[r] < last_api) return false;
      last_api = api.start[r];
      const ns_t s = std::max(api.start[r], lo), e = std::min(end_of(api.start[r], api.dur[r]), hi);
      active.add(s, e);
      if (api.kind[r] == ApiKind::Sync) sync.add(s, e);
      r = next_api(r + 1);
    }
  }
  // Every sync call is itself in `active`, so the difference of the unions is the union of the rest.
  a.host_sync = sync.total();
  a.host_active = active.total() - a.host_sync;
  a.cpu_idle = a.inference_latency - a.host_active;
  return true;
}

// Host active on the thread that issued the most launches: union of its operators and API calls
// minus the union of its sync calls (both inside the IL window).
void host_activity(const Trace& t, LaunchAnalysis& a) {
  GroupIndex<std::pair<int64_t, int64_t>> thread_index;
  std::vector<std::pair<int64_t, int64_t>> threads;
  std::vector<int64_t> launches;
  for (size_t r = 0; r < t.api.size(); ++r) {
    if (!is_launch(t.api.kind[r])) continue;
    const auto [k, added] = thread_index.find_or_add({t.api.pid[r], t.api.tid[r]});
    if (added) threads.push_back({t.api.pid[r], t.api.tid[r]}), launches.push_back(0);
    ++launches[k];
  }
  if (threads.empty()) {
    a.cpu_idle = a.inference_latency;
    return;
  }
  // Most launches wins; ties go to the lowest (pid, tid) so the choice is stable.
  size_t best = 0;
  for (size_t k = 1; k < threads.size(); ++k)
    if (launches[k] > launches[best] || (launches[k] == launches[best] && threads[k] < threads[best])) best = k;
  a.launch_thread_pid = threads[best].first, a.launch_thread_tid = threads[best].second;
  a.launch_thread_launches = launches[best];

  const int64_t pid = a.launch_thread_pid, tid = a.launch_thread_tid;
  if (host_activity_in_order(t, pid, tid, a)) return;
  // Out of order (rare): gather, sort, merge. Operators and API calls are each sorted only if
  // needed, then merged, instead of sorting the concatenation.
  std::vector<Interval> op_iv, api_iv, sync;
  // Reserved for every row: growing by doubling copies and page-faults each new block; capacity
  // never written costs address space only.
  op_iv.reserve(t.ops.size());
  api_iv.reserve(t.api.size());
  for (size_t o = 0; o < t.ops.size(); ++o)
    if (t.ops.pid[o] == pid && t.ops.tid[o] == tid)
      op_iv.emplace_back(t.ops.start[o], end_of(t.ops.start[o], t.ops.dur[o]));
  for (size_t r = 0; r < t.api.size(); ++r) {
    if (t.api.pid[r] != pid || t.api.tid[r] != tid) continue;
    const Interval iv{t.api.start[r], end_of(t.api.start[r], t.api.dur[r])};
    api_iv.push_back(iv);
    if (t.api.kind[r] == ApiKind::Sync) sync.push_back(iv);
  }
  for (auto* v : {&op_iv, &api_iv})
    if (!std::is_sorted(v->begin(), v->end())) std::sort(v->begin(), v->end());
  std::vector<Interval> active(op_iv.size() + api_iv.size());
  std::merge(op_iv.begin(), op_iv.end(), api_iv.begin(), api_iv.end(), active.begin());
  // Every sync call is itself in `active`, so the difference of the unions is the union of the rest.
  a.host_sync = union_length(sync, a.t_begin, a.t_end);
  a.host_active = union_length(active, a.t_begin, a.t_end) - a.host_sync;
  a.cpu_idle = a.inference_latency - a.host_active;
}

void api_breakdown(const Trace& t, LaunchAnalysis& a) {
  std::vector<int32_t> row_of_name(t.strings.size(), -1);
  // Links are in API-table order: the next unread link belongs to row r or to a later row.
  size_t next_link = 0;
  for (size_t r = 0; r < t.api.size(); ++r) {
    int32_t& k = row_of_name[t.api.name[r]];
    if (k < 0) {
      k = static_cast<int32_t>(a.by_api.size());
      ApiBreakdownRow row;
      row.name = t.api.name[r], row.kind = t.api.kind[r];
      a.by_api.push_back(row);
    }
    ApiBreakdownRow& row = a.by_api[static_cast<size_t>(k)];
    ++row.calls;
    row.api_total += std::max<ns_t>(t.api.dur[r], 0);
    if (next_link < a.links.size() && a.links[next_link].api == r) {
      const LaunchLink& l = a.links[next_link++];
      ++row.linked;
      row.latency_total += l.latency, row.launch_total += l.launch_part, row.queue_total += l.queue;
    }
  }
  std::sort(a.by_api.begin(), a.by_api.end(), [&](const ApiBreakdownRow& x, const ApiBreakdownRow& y) {
    if (x.calls != y.calls) return x.calls > y.calls;
    return t.str(x.name) < t.str(y.name);
  });
}

void kernel_breakdown(const Trace& t, LaunchAnalysis& a) {
  std::vector<int32_t> row_of_name(t.strings.size(), -1);
  for (size_t i = 0; i < t.gpu.size(); ++i) {
    if (t.gpu.kind[i] != GpuKind::Kernel) continue;
    int32_t& k = row_of_name[t.gpu.name[i]];
    const ns_t d = t.gpu.dur[i];
    if (k < 0) {
      k = static_cast<int32_t>(a.kernels_by_name.size());
      a.kernels_by_name.push_back({t.gpu.name[i], 0, 0, d, d});
    }
    KernelStat& s = a.kernels_by_name[static_cast<size_t>(k)];
    ++s.count, s.total += d, s.min = std::min(s.min, d), s.max = std::max(s.max, d);
  }
  std::sort(a.kernels_by_name.begin(), a.kernels_by_name.end(), [&](const KernelStat& x, const KernelStat& y) {
    if (x.total != y.total) return x.total > y.total;
    return t.str(x.name) < t.str(y.name);
  });
}

// Per operator name: every instance counts toward calls and CPU time; launches count toward the
// innermost operator that issued them only, so nested operators never double-count launch tax.
void operator_breakdown(const Trace& t, LaunchAnalysis& a) {
  std::vector<uint32_t> calls(a.links.size());
  for (size_t k = 0; k < a.links.size(); ++k) calls[k] = a.links[k].api;
  const OperatorAttribution attr = attribute_to_operators(t, calls);
  a.calls_by_external_id = attr.by_external_id;
  a.calls_by_containment = attr.by_containment;
  a.calls_without_operator = attr.unattributed;

  std::vector<int32_t> row_of_name(t.strings.size(), -1);
  // (Inlined by hand: as a lambda GCC kept it a call per operator row.)
  auto row_for = [&](StrId name) __attribute__((always_inline)) -> OperatorStat& {
    int32_t& k = row_of_name[name];
    if (k < 0) {
      k = static_cast<int32_t>(a.by_operator.size());
      OperatorStat s;
      s.name = name;
      a.by_operator.push_back(s);
    }
    return a.by_operator[static_cast<size_t>(k)];
  };
  for (size_t o = 0; o < t.ops.size(); ++o) {
    OperatorStat& s = row_for(t.ops.name[o]);
    ++s.calls, s.cpu_time += std::max<ns_t>(t.ops.dur[o], 0);
  }
  for (size_t k = 0; k < a.links.size(); ++k) {
    LaunchLink& l = a.links[k];
    l.op = attr.op_of_call[k];
    if (l.op < 0) continue;
    OperatorStat& s = row_for(t.ops.name[static_cast<size_t>(l.op)]);
    s.kernels += l.activities, s.launch_tax += l.latency, s.gpu_time += l.gpu_time;
  }
  std::sort(a.by_operator.begin(), a.by_operator.end(), [&](const OperatorStat& x, const OperatorStat& y) {
    if (x.launch_tax != y.launch_tax) return x.launch_tax > y.launch_tax;
    if (x.cpu_time != y.cpu_time) return x.cpu_time > y.cpu_time;
    return t.str(x.name) < t.str(y.name);
  });
}

}  // namespace

LaunchAnalysis analyze_launches(const Trace& t) {
  LaunchAnalysis a;
  const ApiCallTable& api = t.api;
  const GpuActivityTable& gpu = t.gpu;
  a.api_calls = static_cast<int64_t>(api.size());
  a.operators = static_cast<int64_t>(t.ops.size());
  count_activities(t, a);

  // Link every GPU activity to the call that owns its correlation id.
  std::vector<uint8_t> duplicate;  // per API row, filled only when some id is shared
  const CorrelationMap owner = map_correlations(api, duplicate, a.duplicate_correlation_calls);
  // What each call's activities add up to, in one array: a GPU row's update then touches one
  // cache line, not one in each of three arrays.
  struct CallGpuWork {
    uint32_t first_gpu = kNone;  // earliest linked activity
    uint32_t activities = 0;
    ns_t gpu_time = 0;
  };
  std::vector<CallGpuWork> work(api.size());
  a.gpu_to_api.assign(gpu.size(), -1);
  for (uint32_t i = 0; i < gpu.size(); ++i) {
    const uint32_t r = owner.find(gpu.correlation[i]);
    if (r == kNone) {
      ++a.orphan_activities;
      continue;
    }
    if (!is_launch(api.kind[r])) {
      ++a.activities_of_other_calls;
      continue;
    }
    a.gpu_to_api[i] = r;
    CallGpuWork& w = work[r];
    ++w.activities;
    w.gpu_time += std::max<ns_t>(gpu.dur[i], 0);
    // Earliest activity; equal starts keep the lower row so the result does not depend on order.
    if (w.first_gpu == kNone || gpu.start[i] < gpu.start[w.first_gpu]) w.first_gpu = i;
  }

  // One term per linked launch call (a graph launch's term goes to its earliest kernel).
  a.links.reserve(api.size());  // at most one per call (see host_activity for why reserve)
  for (uint32_t r = 0; r < api.size(); ++r) {
    const ApiKind kind = api.kind[r];
    if (kind == ApiKind::Sync) ++a.sync_calls;
    if (!is_launch(kind)) continue;
    ++a.launch_calls;
    if (kind == ApiKind::GraphLaunch) ++a.graph_launches;
    if (!duplicate.empty() && duplicate[r]) continue;
    const CallGpuWork& w = work[r];
    if (w.first_gpu == kNone) {
      ++a.orphan_launch_calls;
      continue;
    }
    LaunchLink l;
    l.api = r, l.first_gpu = w.first_gpu, l.activities = w.activities, l.gpu_time = w.gpu_time;
    const ns_t g = gpu.start[l.first_gpu], c = api.start[r], d = api.dur[r];
    l.latency = sat_sub(g, c);
    if (l.latency < 0) {
      l.latency = 0, l.clamped = true;
      ++a.clock_skew_clamped;
    }
    if (d < 0) {
      ++a.launch_calls_unknown_duration;  // no end: the queue part cannot be told apart
    } else {
      l.queue = std::max<ns_t>(0, sat_sub(g, sat_add(c, d)));
      a.api_time += d;
    }
    l.launch_part = l.latency - l.queue;
    a.tklqt = sat_add(a.tklqt, l.latency), a.tklqt_launch = sat_add(a.tklqt_launch, l.launch_part),
    a.tklqt_queue = sat_add(a.tklqt_queue, l.queue);
    a.links.push_back(l);
  }
  a.linked_launch_calls = static_cast<int64_t>(a.links.size());
  if (!a.links.empty()) a.bound = a.tklqt_queue > a.tklqt_launch ? "gpu" : "cpu";

  il_window(t, a);
  gpu_busy(t, a);
  host_activity(t, a);
  api_breakdown(t, a);
  kernel_breakdown(t, a);
  operator_breakdown(t, a);
  return a;
}

}  // namespace infertrace
