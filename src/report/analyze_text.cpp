#include "report/analyze_text.h"

#include "report/staged_tables.h"
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "analysis/bound_verdict.h"
#include "ingest/recording/cupti_callbacks.h"
#include "report/analyze_json.h"
#include "report/analyze_notes.h"
#include "report/analyze_rows.h"
#include "report/kernel_display_names.h"
#include "report/staged_tables.h"
#include "report/text_table.h"
#include "analysis/launch_count_bound.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace {

namespace {

using Align = TextTable::Align;

double share(ns_t part, ns_t whole) { return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0; }

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string mean(ns_t total, int64_t n) {
  return n > 0 ? format_ns(static_cast<double>(total) / static_cast<double>(n)) : "-";
}

void print_summary(std::ostream& os, const Trace& t, const LaunchAnalysis& a) {
  TextTable tb({"metric", "value", "meaning"}, {Align::Left, Align::Right, Align::Left});
  auto row = [&](std::string m, std::string v, std::string why) { tb.add_row({std::move(m), std::move(v), std::move(why)}); };
  row("GPU activities", format_count(a.gpu_activities),
      format_count(a.kernels) + " kernels, " + format_count(a.memcpys) + " memcpy, " + format_count(a.memsets) + " memset");
  // A process without a launch callback (CUPTI refused them all): its launches were not counted, so
  // every launch sum is unknown, "-" as the JSON's null (launch_measured_keys()).
  const bool measured = t.launch_coverage.measured();
  auto launch_row = [&](std::string m, std::string v, std::string why) {
    if (measured) row(std::move(m), std::move(v), std::move(why));
    else row(std::move(m), "-", t.launch_coverage.unmeasured_reason);
  };
  // Fewer counted than ran when the recorder lost records that may be launch calls or CUPTI refused
  // some launch callbacks: ">=", and why (review RL57 L3).
  const LaunchCallsCell launches = launch_calls_cell(t, a, ">= ");
  launch_row("launch calls", launches.value, launches.meaning);
  if (a.gpu_undefined()) {
    // Without GPU work these are not measurements: "-", not 0 (the host section follows).
    const std::string why = "undefined: " + gpu_undefined_reason_with_hint(t, a);
    for (const char* m : kGpuUndefinedRows) row(m, "-", why);
  } else {
    launch_row("TKLQT", format_ns(a.tklqt), "sum over launch calls of (first GPU start - call start); their waits overlap, so it can exceed IL");
    launch_row("  launch part", format_ns(a.tklqt_launch), format_pct(share(a.tklqt_launch, a.tklqt)) + " of TKLQT: host-side launch cost");
    launch_row("  queue part", format_ns(a.tklqt_queue), format_pct(share(a.tklqt_queue, a.tklqt)) + " of TKLQT: waiting behind earlier GPU work");
    launch_row("API time", a.api_time_unknown() ? "unknown" : format_ns(a.api_time),
               a.api_time_unknown() ? "no linked launch call has a recorded duration" : "sum of launch call durations");
    row("AKD", a.akd_undefined() ? "n/a" : format_ns(a.akd_ns),
        a.akd_undefined() ? "average kernel duration: undefined, no kernels" : "average kernel duration");
    row("inference latency", format_ns(a.inference_latency), inference_latency_meaning(a.t_begin_from));
    row("GPU busy", format_ns(a.gpu_busy), "union of GPU activity intervals");
    row("GPU idle", format_ns(a.gpu_idle), gpu_idle_meaning(a));
    if (has_most_idle_device_row(a)) row("  most idle device", format_ns(a.most_idle_gpu_idle()), most_idle_device_meaning(a));
    if (a.host_undefined()) launch_row("CPU idle", "-", "undefined: " + a.host_undefined_reason);
    else
      launch_row("CPU idle", format_ns(a.cpu_idle),
          il_share_text(a.cpu_idle, a.inference_latency) + " of inference latency, launching thread " +
              std::to_string(a.launch_thread_tid) + " (host active " + format_ns(a.host_active) + ", in syncs " +
              format_ns(a.host_sync) + ")");
    if (a.launch_thread_annotations > 0 && !a.host_undefined())
      launch_row("  without annotations", format_ns(a.cpu_idle_without_annotations),
          without_annotations_meaning(
              il_share_text(a.cpu_idle_without_annotations, a.inference_latency) + " of inference latency",
              a.launch_thread_annotations, format_ns(a.host_active_without_annotations)));
    if (a.profiler_steps > 1)
      row("profiler steps", format_count(a.profiler_steps), profiler_steps_meaning(a.profiler_steps));
    launch_row("bound", bound_value(a), bound_meaning(a));
  }
  auto counter = [&](const char* name, int64_t n, const char* why) {
    if (n) row(name, format_count(n), why);
  };
  if (measured) counter("clock skew clamped", a.clock_skew_clamped, "launches whose GPU start preceded the call (latency set to 0)");
  const std::string orphan_meaning = orphan_activities_meaning(t.launch_coverage);
  counter("orphan GPU activities", a.orphan_activities,
          orphan_meaning.empty() ? "GPU work whose correlation matches no API call" : orphan_meaning.c_str());
  if (measured) counter("orphan launch calls", a.orphan_launch_calls, "launch calls with no GPU work in the trace");
  counter("GPU work of other calls", a.activities_of_other_calls, "correlated with a non-launch call (e.g. cudaMemcpy)");
  if (measured) counter("duplicate correlations", a.duplicate_correlation_calls, kDuplicateCallsMeaning);
  if (measured) counter("  of other processes", a.duplicate_calls_of_other_processes, kOtherProcessIdsMeaning);
  counter("shared ids linked by device", a.shared_id_activities_by_device, kSharedIdsByDeviceMeaning);
  counter("shared ids unresolved", a.shared_id_activities_unresolved, kSharedIdsUnresolvedMeaning);
  if (measured) counter("unknown call duration", a.launch_calls_unknown_duration, "linked launch calls without an end (no queue part)");
  for (auto& [reason, n] : t.skipped) counter(("skipped: " + reason).c_str(), n, "input events the reader could not use");
  for (auto& [reason, n] : t.names_cleaned) counter(("names cleaned: " + reason).c_str(), n, kNamesCleanedMeaning);
  counter("INVALID names resolved", t.invalid_api_names_resolved(), kInvalidNamesResolvedMeaning);
  counter("INVALID names kept", t.invalid_api_names_kept(), kInvalidNamesKeptMeaning);
  counter("zero-duration events", t.zero_duration_events(),
          a.gpu_undefined() ? "kept as they are: an operator of 0 us (under 1 us in whole-microsecond traces) has no time"
                            : "kept as they are: a launch call of 0 us has no launch part, a kernel of 0 us no time");
  tb.print(os, "Launch and queue summary (" + t.file + ")");
  // What CUPTI refused per process, under the table (the same lines as the record summary's).
  for (const std::string& line : cupti_coverage_lines(cupti_callback_statuses(t), t.launch_coverage)) os << line << "\n";
}

void print_apis(std::ostream& os, const Trace& t, const LaunchAnalysis& a, size_t top) {
  // Launch calls first (they carry the latency columns), then the rest by count.
  std::vector<const ApiBreakdownRow*> rows;
  for (auto& r : a.by_api) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](auto* x, auto* y) { return is_launch(x->kind) > is_launch(y->kind); });
  TextTable tb({"API", "calls", "linked", "mean API", "mean latency", "mean launch", "mean queue", "total latency"});
  size_t n = 0;
  for (const ApiBreakdownRow* r : rows) {
    if (n++ >= top) break;
    // A mean over no linked call is unknown ("-", JSON null); the total is a sum over none, 0 as the
    // JSON, CSV and SQLite write it (docs/analyze.md; review FMT L1).
    tb.add_row({std::string(t.str(r->name)), format_count(r->calls), format_count(r->linked), mean(r->api_total, r->timed),
                mean(r->latency_total, r->linked), mean(r->launch_total, r->linked), mean(r->queue_total, r->linked),
                format_ns(r->latency_total)});
  }
  if (tb.rows()) os << "\n", tb.print(os, "CUDA API calls");
  if (const std::string note = recorded_calls_note(t.launch_coverage); tb.rows() && !note.empty()) os << note << "\n";
  // API records the recorder lost may be any of these calls (review RL57 L3).
  if (const LaunchCountBound b = launch_count_bound(t); tb.rows() && b.records_lost > 0)
    os << "calls are lower bounds: the recorder lost " << (b.up_to ? "up to " : "") << format_count(b.records_lost)
       << (b.records_lost == 1 ? " record that may be a CUDA API call" : " records that may be CUDA API calls") << "\n";
}

