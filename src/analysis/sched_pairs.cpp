#include "analysis/sched_pairs.h"

#include <algorithm>
#include <numeric>

namespace infertrace {

std::unordered_map<int64_t, SwitchOuts> switch_outs_by_thread(const Trace& trace, const TracedScope& scope) {
  const SwitchTable& s = trace.switches;
  std::unordered_map<int64_t, std::vector<std::pair<ns_t, bool>>> raw;
  for (size_t i = 0; i < s.size(); ++i)
    if (scope.prev_in(s, i)) raw[s.prev_tid[i]].push_back({s.ts[i], s.preempted[i] != 0});
  std::unordered_map<int64_t, SwitchOuts> out;
  for (auto& [tid, v] : raw) {
    std::sort(v.begin(), v.end());
    SwitchOuts& o = out[tid];
    o.ts.reserve(v.size());
    o.preempted_before.reserve(v.size() + 1);
    o.preempted_before.push_back(0);
    for (auto& [ts, pre] : v) {
      o.ts.push_back(ts);
      o.preempted_before.push_back(o.preempted_before.back() + (pre ? 1 : 0));
    }
  }
  return out;
}

namespace {

// Number of sorted values in [lo, hi).
size_t count_in(const std::vector<ns_t>& v, ns_t lo, ns_t hi, size_t* first = nullptr) {
  auto a = std::lower_bound(v.begin(), v.end(), lo);
  auto b = std::lower_bound(a, v.end(), hi);
  if (first) *first = static_cast<size_t>(a - v.begin());
  return static_cast<size_t>(b - a);
}

}  // namespace

PairAttribution attribute_pairs(const Trace& trace, const std::vector<ThreadLaunches>& launches,
                                const std::unordered_map<int64_t, SwitchOuts>& outs, const LossSpans& loss,
                                const ThreadLives& lives) {
  // IRQs that interrupted a traced thread, by that thread: a softirq it ran as its own work (a
  // loopback send's receive side) does not make a pair "interrupted".
  std::unordered_map<int64_t, std::vector<ns_t>> irq_ts;
  for (size_t i = 0; i < trace.irqs.size(); ++i)
    if (trace.irqs.interrupting(i)) irq_ts[trace.irqs.tid[i]].push_back(trace.irqs.ts[i]);
  for (auto& [tid, v] : irq_ts) std::sort(v.begin(), v.end());

  static const SwitchOuts kNone{{}, {0}};
  static const std::vector<ns_t> kNoIrq;
  PairAttribution pa;
  for (size_t ti = 0; ti < launches.size(); ++ti) {
    const ThreadLaunches& t = launches[ti];
    auto so = outs.find(t.tid);
    const SwitchOuts& sw = so != outs.end() ? so->second : kNone;
    auto iq = irq_ts.find(t.tid);
    const std::vector<ns_t>& irqs = iq != irq_ts.end() ? iq->second : kNoIrq;
    // The dense index of the thread life of the pairs met so far in this thread's launches.
    uint32_t life_seen = 0, unit = 0;
    bool any = false;
    const auto unit_of = [&](uint32_t life) {
      if (!any || life != life_seen) unit = pa.thread_lives++, life_seen = life, any = true;
      return unit;
    };
    uint32_t life_a = t.ts.empty() ? 0 : lives.life(t.tid, t.ts[0]);
    for (size_t k = 1; k < t.ts.size(); ++k) {
      const ns_t a = t.ts[k - 1], b = t.ts[k];
      const uint32_t life_b = lives.life(t.tid, b), life = life_a;
      life_a = life_b;
      // Two threads that had the same id in turn (analysis/thread_lives.h): not a pair.
      if (life != life_b) {
        ++pa.across_thread_end;
        continue;
      }
      if (!loss.empty() && loss.overlaps(a, b)) {
        ++pa.spanning_loss;
        pa.left_out.emplace_back(a, b);
        pa.left_out_thread_life.push_back(unit_of(life));
        continue;
      }
      size_t first = 0;
      const size_t n_out = count_in(sw.ts, a, b, &first);
      const bool irq = count_in(irqs, a, b) > 0;
      PairGroup g = PairGroup::Clean;
      if (n_out > 0) {
        const int64_t pre = sw.preempted_before[first + n_out] - sw.preempted_before[first];
        g = pre > 0 ? PairGroup::Preempted : PairGroup::Blocked;
      } else if (irq) {
        g = PairGroup::Interrupted;
      }
      pa.d.push_back(b - a);
      pa.group.push_back(g);
      pa.irq.push_back(irq ? 1 : 0);
      pa.thread_life.push_back(unit_of(life));
    }
  }
  return pa;
}

}  // namespace infertrace
