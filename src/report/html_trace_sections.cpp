// Report sections drawn from a Trace and its launch analysis (docs/metrics.md sections 1-2).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "analysis/bound_verdict.h"
#include "analysis/launch_intervals.h"
#include "ingest/recording/cupti_callbacks.h"
#include "report/analyze_notes.h"
#include "report/analyze_rows.h"
#include "report/bound_finding.h"
#include "report/html_parts.h"
#include "report/html_sections.h"
#include "report/html_svg.h"
#include "report/html_timeline.h"
#include "report/kernel_display_names.h"
#include "report/text_table.h"
#include "trace/recorder_drops.h"
#include "util/units.h"

namespace infertrace::html {

namespace {

// The meaning of the summary's GPU rows without GPU work: the note above the table says why.
constexpr const char* kGpuUndefinedSeeNote = "undefined: the note above says why";

double share(ns_t part, ns_t whole) { return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0; }

std::string mean_ns(ns_t total, int64_t n) { return n > 0 ? format_ns(static_cast<double>(total) / static_cast<double>(n)) : "-"; }

std::string summary_table(const Trace& t, const LaunchAnalysis& a) {
  HtmlTable tb({"metric", "value", "meaning"}, 1);
  tb.set_left(2);
  auto row = [&](const std::string& m, const std::string& v, const std::string& meaning) { tb.add_row({m, v, meaning}); };
  // Launches a recording did not measure (Trace::launch_coverage): "-" and why, as analyze prints them.
  const LaunchCoverage& cov = t.launch_coverage;
  auto launch_row = [&](const std::string& m, const std::string& v, const std::string& meaning) {
    if (cov.measured()) row(m, v, meaning);
    else row(m, "-", cov.unmeasured_reason);
  };
  row("GPU activities", format_count(a.gpu_activities),
      fmt::format("{} kernels, {} memcpy, {} memset", format_count(a.kernels), format_count(a.memcpys), format_count(a.memsets)));
  const LaunchCallsCell launches = launch_calls_cell(t, a, "≥ ");  // as the terminal and the saved analysis' page mark it
  launch_row("launch calls", launches.value, launches.meaning);
  if (a.gpu_undefined()) {
    // Without GPU work these are not measurements: "-", as analyze prints them and as the page of
    // its saved --json shows them (review HT M1: a recording without CUPTI lost this table). Why is
    // in the note above the table (trace_details), once: ten rows repeated it (review WD56 L6).
    for (const char* m : kGpuUndefinedRows) row(m, "-", kGpuUndefinedSeeNote);
  } else {
    launch_row("TKLQT", format_ns(a.tklqt), "total kernel launch and queue time: sum of launch call start to GPU start; their waits overlap, so it can exceed the inference latency");
    launch_row("  launch part", format_ns(a.tklqt_launch), fmt::format("{} of TKLQT: host-side launch cost", format_pct(share(a.tklqt_launch, a.tklqt))));
    launch_row("  queue part", format_ns(a.tklqt_queue), fmt::format("{} of TKLQT: waiting behind earlier GPU work", format_pct(share(a.tklqt_queue, a.tklqt))));
    // The analysis' own figures, as analyze prints them and analyze --json writes them (api_time_ns
    // null when unknown): a recording without return probes has no call durations, not 0 ns of them.
    launch_row("API time", a.api_time_unknown() ? "unknown" : format_ns(a.api_time),
               a.api_time_unknown() ? "no linked launch call has a recorded duration" : "sum of launch call durations");
    row("AKD", a.akd_undefined() ? "n/a" : format_ns(a.akd_ns),
          a.akd_undefined() ? "average kernel duration: undefined, no kernels" : "average kernel duration");
    row("inference latency", format_ns(a.inference_latency), inference_latency_meaning(a.t_begin_from));
    row("GPU busy", format_ns(a.gpu_busy), "union of GPU activity intervals");
    row("GPU idle", format_ns(a.gpu_idle), gpu_idle_meaning(a));
    if (has_most_idle_device_row(a)) row("  most idle device", format_ns(a.most_idle_gpu_idle()), most_idle_device_meaning(a));
    if (a.host_undefined()) launch_row("CPU idle", "-", "undefined: " + a.host_undefined_reason);
    else launch_row("CPU idle", format_ns(a.cpu_idle), fmt::format("{} of inference latency, launching thread {}", il_share_text(a.cpu_idle, a.inference_latency), a.launch_thread_tid));
    if (a.launch_thread_annotations > 0 && !a.host_undefined())
      launch_row("  without annotations", format_ns(a.cpu_idle_without_annotations),
                 without_annotations_meaning(il_share_text(a.cpu_idle_without_annotations, a.inference_latency) + " of inference latency",
                                             a.launch_thread_annotations, format_ns(a.host_active_without_annotations)));
    if (a.profiler_steps > 1) row("profiler steps", format_count(a.profiler_steps), profiler_steps_meaning(a.profiler_steps));
    launch_row("bound", a.bound.empty() ? "-" : (a.bound == "cpu" ? "CPU (launch-bound)" : "GPU (queue-bound)"),
               bound_meaning(a));
  }
  if (a.clock_skew_clamped && cov.measured()) row("clock skew clamped", format_count(a.clock_skew_clamped), "launches whose GPU start preceded the call (clamped to 0)");
  if (a.orphan_activities || a.orphan_launch_calls)
    row("orphans", fmt::format("{} GPU / {} launch", format_count(a.orphan_activities), cov.measured() ? format_count(a.orphan_launch_calls) : "-"),
        orphan_activities_meaning(cov).empty() ? "GPU work without a launch call / launch calls without GPU work"
                                               : orphan_activities_meaning(cov) + " / launch calls without GPU work");
  // As the terminal's counters (review KV2 L3).
  if (a.duplicate_correlation_calls && cov.measured())
    row("duplicate correlations", format_count(a.duplicate_correlation_calls), kDuplicateCallsMeaning);
  if (a.duplicate_calls_of_other_processes && cov.measured())
    row("  of other processes", format_count(a.duplicate_calls_of_other_processes), kOtherProcessIdsMeaning);
  if (a.shared_id_activities_by_device)
    row("shared ids linked by device", format_count(a.shared_id_activities_by_device), kSharedIdsByDeviceMeaning);
  if (a.shared_id_activities_unresolved)
    row("shared ids unresolved", format_count(a.shared_id_activities_unresolved), kSharedIdsUnresolvedMeaning);
  // In words, as the analyze section and the sweep skipped table say them (review DV low).
  for (auto& [reason, n] : t.skipped)
    row("skipped: " + skipped_reason_words(reason), format_count(n), "input events the reader could not use");
  for (auto& [reason, n] : t.names_cleaned) row("names cleaned: " + skipped_reason_words(reason), format_count(n), kNamesCleanedMeaning);
  if (const int64_t n = t.invalid_api_names_resolved()) row("INVALID names resolved", format_count(n), kInvalidNamesResolvedMeaning);
  if (const int64_t n = t.invalid_api_names_kept()) row("INVALID names kept", format_count(n), kInvalidNamesKeptMeaning);
  // What CUPTI refused, per process, and what that leaves unmeasured or partial.
  std::string notes;
  for (const std::string& line : cupti_coverage_lines(cupti_callback_statuses(t), cov))
    notes += "<p class=\"note\">" + escape(line) + ".</p>";
  return tb.render() + notes;
}

std::string latency_histogram(const LaunchAnalysis& a) {
  if (a.links.empty()) return "";
  // Log-spaced bins a performance engineer reads at a glance (1-2-5 steps).
  const std::vector<ns_t> edges = {0, 1'000, 2'000, 5'000, 10'000, 20'000, 50'000, 100'000, 200'000, 500'000,
                                   1'000'000, 2'000'000, 5'000'000, 10'000'000};
  std::vector<std::string> cats;
  for (size_t i = 0; i < edges.size(); ++i)
    cats.push_back(i + 1 < edges.size() ? "<" + format_ns(edges[i + 1]) : ">=" + format_ns(edges[i]));
  BarGroup lat{"launch latency l(c)", std::vector<double>(edges.size(), 0)};
  BarGroup que{"queue time q(c)", std::vector<double>(edges.size(), 0)};
  auto bin = [&](ns_t v) {
    size_t b = static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin());
    return b == 0 ? 0 : b - 1;
  };
  for (auto& l : a.links) {
    lat.values[bin(l.latency)] += 1;
    que.values[bin(l.queue)] += 1;
  }
  // Drop empty bins at the top end so the chart uses its width.
  size_t last = 0;
  for (size_t i = 0; i < edges.size(); ++i)
    if (lat.values[i] > 0 || que.values[i] > 0) last = i;
  cats.resize(last + 1), lat.values.resize(last + 1), que.values.resize(last + 1);
  ChartOptions o;
  o.title = "Launch latency per launch call";
  // Two series on one axis: name both measures, since q(c) starts at the call's end, not its start.
  o.x_label = "l(c): call start to GPU start; q(c): call end to GPU start (bin upper edge)";
  o.y_label = "launch calls", o.y_count = true;  // whole ticks (review HT L4)
  return bar_chart(cats, {lat, que}, o);
}

std::string api_table(const Trace& t, const LaunchAnalysis& a) {
  // The columns of the terminal's table and of the report from a saved analyze --json (FMT L5: the
  // total latency was missing here).
  HtmlTable tb({"API", "calls", "linked", "mean API time", "mean latency", "mean launch part", "mean queue", "total latency"});
  // The terminal's order (analyze_text.cpp print_apis): launch calls first, then the rest by count
  // (review UX L11: cudaGetErrorString stood above cudaMemsetAsync here).
  std::vector<const ApiBreakdownRow*> rows;
  for (auto& r : a.by_api) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](auto* x, auto* y) { return is_launch(x->kind) > is_launch(y->kind); });
  for (size_t i = 0; i < rows.size() && i < kAnalysisTableRows; ++i) {
    const ApiBreakdownRow* r = rows[i];
    tb.add_row({std::string(t.str(r->name)), format_count(r->calls), format_count(r->linked), mean_ns(r->api_total, r->timed),
                mean_ns(r->latency_total, r->linked), mean_ns(r->launch_total, r->linked), mean_ns(r->queue_total, r->linked),
                format_ns(r->latency_total)});
  }
  if (tb.empty()) return "";
  // A recording that left launch calls unrecorded: its rows count what was recorded (as the terminal says).
  const std::string note = recorded_calls_note(t.launch_coverage);
  return tb.render("Launch API breakdown") + more_rows_note(rows.size(), kAnalysisTableRows, "APIs", "analyze --json") +
         (note.empty() ? "" : "<p class=\"note\">" + escape(note) + ".</p>");
}

