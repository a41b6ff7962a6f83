// analyze_host(): the host-side figures of a trace without GPU activity.
//
// Nesting is by time containment on one thread, by the rule torch's key_averages() builds its
// tree with (so the self times agree with torch's table of the same profile): operators per
// thread in order of start, the longer first on a tie, then in file order; an operator's parent
// is the innermost open operator that contains it whole (starts no later, ends no earlier); the
// open operators that do not are closed. Self time = duration minus the direct children's
// durations. A child that overruns its parent (the legacy export rounds to whole microseconds) is
// therefore not the parent's child but its sibling, as in torch; and two rounded children that
// overlap are both subtracted, so one instance can come out a microsecond or so below 0. It is
// summed as it is, as torch does: clamping it made `aten::linear` 21 us (3.5%) larger than
// torch's own table of the same profile.
#include "analysis/host_ops.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "analysis/launch_intervals.h"

namespace infertrace {

namespace {

struct Open {
  uint32_t row;
  ns_t end;
};

}  // namespace

HostAnalysis analyze_host(const Trace& t) {
  HostAnalysis h;
  const OperatorTable& ops = t.ops;
  const size_t n = ops.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    if (ops.pid[x] != ops.pid[y]) return ops.pid[x] < ops.pid[y];
    if (ops.tid[x] != ops.tid[y]) return ops.tid[x] < ops.tid[y];
    if (ops.start[x] != ops.start[y]) return ops.start[x] < ops.start[y];
    return ops.dur[x] > ops.dur[y];
  });

  std::vector<ns_t> self(n);
  for (size_t o = 0; o < n; ++o) self[o] = std::max<ns_t>(ops.dur[o], 0);
  ns_t first_top = 0, last_end = 0;
  bool any = false;
  std::vector<Open> stack;
  size_t i = 0;
  while (i < n) {  // one thread at a time
    const int64_t pid = ops.pid[order[i]], tid = ops.tid[order[i]];
    HostThreadStat th;
    th.pid = pid, th.tid = tid;
    stack.clear();
    ns_t run_start = 0, run_end = 0;  // the union's current run (top-level operators)
    bool in_run = false;
    for (; i < n && ops.pid[order[i]] == pid && ops.tid[order[i]] == tid; ++i) {
      const uint32_t o = order[i];
      const ns_t s = ops.start[o], e = end_of(s, ops.dur[o]);
      while (!stack.empty() && stack.back().end < e) stack.pop_back();
      ++th.operators;
      if (!stack.empty()) {
        self[stack.back().row] -= e - s;
      } else {
        ++h.top_level;
        if (!any || s < first_top) first_top = s;
        if (in_run && s <= run_end) {
          run_end = std::max(run_end, e);
        } else {
          if (in_run) th.active += run_end - run_start;
          run_start = s, run_end = e, in_run = true;
        }
      }
      if (!any || e > last_end) last_end = e;
      any = true;
      stack.push_back({o, e});
    }
    if (in_run) th.active += run_end - run_start;
    h.threads.push_back(th);
  }
  // API calls are host events too (a trace with no GPU activity may still hold some).
  for (size_t r = 0; r < t.api.size(); ++r) {
    const ns_t e = end_of(t.api.start[r], t.api.dur[r]);
    if (any && e > last_end) last_end = e;
  }
  if (any) h.t_begin = first_top, h.t_end = last_end, h.span = last_end - first_top;

  for (HostThreadStat& th : h.threads) {
    th.idle = h.span - th.active;
    for (size_t k = 0; k < t.threads.size(); ++k)
      if (t.threads.pid[k] == th.pid && t.threads.tid[k] == th.tid) th.comm = t.threads.comm[k];
  }
  std::stable_sort(h.threads.begin(), h.threads.end(),
                   [](const HostThreadStat& x, const HostThreadStat& y) { return x.active > y.active; });

  std::vector<int32_t> row_of_name(t.strings.size(), -1);
  for (size_t o = 0; o < n; ++o) {
    int32_t& k = row_of_name[ops.name[o]];
    if (k < 0) {
      k = static_cast<int32_t>(h.operators.size());
      h.operators.push_back(HostOperatorStat{ops.name[o], 0, 0, 0});
    }
    HostOperatorStat& s = h.operators[static_cast<size_t>(k)];
    ++s.count, s.total += std::max<ns_t>(ops.dur[o], 0), s.self += self[o];
    h.self_total += self[o];
  }
  std::sort(h.operators.begin(), h.operators.end(), [&](const HostOperatorStat& x, const HostOperatorStat& y) {
    if (x.self != y.self) return x.self > y.self;
    if (x.total != y.total) return x.total > y.total;
    return t.str(x.name) < t.str(y.name);
  });
  return h;
}

}  // namespace infertrace
