// Output of `infertrace fusion --measured` (docs/fusion.md, "Closed loop"): the prediction table,
// the measured modes beside it, and the JSON object `closed_loop` of the fusion document.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/fusion_loop.h"
#include "report/json_columns.h"

namespace infertrace {

// One or two sentences: the best prediction against each measured mode.
std::string fusion_loop_summary(const FusionLoop& loop);

nlohmann::json fusion_loop_json(const FusionLoop& loop);
// The keys of fusion_loop_json()'s "eager" object, "predictions" and "measured" (with the figures
// of each measured mode's "launch_matched" object) with the labels and units the HTML report shows
// them in (print_fusion_loop's units; every scalar key fusion_loop_json writes there has one).
const std::vector<JsonColumn>& fusion_loop_eager_columns();
const std::vector<JsonColumn>& fusion_loop_prediction_columns();
const std::vector<JsonColumn>& fusion_loop_measured_columns();
void print_fusion_loop(std::ostream& os, const FusionLoop& loop);

}  // namespace infertrace
