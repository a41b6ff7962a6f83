// "GPU idle while the launching thread was off-CPU" (docs/sched.md "GPU starved by the scheduler"):
// from a recording that has both GPU activities (CUPTI mode) and context switches, the GPU's idle
// time inside its active window, split by what the thread that issues the launches was doing then:
// switched out while runnable (preempted), woken but waiting for a CPU (run queue), or sleeping
// on its own (blocked). Preempted + run-queue time is the GPU time the scheduler cost.
#pragma once

#include <cstdint>

#include "trace/trace.h"

namespace infertrace {

struct GpuStarvation {
  bool available = false;  // the trace has GPU activities and context switches of the thread
  int64_t pid = -1, tid = -1;  // the launching thread (the thread life with the most logical launches)
  ns_t window_begin = 0, window_end = 0;  // first GPU activity start .. last GPU activity end
  ns_t gpu_busy = 0, gpu_idle = 0;        // union of activity intervals (all devices) / the rest of the window
  int64_t idle_gaps = 0;                  // maximal idle intervals inside the window
  ns_t idle_while_preempted = 0;  // idle ∩ switched out while runnable, until switched back in
  ns_t idle_while_runqueue = 0;   // idle ∩ from the wakeup of a blocked thread to its switch-in
  ns_t idle_while_blocked = 0;    // idle ∩ switched out sleeping, until its wakeup
  ns_t starved_by_scheduler = 0;  // preempted + runqueue
  int64_t gaps_starved = 0;       // idle gaps overlapping preempted or run-queue time
  double share_of_idle = 0;       // starved_by_scheduler / (gpu_idle - idle_left_out) (0 when none; JSON null when all of it was left out)
  // The thread's off-CPU intervals (switch-out to switch-in) whose closed span meets a recorder loss
  // window (analysis/loss_windows.h), as sched's off-CPU figures leave them out: an event of the
  // interval, or one in between (a lost wake-up, a lost switch-in and switch-out pair), may be the
  // one lost, so its preempted / run-queue / sleeping split may be made up. They are in none of the
  // three, counted here, and the GPU idle time they cover (idle_left_out: what the thread did then
  // is unknown) is left out of the share's denominator. Both 0 for a recording without loss.
  int64_t intervals_spanning_loss = 0;
  ns_t idle_left_out = 0;
  // Gaps of lost switches left out the same way (two switch-outs or two switch-ins in a row across
  // a loss window: where in the gap the thread was off the CPU is unknown); their idle time is in
  // idle_left_out. 0 for a recording without loss.
  int64_t lost_switch_gaps = 0;
};

class ThreadLives;

// tid < 0: the launching thread by the rule sched uses (launch_thread_choice.h busiest_launch_life:
// the thread life with the most logical launches, ties to the lowest (pid, tid), then the earliest
// life), and only that life's off-CPU intervals count: a thread that had the id before or after it is
// another thread. tid >= 0: that id, in life `life`, or in every traced life of the id when `life` < 0.
// `lives`: the trace's thread lives (analysis/thread_lives.h) when the caller has them (sched: its
// scope's), else built here.
GpuStarvation analyze_gpu_starvation(const Trace& trace, int64_t tid = -1, const ThreadLives* lives = nullptr,
                                     int64_t life = -1);

}  // namespace infertrace
