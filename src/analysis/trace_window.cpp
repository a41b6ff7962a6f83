#include "analysis/trace_window.h"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "analysis/decode_window_check.h"
#include "trace/api_kind.h"
#include "util/error.h"

namespace infertrace {

namespace {

// Rebuilds a table from the rows `keep` accepts (the tables are columnar; rows are pushed anew).
template <class Table, class Keep>
void filter_rows(Table& t, Keep keep) {
  Table out;
  for (size_t i = 0; i < t.size(); ++i)
    if (keep(i)) out.push(t.row(i));
  t = std::move(out);
}

}  // namespace

void restrict_to_window(Trace& t, const TraceWindow& w) {
  if (w.from > w.to)
    throw UsageError("time window: start " + std::to_string(w.from) + " ns is after its end " + std::to_string(w.to) +
                     " ns");
  auto inside = [&](ns_t ts) { return ts >= w.from && ts <= w.to; };
  const size_t api_before = t.api.size(), gpu_before = t.gpu.size();
  // The trace's CUDA work as the analyses see it: its GPU activities when it has them, else its
  // launch calls (a recording without the GPU side), else any API call. A window that keeps only
  // a synchronisation of a trace with GPU work holds none of it (review DW M3: analysed as "no
  // GPU activity in the trace").
  auto launch_calls = [&] {
    return static_cast<size_t>(std::count_if(t.api.kind.begin(), t.api.kind.end(), is_launch));
  };
  const size_t launches_before = launch_calls();
  auto work_kept = [&] {
    if (gpu_before > 0) return t.gpu.size();
    return launches_before > 0 ? launch_calls() : t.api.size();
  };
  const CudaWorkSpan span = cuda_work_span(t);  // before the cut, for the error below

  std::unordered_set<int64_t> all_ids, kept_ids;
  for (size_t i = 0; i < t.api.size(); ++i) {
    const int64_t id = t.api.correlation[i];
    if (id < 0) continue;
    all_ids.insert(id);
    if (inside(t.api.start[i])) kept_ids.insert(id);
  }
  filter_rows(t.gpu, [&](size_t i) {
    const int64_t id = t.gpu.correlation[i];
    if (id >= 0 && all_ids.count(id)) return kept_ids.count(id) > 0;
    return inside(t.gpu.start[i]);
  });
  filter_rows(t.api, [&](size_t i) { return inside(t.api.start[i]); });
  filter_rows(t.ops, [&](size_t i) { return inside(t.ops.start[i]); });
  filter_rows(t.switches, [&](size_t i) { return inside(t.switches.ts[i]); });
  filter_rows(t.wakeups, [&](size_t i) { return inside(t.wakeups.ts[i]); });
  filter_rows(t.irqs, [&](size_t i) { return inside(t.irqs.ts[i]); });
  filter_rows(t.syscalls, [&](size_t i) { return inside(t.syscalls.ts[i]); });
  // The process tree's records as the other tables: a thread's state at the attach says where it
  // was at that moment, and outside the window it would start an off-CPU interval at a time whose
  // switches were cut away.
  filter_rows(t.tasks, [&](size_t i) { return inside(t.tasks.ts[i]); });
  std::erase_if(t.other_host_starts, [&](ns_t ts) { return !inside(ts); });
  // A window that keeps none of the trace's CUDA work is an error: analyzing the empty rest printed
  // "0 kernels". Outside the span of that work it is another run's window (or a trace on another
  // clock, such as a PyTorch profiler trace); inside it, the recording has a hole there.
  if (api_before + gpu_before > 0 && work_kept() == 0) {
    const bool overlaps = w.from <= span.last && w.to >= span.first;
    std::string kept_only;
    if (t.api.size() > 0)
      kept_only = " (it keeps " + std::to_string(t.api.size()) + (t.api.size() == 1 ? " API call" : " API calls") +
                  (gpu_before > 0 ? " but no GPU activity)" : ", none of them a launch)");
    throw Error("the window " + std::to_string(w.from) + " to " + std::to_string(w.to) + " ns holds none of the trace's " +
                std::to_string(launches_before) + " launch calls and " + std::to_string(gpu_before) +
                " GPU activities" + kept_only + " (the trace's " + std::to_string(api_before) +
                " CUDA API calls and its GPU activities start from " + std::to_string(span.first) + " to " +
                std::to_string(span.last) + " ns): " +
                (overlaps    ? "the window lies inside the recording's span but holds none of its work: the window "
                               "is of another run, or the recording is truncated or lost events there"
                 : w.from > span.last ? "the window is of another run, or the trace is on another clock, or the "
                                        "recording ended before it"
                                      : "the window is of another run, or the trace is on another clock"));
  }
  // A CUDA library probed late left out only the launches made through it before its probe: a
  // window that starts at or after the probe holds them all (review DH L6: still "partial", the
  // rates per 1000 launches "upper bounds").
  drop_late_probes_before(t.launch_coverage, w.from);
  t.meta["window_from_ns"] = std::to_string(w.from);
  t.meta["window_to_ns"] = std::to_string(w.to);
}

}  // namespace infertrace
