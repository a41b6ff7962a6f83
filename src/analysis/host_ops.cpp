// nest_operators() and analyze_host().
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
#include <cstddef>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <utility>

#include "analysis/host_annotations.h"
#include "analysis/launch_intervals.h"
#include "trace/thread_key.h"

namespace infertrace {

namespace {

struct Open {
  int32_t group;
  // Framework operators (not user annotations) open, this one included: an operator is outermost
  // (OperatorNesting::top_level_by_group) when none is open around it, annotations aside.
  int32_t operators;
  ns_t end;
};

// One thread's walk through its operators in nesting order.
struct ThreadWalk {
  HostThreadStat stat;
  std::vector<Open> open;  // the operators that contain what comes next, innermost last
  ns_t run_start = 0, run_end = 0;  // the union's current run (top-level operators)
  bool in_run = false;
  ns_t last_start = 0, last_dur = 0;  // the previous operator (nest_in_file_order's check)
  bool started = false;

  // The next operator of the thread, in order of start (the longer first on a tie): the sorting
  // path's step (nest_in_file_order has the same in its loop, on locals).
  void step(ns_t s, ns_t dur, int32_t group, bool annotation, OperatorNesting& r) {
    const ns_t end = end_of(s, dur);
    // torch's rule (_populate_cpu_children): what ends after an open operator, or starts at or
    // after its end (a zero-length event at its end), is not inside it.
    while (!open.empty() && (open.back().end < end || open.back().end <= s)) open.pop_back();
    ++stat.operators;
    r.self[static_cast<size_t>(group)] += std::max<ns_t>(dur, 0);
    if (!open.empty()) {
      r.self[static_cast<size_t>(open.back().group)] -= end - s;
    } else {
      ++r.top_level;
      if (!r.any || s < r.first_top) r.first_top = s;
      if (in_run && s <= run_end) {
        run_end = std::max(run_end, end);
      } else {
        if (in_run) stat.active += run_end - run_start;
        run_start = s, run_end = end, in_run = true;
      }
    }
    if (!r.any || end > r.last_end) r.last_end = end;
    r.any = true;
    const int32_t around = open.empty() ? 0 : open.back().operators;
    if (!annotation && around == 0) ++r.top_level_by_group[static_cast<size_t>(group)];
    open.push_back({group, around + !annotation, end});
  }
  void finish() {
    if (in_run) stat.active += run_end - run_start;
    in_run = false;
  }
};

// The order the nesting needs within a thread: by start, the longer first on a tie, then file order.
bool comes_before(ns_t start_x, ns_t dur_x, ns_t start_y, ns_t dur_y) {
  return start_x != start_y ? start_x < start_y : dur_x > dur_y;
}

// Readers keep each thread's operators in that order (every trace this project has seen): one pass
// in file order, a walk per thread, no per-row array. Returns false at the first operator out of
// order, and the caller starts again on the sorting path.
//
// The current thread's walk lives in locals and the columns are read through raw pointers: held
// in the structs, every figure is an int64 like the self-time array written each row, so GCC
// reloaded them all after each write (docs/benchmarks.md, "Operators by self time for every
// trace": the pass is ~93 instructions an operator as it is).
bool nest_in_file_order(const Trace& t, const int32_t* group_of_name, const uint8_t* step_group, OperatorNesting& r) {
  const OperatorTable& ops = t.ops;
  const size_t n = ops.size();
  const int64_t *pid_col = ops.pid.data(), *tid_col = ops.tid.data();
  const ns_t *start_col = ops.start.data(), *dur_col = ops.dur.data();
  const StrId* name_col = ops.name.data();
  const uint8_t* annotation_col = ops.user_annotation.data();
  ns_t* self = r.self.data();
  int64_t* top_by_group = r.top_level_by_group.data();
  std::unordered_map<ThreadKey, size_t, ThreadKeyHash> index;
  std::vector<ThreadWalk> walks;
  int64_t top_level = 0;
  ns_t first_top = INT64_MAX, last_end = INT64_MIN;
  // The current thread's walk (walks[cur] holds it only while another thread's runs).
  size_t cur = SIZE_MAX;
  ThreadKey key{0, 0};
  std::vector<Open> open;
  int64_t operators = 0;
  ns_t active = 0, run_start = 0, run_end = 0, prev_start = 0, prev_dur = 0;
  bool in_run = false, started = false;
  const auto park = [&] {
    ThreadWalk& w = walks[cur];
    w.open.swap(open);
    w.stat.operators = operators, w.stat.active = active, w.run_start = run_start, w.run_end = run_end;
    w.in_run = in_run, w.last_start = prev_start, w.last_dur = prev_dur, w.started = started;
  };
  for (size_t o = 0; o < n; ++o) {
    const ThreadKey k{pid_col[o], tid_col[o]};
    if (cur == SIZE_MAX || !(k == key)) [[unlikely]] {
      if (cur != SIZE_MAX) park();
      auto [it, added] = index.try_emplace(k, walks.size());
      if (added) walks.emplace_back().stat.pid = k.pid, walks.back().stat.tid = k.tid;
      cur = it->second, key = k;
      ThreadWalk& w = walks[cur];
      open.swap(w.open);
      operators = w.stat.operators, active = w.stat.active, run_start = w.run_start, run_end = w.run_end;
      in_run = w.in_run, prev_start = w.last_start, prev_dur = w.last_dur, started = w.started;
    }
    const ns_t s = start_col[o], d = dur_col[o];
    if (started && comes_before(s, d, prev_start, prev_dur)) return false;
    started = true, prev_start = s, prev_dur = d;
    const ns_t end = end_of(s, d);
    const int32_t group = group_of_name[name_col[o]];
    while (!open.empty() && (open.back().end < end || open.back().end <= s)) open.pop_back();  // (as step())
    ++operators;
    self[group] += std::max<ns_t>(d, 0);
    if (!open.empty()) {
      self[open.back().group] -= end - s;
    } else {
      ++top_level;
      first_top = std::min(first_top, s);
      if (in_run && s <= run_end) {
        run_end = std::max(run_end, end);
      } else {
        if (in_run) active += run_end - run_start;
        run_start = s, run_end = end, in_run = true;
      }
    }
    last_end = std::max(last_end, end);
    const int32_t around = open.empty() ? 0 : open.back().operators;
    const bool annotation = annotation_col[o] != 0 || step_group[group] != 0;
    if (!annotation && around == 0) ++top_by_group[group];
    open.push_back({group, around + !annotation, end});
  }
  if (cur != SIZE_MAX) park();
  r.top_level = top_level;
  r.any = n > 0;
  if (r.any) r.first_top = first_top, r.last_end = last_end;
  std::sort(walks.begin(), walks.end(), [](const ThreadWalk& x, const ThreadWalk& y) {
    return x.stat.pid != y.stat.pid ? x.stat.pid < y.stat.pid : x.stat.tid < y.stat.tid;
  });
  for (ThreadWalk& x : walks) x.finish(), r.threads.push_back(x.stat);
  return true;
}

// Operators out of order on some thread: each thread's rows (threads in (pid, tid) order, rows in
// file order: a counting sort) sorted into nesting order, then walked.
void nest_sorted(const Trace& t, const int32_t* group_of_name, const uint8_t* step_group, OperatorNesting& r) {
  const OperatorTable& ops = t.ops;
  const size_t n = ops.size();
  std::unordered_map<ThreadKey, uint32_t, ThreadKeyHash> index;
  std::vector<ThreadKey> keys;
  std::vector<uint32_t> thread_of(n);
  for (size_t o = 0; o < n; ++o) {
    auto [it, added] = index.try_emplace(ThreadKey{ops.pid[o], ops.tid[o]}, static_cast<uint32_t>(keys.size()));
    if (added) keys.push_back(it->first);
    thread_of[o] = it->second;
  }
  std::vector<uint32_t> by_key(keys.size());
  for (uint32_t k = 0; k < by_key.size(); ++k) by_key[k] = k;
  std::sort(by_key.begin(), by_key.end(), [&](uint32_t x, uint32_t y) {
    return keys[x].pid != keys[y].pid ? keys[x].pid < keys[y].pid : keys[x].tid < keys[y].tid;
  });
  std::vector<uint32_t> rank(keys.size());
  for (uint32_t k = 0; k < by_key.size(); ++k) rank[by_key[k]] = k;
  std::vector<size_t> first(keys.size() + 1, 0);
  for (size_t o = 0; o < n; ++o) ++first[rank[thread_of[o]] + 1];
  for (size_t k = 1; k < first.size(); ++k) first[k] += first[k - 1];
  std::vector<size_t> at(first.begin(), first.end() - 1);
  std::vector<uint32_t> order(n);
  for (size_t o = 0; o < n; ++o) order[at[rank[thread_of[o]]]++] = static_cast<uint32_t>(o);
  for (size_t k = 0; k < keys.size(); ++k) {
    const auto b = order.begin() + static_cast<std::ptrdiff_t>(first[k]);
    const auto e = order.begin() + static_cast<std::ptrdiff_t>(first[k + 1]);
    // (Stable: file order among equal starts and durations.)
    std::stable_sort(b, e, [&](uint32_t x, uint32_t y) { return comes_before(ops.start[x], ops.dur[x], ops.start[y], ops.dur[y]); });
    ThreadWalk w;
    w.stat.pid = keys[by_key[k]].pid, w.stat.tid = keys[by_key[k]].tid;
    for (auto i = b; i != e; ++i) {
      const int32_t group = group_of_name[ops.name[*i]];
      w.step(ops.start[*i], ops.dur[*i], group, ops.user_annotation[*i] != 0 || step_group[group] != 0, r);
    }
    w.finish();
    r.threads.push_back(w.stat);
  }
}

}  // namespace

OperatorNesting nest_operators(const Trace& t, const std::vector<int32_t>& group_of_name, size_t groups) {
  OperatorNesting r;
  r.self.assign(groups, 0);
  r.top_level_by_group.assign(groups, 0);
  // Groups of ProfilerStep#N names: annotations for top_level_by_group even where an old trace
  // writes them as operators (analysis/host_annotations.h).
  std::vector<uint8_t> step_group(groups, 0);
  for (size_t id = 0; id < group_of_name.size() && id < t.strings.size(); ++id)
    if (group_of_name[id] >= 0 && is_profiler_step(t.strings.view(static_cast<StrId>(id))))
      step_group[static_cast<size_t>(group_of_name[id])] = 1;
  if (nest_in_file_order(t, group_of_name.data(), step_group.data(), r)) return r;
  r = OperatorNesting{};
  r.self.assign(groups, 0);
  r.top_level_by_group.assign(groups, 0);
  nest_sorted(t, group_of_name.data(), step_group.data(), r);
  return r;
}

HostAnalysis analyze_host(const Trace& t, const OperatorNesting& nesting) {
  HostAnalysis h;
  ns_t last_end = nesting.last_end;
  // API calls are host events too (a trace with no GPU activity may still hold some).
  for (size_t r = 0; r < t.api.size(); ++r) {
    const ns_t e = end_of(t.api.start[r], t.api.dur[r]);
    if (nesting.any && e > last_end) last_end = e;
  }
  if (nesting.any) h.t_begin = nesting.first_top, h.t_end = last_end, h.span = sat_sub(last_end, nesting.first_top);  // beyond int64: refused by analyze_launches
  h.threads = nesting.threads;
  // Names by (pid, tid) through a map: a trace can hold hundreds of thousands of threads.
  std::unordered_map<ThreadKey, StrId, ThreadKeyHash> comm_of;
  comm_of.reserve(t.threads.size());
  for (size_t k = 0; k < t.threads.size(); ++k) comm_of[ThreadKey{t.threads.pid[k], t.threads.tid[k]}] = t.threads.comm[k];
  for (HostThreadStat& th : h.threads) {
    th.idle = h.span - th.active;
    if (auto it = comm_of.find(ThreadKey{th.pid, th.tid}); it != comm_of.end()) th.comm = it->second;
  }
  std::stable_sort(h.threads.begin(), h.threads.end(),
                   [](const HostThreadStat& x, const HostThreadStat& y) { return x.active > y.active; });
  return h;
}

}  // namespace infertrace
