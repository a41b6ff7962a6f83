// The threads alive when their process entered a recording (`record --pid`: TASK records of kind 0,
// docs/recording-format.md), each with its state then as /proc spelled it: the Existing rows of the
// trace's task table (Trace::tasks), in table order. The off-CPU walk (analysis/offcpu_walk.h)
// starts a thread off the CPU at its stamp by it. (Until 2026-12-05 they travelled as the meta
// string "recording.attach_states"; a file's META of that name is now an ordinary key.)
#pragma once

#include <cstdint>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

struct ThreadAtAttach {
  ns_t ts = 0;                 // the TASK stamp: the thread's events are recorded from then on
  int64_t pid = -1, tid = -1;
  // 'R' running or runnable; 'S' sleeping, 'D' uninterruptible, 'T'/'t' stopped, 'I' idle, ...: off
  // the CPU; 0 unknown (a recording made before 2026-12-05, or a read that failed).
  char state = 0;
};

// Replaces the trace's Existing task rows with `threads` (the other kinds stay), keeping the table
// sorted by time.
void set_attach_states(Trace& t, const std::vector<ThreadAtAttach>& threads);

// The trace's Existing task rows, in table order.
std::vector<ThreadAtAttach> attach_states(const Trace& t);

}  // namespace infertrace
