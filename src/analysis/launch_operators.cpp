#include "analysis/launch_operators.h"

#include <algorithm>
#include <tuple>

#include "analysis/launch_id_map.h"

namespace infertrace {

namespace {

// One entry of the per-thread sweep: an operator opening, or a launch call asking "who encloses me".
struct SweepItem {
  int64_t pid, tid;
  ns_t start;
  uint8_t is_call;  // operators sort before calls starting at the same instant (they enclose them)
  ns_t neg_dur;     // longer (outer) operators first among equal starts
  uint32_t row;     // operator row, or index into `calls`
};

void by_external_id(const Trace& t, const std::vector<uint32_t>& calls, OperatorAttribution& out) {
  const OperatorTable& ops = t.ops;
  CorrelationMap ext(ops.external_id);
  for (uint32_t o = 0; o < ops.size(); ++o) {
    const int64_t id = ops.external_id[o];
    if (id < 0) continue;
    const uint32_t prev = ext.find(id);
    // Two operators with one id (an annotation and the op inside it): the inner one is the
    // later-starting, or the shorter when they start together.
    if (prev == CorrelationMap::kNone || ops.start[o] > ops.start[prev] ||
        (ops.start[o] == ops.start[prev] && ops.dur[o] < ops.dur[prev]))
      ext.set(id, o);
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    const uint32_t o = ext.find(t.api.external_id[calls[i]]);
    if (o != CorrelationMap::kNone) {
      out.op_of_call[i] = o;
      ++out.by_external_id;
    }
  }
}

void by_containment(const Trace& t, const std::vector<uint32_t>& calls, OperatorAttribution& out) {
  const OperatorTable& ops = t.ops;
  std::vector<SweepItem> items;
  items.reserve(ops.size() + calls.size());
  for (uint32_t o = 0; o < ops.size(); ++o)
    items.push_back({ops.pid[o], ops.tid[o], ops.start[o], 0, -ops.dur[o], o});
  size_t pending = 0;
  for (uint32_t i = 0; i < calls.size(); ++i) {
    if (out.op_of_call[i] >= 0) continue;
    const uint32_t r = calls[i];
    items.push_back({t.api.pid[r], t.api.tid[r], t.api.start[r], 1, 0, i});
    ++pending;
  }
  if (pending == 0) return;
  std::sort(items.begin(), items.end(), [](const SweepItem& a, const SweepItem& b) {
    return std::tie(a.pid, a.tid, a.start, a.is_call, a.neg_dur, a.row) <
           std::tie(b.pid, b.tid, b.start, b.is_call, b.neg_dur, b.row);
  });
  std::vector<uint32_t> open;  // operators that started and may still contain what comes next
  auto end_of = [&](uint32_t o) { return ops.start[o] + std::max<ns_t>(ops.dur[o], 0); };
  for (size_t k = 0; k < items.size(); ++k) {
    const SweepItem& it = items[k];
    if (k > 0 && (it.pid != items[k - 1].pid || it.tid != items[k - 1].tid)) open.clear();
    // Operators that ended at or before this instant contain nothing from here on. Lazily popping
    // only the top is enough: the top is always the latest-starting open operator.
    while (!open.empty() && end_of(open.back()) <= it.start) open.pop_back();
    if (!it.is_call) {
      open.push_back(it.row);
    } else if (!open.empty()) {
      out.op_of_call[it.row] = open.back();
      ++out.by_containment;
    }
  }
}

}  // namespace

OperatorAttribution attribute_to_operators(const Trace& t, const std::vector<uint32_t>& calls) {
  OperatorAttribution out;
  out.op_of_call.assign(calls.size(), -1);
  if (t.ops.size() == 0) {
    out.unattributed = static_cast<int64_t>(calls.size());
    return out;
  }
  by_external_id(t, calls, out);
  by_containment(t, calls, out);
  out.unattributed = static_cast<int64_t>(calls.size()) - out.by_external_id - out.by_containment;
  return out;
}

}  // namespace infertrace
