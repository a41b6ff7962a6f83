// The HTML report's smaller parts, each against values worked out by hand: a table escapes its
// cells and puts a hover title on its own cell only; a document table shows *_ns integers as
// durations and leads with the key asked for; the timeline draws a slice from its start and a
// launch arrow from the call's start, and touching operators share one row; findings are escaped;
// the launch histogram bins by upper edge; the API table's means divide by the calls they cover.
#include <gtest/gtest.h>

#include <string>

#include "report/html_parts.h"
#include "report/html_report.h"
#include "report/html_timeline.h"

using namespace infertrace;
using nlohmann::json;

namespace {

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

void push_api(Trace& t, const char* name, ns_t start, ns_t dur, int64_t corr) {
  ApiCall c;
  c.start = start, c.dur = dur, c.pid = 1, c.tid = 1, c.correlation = corr;
  c.name = t.strings.intern(name);
  c.kind = classify_api(name);
  t.api.push(c);
}

void push_kernel(Trace& t, ns_t start, ns_t dur, int64_t corr) {
  GpuActivity a;
  a.start = start, a.dur = dur, a.kind = GpuKind::Kernel, a.device = 0, a.stream = 7, a.correlation = corr;
  a.name = t.strings.intern("k");
  t.gpu.push(a);
}

void push_op(Trace& t, ns_t start, ns_t dur) {
  Operator o;
  o.start = start, o.dur = dur, o.pid = 1, o.tid = 1;
  o.name = t.strings.intern("aten::op");
  t.ops.push(o);
}

}  // namespace

TEST(HtmlReportParts, TableEscapesCellsAndTitlesOnlyItsOwnCell) {
  html::HtmlTable t({"name", "n"});
  t.add_row({"x<y", "1"});
  t.add_row({"z", "2"});
  t.set_title(0, 1, "one & only");
  const std::string s = t.render("cap");
  EXPECT_NE(s.find("<td class=\"l\">x&lt;y</td><td class=\"r\" title=\"one &amp; only\">1</td>"), std::string::npos) << s;
  EXPECT_NE(s.find("<td class=\"l\">z</td><td class=\"r\">2</td>"), std::string::npos) << s;
  EXPECT_EQ(count(s, "title="), 1u) << s;
}

TEST(HtmlReportParts, DocumentTableShowsNsIntegersAsDurationsAndLeadsWithTheFirstKey) {
  const json rows = json::array({{{"count", 1500}, {"name", "a"}, {"wait_ns", 1500}}});
  const std::string s = html::objects_table(rows, "cap", 50, "wait_ns");
  // 1500 ns = 1.50 us; the same integer under a plain key is a count.
  EXPECT_NE(s.find(">1.50 us</td>"), std::string::npos) << s;
  EXPECT_EQ(count(s, ">1,500</td>"), 1u) << s;
  const size_t wait = s.find("<th class=\"l\">wait_ns</th>"), cnt = s.find(">count</th>");
  ASSERT_NE(wait, std::string::npos) << s;
  EXPECT_LT(wait, cnt) << s;
}

// Whole numbers under naming keys (a batch, a thread count, a tid, and keys ending in one of those
// words) are shown as their digits; counts that merely end in such a word keep the separators.
TEST(HtmlReportParts, ScalarTextLabelsNamesAndSeparatesCounts) {
  EXPECT_EQ(html::scalar_text(json(1024), "batch"), "1024");
  EXPECT_EQ(html::scalar_text(json(1024), "transition_batch"), "1024");
  EXPECT_EQ(html::scalar_text(json(12345), "launch_thread_tid"), "12345");
  EXPECT_EQ(html::scalar_text(json(1.5), "batch"), "1.50");
  EXPECT_EQ(html::scalar_text(json(1024), "launch_pair_threads"), "1,024");
  EXPECT_EQ(html::scalar_text(json(12345), "by_external_id"), "12,345");
  EXPECT_EQ(html::scalar_text(json(12345), "nobatch"), "12,345");  // a word, not a last word
}

TEST(HtmlTimelineGeometry, SliceStartsAtItsStartAndTheArrowAtTheCallsStart) {
  Trace t;
  push_api(t, "cudaLaunchKernel", 0, 100, 1);  // 0..100 ns
  push_kernel(t, 500, 500, 1);                 // 500..1000 ns: the window is 0..1000, 100 view units a ns
  const html::Timeline tl = html::render_timeline(t, html::TimelineOptions{});
  ASSERT_EQ(tl.begin, 0);
  ASSERT_EQ(tl.end, 1000);
  EXPECT_NE(tl.svg.find("x=\"0.00\" y=\"1\" width=\"10000.000\""), std::string::npos) << tl.svg;
  EXPECT_NE(tl.svg.find("x=\"50000.00\" y=\"20\" width=\"50000.000\""), std::string::npos) << tl.svg;
  EXPECT_NE(tl.svg.find("<line class=\"flow\" x1=\"0.00\" y1=\"8\" x2=\"50000.00\" y2=\"27\"/>"), std::string::npos)
      << tl.svg;
}

