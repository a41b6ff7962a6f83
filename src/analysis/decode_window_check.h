// Whether a cut to an engine run's decode window (analysis/trace_window.h) looks like the run's
// own: `fusion` and `sweep --decode-window` read per-step figures from a trace cut by a window
// taken from a separate file, and nothing else ties the two together (review DW M1/M2: another
// run's window, a window over the prefill, or a run document with the wrong step count gave
// "decode" figures without a word).
#pragma once

#include <string>
#include <vector>

#include "analysis/trace_window.h"
#include "trace/trace.h"

namespace infertrace {

// What the run document says of its decode steps (docs/engine-cuda.md; 0 = not given).
struct DecodeRunCounts {
  int64_t decode_steps = 0;       // n_decode_evals
  int64_t kernels_per_step = 0;   // kernels_per_decode_step
  int64_t launches_per_step = 0;  // launches_per_decode_step (kernel and graph launch calls)
};

// The trace's CUDA work before the cut, for the check after it (and restrict_to_window's error).
struct CudaWorkSpan {
  bool any = false;
  ns_t first = 0;  // earliest start of an API call or GPU activity
  ns_t last = 0;   // latest start of an API call or GPU activity
};
CudaWorkSpan cuda_work_span(const Trace& t);

// One sentence per doubt, empty when none: the window starts before the trace's first CUDA event
// (an engine run's loading and prefill come first); the cut trace's GPU kernels differ from
// steps x kernels_per_step (or, without GPU activities, its kernel and graph launch calls from
// steps x launches_per_step). `cut` is the trace after restrict_to_window.
std::vector<std::string> decode_window_doubts(const Trace& cut, const CudaWorkSpan& before, const TraceWindow& w,
                                              const DecodeRunCounts& run);

}  // namespace infertrace
