// Which recording a scheduler analysis document (`kind` "sched": a saved `sched --json`, or one
// `report` makes from a recording) was computed from, so that `report` shows a recording given
// together with its own saved analysis once (src/cli/cmd_report.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace infertrace {

// The recording's file name and nanosecond time span ("t_begin_ns", "t_end_ns"); "" for any other
// document, or one without those members. No figure of the analysis is part of it: see the .cpp.
std::string sched_recording_key(const nlohmann::json& doc);

}  // namespace infertrace