std::string kernel_tables(const Trace& t, const LaunchAnalysis& a) {
  if (a.kernels_by_name.empty()) return "";
  ns_t all = 0;
  for (auto& k : a.kernels_by_name) all += k.total;
  std::vector<std::string> every_name;
  for (auto& k : a.kernels_by_name) every_name.emplace_back(t.str(k.name));
  const KernelDisplayNames display(every_name);
  auto render = [&](std::vector<KernelStat> ks, bool by_time) {
    // Stable, as the terminal's table (analyze_text.cpp): ties keep kernels_by_name's order, so both
    // list the same ten kernels (audit CU M5: std::sort picked others among equal counts).
    std::stable_sort(ks.begin(), ks.end(), [&](const KernelStat& x, const KernelStat& y) {
      return by_time ? x.total > y.total : x.count > y.count;
    });
    const size_t total = ks.size();
    if (ks.size() > kAnalysisTableRows) ks.resize(kAnalysisTableRows);
    // As the terminal's: the last two are means over the launch calls whose first GPU activity is
    // this kernel.
    HtmlTable tb({"kernel", "count", "total", "of kernel time", "mean", "min", "max", "mean launch", "mean queue"});
    for (size_t i = 0; i < ks.size(); ++i) {
      const std::string full(t.str(ks[i].name));
      tb.add_row({display(full), format_count(ks[i].count), format_ns(ks[i].total), format_pct(share(ks[i].total, all)),
                  mean_ns(ks[i].total, ks[i].count), format_ns(ks[i].min), format_ns(ks[i].max),
                  mean_ns(ks[i].launch_part, ks[i].launches), mean_ns(ks[i].queue_part, ks[i].launches)});
      tb.set_title(i, 0, full);
    }
    return tb.render(by_time ? "Top kernels by total time" : "Top kernels by count") +
           more_rows_note(total, kAnalysisTableRows, "kernels", "analyze --json");
  };
  return "<div class=\"cols\">" + render(a.kernels_by_name, true) + render(a.kernels_by_name, false) + "</div>";
}

