// Scenario comparison: reading a scenario from a saved JSON document, the terminal table and the
// --json document ("kind": "compare", schema_version 1; docs/sched.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "analysis/compare.h"
#include "report/json_columns.h"

namespace infertrace {

// Accepts `infertrace analyze --json`-style documents that carry the scheduler analysis at the top
// level ("kind": "sched") or under "sched"; a top-level "throughput" (number) is used when present.
// Throws InputError naming `file` when the document has no scheduler analysis.
ScenarioMetrics scenario_from_json(const nlohmann::json& doc, const std::string& name, const std::string& file);

void print_comparison(std::ostream& os, const Comparison& c);
nlohmann::json comparison_json(const Comparison& c);
// The keys of comparison_json()'s "scenarios" with the labels and units the HTML report shows
// them in (print_comparison's names and units; every key comparison_json writes has one).
const std::vector<JsonColumn>& comparison_scenario_columns();

}  // namespace infertrace
