// Which thread is "the launching thread": one rule for analyze (launch.cpp: launch_thread), sched
// (main_thread) and the GPU-starvation fallback, so the verbs cannot name different threads for one
// trace. The thread with the most logical launches wins; a tie goes to the lowest (pid, tid), so the
// choice does not depend on the order the threads were met in.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "analysis/sched_scope.h"

namespace infertrace {

using ThreadId = std::pair<int64_t, int64_t>;  // (pid, tid)

// True when thread `a` with `launches_a` logical launches beats thread `b` with `launches_b`.
inline bool busier_launch_thread(int64_t launches_a, ThreadId a, int64_t launches_b, ThreadId b) {
  return launches_a > launches_b || (launches_a == launches_b && a < b);
}

// The winner among logical_launches() (sched_scope.h) threads; false when none launched.
inline bool busiest_launch_thread(const std::vector<ThreadLaunches>& threads, ThreadId& best, int64_t& launches) {
  bool found = false;
  for (const ThreadLaunches& t : threads) {
    const auto n = static_cast<int64_t>(t.ts.size());
    if (n == 0) continue;
    if (!found || busier_launch_thread(n, {t.pid, t.tid}, launches, best)) best = {t.pid, t.tid}, launches = n;
    found = true;
  }
  return found;
}

}  // namespace infertrace
