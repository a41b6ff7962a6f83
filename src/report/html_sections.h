// Section renderers of the HTML report (internal to src/report/html_*.cpp). Each returns ""
// when it has nothing to show, so the page leaves the section out.
#pragma once

#include <string>
#include <vector>

#include "report/html_report.h"

namespace infertrace::html {

// Traces: one overview row per trace (when several), then each trace's details.
std::string traces_overview(const std::vector<TraceInput>& traces);
std::string trace_details(const TraceInput& in, size_t index);
void trace_findings(const TraceInput& in, std::vector<std::string>& out);

// Saved JSON documents of other verbs, by classify_document() kind.
std::string document_section(const JsonInput& in, const std::string& kind, size_t index);
void document_findings(const JsonInput& in, const std::string& kind, std::vector<std::string>& out);

// A `sched --json` document (saved, or built for a recording): src/report/html_sched.cpp; its
// verdict as a finding (html_doc_sections.cpp).
std::string sched_section(const nlohmann::json& doc);
void sched_findings(const JsonInput& in, std::vector<std::string>& out);
// What a scheduler analysis says of an incomplete recording (`incomplete_note`, or a saved one's
// `skipped.truncated_tail_bytes`; `dropped` null: loss counts unknown), as one sentence or more;
// "" for a complete one (html_sched.cpp).
std::string sched_incomplete_words(const nlohmann::json& doc);
// The finding that names an incomplete recording: one string for a trace and its scheduler
// analysis alike, so the findings list it once (html_doc_sections.cpp).
std::string incomplete_finding(const std::string& source, std::string words);

// A saved `analyze --json` document, one trace or several (each with its scheduler section when
// it is a recording): src/report/html_analyze.cpp.
std::string analyze_section(const nlohmann::json& doc);
void analyze_findings(const JsonInput& in, std::vector<std::string>& out);

}  // namespace infertrace::html