std::string operator_table(const Trace& t, const LaunchAnalysis& a) {
  if (a.by_operator.empty()) return "";
  HtmlTable tb({"operator", "calls", "GPU work", "launch tax", "launch part", "queue part", "GPU time", "CPU time",
                "launch tax / GPU time"});
  size_t launching = 0;
  for (auto& o : a.by_operator) {
    // Operators that launched nothing add no row, as in the terminal and a saved analysis's section.
    if (o.kernels == 0) continue;
    if (launching++ >= kAnalysisTableRows) continue;
    tb.add_name_row({std::string(t.str(o.name)), format_count(o.calls), format_count(o.kernels), format_ns(o.launch_tax),
                format_ns(o.launch_part), format_ns(o.queue_part), format_ns(o.gpu_time), format_ns(o.cpu_time),
                o.gpu_time > 0 ? fmt::format("{:.2f}", static_cast<double>(o.launch_tax) / static_cast<double>(o.gpu_time)) : "-"});
  }
  if (tb.empty()) return "";
  return tb.render("Operators by launch tax (per op: TKLQT of its launch calls, host launch part + GPU queue part)") +
         more_rows_note(launching, kAnalysisTableRows, "operators", "analyze --json");
}

std::string stream_table(const LaunchAnalysis& a) {
  if (a.by_stream.size() < 1) return "";
  HtmlTable tb({"device", "stream", "kernels", "memcpy", "memset", "busy", "kernel time"});
  for (auto& s : a.by_stream)
    tb.add_row({std::to_string(s.device), std::to_string(s.stream), format_count(s.kernels), format_count(s.memcpys),
                format_count(s.memsets), format_ns(s.busy), format_ns(s.kernel_time)});
  std::string s = tb.render("GPU streams");
  // Several devices: each one's idle time, as analyze prints them (one device: the summary's).
  if (a.by_device.size() > 1) {
    HtmlTable dv({"device", "busy", "idle", "idle share"});
    for (const DeviceStat& d : a.by_device)
      dv.add_row({std::to_string(d.device), format_ns(d.busy), format_ns(d.idle), il_share_text(d.idle, a.inference_latency)});
    s += dv.render("GPU devices");
  }
  return s;
}

