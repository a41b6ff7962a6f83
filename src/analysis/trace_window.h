// Cuts a trace down to a time window, e.g. the decode steps of an `engine run` recording (the
// window its --json prints as decode_window_ns), so model loading and prefill do not enter the
// launch and fusion figures (docs/fusion.md, "Closed loop").
#pragma once

#include "trace/trace.h"

namespace infertrace {

struct TraceWindow {
  ns_t from = 0, to = 0;  // inclusive bounds on the trace's clock
};

// Keeps the host events (API calls, operators, scheduler, IRQ and syscall events) that start
// inside the window, and the GPU activities launched by a kept API call (matched by correlation
// id, so work a call queued inside the window stays even if it runs after `to`); a GPU activity
// whose correlation matches no API call of the trace is kept when it starts inside the window.
// The task table (Trace::tasks: the attach states among them) keeps the rows inside the window.
// Threads, strings, skipped counters and meta stay; meta gains "window_from_ns"/"window_to_ns".
// A CUDA library probed late (LaunchCoverage::late_probes) no longer makes the launch figures
// partial when the window starts at or after its probe.
// Throws UsageError when from > to, Error when the trace has API calls or GPU activities
// and the window keeps none of its CUDA work: its GPU activities when it has any, else its launch
// calls, else its API calls (a window of another run, or a trace on another clock, when it lies
// outside their span; another run's, a truncated recording or lost events when it lies inside).
void restrict_to_window(Trace& trace, const TraceWindow& w);

}  // namespace infertrace
