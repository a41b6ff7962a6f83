// `infertrace analyze` for people: terminal tables of the launch analysis, and the same tables as
// CSV files (one file per table, one row set per trace, raw nanoseconds) for spreadsheets.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "report/analyze_json.h"
#include "report/staged_tables.h"

namespace infertrace {

// Summary, launch API breakdown, top-`top` kernels by total time and by count, top-`top`
// operators by launch tax, streams, and devices when there are several.
void print_analyze_text(std::ostream& os, const Trace& t, const LaunchAnalysis& a, size_t top);

// Every table write_analyze_csv may write (or remove: a stale host table of an earlier run).
inline const std::vector<std::string> kAnalyzeCsvTableNames = {"summary.csv", "apis.csv",         "kernels.csv",
                                                               "operators.csv", "streams.csv",    "devices.csv",
                                                               "host_threads.csv", "host_operators.csv"};

// Writes summary.csv, apis.csv, kernels.csv, operators.csv, streams.csv and devices.csv into `dir`
// (which must exist: the CLI makes it, recording what it made), with host_threads.csv and host_operators.csv when a trace has rows for
// them; every row starts with the trace's file. The tables replace the old ones as one set
// (report/staged_tables.h): a failure leaves the directory's tables as they were, and a host table
// of an earlier run that this one has no rows for is removed. Returns the paths written; `renamed`,
// when given, gets what was renamed into place (StagedTables), for the CLI's clean-up.
std::vector<std::string> write_analyze_csv(const std::string& dir, const std::vector<AnalyzedTrace>& traces,
                                           RenamedTables* renamed = nullptr);

}  // namespace infertrace
