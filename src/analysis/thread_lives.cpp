#include "analysis/thread_lives.h"

#include <algorithm>

namespace infertrace {

ThreadLives::ThreadLives(const Trace& trace) {
  const SwitchTable& s = trace.switches;
  for (size_t i = 0; i < s.size(); ++i)
    if (s.prev_tid[i] > 0 && (s.prev_state[i] & kTaskDead) != 0) by_tid_[s.prev_tid[i]].at.push_back(s.ts[i]);
  if (by_tid_.empty()) return;
  for (auto& [tid, d] : by_tid_) {
    std::sort(d.at.begin(), d.at.end());
    d.at.erase(std::unique(d.at.begin(), d.at.end()), d.at.end());
    d.life_traced.assign(d.at.size(), 0);
  }
  // Events only a traced thread gets: each marks the life it falls in as traced.
  const auto seen = [&](int64_t tid, ns_t ts) {
    const auto it = by_tid_.find(tid);
    if (it == by_tid_.end()) return;
    const uint32_t k = life(tid, ts);
    if (k > 0) it->second.life_traced[k - 1] = 1;
  };
  for (size_t i = 0; i < trace.api.size(); ++i) seen(trace.api.tid[i], trace.api.start[i]);
  for (size_t i = 0; i < trace.syscalls.size(); ++i) seen(trace.syscalls.tid[i], trace.syscalls.ts[i]);
  for (size_t i = 0; i < trace.irqs.size(); ++i) seen(trace.irqs.tid[i], trace.irqs.ts[i]);
  for (size_t i = 0; i < trace.wakeups.size(); ++i) seen(trace.wakeups.tid[i], trace.wakeups.ts[i]);
  // An id is reused when anything of it comes after a death: a switch of either side, or one of
  // the events above (one pass: a recording can hold millions of switches and many exits).
  std::unordered_map<int64_t, bool> reused;
  for (auto& [tid, d] : by_tid_)
    reused[tid] = std::any_of(d.life_traced.begin(), d.life_traced.end(), [](uint8_t t) { return t != 0; });
  const auto after_death = [&](int64_t tid, ns_t ts) {
    const auto it = by_tid_.find(tid);
    if (it != by_tid_.end() && ts > it->second.at.front()) reused[tid] = true;
  };
  for (size_t i = 0; i < s.size(); ++i) after_death(s.prev_tid[i], s.ts[i]), after_death(s.next_tid[i], s.ts[i]);
  for (const auto& [tid, r] : reused) ids_reused_ += r ? 1 : 0;
}

uint32_t ThreadLives::life(int64_t tid, ns_t ts) const {
  const auto it = by_tid_.find(tid);
  if (it == by_tid_.end()) return 0;
  // Deaths strictly before ts: the final switch-out itself belongs to the life it ends.
  return static_cast<uint32_t>(std::lower_bound(it->second.at.begin(), it->second.at.end(), ts) - it->second.at.begin());
}

bool ThreadLives::traced(int64_t tid, ns_t ts) const {
  const auto it = by_tid_.find(tid);
  if (it == by_tid_.end()) return true;
  const uint32_t k = life(tid, ts);
  return k == 0 || it->second.life_traced[k - 1] != 0;
}

}  // namespace infertrace