void print_kernels(std::ostream& os, const Trace& t, const LaunchAnalysis& a, size_t top, bool by_time) {
  std::vector<const KernelStat*> ks;
  for (auto& k : a.kernels_by_name) ks.push_back(&k);
  ns_t all = 0;
  for (auto* k : ks) all += k->total;
  std::stable_sort(ks.begin(), ks.end(), [&](auto* x, auto* y) { return by_time ? x->total > y->total : x->count > y->count; });
  std::vector<std::string> every_name;
  for (auto* k : ks) every_name.emplace_back(t.str(k->name));
  // 48 columns for the name and short headers, the meaning in a line under the table: the nine
  // columns fit 120 terminal columns on ordinary values (152 with 60 and the long headers). JSON and CSV keep the
  // 60-column short_name.
  const KernelDisplayNames display(every_name, 48);
  if (ks.size() > top) ks.resize(top);
  // The last two: means over the launch calls whose first GPU activity is this kernel (a graph
  // launch is one such call however many kernels it ran; "-" with none).
  TextTable tb({"kernel", "count", "total", "share", "mean", "min", "max", "launch", "queue"});
  for (auto* k : ks)
    tb.add_row({display(std::string(t.str(k->name))), format_count(k->count), format_ns(k->total),
                format_pct(share(k->total, all)), mean(k->total, k->count), format_ns(k->min), format_ns(k->max),
                mean(k->launch_part, k->launches), mean(k->queue_part, k->launches)});
  if (!tb.rows()) return;
  os << "\n", tb.print(os, by_time ? "Top kernels by total time" : "Top kernels by count");
  os << "share: of all kernel time; launch, queue: mean launch and queue parts of the launch calls it started\n";
}

