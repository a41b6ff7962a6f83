// A compare scenario from a trace (a recording, or any trace `load` reads): its scheduler analysis
// plus the recorder's drop counters, read as a saved analysis's `dropped` is (scenario_from_json).
// Here, not in cmd_compare.cpp, so that the unit tests go through the path `compare` takes (review
// EZ M2); in report/ because the drop counters are read by ingest/, which analysis/ does not link.
#pragma once

#include <string>

#include "analysis/compare.h"
#include "trace/trace.h"

namespace infertrace {

ScenarioMetrics scenario_from_trace(const Trace& trace, const std::string& name, const std::string& source);

}  // namespace infertrace