// Every trace: the operators by self time (docs/analyze.md), beside the launch-tax table whose
// calls and CPU time are its count and total.
std::string self_time_table(const Trace& t, const OperatorSelfTimes& s) {
  if (s.operators.empty()) return "";
  HtmlTable op({"operator", "count", "total", "self", "mean", "self share"});
  for (size_t i = 0; i < s.operators.size() && i < kAnalysisTableRows; ++i) {
    const HostOperatorStat& o = s.operators[i];
    op.add_name_row({std::string(t.str(o.name)), format_count(o.count), format_ns(o.total), format_ns(o.self),
                mean_ns(o.total, o.count), format_pct(share(o.self, s.self_total))});
  }
  return op.render("Operators by self time (inclusive minus direct children on the same thread)") +
         more_rows_note(s.operators.size(), kAnalysisTableRows, "operators", "analyze --json");
}

// A trace without GPU activity (docs/analyze.md): the host span, each thread's active and idle
// time, and the operators by self time, in place of the launch metrics it does not have.
std::string host_tables(const Trace& t, const HostAnalysis& h, const OperatorSelfTimes& s, const std::string& no_gpu) {
  HtmlTable sm({"metric", "value", "meaning"}, 1);
  sm.set_left(2);
  sm.add_row({"host span", format_ns(h.span), "first top-level operator start to last host event end"});
  sm.add_row({"top-level operators", format_count(s.top_level), "operators inside no other operator of their thread"});
  sm.add_row({"operator self time", format_ns(s.self_total), "sum of self times (the share column's whole)"});
  HtmlTable th({"pid", "tid", "thread", "operators", "active", "idle", "idle share"});
  constexpr size_t kShown = kAnalysisTableRows;  // (as the other tables: the rest are in analyze --json)
  for (size_t k = 0; k < h.threads.size() && k < kShown; ++k) {
    const HostThreadStat& x = h.threads[k];
    th.add_row({std::to_string(x.pid), std::to_string(x.tid), std::string(t.str(x.comm)), format_count(x.operators),
                format_ns(x.active), format_ns(x.idle), format_pct(share(x.idle, h.span))});
  }
  HtmlTable op({"operator", "count", "total", "self", "mean", "self share"});
  return sm.render("Host (" + no_gpu + ")") +
         th.render("Host threads (active: union of the thread's operators inside the host span)") +
         more_rows_note(h.threads.size(), kShown, "threads", "analyze --json") +
         (s.operators.empty() ? op.render("Operators by self time (inclusive minus direct children on the same thread)")
                              : self_time_table(t, s));
}

