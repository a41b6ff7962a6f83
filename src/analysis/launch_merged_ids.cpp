// link_merged_ids(): which process's call owns each GPU activity of a correlation id that several
// processes' calls share (launch_merged_ids.h). Four passes, all on the rare merged trace only:
//   1. API rows: per process, its ids and an id -> its own first call map (the rule of
//      map_correlations: a launch call before any other call, then the earliest start);
//   2. each process's first calls: the ids another process's call owns (shared);
//   3. GPU rows of ids that are not shared: the devices each process launches on;
//   4. GPU rows of shared ids: the one process sharing the id that launches on the row's device;
//      then the duplicate flags again, from what was resolved.
#include "analysis/launch_merged_ids.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "analysis/group_index.h"

namespace infertrace {

namespace {

constexpr uint32_t kNone = CorrelationMap::kNone;

// Per API row of a first-starting call (the map's owner of its id).
constexpr uint8_t kShared = 1;      // another process has a call with the same id
constexpr uint8_t kUnresolved = 2;  // some GPU activity of the id could not be given to one process

struct Process {
  std::vector<int64_t> ids;    // the correlation ids of its API rows, in table order
  std::vector<uint32_t> rows;  // their API rows
  std::unique_ptr<CorrelationMap> first;  // id -> index into ids/rows of the process's first call
  std::vector<int32_t> devices;           // devices its unshared ids' GPU work ran on

