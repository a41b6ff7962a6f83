// The CPU-bound / GPU-bound verdict (docs/metrics.md, "Bound"), one rule for analyze's text and
// JSON, the HTML report, sweep, fusion and SQLite: they all read LaunchAnalysis::bound.
#pragma once

#include "analysis/launch.h"

namespace infertrace {

// Sets a.bound ("cpu", "gpu") from the launch and queue parts, or leaves it empty with
// a.bound_undefined_reason saying why there is nothing to judge: no linked launch call; an empty
// inference-latency window together with clamped launch latencies or a TKLQT of 0 (the GPU work
// ends before the window starts and the host and GPU clocks disagree); or a TKLQT of 0 (every
// kernel started at or before its launch call, so both parts are 0 and "launch part >= queue part"
// would hold for no measured reason). An empty window alone keeps the verdict: the parts are per
// launch call. A verdict from the unclamped launches of a trace with some clamped ones stands.
// Needs the IL window, the TKLQT parts and clock_skew_clamped already computed; reads operators.
void decide_bound(LaunchAnalysis& a);

}  // namespace infertrace
