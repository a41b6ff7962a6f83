// Output of `infertrace sweep`: terminal table, --json document and the SVG plot (docs/fusion.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "analysis/sweep.h"

namespace infertrace {

nlohmann::json sweep_json(const SweepResult& r);
void print_sweep(std::ostream& os, const SweepResult& r);
// A standalone SVG: TKLQT launch and queue parts (left) and GPU/CPU idle shares of IL (right)
// against batch size. Empty string when there is nothing to plot.
std::string sweep_svg(const SweepResult& r);

}  // namespace infertrace
