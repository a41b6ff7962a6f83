// The self-contained HTML report (`infertrace report`, `infertrace demo`): one file with inline
// CSS, a small inline script (timeline zoom/pan only) and server-side SVG charts; no network.
//
// It renders whatever the inputs hold, section by section, and leaves a section out when its data
// is absent, so it works with any subset of the analyses:
//  - traces, with their launch analysis: summary, launch-latency histogram, launch API table, top
//    kernels, per-operator table, streams, timeline excerpt; several traces: one row each;
//  - saved --json documents of other verbs, recognised by their keys (docs/report.md): sweep,
//    fusion, bench threads, scheduler/IRQ analysis, compare; anything else as a key/value table.
// Plain-language findings drawn from all of it open the report.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "analysis/launch.h"
#include "report/html_timeline.h"
#include "trace/trace.h"

namespace infertrace::html {

struct TraceInput {
  std::string label;  // usually the file name
  const Trace* trace = nullptr;
  const LaunchAnalysis* launch = nullptr;  // may be null (then only the timeline is drawn)
  TimelineOptions timeline{};  // its timeline excerpt (report --timeline-at, --timeline-events)
};

struct JsonInput {
  std::string label;  // usually the file name
  nlohmann::json doc;
};

struct ReportInputs {
  std::string title = "infertrace report";
  std::vector<TraceInput> traces;
  std::vector<JsonInput> docs;
  // Facts shown at the bottom (command line, host, version); also what the demo could not do.
  std::vector<std::pair<std::string, std::string>> notes;
};

// The kinds of saved --json document the report has a section for, each named after the verb
// that prints it ("threads": bench threads). export --attach VERB=FILE accepts these VERBs only.
inline constexpr const char* kDocumentKinds[] = {"analyze", "sched", "fusion", "sweep", "compare", "threads"};

// What kind of result a saved JSON document is, from its keys (one of kDocumentKinds, or "" when
// unknown).
std::string classify_document(const nlohmann::json& doc);

// Why a saved document cannot be shown ("" when it can): a `schema_version` that is no version
// (report/schema_version.h), or a `kind` whose keys the document lacks (a compare document marked
// "sched" would give an empty section: review HR M3). `report` and `export --attach` refuse such
// a file (exit 1), naming it.
std::string document_problem(const nlohmann::json& doc);

// One line per headline finding, also printed by `infertrace demo`.
std::vector<std::string> findings(const ReportInputs& in);

std::string render_report(const ReportInputs& in);

}  // namespace infertrace::html
