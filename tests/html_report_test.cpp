// The HTML report from a hand-built trace, its launch analysis and saved JSON documents of the
// other verbs: every section present when its data is, charts never empty, findings in plain
// words, text escaped, no network references. The browser check is tests/e2e/test_report_browser.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <unistd.h>

#include "analysis/bound_verdict.h"
#include "analysis/launch.h"
#include "html_text.h"
#include "report/analyze_json.h"
#include "report/html_parts.h"
#include "report/html_report.h"
#include "report/html_svg.h"
#include "report/html_timeline.h"
#include "small_launch_trace.h"
#include "util/units.h"

using namespace infertrace;
using nlohmann::json;

namespace {

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

// The launch analysis of small_launch_trace, computed plainly here (not by the analysis library).
LaunchAnalysis plain_analysis(const Trace& t) {
  LaunchAnalysis a;
  a.kernels = a.gpu_activities = static_cast<int64_t>(t.gpu.size());
  a.launch_calls = a.linked_launch_calls = static_cast<int64_t>(t.api.size());
  for (uint32_t i = 0; i < t.api.size(); ++i) {
    LaunchLink l;
    l.api = i, l.first_gpu = i, l.activities = 1;
    l.latency = t.gpu.start[i] - t.api.start[i];
    l.queue = t.gpu.start[i] - (t.api.start[i] + t.api.dur[i]);
    l.launch_part = l.latency - l.queue;
    a.links.push_back(l);
    a.tklqt += l.latency, a.tklqt_launch += l.launch_part, a.tklqt_queue += l.queue;
  }
  a.inference_latency = t.gpu.start.back() + t.gpu.dur.back();
  a.gpu_busy = 20 * 8'000;
  a.gpu_idle = a.inference_latency - a.gpu_busy;
  a.bound = a.tklqt_queue > a.tklqt_launch ? "gpu" : "cpu";
  a.kernels_by_name = {{t.strings.find("relu_kernel"), 10, 80'000, 8'000, 8'000},
                       {t.strings.find("void gemm<128>(float*)"), 10, 80'000, 8'000, 8'000}};
  a.by_operator = {{t.strings.find("aten::mm"), 1, 20, a.tklqt, a.gpu_busy, 900'000}};
  a.by_api = {{t.strings.find("cudaLaunchKernel"), ApiKind::KernelLaunch, 20, 20, 100'000, a.tklqt, a.tklqt_launch, a.tklqt_queue, 20}};
  a.by_stream = {{0, 7, 20, 0, 0, a.gpu_busy, a.gpu_busy}};
  return a;
}

json sweep_doc() {
  json pts = json::array();
  for (int b : {1, 2, 4, 8, 16, 32}) {
    const bool gpu = b >= 16;
    pts.push_back({{"batch", b}, {"kernels", 1000}, {"tklqt_ns", 5'000'000 + b * 100'000},
                   {"tklqt_launch_ns", gpu ? 1'000'000 : 4'000'000}, {"tklqt_queue_ns", gpu ? 6'000'000 : 1'000'000},
                   {"inference_latency_ns", 10'000'000}, {"gpu_idle_ns", gpu ? 1'000'000 : 6'000'000},
                   {"cpu_idle_ns", gpu ? 7'000'000 : 2'000'000}, {"bound", gpu ? "gpu" : "cpu"}});
  }
  return {{"points", pts}, {"transition_batch", 16}, {"balanced_region", nullptr}};
}

json fusion_doc() {
  json lengths = json::array();
  for (int l : {2, 4, 8})
    lengths.push_back({{"length", l}, {"unique_chains", 10}, {"chain_instances", 100}, {"deterministic_chains", 5},
                       {"fused_chains", 50 / l}, {"kernels_eager", 1000}, {"kernels_fused", 1000 - (50 / l) * (l - 1)},
                       {"ideal_speedup", 1000.0 / (1000 - (50 / l) * (l - 1))}, {"launch_time_saved_ns", 1000 * l}});
  return {{"lengths", lengths}, {"candidates", json::array({{{"chain", "a -> b"}, {"occurrences", 40}, {"ps", 1.0}}})}};
}

json threads_doc() {
  json pts = json::array();
  for (int t : {1, 2})
    pts.push_back({{"threads", t}, {"tg_mean", 20.0 * t}, {"pp_mean", 70.0 * t}, {"roofline_tg", 31.0 * t}});
  return {{"points", pts}, {"best_threads", 2}};
}

json sched_doc() {
  return {{"launches", 5000},
          {"pairs", {{"clean", {{"count", 4000}, {"p50_ns", 9000}, {"p90_ns", 12000}, {"p99_ns", 20000}}},
                     {"switched", {{"count", 300}, {"p50_ns", 60000}, {"p90_ns", 200000}, {"p99_ns", 900000}}}}},
          {"penalty_ns", {{"overall", 51000}, {"preempted", 70000}, {"blocked", 30000}}},
          {"sched_per_1k", 60.0},
          {"irq_per_1k_hard", 2.0},
          {"irq_per_1k_soft", 11.5},
          {"softirqs", {{"TIMER", {{"count", 40}, {"total_ns", 120000}}}, {"NET_RX", {{"count", 4}, {"total_ns", 30000}}}}},
          {"syscalls", {{"ioctl", {{"count", 900}, {"total_ns", 4500000}, {"errors", 0}}}}},
          {"tail", {{"p95", {{"switched", 0.6}, {"interrupted", 0.1}, {"application", 0.3}}}}}};
}

}  // namespace

TEST(HtmlReport, ClassifiesSavedDocumentsByTheirKeys) {
  EXPECT_EQ(html::classify_document(sweep_doc()), "sweep");
  EXPECT_EQ(html::classify_document(fusion_doc()), "fusion");
  EXPECT_EQ(html::classify_document(threads_doc()), "threads");
  EXPECT_EQ(html::classify_document(sched_doc()), "sched");
  EXPECT_EQ(html::classify_document(json{{"tklqt_ns", 5}}), "analyze");
  EXPECT_EQ(html::classify_document(json{{"something", 1}}), "");
  EXPECT_EQ(html::classify_document(json::array()), "");
}

// The Launch API breakdown in the terminal's order: launch calls first, then the rest by count
// (review UX L11: a non-launch API with more calls stood above the launch APIs on the page).
TEST(HtmlReport, LaunchApisComeFirstInTheApiBreakdown) {
  Trace t = small_launch_trace();
  for (int i = 0; i < 30; ++i) {
    ApiCall c;
    c.start = 900'000 + i * 100, c.dur = 50, c.pid = 1, c.tid = 2, c.correlation = 1000 + i;
    c.name = t.strings.intern("cudaGetErrorString"), c.kind = ApiKind::Other;
    t.api.push(c);
  }
  const LaunchAnalysis a = analyze_launches(t);
  ASSERT_EQ(a.by_api.size(), 2u);
  ASSERT_EQ(t.str(a.by_api[0].name), "cudaGetErrorString");  // by calls: the other first
  html::ReportInputs in;
  in.traces.push_back({"unit trace", &t, &a});
  const std::string page = html::render_report(in);
  const size_t table = page.find("Launch API breakdown");
  ASSERT_NE(table, std::string::npos);
  const size_t launch = page.find(">cudaLaunchKernel<", table), other = page.find(">cudaGetErrorString<", table);
  ASSERT_NE(launch, std::string::npos);
  ASSERT_NE(other, std::string::npos);
  EXPECT_LT(launch, other);
  // Its columns are the terminal's: the total latency last (FMT L5), the launch API's own figure.
  const size_t header_end = page.find("</tr>", table);
  EXPECT_NE(page.substr(table, header_end - table).find(">total latency<"), std::string::npos);
  const ApiBreakdownRow& row = a.by_api[1];
  ASSERT_EQ(t.str(row.name), "cudaLaunchKernel");
  ASSERT_GT(row.latency_total, 0);
  const std::string launch_row = page.substr(launch, page.find("</tr>", launch) - launch);
  const std::string total = ">" + format_ns(row.latency_total) + "</td>";
  EXPECT_EQ(launch_row.size() - launch_row.rfind(total), total.size()) << launch_row;
}

TEST(HtmlReport, RendersEverySectionWithNonEmptyChartsAndPlainFindings) {
  const Trace t = small_launch_trace();
  const LaunchAnalysis a = plain_analysis(t);
  html::ReportInputs in;
  in.traces.push_back({"unit trace", &t, &a});
  in.docs.push_back({"sweep.json", sweep_doc()});
  in.docs.push_back({"fusion.json", fusion_doc()});
  in.docs.push_back({"threads.json", threads_doc()});
  in.docs.push_back({"sched.json", sched_doc()});
  in.docs.push_back({"other.json", json{{"answer", 42}, {"name", "<b>x</b>"}}});
  const std::string page = html::render_report(in);

  ASSERT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  // Self-contained: no external scripts, styles, images or links.
  EXPECT_EQ(count(page, "src=\""), 0u);
  EXPECT_EQ(count(page, "href=\"http"), 0u);
  EXPECT_EQ(count(page, "url("), 0u);

  // Every chart has marks, and data-marks agrees with what is drawn.
  std::regex svg_re("<svg class=\"plot[^\"]*\" data-marks=\"(\\d+)\"");
  size_t charts = 0, declared = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), svg_re); it != std::sregex_iterator(); ++it) {
    ++charts;
    const size_t m = std::stoul((*it)[1]);
    EXPECT_GT(m, 0u);
    declared += m;
  }
  EXPECT_EQ(declared, count(page, "class=\"mark\""));
  // histogram + sweep x2 + fusion x2 + threads + sched pairs x2 + softirqs + syscalls + timeline
  EXPECT_EQ(charts, 11u);

  // Sections and their content.
  for (const char* s : {"id=\"findings\"", "id=\"trace-0\"", "Launch latency per launch call", "Top kernels by total time",
                        "Operators by launch tax", "Timeline excerpt", "TKLQT parts against batch size",
                        "Fusion: ideal speedup against chain length", "Tokens per second against threads",
                        "Launch-pair interval distribution (clean vs switched)", "Softirqs by vector", "Syscalls",
                        "Other results: other.json"})
    EXPECT_NE(page.find(s), std::string::npos) << s;
  // The latency histogram's x axis names both series' measures (q(c) runs from the call's end).
  EXPECT_NE(page.find("q(c): call end to GPU start"), std::string::npos);
  // Names are escaped (kernel templates, user strings).
  EXPECT_EQ(page.find("<b>x</b>"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;x&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(page.find("title=\"void gemm&lt;128&gt;(float*)\""), std::string::npos);

  // Findings: this trace has queue part 25 us vs launch part 5 us per launch -> GPU-bound.
  const auto f = html::findings(in);
  ASSERT_GE(f.size(), 4u);
  EXPECT_NE(f[0].find("GPU-bound"), std::string::npos) << f[0];
  bool transition = false;
  for (auto& line : f) transition |= line.find("GPU-bound from batch 16") != std::string::npos;
  EXPECT_TRUE(transition);

  // Leave a copy in the build tree for a human to look at (and for e2e test_report_browser, which
  // runs this test and opens it). Written beside it and renamed: ctest may run this test and that
  // one at once, and a reader must never see a half-written page.
  const std::filesystem::path out = std::filesystem::path(INFERTRACE_BINARY_DIR) / "report-samples";
  std::filesystem::create_directories(out);
  const std::filesystem::path part = out / ("unit_report.html." + std::to_string(::getpid()));
  std::ofstream(part) << page;
  std::filesystem::rename(part, out / "unit_report.html");
}

// A GPU-bound verdict (queue part > launch part) says nothing about how busy the GPU is:
// small_launch_trace queues every kernel 25 us yet leaves the GPU idle most of the time, and the
// finding must say so instead of "idle only ...; faster kernels help".
TEST(HtmlReport, GpuBoundFindingStatesAHighIdleShareHonestly) {
  const Trace t = small_launch_trace();
  LaunchAnalysis a = plain_analysis(t);
  ASSERT_EQ(a.bound, "gpu");
  // IL = last kernel end = 1,000 + 19 * 40,000 + 30,000 + 8,000 = 799,000 ns; busy 20 * 8,000 ns.
  ASSERT_EQ(a.inference_latency, 799'000);
  html::ReportInputs in;
  in.traces.push_back({"idle trace", &t, &a});
  std::string f = html::findings(in).at(0);
  EXPECT_EQ(f.find("idle only"), std::string::npos) << f;
  EXPECT_NE(f.find("idle 80.0% of the"), std::string::npos) << f;  // 639,000 / 799,000
  EXPECT_NE(f.find("GPU-bound"), std::string::npos) << f;

  // The same verdict with the GPU busy 90% of the latency keeps the "faster kernels" advice.
  a.gpu_busy = 719'100, a.gpu_idle = a.inference_latency - a.gpu_busy;
  f = html::findings(in).at(0);
  EXPECT_NE(f.find("idle only 10.0% of the"), std::string::npos) << f;
  EXPECT_NE(f.find("faster kernels"), std::string::npos) << f;
  // Idle 40%: below half (no bursts) but not "only" (fusion's verdict's rule, review FU-6).
  a.gpu_busy = 479'400, a.gpu_idle = a.inference_latency - a.gpu_busy;
  f = html::findings(in).at(0);
  EXPECT_NE(f.find("the GPU is idle 40.0% of the"), std::string::npos) << f;
  EXPECT_NE(f.find("faster kernels"), std::string::npos) << f;

  // No inference latency (GPU work before the first operator; IL clamped to 0) with no latency
  // clamped: the verdict stands (review BD M1), without an idle share.
  a.inference_latency = a.gpu_busy = a.gpu_idle = 0;
  ASSERT_EQ(a.clock_skew_clamped, 0);
  decide_bound(a);
  ASSERT_EQ(a.bound, "gpu");
  f = html::findings(in).at(0);
  EXPECT_EQ(f.find("idle only"), std::string::npos) << f;
  EXPECT_EQ(f.find("idle 0.0%"), std::string::npos) << f;
  EXPECT_NE(f.find("GPU-bound (the queue part is"), std::string::npos) << f;
  EXPECT_NE(f.find("no idle share"), std::string::npos) << f;
  std::string page = html::render_report(in);
  EXPECT_NE(page.find(">- of inference latency</td>"), std::string::npos);  // (GPU busy has its own row)
  EXPECT_EQ(page.find("0.0% of inference latency"), std::string::npos);

  // The same window with clamped latencies: the clocks disagree, no verdict.
  a.clock_skew_clamped = 2;
  decide_bound(a);
  f = html::findings(in).at(0);
  EXPECT_EQ(f.find("queue part"), std::string::npos) << f;  // no "GPU-bound (queue part ...)"
  EXPECT_NE(f.find("no CPU-bound or GPU-bound verdict: the inference-latency window is empty"), std::string::npos) << f;
  page = html::render_report(in);
  EXPECT_EQ(page.find("0.0% of inference latency"), std::string::npos);
}

// The overview of several traces shows no idle share for a trace without inference latency.
TEST(HtmlReport, OverviewShowsNoIdleShareForAnEmptyTrace) {
  const Trace t = small_launch_trace();
  const LaunchAnalysis a = plain_analysis(t);
  Trace empty;
  empty.file = "empty.json";
  const LaunchAnalysis none;
  html::ReportInputs in;
  in.traces.push_back({"full", &t, &a});
  in.traces.push_back({"hollow", &empty, &none});
  const std::string page = html::render_report(in);
  const size_t row = page.find("<tr><td class=\"l\">hollow</td>");
  ASSERT_NE(row, std::string::npos);
  const std::string cells = page.substr(row, page.find("</tr>", row) - row);
  EXPECT_EQ(cells.find('%'), std::string::npos) << cells;
  // The full trace's GPU idle share: 1 - 160,000 / 799,000 = 80.0%.
  const size_t full = page.find("<tr><td class=\"l\">full</td>");
  ASSERT_NE(full, std::string::npos);
  EXPECT_NE(page.substr(full, page.find("</tr>", full) - full).find("80.0%"), std::string::npos);
}

// A trace's summary has the API time and GPU busy rows `infertrace analyze` prints, each the value
// analyze --json writes for the same analysis, in the rows' terminal order; an API time no linked
// call has a duration for reads "unknown" (the JSON's null), not 0 ns.
TEST(HtmlReport, TraceSummaryHasApiTimeAndGpuBusyAsAnalyzeWritesThem) {
  const Trace t = small_launch_trace();
  LaunchAnalysis a = plain_analysis(t);
  for (size_t i = 0; i < t.api.size(); ++i) a.api_time += t.api.dur[i];  // every call linked (plain_analysis)
  auto summary = [&](const LaunchAnalysis& x) {
    html::ReportInputs in;
    in.traces.push_back({"unit trace", &t, &x});
    return html_text::section_text(html::render_report(in), "trace-0");
  };
  const json j = analyze_trace_json(t, a);
  ASSERT_TRUE(j["api_time_ns"].is_number_integer());
  ASSERT_GT(j["api_time_ns"].get<int64_t>(), 0);
  std::string s = summary(a);
  const std::string api = html_text::row({"API time", format_ns(j["api_time_ns"].get<int64_t>()), "sum of launch call durations"});
  const std::string busy = html_text::row({"GPU busy", format_ns(j["gpu_busy_ns"].get<int64_t>()), "union of GPU activity intervals"});
  ASSERT_TRUE(html_text::has(s, api)) << s;
  ASSERT_TRUE(html_text::has(s, busy)) << s;
  EXPECT_LT(s.find(" queue part "), s.find(api));
  EXPECT_LT(s.find(api), s.find(" AKD "));
  EXPECT_LT(s.find(" inference latency "), s.find(busy));
  EXPECT_LT(s.find(busy), s.find(" GPU idle "));

  a.launch_calls_unknown_duration = a.linked_launch_calls;
  ASSERT_TRUE(analyze_trace_json(t, a)["api_time_ns"].is_null());
  s = summary(a);
  EXPECT_TRUE(html_text::has(s, html_text::row({"API time", "unknown", "no linked launch call has a recorded duration"}))) << s;
}

// A recording with launch calls but no GPU activity (every `--cuda uprobe` one) shows what analyze
// shows: the summary with its launch calls and orphans, every GPU figure "-" and why, and the API
// table; and the page of its saved analyze --json the same figures (review HT M1: the trace's page
// had only "No GPU activity in this trace, ...").
TEST(HtmlReport, LaunchCallsWithoutGpuActivityKeepTheSummaryAndApiTable) {
  Trace t;
  t.file = "run.itrace";
  t.source = TraceSource::Recording;
  t.threads.push({1, 2, t.strings.intern("fakecuda"), 0, 1'000'000});
  for (int i = 0; i < 3; ++i) {
    ApiCall c;
    c.start = 1'000 + i * 40'000, c.dur = 6'000, c.pid = 1, c.tid = 2;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
  }
  ApiCall sync;
  sync.start = 200'000, sync.dur = 50'000, sync.pid = 1, sync.tid = 2;
  sync.name = t.strings.intern("cudaDeviceSynchronize"), sync.kind = classify_api("cudaDeviceSynchronize");
  t.api.push(sync);
  const LaunchAnalysis a = analyze_launches(t);
  ASSERT_TRUE(a.gpu_undefined());
  html::ReportInputs in;
  in.traces.push_back({"run.itrace", &t, &a});
  const std::string s = html_text::section_text(html::render_report(in), "trace-0");
  const std::string saved = html_text::doc_page(analyze_document({{&t, &a}}), "a.json");
  const std::string why = "undefined: " + gpu_undefined_reason_with_hint(t, a);
  EXPECT_TRUE(html_text::has(s, "no launch or queue metrics")) << s;
  EXPECT_TRUE(html_text::has(s, html_text::row({"launch calls", "3", "0 linked to GPU work, 0 graph launches"}))) << s;
  EXPECT_TRUE(html_text::has(s, html_text::row({"orphans", "0 GPU / 3 launch"}))) << s;
  // The trace's section says why once, in its note (with what to record), and its rows refer to it
  // (review WD56 L6: ten rows repeated the reason under the note); the saved page has no such note.
  std::string note = gpu_undefined_reason_with_hint(t, a) + ", so there are no launch or queue metrics.";
  note[0] = 'N';
  EXPECT_TRUE(html_text::has(s, note)) << s;
  const std::string hint = "(" + missing_gpu_side_hint(t) + ")";
  ASSERT_NE(hint, "()");
  EXPECT_EQ(s.find(hint), s.rfind(hint)) << s;
  for (const char* m : {"TKLQT", "inference latency", "GPU idle", "CPU idle", "bound"}) {
    EXPECT_TRUE(html_text::has(s, html_text::row({m, "-", "undefined: the note above says why"}))) << m << "\n" << s;
    EXPECT_TRUE(html_text::has(saved, html_text::row({m, "-", why}))) << m << "\n" << saved;
  }
  EXPECT_TRUE(html_text::has(saved, html_text::row({"launch calls", "3", "0 linked to GPU work, 0 graph launches"}))) << saved;
  EXPECT_TRUE(html_text::has(saved, html_text::row({"orphan launch calls", "3"}))) << saved;
  // The API table: the trace's columns, and the saved page's (a kind column more), same figures.
  EXPECT_TRUE(html_text::has(s, html_text::row({"cudaLaunchKernel", "3", "0", "6.00 us", "-", "-", "-", "0 ns"}))) << s;
  EXPECT_TRUE(html_text::has(s, html_text::row({"cudaDeviceSynchronize", "1", "0", "50.00 us", "-", "-", "-", "0 ns"}))) << s;
  EXPECT_TRUE(html_text::has(saved, html_text::row({"cudaLaunchKernel", "kernel launch", "3", "0", "6.00 us", "-", "-", "-", "0 ns"})))
      << saved;
}

// Input events the reader skipped are named in words in the trace's summary, as the saved-analysis
// section and the sweep's skipped table name them: "missing ts", not the key "skipped_missing_ts".
TEST(HtmlReport, TraceSummaryNamesSkippedReasonsInWords) {
  Trace t = small_launch_trace();
  t.skipped["skipped_missing_ts"] = 4;
  t.skipped["skipped_bad_type_arg"] = 1200;
  const LaunchAnalysis a = plain_analysis(t);
  html::ReportInputs in;
  in.traces.push_back({"unit trace", &t, &a});
  const std::string s = html_text::section_text(html::render_report(in), "trace-0");
  EXPECT_TRUE(html_text::has(s, html_text::row({"skipped: missing ts", "4", "input events the reader could not use"}))) << s;
  EXPECT_TRUE(html_text::has(s, html_text::row({"skipped: bad type arg", "1,200", "input events the reader could not use"}))) << s;
  EXPECT_FALSE(html_text::has(s, "skipped_")) << s;
}

// A saved `bench threads -o json` shows each rate's mean and sample standard deviation (metrics.md
// section 6), the repetitions behind them and the pinning, not only the flat means.
TEST(HtmlReport, ThreadSweepTableShowsSpreadAndPinning) {
  auto rate = [](double a, double b) {  // two samples: mean (a+b)/2, sd |a-b|/sqrt(2)
    return json{{"mean", (a + b) / 2}, {"stddev", std::fabs(a - b) / std::sqrt(2.0)}, {"samples", {a, b}}};
  };
  json pts = json::array();
  pts.push_back({{"threads", 1}, {"pp_tokens_per_second", rate(69, 71)}, {"tg_tokens_per_second", rate(19, 21)},
                 {"context_switches_per_token", 0.25}, {"pp_mean", 70.0}, {"tg_mean", 20.0}, {"roofline_tg", 40.0},
                 {"pinned_cpus", {3}}});
  pts.push_back({{"threads", 2}, {"pp_tokens_per_second", rate(140, 140)}, {"tg_tokens_per_second", rate(30, 34)},
                 {"context_switches_per_token", 0.5}, {"pp_mean", 140.0}, {"tg_mean", 32.0}, {"roofline_tg", 40.0},
                 {"pinned_cpus", {3, 5}}});
  html::ReportInputs in;
  in.docs.push_back({"threads.json", json{{"kind", "threads"}, {"points", pts}, {"best_threads", 2}}});
  const std::string page = html::render_report(in);
  // tg at 1 thread: mean 20, sd sqrt(2) = 1.41; at 2 threads: 32 +- 2.83, 80% of the 40 t/s roofline.
  EXPECT_NE(page.find("20.00 \u00b1 1.41"), std::string::npos);
  EXPECT_NE(page.find("32.00 \u00b1 2.83"), std::string::npos);
  EXPECT_NE(page.find("140.00 \u00b1 0.00"), std::string::npos);
  EXPECT_NE(page.find(">80.0%<"), std::string::npos);
  EXPECT_NE(page.find(">3,5<"), std::string::npos);
  EXPECT_NE(page.find("repetitions"), std::string::npos);
}

// Since 2026-12-01 each rate also carries its median (what best_threads is chosen by): the table
// gains median columns, and a point with more threads than CPUs says it is oversubscribed.
TEST(HtmlReport, ThreadSweepTableShowsMediansWhenPresent) {
  auto rate = [](std::vector<double> s) {  // three samples: the median is the middle one once sorted
    const double mean = (s[0] + s[1] + s[2]) / 3;
    std::vector<double> sorted = s;
    std::sort(sorted.begin(), sorted.end());
    return json{{"median", sorted[1]}, {"mean", mean}, {"stddev", 1.0}, {"samples", s}};
  };
  json pts = json::array();
  pts.push_back({{"threads", 1}, {"pp_tokens_per_second", rate({70, 71, 60})}, {"tg_tokens_per_second", rate({20, 9, 21})},
                 {"oversubscribed", false}});
  pts.push_back({{"threads", 4}, {"pp_tokens_per_second", rate({90, 91, 92})}, {"tg_tokens_per_second", rate({25, 26, 3})},
                 {"oversubscribed", true}});
  html::ReportInputs in;
  in.docs.push_back({"threads.json", json{{"kind", "threads"}, {"points", pts}, {"best_threads", 4}, {"best_overlaps", {1}}}});
  const std::string page = html::render_report(in);
  // 1 thread's fastest tg repetition (21) reaches 4 threads' slowest (3): no clear winner, said in
  // the section's verdict and the findings.
  EXPECT_NE(page.find("Best thread count: 4 (not a clear winner: tg repetitions at 1 thread reach its slowest)."),
            std::string::npos);
  const auto f = html::findings(in);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].find("best at 4 threads (not a clear winner"), std::string::npos) << f[0];
  EXPECT_NE(page.find("tg tokens/s (median)"), std::string::npos);
  EXPECT_NE(page.find(">20.00<"), std::string::npos);  // median of 20, 9, 21
  EXPECT_NE(page.find(">25.00<"), std::string::npos);  // median of 25, 26, 3
  EXPECT_NE(page.find(">70.00<"), std::string::npos);  // pp median of 70, 71, 60
  EXPECT_NE(page.find("4 (oversubscribed)"), std::string::npos);
  EXPECT_EQ(page.find("1 (oversubscribed)"), std::string::npos);
  EXPECT_EQ(page.find("Above 100% of the roofline"), std::string::npos);
}

// A sweep whose decode beat the DRAM roofline says why: the bytes per token fit in the last-level
// cache (1.6 MB in 32 MB), or, when they do not, that the roofline is no ceiling there.
TEST(HtmlReport, ThreadSweepAboveTheRooflineSaysWhy) {
  json pts = json::array();
  pts.push_back({{"threads", 1}, {"tg_mean", 30.0}, {"roofline_tg", 20.0}});
  pts.push_back({{"threads", 2}, {"tg_mean", 50.0}, {"roofline_tg", 40.0}});
  json doc = {{"kind", "threads"}, {"points", pts}, {"best_threads", 2}, {"above_roofline", {1, 2}},
              {"bytes_per_token", 1.6e6}, {"last_level_cache_bytes", 32e6}, {"fits_in_last_level_cache", true}};
  html::ReportInputs in;
  in.docs.push_back({"threads.json", doc});
  std::string page = html::render_report(in);
  EXPECT_NE(page.find("Above 100% of the roofline at 1, 2 threads: the 1.6 MB read per token fit in the 32.0 MB "
                      "last-level cache"),
            std::string::npos);
  doc["fits_in_last_level_cache"] = false;
  in.docs[0].doc = doc;
  page = html::render_report(in);
  EXPECT_NE(page.find("Above 100% of the roofline at 1, 2 threads: decode read faster than the bandwidth test did"),
            std::string::npos);
  // One count: "at 1 thread", "at 2 threads".
  for (const int t : {1, 2}) {
    doc["above_roofline"] = json::array({t});
    in.docs[0].doc = doc;
    page = html::render_report(in);
    const std::string want = "Above 100% of the roofline at " + std::to_string(t) + (t == 1 ? " thread: " : " threads: ");
    EXPECT_NE(page.find(want + "decode read faster"), std::string::npos) << want;
  }
}

// A sweep that is GPU-bound from its smallest batch has nothing launch-bound "below" it.
TEST(HtmlReport, SweepFindingWhenEveryBatchIsGpuBound) {
  json doc = sweep_doc();
  for (auto& p : doc["points"]) p["bound"] = "gpu";
  doc["transition_batch"] = 1;  // the smallest batch of sweep_doc
  html::ReportInputs in;
  in.docs.push_back({"sweep.json", doc});
  const auto f = html::findings(in);
  // Batches 1-8 keep sweep_doc's GPU idle of 6 of 10 ms: GPU-bound now, with the GPU idle 60%, so the
  // second finding names them (analysis/bound_verdict.h) and the first does not say fusion will not help.
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].find("launch-bound below"), std::string::npos) << f[0];
  EXPECT_NE(f[0].find("GPU-bound at every batch size, from batch 1 on."), std::string::npos) << f[0];
  EXPECT_EQ(f[0].find("will not shorten"), std::string::npos) << f[0];
  EXPECT_NE(f[1].find("idle at least half the inference latency at batches 1, 2, 4 and 8:"), std::string::npos) << f[1];
}

TEST(HtmlReport, FusionFindingNamesTheLengthWithTheBestSpeedup) {
  html::ReportInputs in;
  in.docs.push_back({"fusion.json", fusion_doc()});
  // Plain computation of the best: K_fused = 1000 - floor(50/L)*(L-1).
  int best_len = 0;
  double best = 0;
  for (int l : {2, 4, 8}) {
    const double s = 1000.0 / (1000 - (50 / l) * (l - 1));
    if (s > best) best = s, best_len = l;
  }
  const auto f = html::findings(in);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].find("length " + std::to_string(best_len)), std::string::npos) << f[0];
}

TEST(HtmlReport, FusionClosedLoopChartTablesAndFinding) {
  json doc = fusion_doc();
  json preds = json::array();
  for (int l : {2, 4, 8})
    preds.push_back({{"length", l}, {"kernels_per_step", 10.0 / l}, {"predicted_speedup", 1.0 + 0.1 * l}});
  doc["closed_loop"] = {
      {"eager", {{"decode_steps", 7}, {"bound", "cpu"}}},
      {"predictions", preds},
      {"best_length", 8},
      {"measured", json::array({{{"mode", "fused"}, {"measured_speedup", 2.5}, {"best_prediction_error", -0.28},
                                 {"launch_matched", {{"predicted_speedup", 1.2}, {"error", -0.52}}}}})},
      {"summary", "Proximity-score fusion of the eager trace predicts at best 1.80x."}};
  html::ReportInputs in;
  in.docs.push_back({"loop.json", doc});
  const std::string page = html::render_report(in);
  EXPECT_NE(page.find("Closed loop: predicted vs measured speedup"), std::string::npos);
  EXPECT_NE(page.find("measured fused mode"), std::string::npos);
  // The launch-matched figures lifted out of their object into the mode's row, labelled, the error
  // signed as the terminal prints it.
  EXPECT_NE(page.find("launch-matched: predicted speedup"), std::string::npos);
  EXPECT_NE(page.find(">1.20x<"), std::string::npos);
  EXPECT_NE(page.find(">-52.0%<"), std::string::npos);
  EXPECT_NE(page.find("Eager trace (decode steps)"), std::string::npos);
  // Two charts of the fusion section plus the closed loop's, each with marks.
  std::regex svg_re("<svg class=\"plot[^\"]*\" data-marks=\"(\\d+)\"");
  size_t charts = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), svg_re); it != std::sregex_iterator(); ++it, ++charts)
    EXPECT_GT(std::stoul((*it)[1]), 0u);
  EXPECT_EQ(charts, 3u);
  const auto f = html::findings(in);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1], "Closed loop (loop.json): Proximity-score fusion of the eager trace predicts at best 1.80x.");
}