// Review CX L3: times that span more than int64 nanoseconds (a call near -9.2e18 ns, its kernel near
// +9.2e18 ns) gave a negative span ("-46744073.710 s shown", signed overflow): the span saturates at
// INT64_MAX ns and no position or offset is negative.
TEST(HtmlTimelineGeometry, ASpanBeyondInt64SaturatesInsteadOfWrapping) {
  Trace t;
  push_api(t, "cudaLaunchKernel", -9'200'000'000'000'000'000, 5000, 1);
  push_kernel(t, 9'200'000'000'000'000'000, 5000, 1);
  const html::Timeline tl = html::render_timeline(t, html::TimelineOptions{});
  EXPECT_NE(tl.svg.find("9223372036.855 s shown"), std::string::npos) << tl.svg.substr(0, 600);
  EXPECT_EQ(tl.svg.find("at +-"), std::string::npos);
  EXPECT_EQ(tl.svg.find("x=\"-"), std::string::npos);
}

TEST(HtmlTimelineGeometry, TouchingOperatorsShareARowAndOnlyANestedOneGetsItsOwn) {
  Trace t;
  push_op(t, 0, 100);
  push_op(t, 100, 100);  // starts where the first ends: no nesting
  push_op(t, 120, 30);   // inside the second
  const html::Timeline tl = html::render_timeline(t, html::TimelineOptions{});
  EXPECT_EQ(tl.lanes, 2u) << tl.svg;
  EXPECT_EQ(count(tl.svg, "ops +1<"), 1u) << tl.svg;
  EXPECT_EQ(count(tl.svg, "ops +2"), 0u) << tl.svg;
}

// A thread's lanes carry its track name as the exports write it, once per lane kind (review HR L5:
// "thread 1 (python3) 1 ops" beside "tid 1 CUDA API").
TEST(HtmlTimelineGeometry, AThreadsLanesShareItsTrackName) {
  Trace t;
  push_op(t, 0, 100);
  push_api(t, "cudaLaunchKernel", 10, 20, 1);
  ThreadInfo th;
  th.pid = 1, th.tid = 1, th.comm = t.strings.intern("thread 1 (python3)");
  t.threads.push(th);
  const html::Timeline tl = html::render_timeline(t, html::TimelineOptions{});
  EXPECT_EQ(count(tl.svg, ">thread 1 (python3) ops<"), 1u) << tl.svg;
  EXPECT_EQ(count(tl.svg, ">thread 1 (python3) CUDA API<"), 1u) << tl.svg;
  t.threads.comm[0] = t.strings.intern("worker");
  const html::Timeline named = html::render_timeline(t, html::TimelineOptions{});
  EXPECT_EQ(count(named.svg, ">worker 1 ops<"), 1u) << named.svg;
  EXPECT_EQ(count(named.svg, ">worker 1 CUDA API<"), 1u) << named.svg;
  // The same id in a second process (a reused id): each lane says whose it is (review S41 L6).
  ApiCall other;
  other.start = 50, other.dur = 10, other.pid = 2, other.tid = 1, other.correlation = -1;
  other.name = t.strings.intern("cudaStreamSynchronize");
  other.kind = classify_api("cudaStreamSynchronize");
  t.api.push(other);
  const html::Timeline two = html::render_timeline(t, html::TimelineOptions{});
  EXPECT_EQ(count(two.svg, ">worker 1 (pid 1) CUDA API<"), 1u) << two.svg;
  EXPECT_EQ(count(two.svg, ">worker 1 (pid 2) CUDA API<"), 1u) << two.svg;
  EXPECT_EQ(count(two.svg, ">worker 1 (pid 1) ops<"), 1u) << two.svg;
  // A thread row of its own for the second process: each lane is named after its own process's
  // row, not both after the tid's last row (review XP L1: both read "loader 1").
  ThreadInfo loader;
  loader.pid = 2, loader.tid = 1, loader.comm = t.strings.intern("loader");
  t.threads.push(loader);
  const html::Timeline own = html::render_timeline(t, html::TimelineOptions{});
  EXPECT_EQ(count(own.svg, ">worker 1 (pid 1) CUDA API<"), 1u) << own.svg;
  EXPECT_EQ(count(own.svg, ">loader 1 (pid 2) CUDA API<"), 1u) << own.svg;
}

// A call whose duration was not measured (a recording without its return probe: dur -1) says so
// on hover; a measured 0 stays "0 ns" (review XP L3: both read "0 ns").
TEST(HtmlTimelineGeometry, AnUnmeasuredCallSaysSoNotZero) {
  Trace t;
  push_api(t, "cudaLaunchKernel", 100, -1, 1);
  push_api(t, "cudaStreamSynchronize", 200, 0, -1);
  push_kernel(t, 500, 500, 1);
  const html::Timeline tl = html::render_timeline(t, html::TimelineOptions{});
  EXPECT_EQ(count(tl.svg, "<title>cudaLaunchKernel (duration not measured, at +"), 1u) << tl.svg;
  EXPECT_EQ(count(tl.svg, "<title>cudaStreamSynchronize (0 ns, at +"), 1u) << tl.svg;
  EXPECT_EQ(count(tl.svg, "not measured"), 1u) << tl.svg;
}

