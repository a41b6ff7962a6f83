// Output of `infertrace fusion`: terminal tables, CSV and the --json document (docs/fusion.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/fusion.h"
#include "analysis/launch.h"
#include "report/json_columns.h"
#include "trace/trace.h"

namespace infertrace {

struct FusionReport {
  const Trace* trace = nullptr;            // for kernel names
  const FusionResult* result = nullptr;
  const LaunchAnalysis* launch = nullptr;  // optional: bound and IL, for the predicted IL after fusion
};

// IL predicted after fusing at one length, for a CPU-bound trace: the launch time saved comes off
// the inference latency, which cannot drop below the GPU's busy time. -1 when not predictable
// (no launch analysis, or a GPU-bound trace where launches are hidden behind queued work).
ns_t predicted_il_after_fusion(const LaunchAnalysis& a, ns_t launch_time_saved);

// One or two plain sentences: what fusing would buy on this trace.
std::string fusion_verdict(const FusionReport& rep);

// What the fused chains are called at a threshold: "deterministic chains" (PS = 1, SKIP's word) at
// T = 1, else "chains with proximity score >= T" (review FU-4); the verdict and the HTML page say it.
std::string fused_chains_phrase(double threshold);

nlohmann::json fusion_json(const FusionReport& rep);
// The keys of fusion_json()'s "lengths" and "candidates" with the labels and units the HTML report
// shows them in (print_fusion's units; every scalar key fusion_json writes there has one).
const std::vector<JsonColumn>& fusion_length_columns();
const std::vector<JsonColumn>& fusion_candidate_columns();
void print_fusion(std::ostream& os, const FusionReport& rep);
// The per-length table as CSV (header first).
void print_fusion_csv(std::ostream& os, const FusionReport& rep);

}  // namespace infertrace
