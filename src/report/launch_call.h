// Which API call the exports name as the launch of a GPU activity, one rule for gpu.csv's
// launch_ts_ns/launch_tid, the Chrome and Perfetto flow arrows and the HTML timeline's launch
// lines (html_timeline.cpp), so that the four agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "trace/trace.h"

namespace infertrace {

// Correlation id -> the API row of its earliest-starting launch-kind call (is_launch), else of its
// earliest-starting call: the analysis's rule (analysis/launch.cpp map_correlations), so that the
// exports name the call the analysis measured (review RT L1: a Kineto file listing the driver call
// before the runtime call that made it had the arrows start at the driver call). Several rows share
// a correlation when a runtime call made a driver call (CUPTI gives both the id): a synchronous
// cudaMemcpy (kind Other) and the cuMemcpyHtoDAsync it made name one copy, and the arrow belongs to
// the call that queued it. A correlation with no launch-kind call still names the call that
// carries it. Equal starts: the first row. Negative ids (-1: none) name nothing.
inline std::unordered_map<int64_t, size_t> launch_call_of_correlation(const Trace& t) {
  std::unordered_map<int64_t, size_t> of;
  for (size_t i = 0; i < t.api.size(); ++i) {
    const int64_t c = t.api.correlation[i];
    if (c < 0) continue;
    auto [it, fresh] = of.emplace(c, i);
    if (fresh) continue;
    const size_t prev = it->second;
    const bool launch = is_launch(t.api.kind[i]), prev_launch = is_launch(t.api.kind[prev]);
    if ((launch && !prev_launch) || (launch == prev_launch && t.api.start[i] < t.api.start[prev])) it->second = i;
  }
  return of;
}

}  // namespace infertrace
