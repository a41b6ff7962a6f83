// Output of `infertrace fusion --measured` (docs/fusion.md, "Closed loop"): the prediction table,
// the measured modes beside it, and the JSON object `closed_loop` of the fusion document.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "analysis/fusion_loop.h"

namespace infertrace {

// One or two sentences: the best prediction against each measured mode.
std::string fusion_loop_summary(const FusionLoop& loop);

nlohmann::json fusion_loop_json(const FusionLoop& loop);
void print_fusion_loop(std::ostream& os, const FusionLoop& loop);

}  // namespace infertrace
