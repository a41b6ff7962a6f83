// `infertrace report` building blocks, shared with `infertrace demo`: read each INPUT as a trace
// (Kineto JSON/.gz, recording) or a saved --json document of another verb, analyze the traces, and
// write the self-contained HTML report.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/launch.h"
#include "report/html_report.h"
#include "trace/trace.h"

namespace infertrace::cli {

// Owns the traces and analyses the report's inputs point to.
struct ReportData {
  std::vector<std::unique_ptr<Trace>> traces;
  std::vector<std::unique_ptr<LaunchAnalysis>> analyses;
  html::ReportInputs inputs;
  // Scheduler analyses already in `inputs.docs`, by recording (sched_recording_key: file name and time span): a
  // recording and its saved `sched --json` given together are one analysis, shown once.
  struct SchedShown {
    size_t doc = 0;      // index in inputs.docs
    bool fresh = false;  // computed from the recording by this run (not a saved file)
  };
  std::map<std::string, SchedShown> sched_shown;
  // Whether to say on stderr which of two inputs of one recording is shown. The demo gives both
  // itself (the recording and its saved analysis), so the notice would only puzzle its user
  // (review DX L1).
  bool say_duplicates = true;
  // Each trace's timeline excerpt: where it starts and how many events (report --timeline-at,
  // --timeline-events).
  html::TimelineOptions timeline;
};

// Adds one input: a trace (loaded and analyzed) or a result document. Throws InputError.
void add_report_input(ReportData& data, const std::string& path, const std::string& label = "");

// The name an input's section is shown by: `label`, else the file name, made printable.
std::string report_input_name(const std::string& path, const std::string& label);

// Writes the report; returns the findings it opens with.
std::vector<std::string> write_report(const ReportData& data, const std::string& out_path);

}  // namespace infertrace::cli
