// Output of `infertrace sweep`: terminal table, --json document and the SVG plot (docs/fusion.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/sweep.h"
#include "report/json_columns.h"

namespace infertrace {

nlohmann::json sweep_json(const SweepResult& r);
// The keys of sweep_json()'s "points" with the labels and units the HTML report shows them in
// (the terminal table's names and units; every key sweep_json writes has one).
const std::vector<JsonColumn>& sweep_point_columns();
void print_sweep(std::ostream& os, const SweepResult& r);
// A standalone SVG: TKLQT launch and queue parts (left) and GPU/CPU idle shares of IL (right)
// against batch size. Empty string when there is nothing to plot.
std::string sweep_svg(const SweepResult& r);

}  // namespace infertrace
