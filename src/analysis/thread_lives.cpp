#include "analysis/thread_lives.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace infertrace {

namespace {

// Calls f(tid, pid, ts) for each thread seen with its process id in the records that carry both
// for any thread, traced or not: the two sides of a switch, a wake-up's woken thread and its waker
// (the thread current at the wake-up), the process tree's records. (Launch calls, syscalls and IRQs
// are traced threads' alone, each of which also has a TASK record and, with sched, switches.)
// Left out: the idle task (id 0), a row with no process (-1), a process id no recorder writes (the
// file's field is 32 bits; all ones is no pid_max's).
template <typename F>
void for_each_row(const Trace& trace, F&& f) {
  const SwitchTable& s = trace.switches;
  for (size_t i = 0; i < s.size(); ++i) f(s.prev_tid[i], s.prev_pid[i], s.ts[i]), f(s.next_tid[i], s.next_pid[i], s.ts[i]);
  const WakeupTable& w = trace.wakeups;
  for (size_t i = 0; i < w.size(); ++i) f(w.tid[i], w.pid[i], w.ts[i]), f(w.waker_tid[i], w.waker_pid[i], w.ts[i]);
  const TaskTable& k = trace.tasks;
  for (size_t i = 0; i < k.size(); ++i) f(k.tid[i], k.pid[i], k.ts[i]);
}
template <typename F>
void for_each_thread_seen(const Trace& trace, F&& f) {
  for_each_row(trace, [&](int64_t tid, int64_t pid, ns_t ts) {
    if (tid > 0 && pid > 0 && pid < int64_t{UINT32_MAX}) f(tid, pid, ts);
  });
}

// (ids up to 2^22, Linux's largest pid_max)
constexpr int64_t kBitmapIds = int64_t{1} << 22;

// The ids seen in two processes (a thread's process never changes, so each is two threads that had
// the id in turn), ascending. One pass, an array slot per id below Linux's largest pid_max (the
// process it was first seen in), a map past it.
std::vector<int64_t> ids_in_two_processes(const Trace& trace) {
  constexpr uint32_t kNone = 0, kTwo = UINT32_MAX;  // no process seen yet; seen in two
  std::vector<uint32_t> first;
  std::unordered_map<int64_t, int64_t> first_far;  // -1: seen in two
  std::vector<int64_t> two;
  for_each_thread_seen(trace, [&](int64_t tid, int64_t pid, ns_t) {
    if (tid < kBitmapIds) {
      const size_t i = static_cast<size_t>(tid);
      if (i >= first.size()) first.resize(std::min<size_t>(kBitmapIds, std::max(i + 1, 2 * first.size())), kNone);
      uint32_t& slot = first[i];
      if (slot == kNone) slot = static_cast<uint32_t>(pid);
      else if (slot != kTwo && slot != static_cast<uint32_t>(pid)) slot = kTwo, two.push_back(tid);
      return;
    }
    const auto [it, added] = first_far.emplace(tid, pid);
    if (!added && it->second != pid && it->second != -1) it->second = -1, two.push_back(tid);
  });
  std::sort(two.begin(), two.end());
  return two;
}

}  // namespace