// Long names: a lane label is cut in its middle to what the gutter holds, the full name in its
// tooltip (review HT L5: it ran off the left edge); each event's tooltip repeats at most 300 bytes
// of its name (review HT L6: 500-character kernel names made a 52 MB page). docs/report.md.
TEST(HtmlTimeline, LongNamesAreCutInLaneLabelsAndTooltips) {
  Trace t = small_launch_trace();
  const std::string thread = "thr_" + std::string(60, 'x') + "_end";
  const std::string kernel = "void very_long_kernel<" + std::string(1000, 'T') + ">(float*)";
  t.threads.comm[0] = t.strings.intern(thread);
  for (size_t i = 0; i < t.gpu.size(); ++i) t.gpu.name[i] = t.strings.intern(kernel);
  html::TimelineOptions o;
  o.max_events = 1000;
  const std::string svg = html::render_timeline(t, o).svg;
  // Each thread lane: its text is the cut name, with the full one in a <title>.
  const std::regex lane("<text class=\"lane\"[^>]*>(?:<title>([^<]*)</title>)?([^<]*)</text>");
  size_t thread_lanes = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), lane); it != std::sregex_iterator(); ++it) {
    const std::string full = (*it)[1], shown = (*it)[2];
    EXPECT_LE(shown.size(), 30u) << shown;
    if (full.find(thread) == std::string::npos) {
      EXPECT_TRUE(full.empty()) << full;  // a short label ("GPU 0 stream 7") has no tooltip
      continue;
    }
    ++thread_lanes;
    EXPECT_EQ(shown, html::middle_ellipsis(full, 30));
    EXPECT_EQ(shown.rfind("thr_xxx", 0), 0u) << shown;
    EXPECT_NE(shown.find("..."), std::string::npos) << shown;
  }
  EXPECT_EQ(thread_lanes, 2u);  // ops, CUDA API
  // The kernels' tooltips: 300 bytes of the name at most, its start and end kept.
  const std::string cut = html::middle_ellipsis(kernel, 300);
  ASSERT_EQ(cut.size(), 300u);
  EXPECT_EQ(count(svg, "<title>" + html::escape(cut) + " ("), t.gpu.size());
  EXPECT_EQ(svg.find(std::string(400, 'T')), std::string::npos);
}

