// Terminal report and --json document of the scheduler analysis (docs/sched.md has the schema).
// `infertrace analyze RECORDING` prints these after the launch metrics.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "analysis/sched.h"
#include "trace/trace.h"

namespace infertrace {

struct SchedPrintOptions {
  size_t top = 15;  // rows per breakdown table
};

void print_sched_report(std::ostream& os, const Trace& trace, const SchedAnalysis& a, const SchedPrintOptions& opts = {});

// schema_version 1; "kind": "sched".
nlohmann::json sched_analysis_json(const Trace& trace, const SchedAnalysis& a);

}  // namespace infertrace