std::string event_counts(const Trace& t) {
  HtmlTable tb({"table", "events"});
  const std::pair<const char*, size_t> rows[] = {
      {"GPU activities", t.gpu.size()}, {"CUDA API calls", t.api.size()}, {"operators", t.ops.size()},
      {"threads", t.threads.size()},    {"context switches", t.switches.size()}, {"wake-ups", t.wakeups.size()},
      {"IRQs", t.irqs.size()},          {"syscalls", t.syscalls.size()}};
  for (auto& [name, n] : rows)
    if (n) tb.add_row({name, format_count(static_cast<int64_t>(n))});
  return tb.render("Events in the trace");
}

}  // namespace

std::string traces_overview(const std::vector<TraceInput>& traces) {
  size_t analysed = 0;
  for (auto& t : traces) analysed += t.launch != nullptr;
  if (analysed < 2) return "";
  HtmlTable tb({"trace", "kernels", "TKLQT", "launch part", "queue part", "IL", "GPU idle", "CPU idle", "bound"});
  for (auto& t : traces) {
    if (!t.launch) continue;
    const auto& a = *t.launch;
    if (a.gpu_undefined()) {  // a CPU-only trace: none of these is measured (not "0 ns")
      // "-" throughout, kernels too (docs/report.md; review HR L7: it read "0").
      tb.add_row({t.label, "-", "-", "-", "-", "-", "-", "-", "- (" + no_gpu_short(a.skipped_gpu_events) + ")"});
      continue;
    }
    if (!t.trace->launch_coverage.measured()) {  // launches not recorded: only the GPU side is measured
      tb.add_row({t.label, format_count(a.kernels), "-", "-", "-", format_ns(a.inference_latency),
                  il_share_text(a.gpu_idle, a.inference_latency), "-", "- (launches not measured)"});
      continue;
    }
    tb.add_row({t.label, format_count(a.kernels), format_ns(a.tklqt), format_ns(a.tklqt_launch), format_ns(a.tklqt_queue),
                format_ns(a.inference_latency), il_share_text(a.gpu_idle, a.inference_latency),
                a.host_undefined() ? "-" : il_share_text(a.cpu_idle, a.inference_latency), a.bound.empty() ? "-" : a.bound});
  }
  return section("traces", "Traces at a glance", tb.render());
}

namespace {

// incomplete_recording_words, capitalised, and the unknown loss counts, as sched_incomplete_words
// says them for the recording's scheduler analysis (the findings list the two once).
std::string trace_incomplete_words(const Trace& t) {
  std::string words = incomplete_recording_words(t);
  if (recorder_drops_unknown(t))
    words += std::string(words.empty() ? "" : " ") + "Recorder loss: " + kLossCountsUnknown +
             ": the events it lost are unknown, not 0, and so is which way the rates per 1000 launches are off.";
  if (!words.empty()) words[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(words[0])));
  return words;
}

}  // namespace

