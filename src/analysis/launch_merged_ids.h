// Correlation ids shared by several processes: a trace merging per-rank traces (one process per
// rank, each launching on its own GPU) repeats each rank's ids (docs/analyze.md, "Merged
// processes"). Kineto's GPU rows carry their device but no process, so a repeated id's GPU work is
// given to the call of the process that launches on the activity's device, learned from the ids
// only one process uses. Runs only when map_correlations() met an id shared across processes: the
// usual single-process trace pays nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/launch_id_map.h"
#include "trace/trace.h"

namespace infertrace {

struct MergedIdLinks {
  // Per GPU row: the API row that owns it (CorrelationMap::kNone: none), for gpu_pass() to use
  // instead of the map.
  std::vector<uint32_t> gpu_owner;
  // GPU activities whose id calls of several processes share: linked to the one process known to
  // launch on their device, or (unresolved: no process, or more than one, known on that device, or a
  // process sharing the id with no evidence of its devices) to the id's first-starting call as before.
  int64_t by_device = 0, unresolved = 0;
};

// `owner` is the id -> first-starting call map (map_correlations in launch.cpp). Recomputes
// `duplicate` (per API row), `n_dup` and `n_cross`: each process's first call of a shared id is its
// own logical launch, not a duplicate, unless some GPU activity of that id stayed unresolved (then
// today's rule holds for that id: the other processes' calls are duplicates of the first call, and
// counted in n_cross). A process's second call of an id (a runtime call and the driver call it made)
// stays a duplicate of its first.
MergedIdLinks link_merged_ids(const ApiCallTable& api, const GpuActivityTable& gpu, const CorrelationMap& owner,
                              std::vector<uint8_t>& duplicate, int64_t& n_dup, int64_t& n_cross);

}  // namespace infertrace
