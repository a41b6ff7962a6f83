// sched --json's `launch_mix` (analysis/launch_mix.h), written by `sched`/`analyze` and read back by
// `compare` from a saved analysis: {"basis", "launches", "buckets": {"<index>": count, ...}} with
// only the buckets that count something, or null when the run has no mix.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/launch_mix.h"

namespace infertrace {

nlohmann::json launch_mix_json(const std::optional<LaunchMix>& mix);

// Throws InputError naming `file` for a `launch_mix` that is not of that form (an unknown basis, an
// index outside [0, kLaunchMixBuckets), a negative or fractional count, counts not summing to
// `launches`); none for null.
std::optional<LaunchMix> launch_mix_from_json(const nlohmann::json& v, const std::string& file);

}  // namespace infertrace
