// Whether a trace's count of launch calls is a lower bound: the recorder lost records that may be
// launch calls (its drop counters and loss windows, the tally sched's rates use:
// launch_undercount.h), or CUPTI refused some launch callbacks (LaunchCoverage::partial_note).
// analyze marks its `launch calls` with it (review RL57 L3: 318,777 shown plain after 82,261 API
// events were lost).
#pragma once

#include <cstdint>
#include <string>

#include "trace/trace.h"

namespace infertrace {

struct LaunchCountBound {
  bool lower_bound = false;
  int64_t records_lost = 0;  // records lost that may be launch calls (per_1k_launch_records_lost)
  bool up_to = false;        // records_lost includes the CUPTI ring's unpublished slots
  std::string cause;         // launch_undercount_cause()'s words, "" when not a lower bound
};

LaunchCountBound launch_count_bound(const Trace& t);

}  // namespace infertrace
