// The threads alive when their process entered a recording (`record --pid`: TASK records of kind 0,
// docs/recording-format.md), each with its state then as /proc spelled it. The recording reader
// keeps them in the trace's meta under kAttachStatesKey (a key it derives, as it does
// "recording.complete"), one entry a thread, "PID:TID:TS:C" joined by commas, C the state letter or
// '-' when unknown; the off-CPU walk (analysis/offcpu_walk.h) starts a thread off the CPU at TS by it.
#pragma once

#include <cstdint>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

inline constexpr const char* kAttachStatesKey = "recording.attach_states";

struct ThreadAtAttach {
  ns_t ts = 0;                 // the TASK stamp: the thread's events are recorded from then on
  int64_t pid = -1, tid = -1;
  // 'R' running or runnable; 'S' sleeping, 'D' uninterruptible, 'T'/'t' stopped, 'I' idle, ...: off
  // the CPU; 0 unknown (a recording made before 2026-12-05, or a read that failed).
  char state = 0;
};

// Replaces the trace's list (none: the key is removed).
void set_attach_states(Trace& t, const std::vector<ThreadAtAttach>& threads);

// The trace's list in the order set; entries that do not read as one (a META of that name written
// by something else) are left out.
std::vector<ThreadAtAttach> attach_states(const Trace& t);

}  // namespace infertrace