void print_operators(std::ostream& os, const Trace& t, const LaunchAnalysis& a, size_t top) {
  TextTable tb({"operator", "calls", "GPU work", "launch tax", "launch part", "queue part", "GPU time", "CPU time", "tax/GPU"});
  size_t n = 0;
  for (const OperatorStat& o : a.by_operator) {
    // Sorted by launch tax, then CPU time: an operator that launched nothing can come before one
    // whose launches took no time, so it is skipped, not taken as the end (the HTML page does the same).
    if (o.kernels == 0) continue;
    if (n++ >= top) break;
    tb.add_row({std::string(t.str(o.name)), format_count(o.calls), format_count(o.kernels), format_ns(o.launch_tax),
                format_ns(o.launch_part), format_ns(o.queue_part), format_ns(o.gpu_time), format_ns(o.cpu_time),
                o.gpu_time > 0 ? fixed2(share(o.launch_tax, o.gpu_time)) : "-"});
  }
  if (tb.rows()) {
    os << "\n";
    tb.print(os, "Operators by launch tax (launches go to the innermost operator; " +
                     format_count(a.calls_without_operator) + " linked launches had none)");
  }
}

void print_streams(std::ostream& os, const LaunchAnalysis& a) {
  TextTable tb({"device", "stream", "kernels", "memcpy", "memset", "busy", "busy share", "kernel time"});
  for (const StreamStat& s : a.by_stream)
    tb.add_row({std::to_string(s.device), std::to_string(s.stream), format_count(s.kernels), format_count(s.memcpys),
                format_count(s.memsets), format_ns(s.busy), il_share_text(s.busy, a.inference_latency),
                format_ns(s.kernel_time)});
  if (tb.rows()) os << "\n", tb.print(os, "GPU streams (busy inside the inference-latency window)");
  if (a.by_device.size() > 1) {
    TextTable dv({"device", "busy", "idle", "idle share"});
    for (const DeviceStat& d : a.by_device)
      dv.add_row({std::to_string(d.device), format_ns(d.busy), format_ns(d.idle), il_share_text(d.idle, a.inference_latency)});
    os << "\n";
    dv.print(os, "GPU devices");
  }
}

