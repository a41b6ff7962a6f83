// The one pass of analyze_launches() over the GPU activity table (src/analysis/launch.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/launch.h"
#include "analysis/launch_id_map.h"

namespace infertrace {

// Per GPU activity, in table order: its call (by `owner`, or `gpu_owner[row]` when not null: the
// calls link_merged_ids chose in a trace of merged processes, launch_merged_ids.h), the call's link (`link_of_call`: a row
// of a.links, or CorrelationMap::kNone for a call that is no launch or a duplicate), where the
// activity adds to first_gpu, activities and gpu_time; the counts, AKD and kernel table; the
// per-stream tallies; the IL window's end; and, clipped to the window, the GPU busy unions overall,
// per device and per stream. Needs a.t_begin; sets a.t_end and inference_latency (when there is
// GPU work). `name_rows` is a scratch row per string id, all -1, and is left so.
void gpu_pass(const Trace& t, const CorrelationMap& owner, const uint32_t* gpu_owner, const std::vector<uint32_t>& link_of_call,
              std::vector<int32_t>& name_rows, LaunchAnalysis& a);

}  // namespace infertrace