TEST(HtmlTimeline, DrawsEveryEventInTheWindowAndOneFlowPerLinkedKernel) {
  const Trace t = small_launch_trace();
  html::TimelineOptions o;
  o.max_events = 1000;  // all 41 events fit
  const html::Timeline tl = html::render_timeline(t, o);
  EXPECT_EQ(tl.events, t.ops.size() + t.api.size() + t.gpu.size());
  EXPECT_EQ(tl.flows, t.gpu.size());
  EXPECT_EQ(tl.lanes, 3u);  // ops, API, one GPU stream
  EXPECT_EQ(tl.begin, 0);
  EXPECT_EQ(tl.end, t.ops.start[0] + t.ops.dur[0]);
  EXPECT_EQ(count(tl.svg, "class=\"mark\""), tl.events);

  o.max_events = 10;  // the excerpt: events starting before the 11th start, which ends the window
  const html::Timeline small = html::render_timeline(t, o);
  std::vector<ns_t> starts(t.api.start.begin(), t.api.start.end());
  starts.insert(starts.end(), t.gpu.start.begin(), t.gpu.start.end());
  starts.push_back(t.ops.start[0]);
  std::sort(starts.begin(), starts.end());
  EXPECT_EQ(small.end, starts[10]);
  size_t inside = 0;
  for (ns_t s : starts) inside += s < small.end;
  EXPECT_EQ(small.events, inside);
  ASSERT_LT(starts[9], starts[10]);  // no tie at the 11th start here: exactly max_events drawn
  EXPECT_EQ(small.events, o.max_events);
  EXPECT_EQ(count(small.svg, "class=\"mark\""), o.max_events);
}

