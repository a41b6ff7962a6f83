#include "report/analyze_json.h"

#include <algorithm>

#include "analysis/launch_count_bound.h"
#include "ingest/recording/cupti_callbacks.h"
#include "report/text_table.h"

namespace infertrace {

using nlohmann::json;

const char* api_kind_label(ApiKind k) {
  switch (k) {
    case ApiKind::KernelLaunch: return "kernel_launch";
    case ApiKind::GraphLaunch: return "graph_launch";
    case ApiKind::MemcpyAsync: return "memcpy_async";
    case ApiKind::MemsetAsync: return "memset_async";
    case ApiKind::Sync: return "sync";
    case ApiKind::Other: break;
  }
  return "other";
}

namespace {

double ratio(double part, double whole) { return whole > 0 ? part / whole : 0.0; }

// A mean over no calls is unknown (null), as the text and HTML print "-", not 0.
json mean_or_null(ns_t total, int64_t n) {
  return n > 0 ? json(static_cast<double>(total) / static_cast<double>(n)) : json(nullptr);
}

json api_rows(const Trace& t, const LaunchAnalysis& a) {
  json rows = json::array();
  for (const ApiBreakdownRow& r : a.by_api) {
    rows.push_back({{"name", t.str(r.name)},
                    {"kind", api_kind_label(r.kind)},
                    {"calls", r.calls},
                    {"linked", r.linked},
                    {"timed_calls", r.timed},
                    // No call of this name with a known duration: the sum is unknown, not 0.
                    {"api_total_ns", r.timed > 0 ? json(r.api_total) : json(nullptr)},
                    {"latency_total_ns", r.latency_total},
                    {"launch_total_ns", r.launch_total},
                    {"queue_total_ns", r.queue_total},
                    {"mean_api_ns", mean_or_null(r.api_total, r.timed)},
                    {"mean_latency_ns", mean_or_null(r.latency_total, r.linked)},
                    {"mean_launch_ns", mean_or_null(r.launch_total, r.linked)},
                    {"mean_queue_ns", mean_or_null(r.queue_total, r.linked)}});
  }
  return rows;
}

json kernel_rows(const Trace& t, const LaunchAnalysis& a) {
  json rows = json::array();
  for (const KernelStat& k : a.kernels_by_name) {
    const std::string full(t.str(k.name));
    rows.push_back({{"name", full},
                    {"short_name", short_kernel_name(full)},
                    {"count", k.count},
                    {"total_ns", k.total},
                    {"mean_ns", ratio(static_cast<double>(k.total), static_cast<double>(k.count))},
                    {"min_ns", k.min},
                    {"max_ns", k.max},
                    // The launch calls whose first GPU activity is this kernel, with the per-API
                    // rows' names for the same sums and means (docs/analyze.md).
                    {"launches", k.launches},
                    {"latency_total_ns", k.latency},
                    {"launch_total_ns", k.launch_part},
                    {"queue_total_ns", k.queue_part},
                    {"mean_latency_ns", mean_or_null(k.latency, k.launches)},
                    {"mean_launch_ns", mean_or_null(k.launch_part, k.launches)},
                    {"mean_queue_ns", mean_or_null(k.queue_part, k.launches)}});
  }
  return rows;
}

json operator_rows(const Trace& t, const LaunchAnalysis& a) {
  json rows = json::array();
  for (const OperatorStat& o : a.by_operator)
    rows.push_back({{"name", t.str(o.name)},
                    {"calls", o.calls},
                    {"kernels", o.kernels},
                    {"launch_tax_ns", o.launch_tax},
                    {"gpu_time_ns", o.gpu_time},
                    {"cpu_time_ns", o.cpu_time},
                    {"launch_part_ns", o.launch_part},
                    {"queue_part_ns", o.queue_part}});
  return rows;
}

json stream_rows(const LaunchAnalysis& a) {
  json rows = json::array();
  for (const StreamStat& s : a.by_stream)
    rows.push_back({{"device", s.device},
                    {"stream", s.stream},
                    {"kernels", s.kernels},
                    {"memcpys", s.memcpys},
                    {"memsets", s.memsets},
                    {"busy_ns", s.busy},
                    {"kernel_time_ns", s.kernel_time}});
  return rows;
}

json device_rows(const LaunchAnalysis& a) {
  json rows = json::array();
  for (const DeviceStat& d : a.by_device) {
    rows.push_back({{"device", d.device}, {"busy_ns", d.busy}, {"idle_ns", d.idle}});
    // Its share of IL (review AK M2); null for an empty window, as gpu_idle_fraction.
    rows.back()["idle_fraction"] = a.inference_latency > 0 ? json(ratio(static_cast<double>(d.idle), static_cast<double>(a.inference_latency)))
                                                           : json(nullptr);
  }
  return rows;
}

json self_time_rows(const Trace& t, const OperatorSelfTimes& s) {
  json ops = json::array();
  for (const HostOperatorStat& o : s.operators)
    ops.push_back({{"name", t.str(o.name)},
                   {"count", o.count},
                   {"total_ns", o.total},
                   {"self_ns", o.self},
                   {"mean_ns", ratio(static_cast<double>(o.total), static_cast<double>(o.count))},
                   {"self_share", ratio(static_cast<double>(o.self), static_cast<double>(s.self_total))}});
  return ops;
}

// Every trace: the operators by self time (docs/analyze.md, "Operators by self time").
json self_time_json(const Trace& t, const OperatorSelfTimes& s) {
  return {{"top_level_operators", s.top_level}, {"self_total_ns", s.self_total}, {"operators", self_time_rows(t, s)}};
}

// A trace without GPU activity: what it does measure (docs/analyze.md). Its `operators` are the
// rows of `operators_by_self`, kept here as they were before every trace had those.
json host_json(const Trace& t, const HostAnalysis& h, const OperatorSelfTimes& s) {
  json threads = json::array();
  for (const HostThreadStat& th : h.threads)
    threads.push_back({{"pid", th.pid},
                       {"tid", th.tid},
                       {"name", t.str(th.comm)},
                       {"operators", th.operators},
                       {"active_ns", th.active},
                       {"idle_ns", th.idle},
                       {"idle_fraction", ratio(static_cast<double>(th.idle), static_cast<double>(h.span))}});
  return {{"t_begin_ns", h.t_begin}, {"t_end_ns", h.t_end},         {"span_ns", h.span},
          {"top_level_operators", s.top_level}, {"self_total_ns", s.self_total}, {"threads", threads},
          {"operators", self_time_rows(t, s)}};
}

// Which callbacks CUPTI enabled and refused per process (docs/analyze.md, `cupti_callbacks`);
// `reported` false: the trace carries no such information (Kineto, uprobe mode, older recordings).
json cupti_callbacks_json(const std::vector<CuptiCallbackStatus>& all, const LaunchCoverage& c) {
  json procs = json::array();
  for (const CuptiCallbackStatus& s : all) {
    // A process whose record was lost or is malformed: its counts are unknown (null), not 0.
    const auto count = [&](uint64_t v) { return s.known ? json(v) : json(nullptr); };
    procs.push_back({{"pid", s.pid},
                     {"known", s.known},
                     {"callbacks_enabled", count(s.enabled)},
                     {"launch_callbacks_enabled", count(s.launch_enabled)},
                     {"kernel_launch_callbacks_enabled", count(s.kernel_launch_enabled)},
                     {"launches_measured", std::find(c.unmeasured_pids.begin(), c.unmeasured_pids.end(), s.pid) ==
                                               c.unmeasured_pids.end()},
                     {"launches_partial", std::find(c.partial_pids.begin(), c.partial_pids.end(), s.pid) != c.partial_pids.end()},
                     {"refused", count(s.refused)},
                     {"launch_refused", count(s.launch_refused)},
                     // false: launch_refused is a lower bound (derived from a cut list of names)
                     {"launch_refused_exact", s.known ? json(s.launch_refused_exact) : json(nullptr)},
                     {"refused_names", s.refused_names},
                     {"refused_unlisted", count(s.unlisted())}});
  }
  return {{"reported", !all.empty()},
          {"processes", procs},
          {"launch_not_measured_pids", c.unmeasured_pids},
          {"launch_partial_pids", c.partial_pids}};
}

}  // namespace

const std::vector<const char*>& launch_measured_keys() {
  // Sums over launch calls, and what is chosen or measured from them: the launching thread (chosen
  // by its launch count) and its host and CPU idle times, how launches were tied to operators.
  static const std::vector<const char*> keys = {
      "launch_calls", "linked_launch_calls", "graph_launches", "tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns",
      "api_time_ns", "bound", "orphan_launch_calls", "launch_calls_unknown_duration", "clock_skew_clamped",
      "duplicate_correlation_calls", "launch_thread", "launch_thread_pid", "launch_thread_tid", "host_active_ns",
      "host_sync_ns", "cpu_idle_ns", "cpu_idle_fraction", "operator_links", "launch_thread_annotations",
      "host_active_without_annotations_ns", "cpu_idle_without_annotations_ns", "cpu_idle_without_annotations_fraction",
      "duplicate_calls_of_other_processes", "cpu_bound_gpu_busy"};
  return keys;
}

const std::vector<const char*>& host_keys_without_thread() {
  static const std::vector<const char*> keys = {
      "host_active_ns", "host_sync_ns", "cpu_idle_ns", "cpu_idle_fraction", "host_active_without_annotations_ns",
      "cpu_idle_without_annotations_ns", "cpu_idle_without_annotations_fraction"};
  return keys;
}

const std::vector<const char*>& gpu_defined_keys() {
  static const std::vector<const char*> keys = {
      "tklqt_ns",    "tklqt_launch_ns", "tklqt_queue_ns",    "api_time_ns",    "akd_ns",
      "inference_latency_ns", "t_begin_ns", "t_end_ns", "t_begin_from",   "gpu_busy_ns",    "gpu_idle_ns",
      "gpu_idle_fraction",    "host_active_ns", "host_sync_ns", "cpu_idle_ns", "cpu_idle_fraction", "bound",
      "host_active_without_annotations_ns", "cpu_idle_without_annotations_ns", "cpu_idle_without_annotations_fraction"};
  return keys;
}

json analyze_trace_json(const Trace& t, const LaunchAnalysis& a) {
  const double il = static_cast<double>(a.inference_latency);
  json j;
  j["file"] = t.file;
  j["kernels"] = a.kernels;
  j["memcpys"] = a.memcpys;
  j["memsets"] = a.memsets;
  j["gpu_activities"] = a.gpu_activities;
  j["api_calls"] = a.api_calls;
  j["launch_calls"] = a.launch_calls;
  j["linked_launch_calls"] = a.linked_launch_calls;
  j["graph_launches"] = a.graph_launches;
  j["sync_calls"] = a.sync_calls;
  j["operators"] = a.operators;
  j["tklqt_ns"] = a.tklqt;
  j["tklqt_launch_ns"] = a.tklqt_launch;
  j["tklqt_queue_ns"] = a.tklqt_queue;
  j["api_time_ns"] = a.api_time_unknown() ? json(nullptr) : json(a.api_time);
  j["akd_ns"] = a.akd_undefined() ? json(nullptr) : json(a.akd_ns);  // no kernels: no mean (review CX L5)
  j["inference_latency_ns"] = a.inference_latency;
  j["t_begin_ns"] = a.t_begin;
  j["t_end_ns"] = a.t_end;
  j["t_begin_from"] = a.t_begin_from;  // what the window starts at (review CX L5)
  j["gpu_busy_ns"] = a.gpu_busy;
  j["gpu_idle_ns"] = a.gpu_idle;
  j["gpu_idle_fraction"] = ratio(static_cast<double>(a.gpu_idle), il);
  j["host_active_ns"] = a.host_active;
  j["host_sync_ns"] = a.host_sync;
  j["cpu_idle_ns"] = a.cpu_idle;
  j["cpu_idle_fraction"] = ratio(static_cast<double>(a.cpu_idle), il);
  j["launch_thread_annotations"] = a.launch_thread_annotations;
  j["host_active_without_annotations_ns"] = a.host_active_without_annotations;
  j["cpu_idle_without_annotations_ns"] = a.cpu_idle_without_annotations;
  j["cpu_idle_without_annotations_fraction"] = ratio(static_cast<double>(a.cpu_idle_without_annotations), il);
  j["profiler_steps"] = a.profiler_steps;
  // An empty inference-latency window: its shares are 0/0, unknown (null), as sweep --json gives
  // them, not a measured 0.0 (review AK L2).
  if (a.inference_latency <= 0)
    for (const char* k : {"gpu_idle_fraction", "cpu_idle_fraction", "cpu_idle_without_annotations_fraction"}) j[k] = nullptr;
  if (a.host_undefined()) {
    // No launching thread: null, not 0 and the whole IL (host_keys_without_thread()).
    for (const char* k : host_keys_without_thread()) j[k] = nullptr;
    j["host_undefined_reason"] = a.host_undefined_reason;
  }
  j["bound"] = a.bound.empty() ? json(nullptr) : json(a.bound);
  if (a.bound.empty() && !a.gpu_undefined()) j["bound_undefined_reason"] = a.bound_undefined_reason;
  j["cpu_bound_gpu_busy"] = a.cpu_bound_gpu_busy;  // analysis/bound_verdict.h: the text and HTML read it
  // The device the caveats judge by (review AK M2; with one device its idle is gpu_idle_ns).
  j["most_idle_device"] =
      !a.by_device.empty()
          ? json{{"device", a.most_idle_device},
                 {"devices", a.by_device.size()},
                 {"idle_ns", a.most_idle_gpu_idle()},
                 {"idle_fraction", a.inference_latency > 0 ? json(ratio(static_cast<double>(a.most_idle_gpu_idle()), il))
                                                           : json(nullptr)}}
          : json(nullptr);
  j["clock_skew_clamped"] = a.clock_skew_clamped;
  j["orphan_activities"] = a.orphan_activities;
  j["orphan_launch_calls"] = a.orphan_launch_calls;
  j["activities_of_other_calls"] = a.activities_of_other_calls;
  j["duplicate_correlation_calls"] = a.duplicate_correlation_calls;
  j["duplicate_calls_of_other_processes"] = a.duplicate_calls_of_other_processes;
  j["shared_id_activities_by_device"] = a.shared_id_activities_by_device;
  j["shared_id_activities_unresolved"] = a.shared_id_activities_unresolved;
  j["launch_calls_unknown_duration"] = a.launch_calls_unknown_duration;
  // No launch call, no launching thread: null (docs/analyze.md), not pid/tid -1 (review FMT M2).
  j["launch_thread"] = a.launch_thread_launches > 0 ? json{{"pid", a.launch_thread_pid},
                                                           {"tid", a.launch_thread_tid},
                                                           {"launches", a.launch_thread_launches}}
                                                     : json(nullptr);
  j["operator_links"] = {{"by_external_id", a.calls_by_external_id},
                         {"by_containment", a.calls_by_containment},
                         {"none", a.calls_without_operator}};
  j["skipped"] = json::object();
  for (auto& [reason, n] : t.skipped) j["skipped"][reason] = n;
  j["names_cleaned"] = json::object();  // names kept with characters replaced: their events are used
  for (auto& [reason, n] : t.names_cleaned) j["names_cleaned"][reason] = n;
  j["zero_duration_events"] = t.zero_duration_events();
  // Added 2026-12-08 (review KV58 H1): Kineto's "INVALID" runtime calls, named by callback id or kept.
  j["invalid_api_names_resolved"] = t.invalid_api_names_resolved();
  j["invalid_api_names_kept"] = t.invalid_api_names_kept();
  if (a.gpu_undefined()) {
    // Same keys, null values: 0 would read as a measurement. The reason says why.
    for (const char* k : gpu_defined_keys()) j[k] = nullptr;
    j["undefined_reason"] = gpu_undefined_reason_with_hint(t, a);
    if (a.host) j["host"] = host_json(t, *a.host, a.by_self);  // (not without operators: a recording)
  }
  const LaunchCoverage& coverage = t.launch_coverage;
  if (!coverage.measured()) {
    for (const char* k : launch_measured_keys())
      if (j.contains(k)) j[k] = nullptr;  // (the SQLite-only spellings are not keys here)
    j["launch_undefined_reason"] = coverage.unmeasured_reason;
  }
  if (coverage.partial()) j["launch_partial_note"] = coverage.partial_note;
  // Added 2026-12-07 (review RL57 L3): whether `launch_calls` counts fewer than ran, and why. An
  // object: the top level's scalars are the figures export --sqlite's launch_summary repeats.
  const LaunchCountBound launches = launch_count_bound(t);
  j["launch_calls_bound"] = {{"lower_bound", launches.lower_bound},
                             {"reason", launches.lower_bound ? json(launches.cause) : json(nullptr)}};
  // `apis` and `orphan_activities` stay counts of what was recorded; the note says so (absent when
  // every launch call was recorded).
  if (const std::string note = recorded_calls_note(coverage); !note.empty()) j["recorded_calls_note"] = note;
  j["cupti_callbacks"] = cupti_callbacks_json(cupti_callback_statuses(t), coverage);
  j["apis"] = api_rows(t, a);
  j["kernel_stats"] = kernel_rows(t, a);
  j["operator_stats"] = operator_rows(t, a);
  j["operators_by_self"] = self_time_json(t, a.by_self);
  j["streams"] = stream_rows(a);
  j["devices"] = device_rows(a);
  return j;
}

json analyze_document(const std::vector<AnalyzedTrace>& traces) {
  json doc;
  doc["schema_version"] = kAnalyzeSchemaVersion;
  doc["kind"] = "analyze";
  if (traces.size() == 1) {
    doc.update(analyze_trace_json(*traces[0].trace, *traces[0].analysis));
    return doc;
  }
  doc["traces"] = json::array();
  for (const AnalyzedTrace& x : traces) doc["traces"].push_back(analyze_trace_json(*x.trace, *x.analysis));
  return doc;
}

}  // namespace infertrace
