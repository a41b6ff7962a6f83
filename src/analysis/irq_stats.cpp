#include "analysis/irq_stats.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

namespace infertrace {

IrqSummary summarize_irqs(const Trace& trace) {
  const IrqTable& q = trace.irqs;
  IrqSummary s;
  std::vector<ns_t> self(q.dur.begin(), q.dur.end());

  // Rows per CPU, outer handler first when two start together (longer first). A softirq the thread
  // ran as its own work took none of its time away: it is in the nesting (a hard IRQ inside it is
  // not its self time, review RV M1) but in no nested count and not in the stolen union.
  std::vector<uint32_t> order(q.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (q.cpu[a] != q.cpu[b]) return q.cpu[a] < q.cpu[b];
    if (q.ts[a] != q.ts[b]) return q.ts[a] < q.ts[b];
    return q.dur[a] > q.dur[b];
  });
  std::vector<uint32_t> open;  // handlers still running at the current row, innermost last
  int32_t cpu = INT32_MIN;
  ns_t covered_to = INT64_MIN;  // end of the union so far on this CPU
  for (uint32_t r : order) {
    if (q.cpu[r] != cpu) open.clear(), cpu = q.cpu[r], covered_to = INT64_MIN;
    const ns_t start = q.ts[r], end = q.ts[r] + std::max<ns_t>(q.dur[r], 0);
    const bool interrupting = q.interrupting(r);
    while (!open.empty() && q.ts[open.back()] + q.dur[open.back()] <= start) open.pop_back();
    if (!open.empty()) {
      if (interrupting && q.interrupting(open.back())) ++s.nested;
      // Only the part inside the parent is the parent's lost time (a clipped exit stays sane).
      const uint32_t parent = open.back();
      const ns_t inside = std::min(end, q.ts[parent] + q.dur[parent]) - start;
      self[parent] -= inside;
    }
    open.push_back(r);
    if (interrupting && end > covered_to) {
      s.stolen += end - std::max(start, covered_to);
      covered_to = end;
    }
  }

  // By source and number as well as name: a vector and an IRQ of one number are different
  // interrupts, and the name alone merged the two CAL vectors (and two devices of one handler name).
  std::map<std::tuple<IrqKind, bool, int32_t, StrId>, IrqStat> by_id, own_by_id;
  for (size_t i = 0; i < q.size(); ++i) {
    if (!q.interrupting(i)) {
      IrqStat& st = own_by_id[{q.kind[i], false, q.irq[i], q.name[i]}];
      if (st.count == 0) st.kind = q.kind[i], st.name = q.name[i], st.irq = q.irq[i];
      ++st.count;
      st.total += q.dur[i];
      st.self += self[i];
      st.max = std::max(st.max, q.dur[i]);
      ++s.own_count;
      s.own_total += q.dur[i];
      continue;
    }
    const bool vector = q.kind[i] == IrqKind::Hard && q.system_vector[i] != 0;
    IrqStat& st = by_id[{q.kind[i], vector, q.irq[i], q.name[i]}];
    if (st.count == 0) st.kind = q.kind[i], st.system_vector = vector, st.name = q.name[i], st.irq = q.irq[i];
    ++st.count;
    st.total += q.dur[i];
    st.self += self[i];
    st.max = std::max(st.max, q.dur[i]);
    (q.kind[i] == IrqKind::Hard ? s.hard_count : s.soft_count)++;
  }
  for (auto& [key, st] : by_id) (st.kind == IrqKind::Hard ? s.hard : s.soft).push_back(st);
  auto by_total = [](const IrqStat& a, const IrqStat& b) { return a.total > b.total; };
  std::stable_sort(s.hard.begin(), s.hard.end(), by_total);
  std::stable_sort(s.soft.begin(), s.soft.end(), by_total);
  for (auto& [key, st] : own_by_id) s.own.push_back(st);
  std::stable_sort(s.own.begin(), s.own.end(), by_total);
  return s;
}

std::string irq_stat_label(const Trace& trace, const std::vector<IrqStat>& rows, size_t i, const std::string& unnamed) {
  const IrqStat& s = rows[i];
  const std::string_view name = trace.str(s.name);
  if (s.system_vector)
    return (name.empty() ? std::string("vector ") : std::string(name) + " (vector ") + std::to_string(s.irq) + (name.empty() ? "" : ")");
  if (name.empty()) return unnamed;
  const bool shared = std::any_of(rows.begin(), rows.end(), [&](const IrqStat& o) {
    return &o != &s && !o.system_vector && o.name == s.name;
  });
  return shared ? std::string(name) + " (irq " + std::to_string(s.irq) + ")" : std::string(name);
}

bool is_system_vector_name(std::string_view name) {
  static constexpr std::string_view kNames[] = {"LOC", "RES", "CAL", "IWI", "PLT", "TRM", "ERR", "SPU"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

bool irq_system_vectors_marked(const Trace& trace) { return trace.meta.count("irq.system_vectors") != 0; }

}  // namespace infertrace