// The excerpt found without holding every event (review LR L3: a pass keeps the max_events+1
// smallest starts), and from an offset (review LR L2: report --timeline-at): tables not in time
// order (GPU rows pushed latest first), starts tied across tables, a long call still running at
// the offset, and every cut from none to more than all events, checked against the rule computed
// here from the sorted starts.
TEST(HtmlTimeline, ExcerptOfUnorderedTablesWithTiedStartsFromAnyOffset) {
  Trace t;
  std::vector<ns_t> starts, ends;
  for (int i = 0; i < 30; ++i) {  // 290, 280, ..., 0
    GpuActivity a;
    a.start = (29 - i) * 10, a.dur = 5, a.device = 0, a.stream = 7, a.name = t.strings.intern("k");
    t.gpu.push(a);
    starts.push_back(a.start), ends.push_back(a.start + a.dur);
  }
  for (int i = 0; i < 11; ++i) {  // 0, 20, ..., 180: each tied with a kernel's start; then [50, 150]
    ApiCall c;
    c.start = i < 10 ? i * 20 : 50, c.dur = i < 10 ? 3 : 100, c.pid = 1, c.tid = 2, c.kind = ApiKind::Sync;
    c.name = t.strings.intern("cudaDeviceSynchronize");
    t.api.push(c);
    starts.push_back(c.start), ends.push_back(c.start + c.dur);
  }
  for (ns_t offset : {0, 1, 95, 100, 151, 290}) {
    std::vector<ns_t> after;  // starts at or after the offset (the first start is 0)
    for (ns_t s : starts)
      if (s >= offset) after.push_back(s);
    std::sort(after.begin(), after.end());
    for (size_t k : {0u, 1u, 2u, 5u, 10u, 11u, 25u, 40u, 41u, 42u, 100u}) {
      html::TimelineOptions o;
      o.max_events = k;
      o.from_offset = offset;
      const html::Timeline tl = html::render_timeline(t, o);
      const bool excerpt = k < after.size();
      ns_t last_end = after[0];
      for (size_t i = 0; i < starts.size(); ++i)
        if (starts[i] >= offset) last_end = std::max(last_end, ends[i]);
      ns_t end = excerpt ? after[k] : last_end;
      if (end <= after[0]) end = after[0] + 1;
      size_t inside = 0;
      for (size_t i = 0; i < starts.size(); ++i)
        inside += ends[i] >= after[0] && (excerpt ? starts[i] < end : starts[i] <= end);
      EXPECT_EQ(tl.trace_begin, 0);
      EXPECT_FALSE(tl.past_end);
      EXPECT_EQ(tl.begin, after[0]) << offset << " " << k;
      EXPECT_EQ(tl.end, end) << offset << " " << k;
      EXPECT_EQ(tl.events, inside) << offset << " " << k;
      EXPECT_EQ(count(tl.svg, "class=\"mark\""), inside) << offset << " " << k;
    }
  }
  // The long call [50, 150] drawn from an offset inside it, cut at the window's left edge.
  html::TimelineOptions o;
  o.from_offset = 95;
  const std::string cut = html::render_timeline(t, o).svg;
  EXPECT_NE(cut.find("<rect class=\"mark\" x=\"0.00\""), std::string::npos) << cut;
  EXPECT_NE(cut.find("<title>cudaDeviceSynchronize (100 ns, at -50 ns)</title>"), std::string::npos) << cut;
  EXPECT_EQ(html::render_timeline(t, o).started_before, 1u);
  // Past the last start (290): nothing to draw, said by the flag.
  o.from_offset = 291;
  const html::Timeline past = html::render_timeline(t, o);
  EXPECT_TRUE(past.past_end);
  EXPECT_TRUE(past.svg.empty());
  EXPECT_EQ(past.trace_last_start, 290);
}

