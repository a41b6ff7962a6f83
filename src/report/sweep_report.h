// Output of `infertrace sweep`: terminal table, --json document and the SVG plot (docs/fusion.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "analysis/sweep.h"
#include "report/json_columns.h"

namespace infertrace {

nlohmann::json sweep_json(const SweepResult& r);
// The keys of sweep_json()'s "points" with the labels and units the HTML report shows them in
// (the terminal table's names and units; every key sweep_json writes has one).
const std::vector<JsonColumn>& sweep_point_columns();
void print_sweep(std::ostream& os, const SweepResult& r);
// The table cells a tie would make misleading, in one text for the terminal table and the HTML
// report's (review WD56 M3: the page showed "50.0%" beside "(balanced)"); the shares of IL by
// sweep_share_text (analysis/sweep.h).
// TKLQT's launch and queue parts, in exact ns ("10,000 ns", "10,001 ns") where their rounded texts
// are the same but the values are not ("10.00 us" both, bound gpu by 1 ns), else as format_ns.
std::pair<std::string, std::string> sweep_parts_text(ns_t launch, ns_t queue);
// A standalone SVG: TKLQT launch and queue parts (left) and GPU/CPU idle shares of IL (right)
// against batch size. Empty string when there is nothing to plot.
std::string sweep_svg(const SweepResult& r);

}  // namespace infertrace