  // The process's first call with `id` (an API row), or kNone.
  uint32_t call(int64_t id) const {
    const uint32_t k = first->find(id);
    return k == kNone ? kNone : rows[k];
  }
};

// The same order as map_correlations: a launch call owns an id before any other call, then the
// earlier start; equal starts keep the row met first.
bool wins(const ApiCallTable& api, uint32_t r, uint32_t prev) {
  const bool r_launch = is_launch(api.kind[r]), prev_launch = is_launch(api.kind[prev]);
  return (r_launch && !prev_launch) || (r_launch == prev_launch && api.start[r] < api.start[prev]);
}

}  // namespace

MergedIdLinks link_merged_ids(const ApiCallTable& api, const GpuActivityTable& gpu, const CorrelationMap& owner,
                              std::vector<uint8_t>& duplicate, int64_t& n_dup, int64_t& n_cross) {
  MergedIdLinks out;
  const size_t n_api = api.size(), n_gpu = gpu.size();

  // 1. Processes (rows of one process come in runs: the last one is kept).
  GroupIndex<int64_t> pids;
  std::vector<uint32_t> proc_of(n_api);
  std::vector<Process> procs;
  std::vector<uint32_t> rows_of;  // per process: its API rows (sized first: no copies while growing)
  uint32_t last = kNone;
  for (uint32_t r = 0; r < n_api; ++r) {
    if (last == kNone || pids.key(last) != api.pid[r]) {
      const auto [k, added] = pids.find_or_add(api.pid[r]);
      if (added) rows_of.push_back(0);
      last = k;
    }
    proc_of[r] = last;
    ++rows_of[last];
  }
  procs.resize(rows_of.size());
  for (uint32_t q = 0; q < procs.size(); ++q) procs[q].ids.reserve(rows_of[q]), procs[q].rows.reserve(rows_of[q]);
  for (uint32_t r = 0; r < n_api; ++r) {
    Process& p = procs[proc_of[r]];
    p.ids.push_back(api.correlation[r]);
    p.rows.push_back(r);
  }
  for (Process& p : procs) {
    p.first = std::make_unique<CorrelationMap>(p.ids, CorrelationMap::SelfRows::IfDistinctAscending);
    if (p.first->self_rows()) continue;
    for (uint32_t k = 0; k < p.ids.size(); ++k) {
      const int64_t id = p.ids[k];
      if (id < 0) continue;
      const uint32_t prev = p.first->find(id);
      if (prev == kNone || wins(api, p.rows[k], p.rows[prev])) p.first->set(id, k);
    }
  }

  // 2. Shared ids, marked on their owner (the first call over all processes, itself the first call
  // of its own process).
  std::vector<uint8_t> flags(n_api, 0);
  for (uint32_t q = 0; q < procs.size(); ++q) {
    const Process& p = procs[q];
    for (uint32_t k = 0; k < p.ids.size(); ++k) {
      const int64_t id = p.ids[k];
      if (id < 0 || p.first->find(id) != k) continue;
      const uint32_t o = owner.find(id);
      if (proc_of[o] != q) flags[o] |= kShared;
    }
  }

  // 3. Devices per process, from GPU work whose id only that process uses.
  const int64_t* corr = gpu.correlation.data();
  const int32_t* device = gpu.device.data();
  uint32_t last_proc = kNone;
  int32_t last_device = 0;
  for (size_t i = 0; i < n_gpu; ++i) {
    const uint32_t o = owner.find(corr[i]);
    if (o == kNone || (flags[o] & kShared)) continue;
    const uint32_t q = proc_of[o];
    if (q == last_proc && device[i] == last_device) continue;
    last_proc = q, last_device = device[i];
    std::vector<int32_t>& d = procs[q].devices;
    if (std::find(d.begin(), d.end(), device[i]) == d.end()) d.push_back(device[i]);
  }
  GroupIndex<int32_t> devices;
  std::vector<std::vector<uint32_t>> procs_on;  // per device group: the processes known to launch there
  std::vector<uint32_t> no_evidence;            // processes with no unshared id's GPU work
  for (uint32_t q = 0; q < procs.size(); ++q) {
    if (procs[q].devices.empty()) no_evidence.push_back(q);
    for (int32_t d : procs[q].devices) {
      const auto [k, added] = devices.find_or_add(d);
      if (added) procs_on.emplace_back();
      procs_on[k].push_back(q);
    }
  }

  // 4. Shared ids' GPU work: to the one process that shares the id and is known on the device, when
  // every other process sharing it is known elsewhere; otherwise the id keeps the first call.
  out.gpu_owner.resize(n_gpu);
  std::vector<std::pair<uint32_t, uint32_t>> resolved;  // (GPU row, the id's first call)
  for (size_t i = 0; i < n_gpu; ++i) {
    const int64_t id = corr[i];
    const uint32_t o = owner.find(id);
    out.gpu_owner[i] = o;
    if (o == kNone || !(flags[o] & kShared)) continue;
    uint32_t hit = kNone;
    int hits = 0;
    // (A device no process is known on has no group: find_or_add would add one, so look it up.)
    for (uint32_t k = 0; k < devices.size() && hits < 2; ++k) {
      if (devices.key(k) != device[i]) continue;
      for (uint32_t q : procs_on[k]) {
        const uint32_t c = procs[q].call(id);
        if (c != kNone) ++hits, hit = c;
      }
    }
    bool ok = hits == 1;
    for (size_t x = 0; ok && x < no_evidence.size(); ++x) ok = procs[no_evidence[x]].call(id) == kNone;
    if (ok) {
      out.gpu_owner[i] = hit;
      resolved.emplace_back(static_cast<uint32_t>(i), o);
    } else {
      flags[o] |= kUnresolved;
      ++out.unresolved;
    }
  }
  // An id with any activity left unresolved keeps the first call for all of them: the other
  // processes' calls of it stay duplicates, and a duplicate owns no GPU work.
  for (const auto& [i, o] : resolved) {
    if (flags[o] & kUnresolved) out.gpu_owner[i] = o, ++out.unresolved;
    else ++out.by_device;
  }

  // The duplicates again: a launch call is one when its process has an earlier call of its id (the
  // runtime/driver pair), or when its id is shared and stayed unresolved and another process's call
  // owns it. Counted as of another process when the call its id now belongs to is.
  duplicate.assign(n_api, 0);
  n_dup = 0, n_cross = 0;
  for (uint32_t r = 0; r < n_api; ++r) {
    const int64_t id = api.correlation[r];
    if (id < 0 || !is_launch(api.kind[r])) continue;
    const uint32_t o = owner.find(id);
    const uint32_t w = procs[proc_of[r]].call(id);
    const bool own = w == o || ((flags[o] & kShared) && !(flags[o] & kUnresolved));
    const uint32_t belongs = own ? w : o;
    if (r == belongs) continue;
    duplicate[r] = 1;
    ++n_dup;
    n_cross += api.pid[belongs] != api.pid[r];
  }
  return out;
}

}  // namespace infertrace
