// Which thread is "the launching thread": one rule for analyze (launch.cpp: launch_thread), sched
// (main_thread) and the GPU-starvation fallback, so the verbs cannot name different threads for one
// trace. The thread with the most logical launches wins; a tie goes to the lowest (pid, tid), so the
// choice does not depend on the order the threads were met in. Where the trace tells threads that
// had one id in turn apart (a recording's thread lives, analysis/thread_lives.h), sched and the GPU
// starvation choose among lives instead (busiest_launch_life): two threads' launches are not summed
// because the kernel gave the second the first's id after it exited.
#pragma once

#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/sched_scope.h"

namespace infertrace {

using ThreadId = std::pair<int64_t, int64_t>;  // (pid, tid)

// True when thread `a` with `launches_a` logical launches beats thread `b` with `launches_b`.
inline bool busier_launch_thread(int64_t launches_a, ThreadId a, int64_t launches_b, ThreadId b) {
  return launches_a > launches_b || (launches_a == launches_b && a < b);
}

// The life with the most logical launches among logical_launches_by_life() (sched_scope.h); a tie goes
// to the lowest (pid, tid), then the earliest life. False when none launched.
struct LaunchLife {
  int64_t pid = -1, tid = -1;
  uint32_t life = 0;
  int64_t launches = 0;
};
inline bool busiest_launch_life(const std::vector<LifeLaunches>& lives, LaunchLife& best) {
  bool found = false;
  for (const LifeLaunches& l : lives) {
    const auto n = static_cast<int64_t>(l.ts.size());
    if (n == 0) continue;
    const bool wins = !found || n > best.launches ||
                      (n == best.launches && std::tie(l.pid, l.tid, l.life) < std::tie(best.pid, best.tid, best.life));
    if (wins) best = {l.pid, l.tid, l.life, n};
    found = true;
  }
  return found;
}

}  // namespace infertrace