std::string trace_details(const TraceInput& in, size_t index) {
  const Trace& t = *in.trace;
  std::string body = fmt::format("<p class=\"src\">{} ({})</p>", escape(in.label), escape(t.file));
  // An incomplete recording says so where its figures begin (review HR M2), in the words of the
  // stderr note and of its scheduler section.
  if (const std::string w = trace_incomplete_words(t); !w.empty())
    body += "<div class=\"verdict-box\"><p class=\"verdict\">" + escape(w) + "</p></div>";
  body += event_counts(t);
  if (in.launch && in.launch->linked_launch_calls == 0 && !t.gpu.size()) {
    // A CPU-only run (e.g. a recording of the reference engine): no launch metrics to show.
    // (Every GPU event skipped: the shared reason, which says so, capitalised.)
    // With the hint the summary's rows once repeated (what to record), which they now refer to.
    std::string why = gpu_undefined_reason_with_hint(t, *in.launch);
    why[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(why[0])));
    body += "<p class=\"note\">" + escape(why) + ", so there are no launch or queue metrics.</p>";
    // What there is, as analyze shows it: the launch calls and orphans, the API table (every
    // `--cuda uprobe` recording: review HT M1, the page of its saved analyze --json had them).
    body += summary_table(t, *in.launch);
    body += api_table(t, *in.launch);
    if (in.launch->host) body += host_tables(t, *in.launch->host, in.launch->by_self, in.launch->gpu_undefined_reason());
  } else if (in.launch) {
    body += summary_table(t, *in.launch);
    if (t.launch_coverage.measured()) body += latency_histogram(*in.launch);  // (of the launches some processes recorded)
    body += api_table(t, *in.launch);
    body += kernel_tables(t, *in.launch);
    body += operator_table(t, *in.launch);
    body += self_time_table(t, in.launch->by_self);
    body += stream_table(*in.launch);
  }
  const Timeline tl = render_timeline(t, in.timeline);
  if (tl.past_end) {
    body += fmt::format("<h3>Timeline excerpt</h3><p class=\"note\">No event starts {} or more after the first one "
                        "(--timeline-at): the last starts at +{}.</p>",
                        escape(format_ns(in.timeline.from_offset)), escape(format_ns(sat_sub(tl.trace_last_start, tl.trace_begin))));
  } else if (!tl.svg.empty()) {
    // Where the window starts, and how long it is: from the first event, or from --timeline-at.
    const std::string where = in.timeline.from_offset > 0
                                  ? fmt::format("{} events from +{} (the first event starting {} or more after the "
                                                "trace's first){}, {} shown",
                                                format_count(static_cast<int64_t>(tl.events)),
                                                format_ns(sat_sub(tl.begin, tl.trace_begin)), format_ns(in.timeline.from_offset),
                                                tl.started_before > 0
                                                    ? fmt::format(", {} of them started earlier and still run there",
                                                                  format_count(static_cast<int64_t>(tl.started_before)))
                                                    : std::string(),
                                                format_ns(sat_sub(tl.end, tl.begin)))
                                  : fmt::format("The first {} events ({} from the first event)",
                                                format_count(static_cast<int64_t>(tl.events)), format_ns(tl.end - tl.begin));
    body += fmt::format("<h3>Timeline excerpt</h3><p class=\"note\">{}; {} launch-to-GPU flows drawn as grey lines.</p>",
                        escape(where), format_count(static_cast<int64_t>(tl.flows)));
    body += tl.svg;
  }
  return section(fmt::format("trace-{}", index), "Trace: " + in.label, body);
}