ThreadLives::ThreadLives(const Trace& trace) {
  const SwitchTable& s = trace.switches;
  for (size_t i = 0; i < s.size(); ++i)
    if (s.prev_tid[i] > 0 && (s.prev_state[i] & kTaskDead) != 0) by_tid_[s.prev_tid[i]].at.push_back(s.ts[i]);
  const std::vector<int64_t> two_processes = ids_in_two_processes(trace);
  if (by_tid_.empty() && two_processes.empty()) return;
  for (const int64_t tid : two_processes) by_tid_.try_emplace(tid);
  for (auto& [tid, d] : by_tid_) {
    std::sort(d.at.begin(), d.at.end());
    d.at.erase(std::unique(d.at.begin(), d.at.end()), d.at.end());
  }
  // (at most 512 KB of bits)
  int64_t most = 0;
  for (const auto& entry : by_tid_) most = std::max(most, entry.first);
  ended_.assign(static_cast<size_t>(std::min(most, kBitmapIds - 1) / 64 + 1), 0);
  ended_covers_all_ = most < kBitmapIds;
  for (const auto& entry : by_tid_)
    if (entry.first < kBitmapIds) ended_[static_cast<uint64_t>(entry.first) >> 6] |= uint64_t{1} << (entry.first & 63);
  // An id seen in one process and then in another with no death between: the first thread's death
  // is not in the recording (an outsider's, whose final switch-out has no traced side; review S43),
  // and its life ends just before the second thread's first record with a process id. The records
  // between, which carry none (a traced thread's launches, syscalls, IRQs), are the first thread's:
  // a traced thread's first record is its TASK one, an outsider has no such records at all. A change
  // of process across a recorded death is no second end. (A thread of the same process given the id after an unrecorded death stays joined
  // to the dead one: nothing tells them apart; a non-leader's exec, which takes the leader's id,
  // keeps the process and has the leader's death before it.)
  if (!two_processes.empty()) {
    std::unordered_map<int64_t, std::vector<std::pair<ns_t, int64_t>>> seen_in;  // (ts, pid) in table order
    for (const int64_t tid : two_processes) seen_in.try_emplace(tid);
    // A bit per id seen in two processes (below kBitmapIds): the map is looked up for those alone,
    // not for every record of every id with a death (a pool's ids all die, few change process).
    std::vector<uint64_t> in_two(static_cast<size_t>(std::min(two_processes.back(), kBitmapIds - 1) / 64 + 1), 0);
    for (const int64_t tid : two_processes)
      if (tid < kBitmapIds) in_two[static_cast<uint64_t>(tid) >> 6] |= uint64_t{1} << (tid & 63);
    const bool bits_cover_all = two_processes.back() < kBitmapIds;
    for_each_thread_seen(trace, [&](int64_t tid, int64_t pid, ns_t ts) {
      if (tid < kBitmapIds) {
        const uint64_t word = static_cast<uint64_t>(tid) >> 6;
        if (word >= in_two.size() || (in_two[word] >> (tid & 63) & 1) == 0) return;
      } else if (bits_cover_all) {
        return;
      }
      if (const auto it = seen_in.find(tid); it != seen_in.end()) it->second.push_back({ts, pid});
    });
    for (auto& [tid, v] : seen_in) {
      std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<ns_t>& at = by_tid_[tid].at;  // its deaths
      const auto same_death_life = [&at](ns_t a, ns_t b) {
        return std::lower_bound(at.begin(), at.end(), a) == std::lower_bound(at.begin(), at.end(), b);
      };
      std::vector<ns_t> ends;
      for (size_t i = 1; i < v.size(); ++i)
        if (v[i].second != v[i - 1].second && same_death_life(v[i - 1].first, v[i].first))
          ends.push_back(std::max(v[i - 1].first, v[i].first - 1));
      at.insert(at.end(), ends.begin(), ends.end());
      std::sort(at.begin(), at.end());
      at.erase(std::unique(at.begin(), at.end()), at.end());
    }
  }
  // Per id and life: whether an event only a traced thread gets falls in it (`evidence`), and
  // whether anything of the id does (`active`: those, or a switch of either side).
  struct Seen {
    std::vector<uint8_t> evidence, active;
  };
  std::unordered_map<int64_t, Seen> seen;
  for (const auto& [tid, d] : by_tid_)
    seen[tid] = Seen{std::vector<uint8_t>(d.at.size() + 1, 0), std::vector<uint8_t>(d.at.size() + 1, 0)};
  const auto mark = [&](int64_t tid, ns_t ts, bool evidence) {
    if (!may_have_ended(tid)) return;
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
  if (!may_have_ended(tid)) return 0;
  const auto it = by_tid_.find(tid);
  if (it == by_tid_.end()) return 0;
  // Ends strictly before ts: the final switch-out itself belongs to the life it ends.
  return static_cast<uint32_t>(std::lower_bound(it->second.at.begin(), it->second.at.end(), ts) - it->second.at.begin());
}

bool ThreadLives::traced(int64_t tid, ns_t ts) const {
  if (!may_have_ended(tid)) return true;
  const auto it = by_tid_.find(tid);
  if (it == by_tid_.end()) return true;
  return it->second.life_traced[life(tid, ts)] != 0;
}

}  // namespace infertrace
