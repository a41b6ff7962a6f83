// `infertrace analyze --json`: the launch analysis of one or more traces as a stable, versioned
// JSON document (schema in docs/analyze.md). Every figure is raw integer nanoseconds or a count.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "analysis/launch.h"

namespace infertrace {

inline constexpr int kAnalyzeSchemaVersion = 1;

struct AnalyzedTrace {
  const Trace* trace;
  const LaunchAnalysis* analysis;
};

// One trace's object: every summary figure at the top level, then the tables in full.
nlohmann::json analyze_trace_json(const Trace& t, const LaunchAnalysis& a);

// The whole document: for one trace its object plus schema_version and kind; for several,
// {schema_version, kind, traces: [object per trace]}.
nlohmann::json analyze_document(const std::vector<AnalyzedTrace>& traces);

// The keys of the launch metrics that a trace without GPU activity has null (its "undefined_reason",
// LaunchAnalysis::gpu_undefined_reason, says why), also the columns other outputs leave empty for it.
const std::vector<const char*>& gpu_defined_keys();
// The host figures, null when no thread issued a launch call (LaunchAnalysis::host_undefined;
// the reason in `host_undefined_reason`).
const std::vector<const char*>& host_keys_without_thread();

// The figures a recording leaves unknown when a process's launches were not measured (no
// launch-class callback enabled, Trace::launch_coverage): a sum with an unmeasured term is no
// measurement, nor is what is chosen by it (the launching thread), so they are null, with
// "launch_undefined_reason" (docs/analyze.md). JSON keys, and the SQLite summary's flat spellings
// of launch_thread (launch_thread_pid, launch_thread_tid).
const std::vector<const char*>& launch_measured_keys();

// The label of an API kind in every output (JSON, CSV, SQLite, tables).
const char* api_kind_label(ApiKind k);

}  // namespace infertrace