void trace_findings(const TraceInput& in, std::vector<std::string>& out) {
  if (const std::string w = trace_incomplete_words(*in.trace); !w.empty()) out.push_back(incomplete_finding(in.trace->file, w));
  if (!in.launch) return;
  const auto& a = *in.launch;
  const LaunchCoverage& cov = in.trace->launch_coverage;
  if (!cov.measured() && in.trace->gpu.size()) {
    // No verdict from launches never recorded: say why, and what the GPU side does show.
    out.push_back(fmt::format("{}: {}, so there is no launch metric and no CPU- or GPU-bound verdict; the GPU was busy "
                              "{} of the {} inference latency.",
                              in.label, cov.unmeasured_reason, format_pct(share(a.gpu_busy, a.inference_latency)),
                              format_ns(a.inference_latency)));
    return;
  }
  if (cov.partial()) out.push_back(fmt::format("{}: {}; the launch figures below are lower bounds.", in.label, cov.partial_note));
  if (a.bound.empty()) {
    out.push_back(in.trace->gpu.size()
                      ? fmt::format("{}: no CPU-bound or GPU-bound verdict: {}.", in.label, a.bound_undefined_reason)
                      // GPU events in the file, none usable: not a CPU-only trace, nor a recording without CUPTI.
                      : a.skipped_gpu_events > 0
                      ? fmt::format("{}: {}, so launch metrics are not available.", in.label, a.gpu_undefined_reason())
                      : in.trace->api.size() && !in.trace->ops.size()
                          ? fmt::format("{}: no GPU activity recorded ({} CUDA API calls; a recording without CUPTI), so "
                                        "launch metrics are not available.", in.label,
                                        format_count(static_cast<int64_t>(in.trace->api.size())))  // the table's 4,058
                          : in.trace->ops.size() || in.trace->switches.size() || in.trace->wakeups.size() ||
                                    in.trace->irqs.size() || in.trace->syscalls.size()
                              ? fmt::format("{}: a CPU-only trace (no GPU activity).", in.label)
                              // Nothing any analysis reads: not a CPU-only profile, an empty one.
                              : fmt::format("{}: an empty trace (no GPU work, CUDA API calls, operators or OS events): "
                                            "nothing to analyze.", in.label));
    if (a.host && !a.by_self.operators.empty()) {
      // What such a trace does say: where the host time goes, and how busy its threads were.
      const HostAnalysis& h = *a.host;
      const HostOperatorStat& top = a.by_self.operators.front();
      const HostThreadStat& busiest = h.threads.front();
      out.push_back(fmt::format(
          "{}: {} takes {} of the operators' self time ({} call{}, {} self) in a host span of {}; the busiest thread "
          "(tid {}) is idle {} of it.",
          in.label, std::string(in.trace->str(top.name)), format_pct(share(top.self, a.by_self.self_total)),
          format_count(top.count), top.count == 1 ? "" : "s", format_ns(top.self), format_ns(h.span), busiest.tid,
          format_pct(share(busiest.idle, h.span))));
    }
    return;
  }
  BoundFigures f;
  f.bound = a.bound, f.cpu_bound_gpu_busy = a.cpu_bound_gpu_busy;
  f.tklqt = a.tklqt, f.tklqt_launch = a.tklqt_launch, f.tklqt_queue = a.tklqt_queue;
  f.inference_latency = a.inference_latency, f.gpu_idle = a.most_idle_gpu_idle();
  f.gpu = idle_gpu_words(a.by_device.size(), a.most_idle_device);
  if (!a.host_undefined() && a.host_sync > 0) f.host_sync = a.host_sync;
  out.push_back(bound_finding(in.label, f));
  if (!a.kernels_by_name.empty()) {
    auto top = std::max_element(a.kernels_by_name.begin(), a.kernels_by_name.end(),
                                [](const KernelStat& x, const KernelStat& y) { return x.total < y.total; });
    std::vector<std::string> every_name;
    for (auto& k : a.kernels_by_name) every_name.emplace_back(in.trace->str(k.name));
    out.push_back(fmt::format("{}: the most expensive kernel is {} ({} call{}, {} in total).", in.label,
                              KernelDisplayNames(every_name, 50)(std::string(in.trace->str(top->name))), format_count(top->count),
                              top->count == 1 ? "" : "s", format_ns(top->total)));
  }
  if ((a.orphan_activities || a.orphan_launch_calls || a.clock_skew_clamped) && cov.measured())
    out.push_back(fmt::format("{}: {} GPU activities without a launch call, {} launch calls without GPU work, {} "
                              "negative latencies clamped (clock skew).",
                              in.label, a.orphan_activities, a.orphan_launch_calls, a.clock_skew_clamped));
}

}  // namespace infertrace::html
