// Review RL57 L1 and L3: what a recording that lost events says about its rates and counts.
// L1: with no launch call every rate per 1000 launches is n/a, so the "recorder loss" row must not
// say the rates above lost events on both sides (terminal and HTML alike).
// L3: analyze's launch call count is a lower bound when the recorder lost records that may be
// launch calls: ">=" and why in the text, `launch_calls_bound` in the JSON, "≥" on the page.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "analysis/launch.h"
#include "analysis/sched.h"
#include "html_text.h"
#include "loss_window_make.h"
#include "one_thread_launches.h"
#include "report/analyze_json.h"
#include "report/analyze_text.h"
#include "report/html_report.h"
#include "report/sched_render.h"
#include "report/sqlite_export.h"
#include "sqlite_query.h"

namespace infertrace {
namespace {

using html_text::has;
using html_text::row;
using nlohmann::json;

void sw(Trace& t, ns_t ts, int64_t prev_tid, int64_t next_tid) {
  ContextSwitch s;
  s.ts = ts, s.cpu = 0, s.prev_pid = prev_tid == 101 ? 100 : 0, s.prev_tid = prev_tid;
  s.prev_state = 1, s.next_pid = next_tid == 101 ? 100 : 0, s.next_tid = next_tid;
  t.switches.push(s);
}

// Thread 101 switching in and out, no launch call, and a loss window that lost switches.
Trace switches_without_launches() {
  Trace t = one_thread_launches(0, TraceSource::Recording);
  t.meta["events"] = "launch,sched,wakeup,irq";
  for (ns_t ts = 1000; ts < 9000; ts += 1000) sw(t, ts, 101, 0), sw(t, ts + 400, 0, 101);
  t.meta["dropped.switch"] = "40";
  t.loss_windows.push_back(make_loss_window(3000, 5000, 0, 0, 40));
  return t;
}

// One launch_summary value of the trace's export --sqlite.
std::string sqlite_summary(const Trace& t, const LaunchAnalysis& a, const std::string& metric) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("it_loss_marks_" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  SqliteAnalyses an;
  an.launch = &a;
  write_sqlite_file(t, path, an);
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const std::string value = scalar(db, "select value from launch_summary where metric='" + metric + "'");
  sqlite3_close(db);
  std::filesystem::remove(path);
  return value;
}

TEST(LossMarks, NoLaunchesNoRateBoundOnTheLossRow) {
  const Trace t = switches_without_launches();
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_TRUE(a.loss);
  ASSERT_EQ(a.launches, 0);
  std::ostringstream os;
  print_sched_report(os, t, a);
  const std::string text = os.str();
  EXPECT_TRUE(has(text, "n/a (no launch calls)")) << text;
  EXPECT_TRUE(has(text, "40 events lost in 1 window covering")) << text;
  EXPECT_FALSE(has(text, "the rates above")) << text;
  const std::string page = html_text::doc_page(sched_analysis_json(t, a));
  EXPECT_TRUE(has(page, "40 events lost in 1 window covering")) << page;
  EXPECT_FALSE(has(page, "the rates above")) << page;
}

TEST(LossMarks, AnalyzeMarksLaunchCallsALowerBoundWhenApiRecordsWereLost) {
  Trace t = one_thread_launches(8, TraceSource::Recording);
  t.meta["dropped.api"] = "5";
  const LaunchAnalysis a = analyze_launches(t);
  std::ostringstream os;
  print_analyze_text(os, t, a, 10);
  EXPECT_TRUE(has(os.str(), ">= 8")) << os.str();
  EXPECT_TRUE(has(os.str(), "a lower bound: the recorder lost 5 records that may be launch calls")) << os.str();
  EXPECT_TRUE(has(os.str(), "calls are lower bounds: the recorder lost 5 records that may be CUDA API calls")) << os.str();
  const json j = analyze_trace_json(t, a);
  EXPECT_EQ(j["launch_calls"], 8);
  EXPECT_EQ(j["launch_calls_bound"]["lower_bound"], true);
  EXPECT_EQ(j["launch_calls_bound"]["reason"], "the recorder lost 5 records that may be launch calls");
  const std::string page = html_text::doc_page(analyze_document({{&t, &a}}));
  EXPECT_TRUE(has(page, row({"launch calls", "≥ 8"}))) << page;
  // The report page of the trace itself (`report FILE.itrace`) marks it too: it once showed "8".
  html::ReportInputs in;
  in.traces.push_back({"run.itrace", &t, &a});
  const std::string trace_page = html_text::section_text(html::render_report(in), "trace-0");
  EXPECT_TRUE(has(trace_page, row({"launch calls", "≥ 8"}))) << trace_page;
  EXPECT_TRUE(has(trace_page, "a lower bound: the recorder lost 5 records that may be launch calls")) << trace_page;
  // export --sqlite's launch_summary says the same (it kept the plain count and no mark).
  EXPECT_EQ(sqlite_summary(t, a, "launch_calls"), "8");
  EXPECT_EQ(sqlite_summary(t, a, "launch_calls_lower_bound"), "1");
  EXPECT_EQ(sqlite_summary(t, a, "launch_calls_bound_reason"), "the recorder lost 5 records that may be launch calls");

  // Nothing lost: no mark, the key false and its reason null.
  const Trace whole = one_thread_launches(8, TraceSource::Recording);
  const LaunchAnalysis w = analyze_launches(whole);
  std::ostringstream ws;
  print_analyze_text(ws, whole, w, 10);
  EXPECT_FALSE(has(ws.str(), ">= 8")) << ws.str();
  EXPECT_FALSE(has(ws.str(), "lower bound")) << ws.str();
  const json wj = analyze_trace_json(whole, w);
  EXPECT_EQ(wj["launch_calls_bound"]["lower_bound"], false);
  EXPECT_TRUE(wj["launch_calls_bound"]["reason"].is_null());
  EXPECT_EQ(sqlite_summary(whole, w, "launch_calls_lower_bound"), "0");
  EXPECT_EQ(sqlite_summary(whole, w, "launch_calls_bound_reason"), "<no row>");
}


// sched's header marks its logical launches the same way (it printed the plain count), and its JSON
// carries launches_bound for the page.
TEST(LossMarks, SchedMarksLogicalLaunchesALowerBoundWhenApiRecordsWereLost) {
  Trace t = one_thread_launches(8, TraceSource::Recording);
  t.meta["events"] = "launch,sched,wakeup,irq";
  sw(t, 100, 101, 0), sw(t, 300, 0, 101);
  t.meta["dropped.api"] = "5";
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_TRUE(a.launches_measured);
  ASSERT_EQ(a.launches, 8);
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_TRUE(has(os.str(), ">= 8 logical launches (a lower bound: the recorder lost 5 records that may be launch calls)"))
      << os.str();
  const json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["launches"], 8);
  EXPECT_EQ(j["launches_bound"]["lower_bound"], true);
  EXPECT_EQ(j["launches_bound"]["reason"], "the recorder lost 5 records that may be launch calls");
  const std::string page = html_text::doc_page(j);
  EXPECT_TRUE(has(page, "≥ 8 logical launches (a lower bound: the recorder lost 5 records that may be launch calls)"))
      << page;

  Trace whole = one_thread_launches(8, TraceSource::Recording);
  whole.meta["events"] = "launch,sched,wakeup,irq";
  sw(whole, 100, 101, 0), sw(whole, 300, 0, 101);
  const SchedAnalysis w = analyze_sched(whole);
  std::ostringstream ws;
  print_sched_report(ws, whole, w);
  EXPECT_TRUE(has(ws.str(), ", 8 logical launches")) << ws.str();
  EXPECT_FALSE(has(ws.str(), "lower bound")) << ws.str();
  const json wj = sched_analysis_json(whole, w);
  EXPECT_EQ(wj["launches_bound"]["lower_bound"], false);
  EXPECT_FALSE(has(html_text::doc_page(wj), "≥ 8")) << html_text::doc_page(wj);
}

}  // namespace
}  // namespace infertrace
