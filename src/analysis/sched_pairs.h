// Per-launch-pair attribution (docs/metrics.md §5): for every two consecutive logical launches of a
// thread, the interval d and whether the thread was switched out (preempted or blocked) or
// interrupted by an IRQ in between. "In between" is the half-open window [ts1, ts2): a switch or
// IRQ during the first launch call delays the second launch; one at ts2 belongs to the next pair.
#pragma once

#include <unordered_map>
#include <vector>

#include "analysis/loss_windows.h"
#include "analysis/sched.h"
#include "analysis/sched_scope.h"

namespace infertrace {

// Switch-outs of one traced thread, ascending, with a running count of preemptions so a window's
// preemptions are two binary searches away.
struct SwitchOuts {
  std::vector<ns_t> ts;
  std::vector<int64_t> preempted_before;  // preempted_before[i] = preemptions among ts[0..i)
};

struct PairAttribution {
  std::vector<ns_t> d;
  std::vector<PairGroup> group;  // exclusive: a switch takes precedence over an IRQ
  std::vector<uint8_t> irq;      // 1 when an IRQ ran in between (switched or not)
  // The pair's thread life (analysis/thread_lives.h): a dense index over the lives with a pair, kept
  // or left out, numbered in the order of the launches given (each id's lives in time order). Two
  // threads that had one id in turn are two (review LW L2: the impact's per-thread walls).
  std::vector<uint32_t> thread_life;
  // Pairs left out because [ts1, ts2] overlaps a loss window: the recorder may have lost launches
  // between them (so they are not consecutive) and the switches or IRQs that would classify them.
  int64_t spanning_loss = 0;
  std::vector<std::pair<ns_t, ns_t>> left_out;  // those pairs' [ts1, ts2]: their time leaves the impact's wall
  std::vector<uint32_t> left_out_thread_life;    // ... and each one's thread life, as `thread_life`
  // Consecutive launches of one id made by two threads that had it in turn (the first exited, the
  // id was handed out again: analysis/thread_lives.h): no pair, counted here.
  int64_t across_thread_end = 0;
  uint32_t thread_lives = 0;  // lives with a pair: `thread_life` and `left_out_thread_life` lie below
};

// Switch-outs of traced threads, by tid.
std::unordered_map<int64_t, SwitchOuts> switch_outs_by_thread(const Trace& trace, const TracedScope& scope);

PairAttribution attribute_pairs(const Trace& trace, const std::vector<ThreadLaunches>& launches,
                                const std::unordered_map<int64_t, SwitchOuts>& outs, const LossSpans& loss,
                                const ThreadLives& lives);

}  // namespace infertrace
