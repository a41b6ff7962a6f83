#include "analysis/thread_lives.h"

#include <algorithm>

namespace infertrace {

ThreadLives::ThreadLives(const Trace& trace) {
  const SwitchTable& s = trace.switches;
  for (size_t i = 0; i < s.size(); ++i)
    if (s.prev_tid[i] > 0 && (s.prev_state[i] & kTaskDead) != 0) by_tid_[s.prev_tid[i]].at.push_back(s.ts[i]);
  if (by_tid_.empty()) return;
  // (ids up to 2^22, Linux's largest pid_max: at most 512 KB of bits)
  constexpr int64_t kBitmapIds = int64_t{1} << 22;
  int64_t most = 0;
  for (const auto& entry : by_tid_) most = std::max(most, entry.first);
  died_.assign(static_cast<size_t>(std::min(most, kBitmapIds - 1) / 64 + 1), 0);
  died_covers_all_ = most < kBitmapIds;
  for (const auto& entry : by_tid_)
    if (entry.first < kBitmapIds) died_[static_cast<uint64_t>(entry.first) >> 6] |= uint64_t{1} << (entry.first & 63);
  // Per id and life: whether an event only a traced thread gets falls in it (`evidence`), and
  // whether anything of the id does (`active`: those, or a switch of either side).
  struct Seen {
    std::vector<uint8_t> evidence, active;
  };
  std::unordered_map<int64_t, Seen> seen;
  for (auto& [tid, d] : by_tid_) {
    std::sort(d.at.begin(), d.at.end());
    d.at.erase(std::unique(d.at.begin(), d.at.end()), d.at.end());
    seen[tid] = Seen{std::vector<uint8_t>(d.at.size() + 1, 0), std::vector<uint8_t>(d.at.size() + 1, 0)};
  }
  const auto mark = [&](int64_t tid, ns_t ts, bool evidence) {
    if (!may_have_died(tid)) return;
    const auto it = seen.find(tid);
    if (it == seen.end()) return;
    const uint32_t k = life(tid, ts);
    it->second.active[k] = 1;
    if (evidence) it->second.evidence[k] = 1;
  };
  // The process tree's own records first: a thread made while the recording ran (New), the
  // command's exec (Exec), a thread alive at the attach (Existing), an exit; then the events the
  // recorder writes for traced threads alone.
  for (size_t i = 0; i < trace.tasks.size(); ++i) mark(trace.tasks.tid[i], trace.tasks.ts[i], true);
  for (size_t i = 0; i < trace.api.size(); ++i) mark(trace.api.tid[i], trace.api.start[i], true);
  for (size_t i = 0; i < trace.syscalls.size(); ++i) mark(trace.syscalls.tid[i], trace.syscalls.ts[i], true);
  for (size_t i = 0; i < trace.irqs.size(); ++i) mark(trace.irqs.tid[i], trace.irqs.ts[i], true);
  for (size_t i = 0; i < trace.wakeups.size(); ++i) mark(trace.wakeups.tid[i], trace.wakeups.ts[i], true);
  for (size_t i = 0; i < s.size(); ++i) mark(s.prev_tid[i], s.ts[i], false), mark(s.next_tid[i], s.ts[i], false);

  for (auto& [tid, d] : by_tid_) {
    const Seen& v = seen[tid];
    d.life_traced.assign(v.evidence.begin(), v.evidence.end());
    // The first life is the scope's to judge (an id the traced tree never had is not in it) unless
    // nothing says a traced thread had the id then while a later life does: an untraced process
    // that had the id before a traced thread got it (its switches with a traced partner are in the
    // file; review S40 M1).
    const bool later_traced = std::any_of(v.evidence.begin() + 1, v.evidence.end(), [](uint8_t e) { return e != 0; });
    d.life_traced[0] = v.evidence[0] != 0 || !later_traced;
    // Reused: two lives with anything in them, one of them a traced thread's for sure (two untraced
    // processes in turn, seen only as switch partners, are not counted).
    const bool any_evidence = later_traced || v.evidence[0] != 0;
    if (any_evidence && std::count(v.active.begin(), v.active.end(), 1) >= 2) ++ids_reused_;
  }
}

uint32_t ThreadLives::life(int64_t tid, ns_t ts) const {
  if (!may_have_died(tid)) return 0;
  const auto it = by_tid_.find(tid);
  if (it == by_tid_.end()) return 0;
  // Deaths strictly before ts: the final switch-out itself belongs to the life it ends.
  return static_cast<uint32_t>(std::lower_bound(it->second.at.begin(), it->second.at.end(), ts) - it->second.at.begin());
}

bool ThreadLives::traced(int64_t tid, ns_t ts) const {
  if (!may_have_died(tid)) return true;
  const auto it = by_tid_.find(tid);
  if (it == by_tid_.end()) return true;
  return it->second.life_traced[life(tid, ts)] != 0;
}

}  // namespace infertrace
