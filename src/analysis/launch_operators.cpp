#include "analysis/launch_operators.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "analysis/launch_id_map.h"
#include "analysis/launch_intervals.h"

namespace infertrace {

namespace {

// The operators and the not-yet-attributed calls of one thread.
struct ThreadWork {
  std::vector<uint32_t> ops, calls;  // operator rows; indices into `links`
};

// Sorts only when needed: readers usually keep each thread's events in time order already.
template <class Less>
void sort_if_needed(std::vector<uint32_t>& v, Less less) {
  if (!std::is_sorted(v.begin(), v.end(), less)) std::sort(v.begin(), v.end(), less);
}

// Of two operators with one id (an annotation and the op inside it), whether `o` is the inner one:
// the later-starting, or the shorter when they start together.
bool inner_of(const OperatorTable& ops, uint32_t o, uint32_t prev) {
  return ops.start[o] > ops.start[prev] || (ops.start[o] == ops.start[prev] && ops.dur[o] < ops.dur[prev]);
}

void by_external_id(const Trace& t, std::vector<LaunchLink>& links, OperatorAttribution& out) {
  const OperatorTable& ops = t.ops;
  // Distinct ids in order (Kineto's operators): each id's only operator is its own row.
  CorrelationMap ext(ops.external_id, CorrelationMap::SelfRows::IfDistinctAscending);
  for (uint32_t o = 0; !ext.self_rows() && o < ops.size(); ++o) {
    const int64_t id = ops.external_id[o];
    if (id < 0) continue;
    const uint32_t prev = ext.find(id);
    if (prev == CorrelationMap::kNone || inner_of(ops, o, prev)) ext.set(id, o);
  }
  // External ids are numbered per process like correlation ids: in a trace that merges ranks, the
  // id's operator found above may be another process's. Such a call looks its id up among its own
  // process's operators, in a map by (process, id) built the first time one is met (never for a
  // trace of one process; review S44 M2: a rank whose operators started earlier lost them all).
  std::map<std::pair<int64_t, int64_t>, uint32_t> by_process;
  bool by_process_built = false;
  for (LaunchLink& l : links) {
    const int64_t id = t.api.external_id[l.api];
    uint32_t o = ext.find(id);
    if (o != CorrelationMap::kNone && ops.pid[o] != t.api.pid[l.api]) [[unlikely]] {
      if (!by_process_built) {
        for (uint32_t k = 0; k < ops.size(); ++k) {
          if (ops.external_id[k] < 0) continue;
          auto [it, added] = by_process.try_emplace({ops.pid[k], ops.external_id[k]}, k);
          if (!added && inner_of(ops, k, it->second)) it->second = k;
        }
        by_process_built = true;
      }
      const auto it = by_process.find({t.api.pid[l.api], id});
      o = it == by_process.end() ? CorrelationMap::kNone : it->second;
    }
    if (o != CorrelationMap::kNone) {
      l.op = static_cast<int32_t>(o);
      ++out.by_external_id;
    }
  }
}

void by_containment(const Trace& t, std::vector<LaunchLink>& links, OperatorAttribution& out) {
  const OperatorTable& ops = t.ops;
  const ApiCallTable& api = t.api;
  std::map<std::pair<int64_t, int64_t>, ThreadWork> threads;
  size_t pending = 0;
  for (uint32_t i = 0; i < links.size(); ++i) {
    if (links[i].op >= 0) continue;
    threads[{api.pid[links[i].api], api.tid[links[i].api]}].calls.push_back(i);
    ++pending;
  }
  if (pending == 0) return;
  ThreadWork* last = nullptr;  // operators come in long runs of one thread: skip most map lookups
  std::pair<int64_t, int64_t> last_key{-2, -2};
  for (uint32_t o = 0; o < ops.size(); ++o) {
    const std::pair<int64_t, int64_t> key{ops.pid[o], ops.tid[o]};
    if (key != last_key) {
      auto it = threads.find(key);
      last = it == threads.end() ? nullptr : &it->second;
      last_key = key;
    }
    if (last) last->ops.push_back(o);
  }
  auto op_end = [&](uint32_t o) { return end_of(ops.start[o], ops.dur[o]); };
  for (auto& [key, w] : threads) {
    // Outer operators first among equal starts, so the inner one ends up on top of the stack.
    sort_if_needed(w.ops, [&](uint32_t x, uint32_t y) {
      return std::tie(ops.start[x], ops.dur[y], x) < std::tie(ops.start[y], ops.dur[x], y);
    });
    sort_if_needed(w.calls, [&](uint32_t x, uint32_t y) {
      return std::tie(api.start[links[x].api], x) < std::tie(api.start[links[y].api], y);
    });
    std::vector<uint32_t> open;  // operators that started and may still contain what comes next
    size_t next_op = 0;
    for (uint32_t i : w.calls) {
      const ns_t at = api.start[links[i].api];
      // Open every operator starting at or before the call (an operator starting together with
      // the call encloses it). Popping only ended tops is enough: the top is always the
      // latest-starting open operator.
      for (; next_op < w.ops.size() && ops.start[w.ops[next_op]] <= at; ++next_op) {
        const uint32_t o = w.ops[next_op];
        while (!open.empty() && op_end(open.back()) <= ops.start[o]) open.pop_back();
        open.push_back(o);
      }
      while (!open.empty() && op_end(open.back()) <= at) open.pop_back();
      if (!open.empty()) {
        links[i].op = static_cast<int32_t>(open.back());
        ++out.by_containment;
      }
    }
  }
}

}  // namespace

OperatorAttribution attribute_to_operators(const Trace& t, std::vector<LaunchLink>& links) {
  OperatorAttribution out;
  if (t.ops.size() == 0) {
    out.unattributed = static_cast<int64_t>(links.size());
    return out;
  }
  by_external_id(t, links, out);
  by_containment(t, links, out);
  out.unattributed = static_cast<int64_t>(links.size()) - out.by_external_id - out.by_containment;
  return out;
}

}  // namespace infertrace