TEST(HtmlSvg, EmptyDataGivesNoChartAndValuesAreEscaped) {
  html::ChartOptions o;
  o.title = "t";
  EXPECT_EQ(html::line_chart({}, o), "");
  EXPECT_EQ(html::line_chart({{"s", {1}, {std::nan("")}}}, o), "");
  EXPECT_EQ(html::bar_chart({"a"}, {{"g", {}}}, o), "");
  const std::string c = html::bar_chart({"<a>"}, {{"g", {3}}}, o);
  EXPECT_NE(c.find("&lt;a&gt;"), std::string::npos);
  EXPECT_EQ(count(c, "class=\"mark\""), 1u);
  EXPECT_EQ(html::escape("a\x01<"), "a\xEF\xBF\xBD&lt;");
}

// The y of every mark of `svg`, in order.
std::vector<double> mark_ys(const std::string& svg) {
  std::vector<double> ys;
  const std::regex cy("class=\"mark\" cx=\"[-0-9.]+\" cy=\"([-0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), cy); it != std::sregex_iterator(); ++it)
    ys.push_back(std::stod((*it)[1]));
  return ys;
}

// gpt2 prefill's TKLQT parts at batch 1 .. 64 (shape of the shared fixtures: the queue part grows
// from 0.3 ms to 1.67 s). On a linear axis batches 1 .. 32 sat on the zero line (review UX M2).
TEST(HtmlSvg, LogYKeepsSmallValuesApart) {
  const std::vector<double> b = {1, 2, 4, 8, 16, 32, 64};
  const html::Series launch{"launch", b, {2.5e6, 2.6e6, 2.7e6, 3.0e6, 3.5e6, 4.0e6, 5.0e6}};
  const html::Series queue{"queue", b, {3.2e5, 6.0e5, 1.5e6, 4.0e6, 1.2e7, 1.3e8, 1.665e9}};
  ASSERT_TRUE(html::wide_y_span({launch, queue}));
  html::ChartOptions o;
  o.title = "t", o.y_unit = "ns", o.log2_x = true;
  const std::vector<double> linear = mark_ys(html::line_chart({launch, queue}, o));
  o.log10_y = true;
  const std::string log = html::line_chart({launch, queue}, o);
  const std::vector<double> ys = mark_ys(log);
  ASSERT_EQ(ys.size(), 14u);
  ASSERT_EQ(linear.size(), 14u);
  // Linear: the queue part of batches 1 and 2 within a pixel of each other; log: apart, and each
  // larger value higher (SVG y grows downwards) by at least 5 px.
  EXPECT_LT(std::abs(linear[7] - linear[8]), 1.0);
  for (size_t i = 8; i < 14; ++i) EXPECT_LT(ys[i], ys[i - 1] - 5) << i;
  // Ticks at the powers of ten from 100 us to 10 s (five decades: no 2 and 5 between), in the unit.
  for (const char* t : {">100 us<", ">1 ms<", ">10 ms<", ">100 ms<", ">1 s<", ">10 s<"})
    EXPECT_NE(log.find(t), std::string::npos) << t << "\n" << log;
  EXPECT_EQ(log.find(">200 us<"), std::string::npos) << log;
  // Within three decades the 2 and 5 ticks are there too.
  const std::string narrow = html::line_chart({{"s", {1, 2}, {2e3, 3e5}}}, o);
  for (const char* t : {">1 us<", ">2 us<", ">5 us<", ">100 us<", ">200 us<", ">500 us<", ">1 ms<"})
    EXPECT_NE(narrow.find(t), std::string::npos) << t << "\n" << narrow;
  // Not when any y is 0 (it has no place on a log axis) or the span is 1.5 decades or less.
  EXPECT_FALSE(html::wide_y_span({{"s", {1, 2, 4}, {0, 1e6, 1e9}}}));
  EXPECT_FALSE(html::wide_y_span({{"s", {1, 2}, {1e6, 3.1e7}}}));
  EXPECT_TRUE(html::wide_y_span({{"s", {1, 2}, {1e6, 3.2e7}}}));
}

// The tooltip of a point on a log y axis names the quantity and gives the value in its unit, once;
// "(log scale)" is the axis label's alone (it was in every tooltip: "time (log scale) = 2.50 ms").
TEST(HtmlSvg, LogYTooltipsSayTheValueWithoutTheAxisNote) {
  html::ChartOptions o;
  o.title = "t", o.x_label = "batch size", o.y_label = "time", o.y_unit = "ns", o.log2_x = true, o.log10_y = true;
  const std::string svg = html::line_chart({{"queue part", {1, 64}, {3.258e5, 1.6647e9}}}, o);
  EXPECT_EQ(count(svg, "(log scale)"), 1u) << svg;
  EXPECT_NE(svg.find(">time (log scale)</text>"), std::string::npos) << svg;
  const std::regex title("<title>([^<]*)</title>");
  std::vector<std::string> titles;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), title); it != std::sregex_iterator(); ++it)
    titles.push_back((*it)[1]);
  ASSERT_EQ(titles.size(), 2u) << svg;
  EXPECT_EQ(titles[0], "queue part: batch size = 1, time = " + format_ns(3.258e5));
  EXPECT_EQ(titles[1], "queue part: batch size = 64, time = " + format_ns(1.6647e9));
  // On a linear axis nothing says "log".
  o.log10_y = false;
  EXPECT_EQ(html::line_chart({{"queue part", {1, 64}, {3.258e5, 1.6647e9}}}, o).find("log"), std::string::npos);
}

