// A compare scenario from a trace (a recording, or any trace `load` reads): its scheduler analysis,
// which holds the recorder's drop counters that may be launch calls as a saved analysis's `dropped`
// gives them (scenario_from_json). Here, not in cmd_compare.cpp, so that the unit tests go through
// the path `compare` takes (review EZ M2).
#pragma once

#include <string>

#include "analysis/compare.h"
#include "trace/trace.h"

namespace infertrace {

ScenarioMetrics scenario_from_trace(const Trace& trace, const std::string& name, const std::string& source);

}  // namespace infertrace
