// Why a scheduler impact is unknown, in the terminal and in the HTML report: a run whose launch
// pairs were all blocked has no clean median to measure an excess against, and nothing was lost,
// so neither the whole trace's impact nor the launch window's may blame lost events (review EY M1:
// both read "n/a (a thread's whole window time left out for loss)" while the verdict said "no clean
// pairs"). The loss case is tests/loss_windows_test.cpp's SchedLoss.EachThreadsImpactIsOverItsOwnKnownWall.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "analysis/sched.h"
#include "html_text.h"
#include "report/sched_render.h"

namespace infertrace {
namespace {

constexpr int64_t kPid = 200, kMain = 201;

void launch(Trace& t, ns_t ts) {
  ApiCall c;
  c.start = ts, c.dur = 100, c.pid = kPid, c.tid = kMain, c.name = t.strings.intern("cudaLaunchKernel");
  c.kind = classify_api("cudaLaunchKernel");
  t.api.push(c);
}

void sw(Trace& t, ns_t ts, bool out) {
  ContextSwitch s;
  s.ts = ts, s.cpu = 0, s.preempted = false, s.prev_state = 1;
  if (out) s.prev_pid = kPid, s.prev_tid = kMain, s.next_pid = 0, s.next_tid = 0;
  else s.prev_pid = 0, s.prev_tid = 0, s.next_pid = kPid, s.next_tid = kMain;
  t.switches.push(s);
}

// The line of `text` that holds `key`, from it to the line's end.
std::string line_of(const std::string& text, const std::string& key) {
  const size_t at = text.find(key);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

TEST(SchedImpactReason, AllPairsBlockedSaysNoCleanPairsNotLoss) {
  // Launches at 0, 1000 and 2000; the thread blocks inside each pair (switched out at 300 and
  // 1300, woken and back at 600 and 1600): two blocked pairs, no clean one, no loss.
  Trace t;
  t.source = TraceSource::Recording;
  ThreadInfo th;
  th.pid = kPid, th.tid = kMain, th.first_ts = 0, th.last_ts = 2100;
  t.threads.push(th);
  for (ns_t ts : {0, 1000, 2000}) launch(t, ts);
  for (ns_t ts : {300, 1300}) {
    sw(t, ts, true);
    Wakeup w;
    w.ts = ts + 200, w.cpu = 0, w.pid = kPid, w.tid = kMain;
    t.wakeups.push(w);
    sw(t, ts + 300, false);
  }
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.blocked.count, 2);
  ASSERT_EQ(a.clean.count, 0);
  EXPECT_EQ(a.pairs_spanning_loss, 0);
  EXPECT_FALSE(a.scheduler_impact.has_value());
  ASSERT_TRUE(a.launch_window.defined);
  EXPECT_FALSE(a.launch_window.scheduler_impact.has_value());

  std::ostringstream os;
  print_sched_report(os, t, a);
  const std::string text = os.str();
  EXPECT_NE(line_of(text, "rates over the launch window").find("scheduler impact n/a (no clean pairs)"), std::string::npos)
      << text;
  EXPECT_NE(line_of(text, "scheduler impact (share of wall)").find("n/a (no clean pairs)"), std::string::npos) << text;
  EXPECT_EQ(text.find("left out for loss"), std::string::npos) << text;

  // (The page's text is one line, cells a space apart: each row's value is checked right after its label.)
  const std::string page = html_text::doc_page(sched_analysis_json(t, a), "run.itrace (scheduler)");
  EXPECT_TRUE(html_text::has(page, ", scheduler impact n/a (no clean pairs)")) << page;
  EXPECT_TRUE(html_text::has(page, html_text::row({"scheduler impact (share of wall)", "n/a (no clean pairs)"}))) << page;
  EXPECT_EQ(page.find("left out for loss"), std::string::npos) << page;
}


// The terminal's row `label`, its value: the text after the label's column, trimmed.
std::string terminal_value(const std::string& text, const std::string& label) {
  std::string line = line_of(text, label);
  line = line.substr(std::min(line.size(), label.size()));
  const size_t b = line.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  const size_t e = line.find_last_not_of(' ');
  return line.substr(b, e - b + 1);
}

// A recording with no launch call, or one, has no launch pairs: the HTML report's penalty rows give
// that reason, as the terminal's do (review HT M2: all three read "n/a (no clean pairs)"); so do
// the off-CPU row without a launching thread ("-") and IRQ/1K without launches though IRQs were not
// recorded ("n/a (no launch calls)").
TEST(SchedImpactReason, TooFewLaunchesInThePenaltyRowsOfBothReports) {
  for (int launches : {0, 1}) {
    Trace t;
    t.source = TraceSource::Recording;
    t.meta["events"] = "launch,sched";  // no irq
    ThreadInfo th;
    th.pid = kPid, th.tid = kMain, th.first_ts = 0, th.last_ts = 2100;
    t.threads.push(th);
    for (int i = 0; i < launches; ++i) launch(t, 0);
    sw(t, 300, true);
    sw(t, 600, false);
    const SchedAnalysis a = analyze_sched(t);
    std::ostringstream os;
    print_sched_report(os, t, a);
    const std::string text = os.str();
    const std::string page = html_text::doc_page(sched_analysis_json(t, a), "run.itrace (scheduler)");
    const std::string want = launches == 0 ? "n/a (no launches)" : "n/a (one launch: no pairs)";
    for (const char* label : {"preemption penalty (switched - clean median)", "  preempted only", "  blocked only"})
      EXPECT_EQ(terminal_value(text, label), want) << launches << " " << label << "\n" << text;
    for (const char* label : {"preemption penalty (switched - clean median)", "preemption penalty, preempted pairs only",
                              "preemption penalty, blocked pairs only"})
      EXPECT_TRUE(html_text::has(page, html_text::row({label, want}))) << launches << " " << label << "\n" << page;
    EXPECT_EQ(page.find("no clean pairs"), std::string::npos) << page;
    if (launches == 0) {
      EXPECT_EQ(terminal_value(text, "main launching thread off-CPU"), "-") << text;
      EXPECT_TRUE(html_text::has(page, html_text::row({"main launching thread off-CPU", "-"}))) << page;
      EXPECT_EQ(terminal_value(text, "IRQ/1K hard"), "n/a (no launch calls)") << text;
      EXPECT_TRUE(html_text::has(page, html_text::row({"IRQ/1K hard (hard IRQs per 1000 launches)", "n/a (no launch calls)"})))
          << page;
    }
  }
}

// One launch pair: the pair-count chart is ticked 0 and 1, never 0.2 of a pair (review HT L4).
TEST(SchedImpactReason, PairCountChartHasWholeTicks) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched";
  ThreadInfo th;
  th.pid = kPid, th.tid = kMain, th.first_ts = 0, th.last_ts = 2100;
  t.threads.push(th);
  for (ns_t ts : {0, 1000}) launch(t, ts);
  sw(t, 300, true);  // (an OS event, or the section shows no groups)
  sw(t, 600, false);
  const SchedAnalysis a = analyze_sched(t);
  ASSERT_EQ(a.all.count, 1);
  const std::string page = html_text::doc_page(sched_analysis_json(t, a), "run.itrace (scheduler)");
  const size_t chart = page.find("Launch pairs by what happened between them");
  ASSERT_NE(chart, std::string::npos) << page;
  const std::string axis = page.substr(chart, 120);  // the title, the axis labels and the y ticks
  EXPECT_FALSE(html_text::has(axis, " 0.2 ")) << axis;
  EXPECT_TRUE(html_text::has(axis, " 0 ") && html_text::has(axis, " 1 ")) << axis;
}

}  // namespace
}  // namespace infertrace