// Operators by self time, every trace: which operators cost the host its time (torch's
// key_averages table, computed from the trace). Beside the launch-tax table, whose calls and CPU
// time are this table's count and total.
void print_self_times(std::ostream& os, const Trace& t, const OperatorSelfTimes& s, size_t top) {
  TextTable op({"operator", "count", "total", "self", "mean", "self share"});
  size_t n = 0;
  for (const HostOperatorStat& o : s.operators) {
    if (n++ >= top) break;
    op.add_row({std::string(t.str(o.name)), format_count(o.count), format_ns(o.total), format_ns(o.self),
                mean(o.total, o.count), format_pct(share(o.self, s.self_total))});
  }
  if (op.rows())
    os << "\n", op.print(os, "Operators by self time (inclusive minus direct children on the same thread)");
}

// A trace without GPU activity: the host span, each thread's active and idle time in it, and the
// operators by self time. `no_gpu` is why there is no GPU side (LaunchAnalysis::gpu_undefined_reason).
void print_host(std::ostream& os, const Trace& t, const HostAnalysis& h, const OperatorSelfTimes& s, size_t top,
                const std::string& no_gpu) {
  os << "\n";
  TextTable sm({"metric", "value", "meaning"}, {Align::Left, Align::Right, Align::Left});
  sm.add_row({"host span", format_ns(h.span), "first top-level operator start to last host event end"});
  sm.add_row({"top-level operators", format_count(s.top_level), "operators inside no other operator of their thread"});
  sm.add_row({"operator self time", format_ns(s.self_total), "sum of self times (the share column's whole)"});
  sm.print(os, "Host (" + no_gpu + ")");
  TextTable th({"pid", "tid", "thread", "operators", "active", "idle", "idle share"});
  for (const HostThreadStat& x : h.threads)
    th.add_row({std::to_string(x.pid), std::to_string(x.tid), std::string(t.str(x.comm)), format_count(x.operators),
                format_ns(x.active), format_ns(x.idle), format_pct(share(x.idle, h.span))});
  if (th.rows()) os << "\n", th.print(os, "Host threads (active: union of the thread's operators inside the host span)");
  print_self_times(os, t, s, top);
}

std::string i(int64_t v) { return std::to_string(v); }

// Staged with the other tables (report/staged_tables.h): renamed into place only with the whole set.
void save(StagedTables& set, const std::string& name, const TextTable& tb, std::vector<std::string>& written,
          const std::filesystem::path& dir) {
  const std::string to = set.stage(name);
  std::ofstream out(to, std::ios::binary);
  const std::string table = (dir / name).string();
  if (!out) throw Error("cannot write " + table + ".partial: " + std::strerror(errno) + " (nothing was replaced)");
  tb.print_csv(out);
  out.close();
  if (!out) throw Error("cannot write " + table + ".partial: " + std::strerror(errno) + " (nothing was replaced)");
  written.push_back(table);
}

}  // namespace

void print_analyze_text(std::ostream& os, const Trace& t, const LaunchAnalysis& a, size_t top) {
  print_summary(os, t, a);
  print_apis(os, t, a, top);
  print_kernels(os, t, a, top, true);
  print_kernels(os, t, a, top, false);
  print_operators(os, t, a, top);
  // A GPU trace: after the launch-tax table, before the streams (a CPU-only one has it in its host
  // section, where it has been since that section came).
  if (!a.host) print_self_times(os, t, a.by_self, top);
  print_streams(os, a);
  if (a.host) print_host(os, t, *a.host, a.by_self, top, a.gpu_undefined_reason());
}

