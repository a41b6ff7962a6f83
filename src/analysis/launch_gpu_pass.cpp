// gpu_pass(): everything analyze_launches() takes from the GPU table, read once in row order.
// Separate passes (counts, kernel table, window end, linking, busy unions) each read the same
// columns again; on a 20 MB trace folding them cut the GPU side's instructions by about a third.
#include "analysis/launch_gpu_pass.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "analysis/group_index.h"
#include "analysis/launch_intervals.h"

namespace infertrace {

namespace {

constexpr uint32_t kNone = CorrelationMap::kNone;

// Busy unions: overall, per stream group and per device group.
struct BusyUnions {
  UnionAccumulator all;
  std::vector<UnionAccumulator> stream, device;

  void add(ns_t s, ns_t e, uint32_t k, uint32_t d) {
    all.add(s, e);
    stream[k].add(s, e);
    device[d].add(s, e);
  }
};

// Stream groups, each with its device group.
class StreamGroups {
 public:
  // {stream group, true when new}
  std::pair<uint32_t, bool> find_or_add(int32_t device, int64_t stream) {
    const auto found = streams_.find_or_add({device, stream});
    if (found.second) {
      const auto d = devices_.find_or_add(device);
      device_of_.push_back(d.first);
      if (d.second) device_ids_.push_back(device);
    }
    return found;
  }
  uint32_t device_of(uint32_t k) const { return device_of_[k]; }
  const std::vector<int32_t>& devices() const { return device_ids_; }

