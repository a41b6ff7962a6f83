// The scheduler rates over the launch window (docs/sched.md "Two windows"): from the first logical
// launch to the last, instead of the whole trace. A real PyTorch recording spends seconds in
// `import torch` and weight loading before its first launch; the whole-trace rates count that
// phase's switches and IRQs per launch and its time as wall time, the launch window does not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/sched_scope.h"
#include "trace/trace.h"

namespace infertrace {

struct LaunchWindowRates {
  bool defined = false;  // two launches at different times at least (a window of positive length)
  ns_t begin = 0, end = 0, wall = 0;  // first and last logical launch start, end - begin
  // Events with begin <= ts <= end: switch-outs of traced threads, IRQ rows (the same rows the
  // whole-trace IRQ/1K counts).
  int64_t switch_outs = 0, preemptions = 0, blocks = 0, irqs_hard = 0, irqs_soft = 0;
  double sched_per_1k = 0, irq_per_1k_hard = 0, irq_per_1k_soft = 0;  // per 1000 launches (all lie inside)
  std::optional<double> scheduler_impact;  // the whole-trace excess over this wall (set by analyze_sched)
  // Set by analyze_sched (review LW M1). The window runs from the first to the last RECORDED launch:
  // launch records lost before or after them shorten it, and the switch-outs and IRQs it counts shrink
  // with it, so its rates are then no upper bounds (as the whole trace's are) but neither bound.
  // launch_records_lost_outside: launch records lost in loss windows reaching outside [begin, end];
  // ends_uncertain: those, or launch records lost at unknown times (drops without a window, the CUPTI
  // ring's), may lie beyond its ends. Refused CUPTI callbacks do not count (sched.cpp: left out all
  // through the run, not at its ends).
  int64_t launch_records_lost_outside = 0;
  bool ends_uncertain = false;
};

// Why a window whose ends are uncertain has rates neither bound, in the words the text and the HTML
// report print under the window's row (launch_records_lost_outside as above).
std::string uncertain_window_text(int64_t launch_records_lost_outside);

LaunchWindowRates launch_window_rates(const Trace& trace, const TracedScope& scope,
                                      const std::vector<ThreadLaunches>& launches);

}  // namespace infertrace
