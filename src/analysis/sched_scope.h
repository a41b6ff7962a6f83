// Which threads the scheduler analysis is about, and their logical launches (docs/metrics.md §5).
//
// Traced threads are every thread of the traced process tree: the processes named by the thread
// table and the launch calls. A launch that goes through the runtime and then the driver shows up as
// two calls on the same thread, the driver call nested inside the runtime call; it is one logical
// launch, so a call that starts inside the previous kept call's [start, start + dur) is dropped.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analysis/thread_lives.h"
#include "trace/trace.h"

namespace infertrace {

struct TracedScope {
  std::unordered_set<int64_t> pids;  // thread-group ids of the traced process tree
  std::unordered_set<int64_t> tids;  // threads known by id (thread table, launch calls)
  ThreadLives lives;                 // which thread an id names when (ids are reused)

  // Whether the thread (pid, tid) seen at `ts` is a traced one: its ids are the traced tree's and
  // the life of `tid` at `ts` is a traced thread's (a reused id's outsider life is not).
  bool contains(int64_t pid, int64_t tid, ns_t ts) const {
    return ((pid >= 0 && pids.count(pid)) || (tid >= 0 && tids.count(tid))) && lives.traced(tid, ts);
  }

  // contains() for each side of every switch of the trace the scope was made from, worked out once
  // by traced_scope(): the analysis asks it up to five times per switch, two hash lookups each
  // (docs/benchmarks.md, "sched analysis on a large recording").
  std::vector<uint8_t> switch_prev_in, switch_next_in;
  // Whether switch i of `s`'s outgoing (prev) / incoming (next) thread is a traced one; the same as
  // contains() on its ids and stamp (also for a table the scope was not made from).
  bool prev_in(const SwitchTable& s, size_t i) const {
    return switch_prev_in.size() == s.size() ? switch_prev_in[i] != 0 : contains(s.prev_pid[i], s.prev_tid[i], s.ts[i]);
  }
  bool next_in(const SwitchTable& s, size_t i) const {
    return switch_next_in.size() == s.size() ? switch_next_in[i] != 0 : contains(s.next_pid[i], s.next_tid[i], s.ts[i]);
  }
};

TracedScope traced_scope(const Trace& trace);

// Logical launch start times per thread id, ascending.
struct ThreadLaunches {
  int64_t pid = -1, tid = -1;
  std::vector<ns_t> ts;
};

// One entry per thread with at least one launch, ordered by tid. `nested_dropped` receives the count
// of calls merged into an enclosing call of the same logical launch.
std::vector<ThreadLaunches> logical_launches(const Trace& trace, int64_t* nested_dropped = nullptr);

// Logical launch start times per thread life (analysis/thread_lives.h): a thread id that named two
// threads in turn, or two processes' threads, gives one entry per (pid, tid, life of the id at the
// launch). Ascending times; entries ordered by (pid, tid, life). The same nested-call rule as above.
struct LifeLaunches {
  int64_t pid = -1, tid = -1;
  uint32_t life = 0;
  std::vector<ns_t> ts;
};
std::vector<LifeLaunches> logical_launches_by_life(const Trace& trace, const ThreadLives& lives);

}  // namespace infertrace
