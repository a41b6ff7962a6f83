// The report's section for a saved `analyze --json` (src/report/html_analyze.cpp): the launch and
// queue figures under the labels and in the units of `infertrace analyze` in a terminal, every
// figure the document's value (no share the document lacks is computed), no JSON key shown as a
// label; with several traces an overview row each, then each trace's tables and, for a recording,
// its scheduler section under the trace's name. The e2e check on the shipped traces is
// tests/e2e/test_report_cli.py.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "analysis/launch.h"
#include "report/analyze_json.h"
#include "report/analyze_text.h"
#include "html_text.h"
#include "report/html_report.h"
#include "small_launch_trace.h"
#include "util/units.h"

using namespace infertrace;
using nlohmann::json;

namespace {

// One Kineto trace's object with every key analyze_trace_json() writes, values picked by hand.
json kineto_trace(const std::string& file) {
  json t;
  t["file"] = file;
  t["kernels"] = 20, t["memcpys"] = 1, t["memsets"] = 2, t["gpu_activities"] = 23;
  t["api_calls"] = 1234, t["launch_calls"] = 23, t["linked_launch_calls"] = 22, t["graph_launches"] = 0;
  t["sync_calls"] = 2, t["operators"] = 5;
  t["tklqt_ns"] = 600'000, t["tklqt_launch_ns"] = 100'000, t["tklqt_queue_ns"] = 500'000, t["api_time_ns"] = 110'000;
  t["akd_ns"] = 8'000.0, t["inference_latency_ns"] = 800'000, t["t_begin_ns"] = 1'000, t["t_end_ns"] = 801'000;
  t["gpu_busy_ns"] = 160'000, t["gpu_idle_ns"] = 640'000, t["gpu_idle_fraction"] = 0.8;
  t["host_active_ns"] = 200'000, t["host_sync_ns"] = 50'000, t["cpu_idle_ns"] = 600'000, t["cpu_idle_fraction"] = 0.75;
  t["bound"] = "gpu";
  t["clock_skew_clamped"] = 0, t["orphan_activities"] = 3, t["orphan_launch_calls"] = 1, t["activities_of_other_calls"] = 0;
  t["duplicate_correlation_calls"] = 0, t["launch_calls_unknown_duration"] = 0;
  t["launch_thread"] = {{"pid", 1}, {"tid", 2}, {"launches", 23}};
  t["operator_links"] = {{"by_external_id", 15}, {"by_containment", 5}, {"none", 2}};
  t["skipped"] = {{"skipped_missing_ts", 4}};
  t["zero_duration_events"] = 0;
  // The document's order (by calls): the sync call first; the terminal puts launch calls first.
  t["apis"] = json::array({{{"name", "cudaDeviceSynchronize"}, {"kind", "sync"}, {"calls", 2}, {"linked", 0},
                            {"api_total_ns", 100'000}, {"latency_total_ns", 0}, {"launch_total_ns", 0}, {"queue_total_ns", 0},
                            {"mean_api_ns", 50'000.0}, {"mean_latency_ns", 0.0}, {"mean_launch_ns", 0.0}, {"mean_queue_ns", 0.0}},
                           {{"name", "cudaLaunchKernel"}, {"kind", "kernel_launch"}, {"calls", 23}, {"linked", 22},
                            {"api_total_ns", 110'000}, {"latency_total_ns", 600'000}, {"launch_total_ns", 100'000},
                            {"queue_total_ns", 500'000}, {"mean_api_ns", 4'782.6}, {"mean_latency_ns", 27'272.7},
                            {"mean_launch_ns", 4'545.5}, {"mean_queue_ns", 22'727.3}}});
  t["kernel_stats"] = json::array({{{"name", "void gemm<128>(float*)"}, {"short_name", "gemm"}, {"count", 10}, {"total_ns", 100'000},
                                    {"mean_ns", 10'000.0}, {"min_ns", 9'000}, {"max_ns", 11'000}},
                                   {{"name", "relu_kernel"}, {"short_name", "relu_kernel"}, {"count", 10}, {"total_ns", 60'000},
                                    {"mean_ns", 6'000.0}, {"min_ns", 6'000}, {"max_ns", 6'000}, {"launches", 4},
                                    {"latency_total_ns", 24'000}, {"launch_total_ns", 16'000}, {"queue_total_ns", 8'000},
                                    {"mean_latency_ns", 6'000.0}, {"mean_launch_ns", 4'000.0}, {"mean_queue_ns", 2'000.0}}});
  t["operator_stats"] = json::array({{{"name", "aten::mm"}, {"calls", 1}, {"kernels", 20}, {"launch_tax_ns", 600'000},
                                      {"gpu_time_ns", 160'000}, {"cpu_time_ns", 900'000}},
                                     {{"name", "aten::empty"}, {"calls", 5}, {"kernels", 0}, {"launch_tax_ns", 0},
                                      {"gpu_time_ns", 0}, {"cpu_time_ns", 1'000}}});
  t["streams"] = json::array({{{"device", 0}, {"stream", 7}, {"kernels", 20}, {"memcpys", 1}, {"memsets", 2},
                               {"busy_ns", 160'000}, {"kernel_time_ns", 150'000}}});
  t["devices"] = json::array({{{"device", 0}, {"busy_ns", 160'000}, {"idle_ns", 640'000}}});
  return t;
}

json single_doc() {
  json d = kineto_trace("unit.json");
  d["schema_version"] = 1, d["kind"] = "analyze";
  return d;
}

// A recording's scheduler analysis, as much of it as the section needs to draw its verdict and a
// pair row.
json sched_doc() {
  return {{"kind", "sched"}, {"has_os_events", true}, {"launches", 4000}, {"merged_launch_calls", 0}, {"wall_ns", 2'500'000'000LL},
          {"pairs", {{"all", {{"count", 3999}, {"share", 1.0}, {"p50_ns", 61'000}, {"p90_ns", 70'000}, {"p99_ns", 2'100'000}}}}},
          {"sched_per_1k", 65.0}, {"preempt_per_1k", 52.5}, {"block_per_1k", 12.5},
          {"switches_recorded", true}, {"irqs_recorded", true},
          {"signature", "cpu_contention"}, {"mitigation", "pinning and priority"},
          {"verdict", "CPU contention: the launching thread was preempted while runnable."}};
}

std::string page_of(const json& doc, const std::string& label = "analyze.json") {
  html::ReportInputs in;
  in.docs.push_back({label, doc});
  return html::render_report(in);
}

// The section of the one document, as the text a reader sees (tags dropped).
std::string section_text(const json& doc) {
  const std::string text = html_text::section_text(page_of(doc), "doc-0");
  EXPECT_FALSE(text.empty());
  return text;
}

using html_text::has;
using html_text::row;
using html_text::snake_keys;

}  // namespace

TEST(HtmlAnalyze, SavedAnalysisUsesTheTerminalsLabelsAndUnits) {
  const std::string t = section_text(single_doc());
  // The summary: metric, value in the terminal's units, meaning.
  EXPECT_TRUE(has(t, row({"GPU activities", "23", "20 kernels, 1 memcpy, 2 memset"}))) << t;
  EXPECT_TRUE(has(t, row({"launch calls", "23", "22 linked to GPU work, 0 graph launches"}))) << t;
  EXPECT_TRUE(has(t, row({"CUDA API calls", "1,234", "2 of them synchronisation calls"}))) << t;
  EXPECT_TRUE(has(t, row({"TKLQT", "600.00 us",
                          "total kernel launch and queue time: sum over launch calls of (first GPU start - call start); their waits "
                          "overlap, so it can exceed the inference latency"})))
      << t;
  EXPECT_TRUE(has(t, row({"TKLQT launch part", "100.00 us", "host-side launch cost"}))) << t;
  EXPECT_TRUE(has(t, row({"TKLQT queue part", "500.00 us", "waiting behind earlier GPU work"}))) << t;
  EXPECT_TRUE(has(t, row({"API time", "110.00 us", "sum of launch call durations"}))) << t;
  EXPECT_TRUE(has(t, row({"AKD", "8.00 us", "average kernel duration"}))) << t;
  EXPECT_TRUE(has(t, row({"inference latency", "800.00 us", "first operator start to last GPU end"}))) << t;
  EXPECT_TRUE(has(t, row({"inference latency window", "1,000 to 801,000 ns", "on the trace's clock"}))) << t;
  EXPECT_TRUE(has(t, row({"GPU busy", "160.00 us", "union of GPU activity intervals"}))) << t;
  // Idle shares are the document's gpu_idle_fraction / cpu_idle_fraction as percentages.
  EXPECT_TRUE(has(t, row({"GPU idle", "640.00 us", "80.0% of inference latency"}))) << t;
  EXPECT_TRUE(has(t, row({"CPU idle", "600.00 us",
                          "75.0% of inference latency, launching thread 2 (host active 200.00 us, in syncs 50.00 us)"})))
      << t;
  // GPU-bound with the GPU idle 80%: the terminal's bound row says the waits come in bursts
  // (analysis/bound_verdict.h); idle below half, it does not.
  EXPECT_TRUE(has(t, row({"bound", "GPU",
                          "queue part > launch part, yet the GPU is idle 80.0% of inference latency: work waits for the "
                          "GPU in bursts, with host-side gaps between them"})))
      << t;
  json steady = single_doc();
  steady["gpu_idle_ns"] = 320'000, steady["gpu_idle_fraction"] = 0.4;  // 40% of the 800 us
  EXPECT_TRUE(has(section_text(steady), row({"bound", "GPU", "queue part > launch part: work waits for the GPU"})))
      << section_text(steady);
  EXPECT_TRUE(has(t, row({"launching thread", "tid 2", "pid 1, 23 launch calls (the most of any thread)"}))) << t;
  // Counters: shown when not zero, as the terminal does.
  EXPECT_TRUE(has(t, row({"orphan GPU activities", "3", "GPU work whose correlation matches no API call"}))) << t;
  EXPECT_TRUE(has(t, row({"orphan launch calls", "1", "launch calls with no GPU work in the trace"}))) << t;
  EXPECT_FALSE(has(t, "clock skew clamped")) << t;
  EXPECT_TRUE(has(t, row({"skipped: missing ts", "4", "input events the reader could not use"}))) << t;
  EXPECT_TRUE(has(t, row({"launches without an operator", "2", "linked launch calls no operator contains"}))) << t;

  // CUDA API calls: launch calls first; per-link means undefined ("-") without linked calls, the
  // total latency a sum over none: 0, as the document, CSV and terminal say (review FMT L1).
  const std::string launch = row({"cudaLaunchKernel", "kernel launch", "23", "22", "4.78 us", "27.27 us", "4.55 us", "22.73 us", "600.00 us"});
  const std::string sync = row({"cudaDeviceSynchronize", "sync", "2", "0", "50.00 us", "-", "-", "-", "0 ns"});
  ASSERT_TRUE(has(t, launch)) << t;
  ASSERT_TRUE(has(t, sync)) << t;
  EXPECT_LT(t.find(launch), t.find(sync));
  // Kernels by total time, short names (the full name on hover); operators that launched nothing
  // are left out, as in the terminal.
  // (gemm: a document saved before the per-kernel launch and queue means, review MX L3: "-".)
  EXPECT_TRUE(has(t, row({"gemm", "10", "100.00 us", "10.00 us", "9.00 us", "11.00 us", "-", "-"}))) << t;
  EXPECT_TRUE(has(t, row({"relu_kernel", "10", "60.00 us", "6.00 us", "6.00 us", "6.00 us", "4.00 us", "2.00 us"}))) << t;
  EXPECT_TRUE(has(page_of(single_doc()), "title=\"void gemm&lt;128&gt;(float*)\""));
  EXPECT_TRUE(has(t, "Operators by launch tax (launches go to the innermost operator; 2 linked launches had none)")) << t;
  // (A document saved before launch_part_ns / queue_part_ns, review MX M1: those cells "-".)
  EXPECT_TRUE(has(t, row({"aten::mm", "1", "20", "600.00 us", "-", "-", "160.00 us", "900.00 us"}))) << t;
  EXPECT_FALSE(has(t, "aten::empty")) << t;
  EXPECT_TRUE(has(t, row({"0", "7", "20", "1", "2", "160.00 us", "150.00 us"}))) << t;
  // One device: its figures are the summary's GPU busy and idle.
  EXPECT_FALSE(has(t, "GPU devices")) << t;

  // No JSON key is shown, nor a machine value or a bare fraction.
  std::vector<std::string> keys;
  snake_keys(single_doc(), keys);
  ASSERT_GT(keys.size(), 30u);
  for (auto& k : keys) EXPECT_FALSE(has(t, k)) << k << "\n" << t;
  EXPECT_FALSE(has(t, "kernel_launch")) << t;
  EXPECT_FALSE(has(t, " 0.8 ")) << t;
  EXPECT_FALSE(has(t, " 0.75 ")) << t;
}

// An inference latency of 0 (GPU work before the first operator): the document's idle fraction 0
// is no share at all, and the page says so.
TEST(HtmlAnalyze, ZeroInferenceLatencyHasNoIdleShare) {
  json d = single_doc();
  d["inference_latency_ns"] = 0, d["gpu_idle_ns"] = 0, d["gpu_idle_fraction"] = 0.0, d["cpu_idle_fraction"] = 0.0;
  const std::string t = section_text(d);
  EXPECT_TRUE(has(t, row({"GPU idle", "0 ns", "no share (the inference latency is 0)"}))) << t;
  EXPECT_FALSE(has(t, "0.0% of inference latency")) << t;
}

// A saved analysis of a recording without return probes: no linked call has a duration, so its
// API time is null; the page says unknown and why, as the terminal does (review DF L1).
TEST(HtmlAnalyze, UnknownApiTimeIsSaidAsTheTerminalSaysIt) {
  json d = single_doc();
  d["api_time_ns"] = nullptr, d["launch_calls_unknown_duration"] = d["linked_launch_calls"];
  const std::string t = section_text(d);
  EXPECT_TRUE(has(t, row({"API time", "unknown", "no linked launch call has a recorded duration"}))) << t;
  // Some calls timed: the figure (a partial sum) with the usual meaning.
  d["api_time_ns"] = 50'000, d["launch_calls_unknown_duration"] = 3;
  EXPECT_TRUE(has(section_text(d), row({"API time", format_ns(int64_t{50'000}), "sum of launch call durations"})));
}

// A recording both without GPU activity and with a process whose launches were not measured: the
// launch rows give the callbacks' reason (what to fix), the GPU rows the GPU one; the refused names
// and the reason are under the table (review AN, L4).
TEST(HtmlAnalyze, LaunchRowsOfAnUnmeasuredRecordingGiveTheCallbacksReason) {
  json d = single_doc();
  const std::string gpu = "no GPU activity in the trace";
  const std::string cb = "launch calls not measured in pid 7: no launch callback enabled (CUPTI refused cuLaunchKernel)";
  for (const char* k : {"launch_calls", "linked_launch_calls", "graph_launches", "tklqt_ns", "bound", "launch_thread"})
    d[k] = nullptr;
  d["akd_ns"] = nullptr;
  d["undefined_reason"] = gpu;
  d["launch_undefined_reason"] = cb;
  d["cupti_callbacks"] = {{"reported", true},
                          {"processes", json::array({{{"pid", 7}, {"refused", 2}, {"refused_names", {"cuLaunchKernel", "cuMemAlloc"}},
                                                      {"refused_unlisted", 0}}})}};
  const std::string t = section_text(d);
  EXPECT_TRUE(has(t, row({"launch calls", "-", cb}))) << t;
  EXPECT_TRUE(has(t, row({"TKLQT", "-", cb}))) << t;
  EXPECT_TRUE(has(t, row({"AKD", "-", "undefined: " + gpu}))) << t;
  EXPECT_TRUE(has(t, "CUPTI refused 2 callbacks in pid 7, not recorded: cuLaunchKernel, cuMemAlloc")) << t;
  EXPECT_TRUE(has(t, cb + ".")) << t;
  EXPECT_FALSE(has(t, "launching thread tid")) << t;
}

// Several traces, the second a recording: an overview row each from the document's figures, then
// each trace's tables, and the recording's scheduler section under its name (and its verdict among
// the findings, named by the trace).
TEST(HtmlAnalyze, SeveralTracesEachWithItsTablesAndTheRecordingsSchedulerSection) {
  json b = kineto_trace("run/b.itrace");
  b["bound"] = "cpu", b["tklqt_launch_ns"] = 400'000, b["tklqt_queue_ns"] = 200'000, b["gpu_idle_fraction"] = 0.5;
  b["sched"] = sched_doc();
  const json doc = {{"schema_version", 1}, {"kind", "analyze"}, {"traces", json::array({kineto_trace("a.json"), b})}};
  const std::string t = section_text(doc);
  EXPECT_TRUE(has(t, row({"a.json", "20", "600.00 us", "100.00 us", "500.00 us", "800.00 us", "80.0%", "75.0%", "GPU"}))) << t;
  EXPECT_TRUE(has(t, row({"run/b.itrace", "20", "600.00 us", "400.00 us", "200.00 us", "800.00 us", "50.0%", "75.0%", "CPU"}))) << t;
  const size_t a_head = t.find("Trace: a.json"), b_head = t.find("Trace: run/b.itrace");
  const size_t sched_head = t.find("Scheduler, IRQs and syscalls: run/b.itrace");
  const size_t verdict = t.find("Verdict: CPU contention (mitigation: pinning and priority)");
  ASSERT_NE(a_head, std::string::npos) << t;
  ASSERT_NE(b_head, std::string::npos) << t;
  ASSERT_NE(sched_head, std::string::npos) << t;
  ASSERT_NE(verdict, std::string::npos) << t;
  EXPECT_LT(a_head, b_head);
  EXPECT_LT(b_head, sched_head);
  EXPECT_LT(sched_head, verdict);
  // Each trace has its own summary; only the recording has a scheduler section.
  EXPECT_EQ(std::regex_search(t, std::regex("Launch and queue summary.*Launch and queue summary")), true);
  EXPECT_EQ(t.find("Verdict:"), verdict);
  EXPECT_EQ(t.find("Verdict:", verdict + 1), std::string::npos);
  EXPECT_TRUE(has(t, row({"all", "3,999", "100.0%", "61.00 us", "70.00 us", "2.10 ms"}))) << t;
  EXPECT_TRUE(has(t, "Sched/1K (switch-outs per 1000 launches) 65.0 (preempt 52.5, block 12.5)")) << t;
  std::vector<std::string> keys;
  snake_keys(doc, keys);
  for (auto& k : keys) EXPECT_FALSE(has(t, k)) << k;

  html::ReportInputs in;
  in.docs.push_back({"analyze.json", doc});
  bool finding = false;
  for (auto& f : html::findings(in))
    finding |= f == "Scheduler/IRQ (analyze.json: run/b.itrace): CPU contention: the launching thread was preempted while runnable.";
  EXPECT_TRUE(finding);
}

// The document analyze_document() writes for a real analysis: every key it has is labelled, and the
// figures read as `infertrace analyze` prints them in the terminal.
// A trace without GPU activity among several: its overview row is "-" throughout, kernels too, as
// docs/report.md says (review HR L7: kernels read "0").
TEST(HtmlAnalyze, OverviewRowOfATraceWithoutGpuActivityIsDashesThroughout) {
  json cpu = kineto_trace("cpu.itrace");
  cpu["kernels"] = 0, cpu["gpu_activities"] = 0;
  for (const char* k : {"tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "inference_latency_ns", "gpu_idle_fraction",
                        "cpu_idle_fraction", "bound"})
    cpu[k] = nullptr;
  cpu["undefined_reason"] = "no GPU activity in the trace";
  const json doc = {{"schema_version", 1}, {"kind", "analyze"}, {"traces", json::array({kineto_trace("a.json"), cpu})}};
  const std::string t = section_text(doc);
  EXPECT_TRUE(has(t, row({"cpu.itrace", "-", "-", "-", "-", "-", "-", "-", "-"}))) << t;
  EXPECT_FALSE(has(t, row({"cpu.itrace", "0"}))) << t;
  // A trace with GPU activity and no kernels keeps its count.
  cpu.erase("undefined_reason");
  EXPECT_TRUE(has(section_text({{"schema_version", 1}, {"kind", "analyze"}, {"traces", json::array({kineto_trace("a.json"), cpu})}}),
                  row({"cpu.itrace", "0"})));
}

TEST(HtmlAnalyze, DocumentOfTheAnalyzeWriterMatchesTheTerminal) {
  const Trace tr = small_launch_trace();
  const LaunchAnalysis a = analyze_launches(tr);
  const json doc = analyze_document({{&tr, &a}});
  const std::string t = section_text(doc);
  std::ostringstream os;
  print_analyze_text(os, tr, a, 10);
  const std::string term = os.str();
  // The same label and value in both, for the figures of docs/metrics.md sections 1-2.
  for (auto& [label, value] : std::vector<std::pair<std::string, std::string>>{
           {"TKLQT", format_ns(a.tklqt)},
           {"API time", format_ns(a.api_time)},
           {"AKD", format_ns(a.akd_ns)},
           {"inference latency", format_ns(a.inference_latency)},
           {"GPU busy", format_ns(a.gpu_busy)},
           {"GPU idle", format_ns(a.gpu_idle)},
           {"CPU idle", format_ns(a.cpu_idle)}}) {
    EXPECT_TRUE(has(t, row({label, value}))) << label << "\n" << t;
    EXPECT_TRUE(std::regex_search(term, std::regex("\n" + label + " +" + std::regex_replace(value, std::regex("\\."), "\\.") + " ")))
        << label << "\n" << term;
  }
  EXPECT_TRUE(has(t, row({"TKLQT launch part", format_ns(a.tklqt_launch)}))) << t;
  EXPECT_TRUE(has(t, row({"TKLQT queue part", format_ns(a.tklqt_queue)}))) << t;
  EXPECT_TRUE(has(t, row({"GPU idle", format_ns(a.gpu_idle),
                          format_pct(static_cast<double>(a.gpu_idle) / static_cast<double>(a.inference_latency)) +
                              " of inference latency"})))
      << t;
  std::vector<std::string> keys;
  snake_keys(doc, keys);
  for (auto& k : keys) EXPECT_FALSE(has(t, k)) << k << "\n" << t;
  EXPECT_FALSE(has(t, "kernel_launch")) << t;
}