TEST(HtmlSvg, TheSweepSectionTurnsLogYOnForAWideSpan) {
  // sweep_doc's parts span 1 to 6 ms: linear. Scaled up at batch 32 to 6 s: log.
  EXPECT_EQ(html_text::doc_page(sweep_doc()).find("time (log scale)"), std::string::npos);
  json wide = sweep_doc();
  wide["points"][5]["tklqt_queue_ns"] = 6'000'000'000;
  EXPECT_NE(html_text::doc_page(wide).find("time (log scale)"), std::string::npos);
}

// The y tick labels of `svg`, in order.
std::vector<std::string> y_ticks(const std::string& svg) {
  std::vector<std::string> out;
  const std::regex tick("class=\"tick\" x=\"[0-9]+\" y=\"[-0-9.]+\" text-anchor=\"end\">([^<]*)<");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator(); ++it) out.push_back((*it)[1]);
  return out;
}

// A count axis is ticked at whole numbers (review HT L4: one pair read 0, 0.2, ..., 1 pairs); a
// plain one keeps its finer steps.
TEST(HtmlSvg, CountAxesHaveWholeTicksOnly) {
  html::ChartOptions o;
  o.title = "pairs";
  EXPECT_EQ(y_ticks(html::bar_chart({"all", "clean", "switched"}, {{"pairs", {1, 1, 0}}}, o)),
            (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1"}));
  o.y_count = true;
  EXPECT_EQ(y_ticks(html::bar_chart({"all", "clean", "switched"}, {{"pairs", {1, 1, 0}}}, o)), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(y_ticks(html::line_chart({{"s", {1, 2}, {0, 3}}}, o)), (std::vector<std::string>{"0", "1", "2", "3"}));
  // Large counts keep their nice steps.
  EXPECT_EQ(y_ticks(html::bar_chart({"a"}, {{"g", {1000}}}, o)),
            (std::vector<std::string>{"0", "200", "400", "600", "800", "1000"}));
}

TEST(HtmlSvg, NegativeBarsHangBelowTheZeroLineInsideTheChart) {
  // A scenario faster than the baseline has a negative slowdown: its bar must be drawn, downwards.
  html::ChartOptions o;
  o.title = "slowdown";
  o.width = 600, o.height = 300;
  const std::string c = html::bar_chart({"base", "faster", "slower"}, {{"slowdown", {0.0, -50.0, 20.0}}}, o);
  const std::regex rect("<rect class=\"mark\" x=\"[0-9.]+\" y=\"([-0-9.]+)\" width=\"[0-9.]+\" height=\"([-0-9.]+)\"");
  std::vector<std::pair<double, double>> bars;  // (top, height)
  for (auto it = std::sregex_iterator(c.begin(), c.end(), rect); it != std::sregex_iterator(); ++it)
    bars.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_DOUBLE_EQ(bars[0].second, 0.0);  // zero: no height
  // The negative bar starts at the zero line (the top of the zero bar) and goes down; the positive
  // one ends there; both inside the canvas, heights in proportion to 50 and 20.
  EXPECT_DOUBLE_EQ(bars[1].first, bars[0].first);
  EXPECT_NEAR(bars[2].first + bars[2].second, bars[0].first, 0.11);
  EXPECT_NEAR(bars[1].second / bars[2].second, 2.5, 0.02);
  for (auto& [top, h] : bars) EXPECT_TRUE(top >= 0 && top + h <= o.height) << top << " " << h;
}

// The timeline's launch arrows follow the exports' rule (analysis/launch.h): a lone
// synchronous cudaMemcpy (not a launch kind) still gets its arrow to the copy it made, and of a
// runtime launch and the driver launch it made (one correlation) the arrow starts at the first.
TEST(HtmlTimeline, FlowsStartAtTheCallTheExportsNameAsTheLaunch) {
  Trace t;
  auto api = [&](const char* name, ns_t start, int64_t corr) {
    ApiCall c;
    c.start = start, c.dur = 50, c.pid = 1, c.tid = 1, c.correlation = corr;
    c.name = t.strings.intern(name);
    c.kind = classify_api(name);
    t.api.push(c);
  };
  api("cudaMemcpy", 0, 7);
  api("cudaLaunchKernel", 1'000, 8);
  api("cuLaunchKernel", 1'010, 8);
  auto gpu = [&](const char* name, GpuKind kind, ns_t start, int64_t corr) {
    GpuActivity a;
    a.start = start, a.dur = 100, a.kind = kind, a.device = 0, a.stream = 7, a.correlation = corr;
    a.name = t.strings.intern(name);
    t.gpu.push(a);
  };
  gpu("Memcpy HtoD", GpuKind::Memcpy, 300, 7);
  gpu("k", GpuKind::Kernel, 2'000, 8);
  const html::Timeline tl = html::render_timeline(t, {});
  EXPECT_EQ(tl.flows, 2u);
  // Each arrow starts where its call's mark starts: the rect whose title is that call's.
  auto mark_x = [&](const std::string& title) {
    const std::regex re("<rect class=\"mark\" x=\"([0-9.]+)\"[^>]*><title>" + title + " \\(");
    std::smatch m;
    return std::regex_search(tl.svg, m, re) ? m[1].str() : std::string("none");
  };
  std::vector<std::string> flow_x1;
  const std::regex flow_re("<line class=\"flow\" x1=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(tl.svg.begin(), tl.svg.end(), flow_re); it != std::sregex_iterator(); ++it)
    flow_x1.push_back((*it)[1].str());
  std::sort(flow_x1.begin(), flow_x1.end(), [](const std::string& a, const std::string& b) { return std::stod(a) < std::stod(b); });
  EXPECT_EQ(flow_x1, (std::vector<std::string>{mark_x("cudaMemcpy"), mark_x("cudaLaunchKernel")}));
  EXPECT_NE(mark_x("cuLaunchKernel"), mark_x("cudaLaunchKernel"));
}

namespace {

// The first cells of the rows of the table whose caption starts with `caption`, inside the section
// `id` of `page`, and the note right after that table ("" when none).
std::pair<std::vector<std::string>, std::string> table_rows(const std::string& page, const std::string& id,
                                                            const std::string& caption) {
  const size_t sec = page.find("<section id=\"" + id + "\"");
  if (sec == std::string::npos) return {};
  const size_t end = page.find("</section>", sec);
  const size_t at = page.find("<caption>" + caption, sec);
  if (at == std::string::npos || at > end) return {};
  const size_t stop = page.find("</table>", at);
  std::vector<std::string> first;
  static const std::regex row_re("<tr><td[^>]*>([^<]*)</td>");
  const std::string body = page.substr(at, stop - at);
  for (std::sregex_iterator it(body.begin(), body.end(), row_re), e; it != e; ++it) first.push_back((*it)[1]);
  size_t after = page.find("</div>", stop) + 6;
  while (after < page.size() && page[after] == '\n') ++after;
  std::string note;
  if (page.compare(after, 16, "<p class=\"note\">") == 0) note = page.substr(after, page.find("</p>", after) - after);
  return {first, note};
}

// n operators, each launching one kernel of its own (distinct kernel times), and 3 that launch
// nothing but take longer on the CPU.
Trace operators_trace(int n) {
  Trace t;
  t.file = "ops.json";
  t.threads.push({1, 2, t.strings.intern("python3"), 0, 1'000'000});
  for (int i = 0; i < n; ++i) {
    const ns_t s = i * 10'000;
    t.ops.push({s, 5'000, 1, 2, i, t.strings.intern("op_" + std::to_string(i)), false});
    ApiCall c;
    c.start = s + 1'000, c.dur = 500 + i, c.pid = 1, c.tid = 2, c.correlation = i + 1, c.external_id = i;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = s + 3'000, g.dur = 1'000 + 10 * i, g.device = 0, g.stream = 7, g.correlation = i + 1;
    g.name = t.strings.intern("k_" + std::to_string(i));
    t.gpu.push(g);
  }
  for (int i = 0; i < 3; ++i)
    t.ops.push({n * 10'000 + i * 100'000, 90'000, 1, 2, -1, t.strings.intern("idle_" + std::to_string(i)), false});
  return t;
}

}  // namespace

// One rule for the analysis tables of a trace's section and of its saved analysis's section on one
// page (review FMT L4: the trace's showed 15 operators including ones that launched nothing and 10
// kernels, the saved one only launching operators and 15 kernels with "... N more"): the first 15
// launching operators and the first 15 kernels by total time in both, with "... N more" where cut.
TEST(HtmlReport, TraceAndSavedSectionsShowTheSameTopRows) {
  for (const int n : {5, 17}) {
    const Trace t = operators_trace(n);
    const LaunchAnalysis a = analyze_launches(t);
    html::ReportInputs in;
    in.traces.push_back({"ops trace", &t, &a});
    in.docs.push_back({"ops.analyze.json", analyze_document({{&t, &a}})});
    const std::string page = html::render_report(in);
    for (const char* caption : {"Operators by launch tax", "Top kernels by total time"}) {
      const auto [live, live_note] = table_rows(page, "trace-0", caption);
      const auto [saved, saved_note] = table_rows(page, "doc-0", caption);
      SCOPED_TRACE(std::to_string(n) + " operators, " + caption);
      EXPECT_EQ(live, saved);
      EXPECT_EQ(live.size(), static_cast<size_t>(std::min(n, 15)));
      for (const std::string& r : live) EXPECT_EQ(r.find("idle_"), std::string::npos) << r;
      const std::string more = n > 15 ? "... 2 more" : "";
      EXPECT_EQ(live_note.substr(0, more.size() + 16), more.empty() ? "" : "<p class=\"note\">" + more);
      EXPECT_EQ(saved_note.substr(0, more.size() + 16), more.empty() ? "" : "<p class=\"note\">" + more);
    }
  }
}
