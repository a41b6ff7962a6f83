// `infertrace analyze` for people: terminal tables of the launch analysis, and the same tables as
// CSV files (one file per table, one row set per trace, raw nanoseconds) for spreadsheets.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "report/analyze_json.h"

namespace infertrace {

// Summary, launch API breakdown, top-`top` kernels by total time and by count, top-`top`
// operators by launch tax, streams, and devices when there are several.
void print_analyze_text(std::ostream& os, const Trace& t, const LaunchAnalysis& a, size_t top);

// Writes summary.csv, apis.csv, kernels.csv, operators.csv, streams.csv and devices.csv into `dir`
// (created if missing); every row starts with the trace's file. Returns the paths written.
std::vector<std::string> write_analyze_csv(const std::string& dir, const std::vector<AnalyzedTrace>& traces);

}  // namespace infertrace
