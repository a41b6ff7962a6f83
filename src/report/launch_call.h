// Which API call the exports name as the launch of a GPU activity, one rule for gpu.csv's
// launch_ts_ns/launch_tid, the Chrome and Perfetto flow arrows and the HTML timeline's launch
// lines (html_timeline.cpp), so that the four agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "trace/trace.h"

namespace infertrace {

// Correlation id -> the API row of its first launch-kind call (is_launch), else of its first call.
// Several rows share a correlation when a runtime call made a driver call (CUPTI gives both the
// id): a synchronous cudaMemcpy (kind Other) and the cuMemcpyHtoDAsync it made name one copy, and
// the arrow belongs to the call that queued it. A correlation with no launch-kind call still names
// the call that carries it. Negative ids (-1: none) name nothing.
inline std::unordered_map<int64_t, size_t> launch_call_of_correlation(const Trace& t) {
  std::unordered_map<int64_t, size_t> of;
  for (size_t i = 0; i < t.api.size(); ++i) {
    const int64_t c = t.api.correlation[i];
    if (c < 0) continue;
    auto [it, fresh] = of.emplace(c, i);
    if (!fresh && !is_launch(t.api.kind[it->second]) && is_launch(t.api.kind[i])) it->second = i;
  }
  return of;
}

}  // namespace infertrace
