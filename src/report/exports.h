// Whole-trace exports used by `infertrace export` (cli/cmd_export.cpp). Each writes one format
// from a Trace (and, where noted, analysis results) and throws infertrace::Error on I/O failure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/staged_tables.h"
#include "trace/trace.h"

namespace infertrace {

// Recording tables as CSV files in `dir`, which must exist (the CLI makes it, recording what it
// made, so a failed run removes exactly that: cli/export_outputs.h) (launches.csv, switches.csv, wakeups.csv, irqs.csv,
// syscalls.csv, threads.csv) with the exact columns of docs/recording-format.md. `renamed`, when
// given, gets what was renamed into place (StagedTables), for the CLI's clean-up when a later
// output fails.
// `launch_calls`, here and for the Chrome JSON: launch_calls_of_gpu_rows(trace) when the caller has
// it (export computes it once for all its outputs: analysis/launch.h), else computed here.
void write_csv_tables(const Trace& trace, const std::string& dir, RenamedTables* renamed = nullptr,
                      const std::vector<uint32_t>* launch_calls = nullptr);

// Every name write_csv_tables may write (or remove: a stale gpu.csv, loss_windows.csv or
// operators.csv) in its directory: export refuses another output, or an input, at one of them
// (tests/kineto_exports_test.cpp keeps the list whole). loss_windows.csv was missing: a trace
// named so in the --csv directory was removed as a stale table (review DJ).
inline constexpr const char* kCsvTableNames[] = {"launches.csv", "gpu.csv",       "switches.csv",
                                                 "wakeups.csv",  "irqs.csv",      "syscalls.csv",
                                                 "threads.csv",  "operators.csv", "loss_windows.csv"};

// Chrome trace-event JSON (loads in Perfetto UI and chrome://tracing): a track per traced thread
// (launches, syscalls, operators), a track per CPU (on-CPU slices, IRQs), GPU streams, flows.
void write_chrome_json(const Trace& trace, const std::string& path, const std::vector<uint32_t>* launch_calls = nullptr);

// Perfetto's native protobuf trace (TrackEvent), for traces too large for JSON viewers.
void write_perfetto(const Trace& trace, const std::string& path);

// SQLite database with every event table and every analysis result (docs/sqlite-schema.md).
void write_sqlite(const Trace& trace, const std::string& path);

}  // namespace infertrace
