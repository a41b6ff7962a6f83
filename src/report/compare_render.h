// Scenario comparison: reading a scenario from a saved JSON document, the terminal table and the
// --json document ("kind": "compare", schema_version 1; docs/sched.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "analysis/compare.h"

namespace infertrace {

// Accepts `infertrace analyze --json`-style documents that carry the scheduler analysis at the top
// level ("kind": "sched") or under "sched"; a top-level "throughput" (number) is used when present.
// Throws InputError naming `file` when the document has no scheduler analysis.
ScenarioMetrics scenario_from_json(const nlohmann::json& doc, const std::string& name, const std::string& file);

void print_comparison(std::ostream& os, const Comparison& c);
nlohmann::json comparison_json(const Comparison& c);

}  // namespace infertrace