 private:
  GroupIndex<std::pair<int32_t, int64_t>> streams_;
  GroupIndex<int32_t> devices_;
  std::vector<uint32_t> device_of_;  // per stream group
  std::vector<int32_t> device_ids_;  // per device group
};

// Rows out of start order (rare; readers keep time order): the unions again, in sorted order.
void busy_in_sorted_order(const GpuActivityTable& g, ns_t t_begin, StreamGroups& groups, BusyUnions& u) {
  std::vector<uint32_t> order(g.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return g.start[x] < g.start[y]; });
  u = BusyUnions{UnionAccumulator{}, std::vector<UnionAccumulator>(u.stream.size()),
                 std::vector<UnionAccumulator>(u.device.size())};
  for (uint32_t i : order) {
    const uint32_t k = groups.find_or_add(g.device[i], g.stream[i]).first;
    u.add(std::max(g.start[i], t_begin), end_of(g.start[i], g.dur[i]), k, groups.device_of(k));
  }
}

// The pass itself, with each row's call from `owner_of(row)`: one instantiation looks the id up in the
// map, the other (merged processes only) reads the calls link_merged_ids chose, so the usual trace
// pays no per-row test for the rare one.
template <class OwnerOf>
void gpu_pass_rows(const Trace& t, OwnerOf owner_of, const std::vector<uint32_t>& link_of_call,
                   std::vector<int32_t>& name_rows, LaunchAnalysis& a) {
  const GpuActivityTable& g = t.gpu;
  const size_t n = g.size();
  a.gpu_activities = static_cast<int64_t>(n);
  if (n == 0) return;
  const ns_t t_begin = a.t_begin;
  StreamGroups groups;
  BusyUnions busy;
  // Counts in locals and columns through raw pointers: through `a` and the vectors GCC reloaded
  // them after every store (it cannot rule out aliasing).
  int64_t kernels = 0, memcpys = 0, memsets = 0, orphans = 0, of_other_calls = 0;
  ns_t kernel_total = 0;
  ns_t last_end = std::numeric_limits<ns_t>::min(), prev_start = std::numeric_limits<ns_t>::min();
  bool in_order = true;
  const ns_t *start_col = g.start.data(), *dur_col = g.dur.data();
  const int32_t* device_col = g.device.data();
  const int64_t* stream_col = g.stream.data();
  const GpuKind* kind_col = g.kind.data();
  const StrId* name_col = g.name.data();
  const uint32_t* link_col = link_of_call.data();
  int32_t* name_row = name_rows.data();
  LaunchLink* links = a.links.data();
  KernelStat* kernel_stats = a.kernels_by_name.data();  // (again after each push_back)
  // The stream of the row before, with its table row and unions: rows of one stream come in runs,
  // so most rows skip the group lookup and index nothing.
  struct {
    int32_t device = 0;
    int64_t stream = 0;
    StreamStat* stat = nullptr;
    UnionAccumulator *stream_busy = nullptr, *device_busy = nullptr;
  } cur;
  auto switch_stream = [&](int32_t device, int64_t stream) __attribute__((noinline)) {
    const auto [k, added] = groups.find_or_add(device, stream);
    if (added) {
      StreamStat s;
      s.device = device, s.stream = stream;
      a.by_stream.push_back(s);
      busy.stream.emplace_back();
      if (busy.device.size() < groups.devices().size()) busy.device.emplace_back();
    }
    cur.device = device, cur.stream = stream, cur.stat = &a.by_stream[k];
    cur.stream_busy = &busy.stream[k], cur.device_busy = &busy.device[groups.device_of(k)];
  };
  for (uint32_t i = 0; i < n; ++i) {
    const ns_t start = start_col[i], dur = dur_col[i], end = end_of(start, dur);
    if (!cur.stat || device_col[i] != cur.device || stream_col[i] != cur.stream) switch_stream(device_col[i], stream_col[i]);
    StreamStat& s = *cur.stat;
    switch (kind_col[i]) {
      case GpuKind::Kernel: {
        // Sums of input durations saturate: a corrupt one near the int64 limits is no overflow.
        ++kernels, kernel_total = sat_add(kernel_total, dur);
        ++s.kernels, s.kernel_time = sat_add(s.kernel_time, dur);
        int32_t& row = name_row[name_col[i]];
        if (row < 0) {
          row = static_cast<int32_t>(a.kernels_by_name.size());
          a.kernels_by_name.push_back({name_col[i], 0, 0, dur, dur});
          kernel_stats = a.kernels_by_name.data();
        }
        KernelStat& ks = kernel_stats[row];
        ++ks.count, ks.total = sat_add(ks.total, dur), ks.min = std::min(ks.min, dur), ks.max = std::max(ks.max, dur);
        break;
      }
      case GpuKind::Memcpy: ++memcpys, ++s.memcpys; break;
      case GpuKind::Memset: ++memsets, ++s.memsets; break;
    }
    last_end = std::max(last_end, end);
    // The window ends at the last GPU end, so clipping an activity to it never shortens one: only
    // the start is clipped, and the unions need no window end while the pass runs.
    in_order = in_order && start >= prev_start;
    prev_start = start;
    if (in_order) {
      const ns_t clipped = std::max(start, t_begin);
      busy.all.add(clipped, end);
      cur.stream_busy->add(clipped, end);
      cur.device_busy->add(clipped, end);
    }

    // Link to the call that owns the correlation id.
    const uint32_t r = owner_of(i);
    if (r == kNone) {
      ++orphans;
      continue;
    }
    const uint32_t l = link_col[r];
    if (l == kNone) {  // (a duplicate call never owns an id, so this is a call that launches nothing)
      ++of_other_calls;
      continue;
    }
    LaunchLink& link = links[l];
    ++link.activities;
    link.gpu_time = sat_add(link.gpu_time, std::max<ns_t>(dur, 0));
    // Earliest activity; equal starts keep the lower row so the result does not depend on order.
    if (link.first_gpu == kNone || start < start_col[link.first_gpu]) link.first_gpu = i;
  }
  a.kernels = kernels, a.memcpys = memcpys, a.memsets = memsets;
  a.orphan_activities = orphans, a.activities_of_other_calls = of_other_calls;
  for (const KernelStat& ks : a.kernels_by_name) name_rows[ks.name] = -1;
  std::sort(a.kernels_by_name.begin(), a.kernels_by_name.end(), [&](const KernelStat& x, const KernelStat& y) {
    if (x.total != y.total) return x.total > y.total;
    return t.str(x.name) < t.str(y.name);
  });
  a.akd_ns = a.kernels ? static_cast<double>(kernel_total) / static_cast<double>(a.kernels) : 0.0;

  a.t_end = std::max(last_end, t_begin);
  a.inference_latency = sat_sub(a.t_end, t_begin);
  if (!in_order) busy_in_sorted_order(g, t_begin, groups, busy);
  a.gpu_busy = busy.all.total();
  a.gpu_idle = a.inference_latency - a.gpu_busy;
  for (size_t k = 0; k < a.by_stream.size(); ++k) a.by_stream[k].busy = busy.stream[k].total();
  std::sort(a.by_stream.begin(), a.by_stream.end(), [](const StreamStat& x, const StreamStat& y) {
    return std::tie(x.device, x.stream) < std::tie(y.device, y.stream);
  });
  const std::vector<int32_t>& devices = groups.devices();
  for (size_t d = 0; d < devices.size(); ++d) {
    DeviceStat s;
    s.device = devices[d], s.busy = busy.device[d].total(), s.idle = a.inference_latency - s.busy;
    a.by_device.push_back(s);
  }
  std::sort(a.by_device.begin(), a.by_device.end(), [](const DeviceStat& x, const DeviceStat& y) { return x.device < y.device; });
  for (size_t d = 0; d < a.by_device.size(); ++d)  // ascending device: a tie keeps the lowest id
    if (d == 0 || a.by_device[d].idle > a.most_idle_device_idle)
      a.most_idle_device = a.by_device[d].device, a.most_idle_device_idle = a.by_device[d].idle;
}

}  // namespace

void gpu_pass(const Trace& t, const CorrelationMap& owner, const uint32_t* gpu_owner, const std::vector<uint32_t>& link_of_call,
              std::vector<int32_t>& name_rows, LaunchAnalysis& a) {
  if (gpu_owner) {
    gpu_pass_rows(t, [gpu_owner](uint32_t i) { return gpu_owner[i]; }, link_of_call, name_rows, a);
  } else {
    const int64_t* corr = t.gpu.correlation.data();
    gpu_pass_rows(t, [&owner, corr](uint32_t i) __attribute__((always_inline)) { return owner.find(corr[i]); },
                  link_of_call, name_rows, a);
  }
}

}  // namespace infertrace