// A very long name (an operator, a record_function label) is cut in the middle, whole UTF-8
// characters kept, with the full name on hover (review HR L4: a 5000-character name pushed every
// other column off-screen); one within the limit is left as it is.
TEST(HtmlReportParts, LongNamesAreCutInTheMiddleWithTheFullNameOnHover) {
  const std::string name = std::string(100, 'a') + "\xc3\xa9" + std::string(3000, 'b') + "::tail_op";
  html::HtmlTable tb({"operator", "count"});
  tb.add_name_row({name, "1"});
  tb.add_name_row({"aten::mm", "2"});
  const std::string page = tb.render();
  const std::string shown = html::middle_ellipsis(name, html::HtmlTable::kNameChars);
  EXPECT_LE(shown.size(), html::HtmlTable::kNameChars);
  EXPECT_EQ(shown.substr(0, 10), name.substr(0, 10));
  EXPECT_EQ(shown.substr(shown.size() - 9), "::tail_op");
  EXPECT_NE(shown.find("..."), std::string::npos);
  EXPECT_NE(page.find(">" + shown + "<"), std::string::npos) << page;
  EXPECT_NE(page.find("title=\"" + name + "\""), std::string::npos);
  EXPECT_NE(page.find(">aten::mm<"), std::string::npos) << page;
  // A cut never splits a character: every cut point of a name of two-byte characters.
  const std::string accents = [] {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "\xc3\xa9";
    return s;
  }();
  for (size_t max = 4; max < 60; ++max) {
    const std::string cut = html::middle_ellipsis(accents, max);
    const size_t dots = cut.find("...");
    ASSERT_NE(dots, std::string::npos);
    EXPECT_EQ(dots % 2, 0u) << max;
    EXPECT_EQ((cut.size() - dots - 3) % 2, 0u) << max;
    EXPECT_LE(cut.size(), max);
  }
}

TEST(HtmlReportParts, FindingsAreEscaped) {
  html::ReportInputs in;
  in.docs.push_back({"a<b>", json{{"points", json::array({{{"threads", 1}, {"tg_mean", 5.0}},
                                                         {{"threads", 2}, {"tg_mean", 9.0}}})},
                                  {"best_threads", 2}}});
  const std::string page = html::render_report(in);
  EXPECT_NE(page.find("<li>Thread sweep (a&lt;b&gt;): best at 2 threads.</li>"), std::string::npos) << page;
  EXPECT_EQ(page.find("(a<b>)"), std::string::npos);
}

TEST(HtmlReportParts, LaunchHistogramBinsByUpperEdgeAndApiMeansDivideByWhatTheyCover) {
  Trace t;
  push_api(t, "cudaLaunchKernel", 0, 500, 1);
  push_kernel(t, 1'000, 100, 1);  // latency exactly 1 us: the [1 us, 2 us) bin
  LaunchAnalysis a;
  a.kernels = a.gpu_activities = 1;
  a.launch_calls = a.linked_launch_calls = 1;
  LaunchLink l;
  l.api = 0, l.first_gpu = 0, l.activities = 1, l.latency = 1'000, l.queue = 500, l.launch_part = 500;
  a.links.push_back(l);
  // Four calls, two of them linked, all four timed: API time over the four, latency and its parts
  // over the two.
  a.by_api = {{t.strings.find("cudaLaunchKernel"), ApiKind::KernelLaunch, 4, 2, 4'000, 6'000, 2'000, 4'000, 4}};
  html::ReportInputs in;
  in.traces.push_back({"t", &t, &a});
  const std::string page = html::render_report(in);
  EXPECT_NE(page.find("<title>launch latency l(c), &lt;2.00 us: 1</title>"), std::string::npos) << page;
  EXPECT_EQ(page.find("launch latency l(c), &lt;1.00 us: 1<"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"r\">4</td><td class=\"r\">2</td><td class=\"r\">1.00 us</td><td class=\"r\">3.00 us</td>"
                      "<td class=\"r\">1.00 us</td><td class=\"r\">2.00 us</td>"),
            std::string::npos)
      << page;
}

TEST(HtmlReportParts, SweepIdleChartPlotsSharesOfTheInferenceLatency) {
  // GPU idle 6 ms and CPU idle 2 ms of a 10 ms inference: 60% and 20%, with the table's one decimal
  // (review HR L3: the tooltip said "60%" beside the cell's "60.0%").
  const json doc{{"points", json::array({{{"batch", 1}, {"inference_latency_ns", 10'000'000}, {"gpu_idle_ns", 6'000'000},
                                          {"cpu_idle_ns", 2'000'000}}})}};
  html::ReportInputs in;
  in.docs.push_back({"sweep.json", doc});
  const std::string page = html::render_report(in);
  EXPECT_NE(page.find("<title>GPU idle / IL: batch size = 1, share of inference latency = 60.0%</title>"), std::string::npos)
      << page;
  EXPECT_NE(page.find("<title>CPU idle / IL: batch size = 1, share of inference latency = 20.0%</title>"), std::string::npos);
}