std::vector<std::string> write_analyze_csv(const std::string& dir, const std::vector<AnalyzedTrace>& traces,
                                           RenamedTables* renamed) {
  TextTable summary({"file", "metric", "value"});
  TextTable apis({"file", "name", "kind", "calls", "linked", "api_total_ns", "latency_total_ns", "launch_total_ns", "queue_total_ns",
                  "timed_calls"});
  TextTable kernels({"file", "name", "count", "total_ns", "min_ns", "max_ns", "launches", "latency_total_ns", "launch_total_ns",
                     "queue_total_ns"});
  TextTable ops({"file", "name", "calls", "kernels", "launch_tax_ns", "gpu_time_ns", "cpu_time_ns", "launch_part_ns",
                 "queue_part_ns"});
  TextTable streams({"file", "device", "stream", "kernels", "memcpys", "memsets", "busy_ns", "kernel_time_ns"});
  TextTable devices({"file", "device", "busy_ns", "idle_ns"});
  // Traces without GPU activity only (written when there is one): their host threads, the name
  // under `name` as in the JSON and SQLite (it was `thread` before 2026-12-05, review FMT L3).
  TextTable host_threads({"file", "pid", "tid", "name", "operators", "active_ns", "idle_ns", "span_ns"});
  // Every trace: the operators by self time (the file kept its name from when only CPU-only
  // traces had them).
  TextTable host_ops({"file", "name", "count", "total_ns", "self_ns"});
  bool any_host = false, any_ops = false;
  for (const AnalyzedTrace& x : traces) {
    const Trace& t = *x.trace;
    const LaunchAnalysis& a = *x.analysis;
    // The summary holds exactly the scalar figures of the JSON object, under the same keys.
    const nlohmann::json figures = analyze_trace_json(t, a);  // a named object: items() only views it
    // Keys whose value is an object or array when there is one are no scalar figure even when null
    // (launch_thread of a trace without launches): whether the file has the row must not depend on
    // the trace (docs/analyze.md; review FMT2 L2).
    static const std::set<std::string> structured = {"launch_thread", "operator_links", "skipped", "names_cleaned", "cupti_callbacks",
                                                     "host", "operators_by_self", "sched"};
    for (auto& [k, v] : figures.items())
      if (v.is_primitive() && k != "file" && !structured.count(k))  // (null, an undefined figure: an empty field)
        summary.add_row({t.file, k, v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : v.dump()});
    for (auto& r : a.by_api)
      apis.add_row({t.file, std::string(t.str(r.name)), api_kind_label(r.kind), i(r.calls), i(r.linked),
                    r.timed > 0 ? i(r.api_total) : std::string(), i(r.latency_total), i(r.launch_total), i(r.queue_total),
                    i(r.timed)});
    for (auto& k : a.kernels_by_name)
      kernels.add_row({t.file, std::string(t.str(k.name)), i(k.count), i(k.total), i(k.min), i(k.max), i(k.launches),
                       i(k.latency), i(k.launch_part), i(k.queue_part)});
    for (auto& o : a.by_operator)
      ops.add_row({t.file, std::string(t.str(o.name)), i(o.calls), i(o.kernels), i(o.launch_tax), i(o.gpu_time), i(o.cpu_time),
                   i(o.launch_part), i(o.queue_part)});
    for (auto& s : a.by_stream)
      streams.add_row({t.file, i(s.device), i(s.stream), i(s.kernels), i(s.memcpys), i(s.memsets), i(s.busy), i(s.kernel_time)});
    for (auto& d : a.by_device) devices.add_row({t.file, i(d.device), i(d.busy), i(d.idle)});
    for (auto& o : a.by_self.operators) host_ops.add_row({t.file, std::string(t.str(o.name)), i(o.count), i(o.total), i(o.self)});
    any_ops = any_ops || !a.by_self.operators.empty();
    if (!a.host) continue;
    any_host = true;
    for (auto& h : a.host->threads)
      host_threads.add_row({t.file, i(h.pid), i(h.tid), std::string(t.str(h.comm)), i(h.operators), i(h.active), i(h.idle),
                            i(a.host->span)});
  }
  std::vector<std::string> written;
  const std::filesystem::path d(dir);
  StagedTables set(d, renamed);
  save(set, "summary.csv", summary, written, d);
  save(set, "apis.csv", apis, written, d);
  save(set, "kernels.csv", kernels, written, d);
  save(set, "operators.csv", ops, written, d);
  save(set, "streams.csv", streams, written, d);
  save(set, "devices.csv", devices, written, d);
  if (any_host) save(set, "host_threads.csv", host_threads, written, d);
  if (any_host || any_ops) save(set, "host_operators.csv", host_ops, written, d);
  set.commit(kAnalyzeCsvTableNames);  // a host table of an earlier run goes: no rows for it now
  return written;
}

}  // namespace infertrace
