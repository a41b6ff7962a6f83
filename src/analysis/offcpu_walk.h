// One thread's walk through its switch-outs, wake-ups and switch-ins, cut into the pieces that the
// scheduler analysis (sched.cpp: off-CPU time, run-queue latency, the switch counts) and the GPU
// starvation analysis (gpu_starvation.cpp: preempted / run-queue / blocked spans) both read. The
// rules live here once so that the two analyses cannot read one recording two ways (reviews DO, DX
// M1 and EA each had to re-align two copies by hand):
//   - events at one ns are ordered by where the thread is (analysis/switch_tie_order.h);
//   - a second switch-out with no switch-in between: the thread ran in between unreported (a
//     missing switch-in), or, when the gap meets a loss window, the recorder may have lost that
//     switch-in and where in the gap the thread ran is unknown (the gap is left out);
//   - a second switch-in with no switch-out between, across a loss window: a switch-out and the
//     off-CPU interval after it were lost in the gap (left out); without loss nothing is known lost;
//   - an off-CPU interval whose closed span meets a loss window is left out whole (any of its
//     events, or one in between, may be the one lost), its wait and sleep split with it.
// The walk starts the thread on the CPU, unless it was off the CPU when its recording began (its
// state at the attach, OffcpuStart below); wake-ups while it runs change nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/loss_windows.h"
#include "trace/trace.h"

namespace infertrace {

// Numbered as analysis/switch_tie_order.h reads event kinds (0 in, 1 wake-up, 2 and 3 out). Scoped:
// the names are the walk's, not the whole namespace's (review EI L3).
enum class OffcpuEventKind : uint8_t { SwitchIn = 0, Wakeup = 1, OutBlocked = 2, OutPreempted = 3 };

struct OffcpuEvent {
  ns_t ts;
  OffcpuEventKind kind;
};

enum class OffcpuPieceKind : uint8_t {
  Interval,              // [switch-out, next switch-in], meeting no loss window
  IntervalSpanningLoss,  // the same, meeting a loss window: left out (an attach interval too)
  SwitchInMissing,       // [switch-out, second switch-out], meeting no loss window
  SwitchInLost,          // [switch-out, second switch-out], meeting a loss window: left out
  SwitchOutLost,         // [switch-in, second switch-in], meeting a loss window: left out
};

// 32 bytes (the flags after the times): a walk of millions of switches yields as many pieces.
struct OffcpuPiece {
  ns_t begin = 0, end = 0;
  // Intervals only. `ready`: when the thread became runnable again, the switch-out itself when it
  // was preempted, else the first wake-up after it, -1 when none was recorded. `wait_meets_loss`:
  // the run-queue wait [ready, end] meets a loss window (a wait can stay clear of one that the
  // interval's sleep meets).
  ns_t ready = -1;
  OffcpuPieceKind kind = OffcpuPieceKind::Interval;
  bool preempted = false;
  bool wait_meets_loss = false;
  // An interval that began at the attach, not at a switch-out: [the thread's TASK stamp, its first
  // switch-in], for a thread /proc had off the CPU then (OffcpuStart). Never preempted: /proc's
  // letters S, D, T, ... are not runnable, so it is a block whose cause the recording did not see.
  bool from_attach = false;
  // A stay from the attach that the recording's end closed, not a switch-in (OffcpuStart::until):
  // a wait for a CPU in it has no end, so it is no run-queue sample.
  bool open_end = false;
};
static_assert(sizeof(OffcpuPiece) == 32, "a piece is three times and five one-byte fields");

// Where the thread was when its recording began (trace/attach_states.h): `ts` its TASK stamp, `off_cpu`
// whether /proc's state letter was one of a thread off the CPU (anything but R). The recorder marks
// the process traced (every switch recorded from then on), stamps its threads just before, and
// reads their state after, so a thread whose first recorded event is a switch-in was off the CPU at
// the stamp, and one whose first event is a switch-out was on it, whatever /proc said (it woke, or
// blocked, between the stamp and the read). The walk therefore starts an interval at `ts` only for
// an off-CPU state, and only the first switch-in closes it; a switch-out first drops it (the thread
// ran after the stamp: no interval, and no missing switch-in counted). Default: on the CPU.
// `until`: the end of the recording as the caller measures it (sched: the wall's end), or -1. A
// thread off the CPU at the attach that never switched in or out before it was off the CPU from
// `ts` to `until` (it cannot have exited: a thread exits on a CPU, after a switch-in): that stay
// is counted to `until`, marked open_end (review S39 L1: an idle server's thread blocked through a
// --duration recording read 0 off-CPU). Without `until` it adds nothing, as a last switch-out.
struct OffcpuStart {
  ns_t ts = -1;
  bool off_cpu = false;
  ns_t until = -1;
};

// Whether /proc's state letter says the thread was off the CPU (0, unknown, and 'R' do not).
inline bool offcpu_state(char state) { return state != 0 && state != 'R'; }

// Sorts `events` (one thread's, any order) by time and walks them, replacing `pieces` with what the
// walk finds, in time order. `pieces` is the caller's to reuse across threads: the walk allocates
// nothing else, as a recording can hold millions of switches.
// `start`: the thread's state at the attach (on the CPU when not given, as for a started command's
// threads and recordings without states).
void walk_offcpu(std::vector<OffcpuEvent>& events, const LossSpans& loss, std::vector<OffcpuPiece>& pieces,
                 OffcpuStart start = {});

}  // namespace infertrace
