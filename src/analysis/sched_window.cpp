#include "analysis/sched_window.h"

#include <algorithm>

#include "util/plural.h"
#include "util/units.h"

namespace infertrace {

std::string uncertain_window_text(int64_t lost_outside) {
  return "neither bound: " +
         (lost_outside > 0 ? format_count(lost_outside) + plural(lost_outside, " launch record", " launch records") +
                                 " lost in loss windows reaching beyond its first or last recorded launch"
                           : std::string("launch records lost at unknown times (recorder loss)")) +
         " may lie outside it, so it may be shorter than the run's launches and count fewer switches and IRQs";
}

LaunchWindowRates launch_window_rates(const Trace& trace, const TracedScope& scope,
                                      const std::vector<ThreadLaunches>& launches) {
  LaunchWindowRates w;
  int64_t n = 0;
  ns_t first = INT64_MAX, last = INT64_MIN;
  for (const ThreadLaunches& t : launches) {
    if (t.ts.empty()) continue;
    n += static_cast<int64_t>(t.ts.size());
    first = std::min(first, t.ts.front()), last = std::max(last, t.ts.back());  // ts ascending per thread
  }
  if (n < 2 || last <= first) return w;
  w.defined = true, w.begin = first, w.end = last, w.wall = last - first;
  const auto inside = [&](ns_t ts) { return ts >= first && ts <= last; };
  const SwitchTable& s = trace.switches;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!inside(s.ts[i]) || !scope.prev_in(s, i)) continue;
    ++w.switch_outs;
    (s.preempted[i] ? w.preemptions : w.blocks)++;
  }
  for (size_t i = 0; i < trace.irqs.size(); ++i)
    if (inside(trace.irqs.ts[i]) && trace.irqs.interrupting(i)) (trace.irqs.kind[i] == IrqKind::Hard ? w.irqs_hard : w.irqs_soft)++;
  const auto per_1k = [&](int64_t k) { return 1000.0 * static_cast<double>(k) / static_cast<double>(n); };
  w.sched_per_1k = per_1k(w.switch_outs);
  w.irq_per_1k_hard = per_1k(w.irqs_hard), w.irq_per_1k_soft = per_1k(w.irqs_soft);
  return w;
}

}  // namespace infertrace
