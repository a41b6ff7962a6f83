// The launching thread's host union (docs/metrics.md "Host active"): the union of its operators and
// API calls, and the union of its sync calls, clipped to the IL window [lo, hi). Shared by
// host_activity (launch.cpp: every operator) and host_annotations.cpp (the same without annotation
// ranges), so the fast merge below is written once.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "analysis/launch_intervals.h"
#include "trace/trace.h"

namespace infertrace {

struct HostUnion {
  ns_t active = 0;  // union of operators and API calls (sync calls included)
  ns_t sync = 0;    // union of sync calls
};

// When the thread's operators, and its API calls, each come in order of start time (how readers
// keep them), they are merged on the fly into the union accumulators (a union only needs its
// intervals in order of start; WindowUnion clips each run to the window as it closes).
// Materialising, sorting and merging the interval vectors instead was ~6% of `analyze` on a 1 GB
// trace, most of it page faults of fresh memory. The order is checked during the same pass (a
// separate pass read the pid, tid and start columns once more); returns false, having set
// nothing, at the first row out of order. Operators for which skip_op(row) is true are left out
// (a lambda returning false costs nothing: it is inlined away).
//
// The columns are read through raw pointers held in locals: through the tables' vectors GCC
// reloaded each vector's data pointer and size after every accumulator update (it cannot rule out
// aliasing), about half of this loop's instructions.
template <class SkipOp>
bool host_union_in_order(const Trace& t, int64_t pid, int64_t tid, ns_t lo, ns_t hi, SkipOp skip_op, HostUnion& out) {
  if (hi <= lo) {  // as union_length: an empty window has no activity, whatever the order
    out = HostUnion{};
    return true;
  }
  const size_t n_ops = t.ops.size(), n_api = t.api.size();
  const int64_t *op_pid = t.ops.pid.data(), *op_tid = t.ops.tid.data();
  const ns_t *op_start = t.ops.start.data(), *op_dur = t.ops.dur.data();
  const int64_t *api_pid = t.api.pid.data(), *api_tid = t.api.tid.data();
  const ns_t *api_start = t.api.start.data(), *api_dur = t.api.dur.data();
  const ApiKind* api_kind = t.api.kind.data();
  auto next_api = [&](size_t r) {
    while (r < n_api && (api_pid[r] != pid || api_tid[r] != tid)) ++r;
    return r;
  };
  WindowUnion active(lo, hi), sync(lo, hi);
  ns_t last_op = std::numeric_limits<ns_t>::min(), last_api = std::numeric_limits<ns_t>::min();
  size_t o = 0, r = next_api(0);
  // The merge: the thread's operators up to its next API call (ties go to the operator), then that
  // call. The next call's start waits in a register (INT64_MAX once there is none, which lets every
  // remaining operator through), so an operator costs one compare, not a two-table test; and one
  // loop both skips other threads' operators and takes the thread's (a skip loop of its own and
  // the loop around it were 18 instructions an operator).
  for (;;) {
    const ns_t next_call = r < n_api ? api_start[r] : std::numeric_limits<ns_t>::max();
    for (; o < n_ops; ++o) {
      if (op_pid[o] != pid || op_tid[o] != tid || skip_op(o)) continue;
      const ns_t start = op_start[o];
      if (start > next_call) break;  // (this operator is looked at again after the call)
      if (start < last_op) return false;
      last_op = start;
      active.add(start, end_of(start, op_dur[o]));
    }
    if (r == n_api) break;  // (and every operator is done: none was left behind the sentinel)
    const ns_t start = api_start[r];
    if (start < last_api) return false;
    last_api = start;
    const ns_t end = end_of(start, api_dur[r]);
    active.add(start, end);
    if (api_kind[r] == ApiKind::Sync) sync.add(start, end);
    r = next_api(r + 1);
  }
  out.active = active.total(), out.sync = sync.total();
  return true;
}

// The same union for rows in any order: gathered, each list sorted only if needed, then merged.
template <class SkipOp>
HostUnion host_union_any_order(const Trace& t, int64_t pid, int64_t tid, ns_t lo, ns_t hi, SkipOp skip_op) {
  std::vector<Interval> op_iv, api_iv, sync;
  // Reserved for every row: growing by doubling copies and page-faults each new block; capacity
  // never written costs address space only.
  op_iv.reserve(t.ops.size());
  api_iv.reserve(t.api.size());
  for (size_t o = 0; o < t.ops.size(); ++o)
    if (t.ops.pid[o] == pid && t.ops.tid[o] == tid && !skip_op(o))
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
  HostUnion u;
  u.sync = union_length(sync, lo, hi);
  u.active = union_length(active, lo, hi);
  return u;
}

// host_union_in_order, else host_union_any_order.
template <class SkipOp>
HostUnion host_union(const Trace& t, int64_t pid, int64_t tid, ns_t lo, ns_t hi, SkipOp skip_op) {
  HostUnion u;
  if (host_union_in_order(t, pid, tid, lo, hi, skip_op, u)) return u;
  return host_union_any_order(t, pid, tid, lo, hi, skip_op);
}

}  // namespace infertrace
