// Figures of an event class that was not recorded are unknown, and `sched` says so in every output:
// the traced-threads table prints "not recorded" (JSON null) where it printed 0, zeros stay where the
// events were recorded and none happened, and a Kineto trace's null pair groups are put down to
// what the trace is, not to a `record --events` option that never made it. Every expected value is
// worked out here from the events the test inserts.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "analysis/sched.h"
#include "one_process_events.h"
#include "report/html_report.h"
#include "report/sched_render.h"
#include "util/units.h"

namespace infertrace {
namespace {

using namespace one_process;

void irq(Trace& t, IrqKind kind, ns_t ts) {
  Irq q;
  q.ts = ts, q.dur = 50, q.cpu = 0, q.kind = kind, q.irq = kind == IrqKind::Hard ? 42 : 3;
  q.name = t.strings.intern(kind == IrqKind::Hard ? "eth0" : "TIMER"), q.pid = kPid, q.tid = kMain;
  t.irqs.push(q);
}

// Six launches of the main thread ("launcher"); with `switches`, one preemption (2500..4000) and one
// block (7000..9000) of it; with `irqs`, two softirqs and a hard IRQ on it. META lists `events`
// (none for a Kineto trace).
Trace trace_with(TraceSource source, const char* events, bool switches, bool irqs) {
  Trace t;
  t.source = source;
  if (events) t.meta["events"] = events;
  t.threads.push({kPid, kMain, t.strings.intern("launcher"), 0, 10000});
  for (ns_t ts : {0, 1000, 2000, 5000, 6000, 10000}) launch(t, kMain, ts);
  if (switches) {
    sw(t, 2500, kMain, true, kOther), sw(t, 4000, kOther, true, kMain);
    sw(t, 7000, kMain, false, kOther), sw(t, 9000, kOther, true, kMain);
  }
  if (irqs) irq(t, IrqKind::Soft, 500), irq(t, IrqKind::Soft, 2400), irq(t, IrqKind::Hard, 5200);
  return t;
}

// The main thread's figures from the trace's own rows, independently of the analysis.
struct Expected {
  int64_t outs = 0, preempted = 0, blocked = 0, hard = 0, soft = 0;
  ns_t offcpu = 0;
};
Expected expected(const Trace& t) {
  Expected e;
  ns_t out = -1;
  for (size_t i = 0; i < t.switches.size(); ++i) {
    const ContextSwitch s = t.switches.row(i);
    if (s.prev_tid == kMain) ++e.outs, (s.preempted ? e.preempted : e.blocked)++, out = s.ts;
    if (s.next_tid == kMain && out >= 0) e.offcpu += s.ts - out, out = -1;
  }
  for (size_t i = 0; i < t.irqs.size(); ++i) (t.irqs.kind[i] == IrqKind::Hard ? e.hard : e.soft)++;
  return e;
}

std::string text_of(const Trace& t, const SchedAnalysis& a) {
  std::ostringstream os;
  print_sched_report(os, t, a);
  return os.str();
}

// The cells of the traced-threads row of tid `tid` (cells are at least two spaces apart).
std::vector<std::string> thread_row(const std::string& text, int64_t tid) {
  const size_t table = text.find("Traced threads");
  EXPECT_NE(table, std::string::npos) << text;
  if (table == std::string::npos) return {};
  const std::string head = "\n" + std::to_string(tid) + "  ";
  const size_t b = text.find(head, table);
  EXPECT_NE(b, std::string::npos) << text;
  if (b == std::string::npos) return {};
  const std::string line = text.substr(b + 1, text.find('\n', b + 1) - b - 1);
  std::vector<std::string> cells;
  const std::regex gap(" {2,}");
  for (std::sregex_token_iterator it(line.begin(), line.end(), gap, -1), end; it != end; ++it) cells.push_back(*it);
  return cells;
}

// The one document's section of an HTML report, as a reader sees it (tags dropped).
std::string html_text(const nlohmann::json& doc) {
  html::ReportInputs in;
  in.docs.push_back({"run.itrace (scheduler)", doc});
  const std::string page = html::render_report(in);
  const size_t b = page.find("<section id=\"doc-0\"");
  std::string text = std::regex_replace(page.substr(b, page.find("</section>", b) - b), std::regex("<[^>]*>"), " ");
  return std::regex_replace(text, std::regex("\\s+"), " ");
}

bool has(const std::string& text, const std::string& s) { return text.find(s) != std::string::npos; }

const nlohmann::json& main_thread_json(const nlohmann::json& j) {
  for (const nlohmann::json& th : j.at("threads"))
    if (th.at("tid") == kMain) return th;
  ADD_FAILURE() << "no thread " << kMain << " in " << j.at("threads").dump();
  return j.at("threads");
}

// A recording made without sched events: its switch-outs, preemptions, blocks and off-CPU time are
// unknown (null, "not recorded"); its IRQs were recorded and keep their counts.
TEST(SchedNotRecorded, ThreadSwitchFiguresWithoutSwitchEvents) {
  const Trace t = trace_with(TraceSource::Recording, "launch,irq", false, true);
  const Expected e = expected(t);
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  const nlohmann::json& th = main_thread_json(j);
  for (const char* k : {"switch_outs", "preemptions", "blocks", "offcpu_ns"}) EXPECT_TRUE(th.at(k).is_null()) << k << th.dump();
  EXPECT_EQ(th.at("irqs_hard"), e.hard);
  EXPECT_EQ(th.at("irqs_soft"), e.soft);
  EXPECT_EQ(th.at("launches"), 6);
  EXPECT_TRUE(j.at("offcpu_ns").at(std::to_string(kMain)).is_null());
  EXPECT_TRUE(j.at("main_thread").at("offcpu_ns").is_null());
  EXPECT_TRUE(j.at("runq_latency_ns").at("samples").is_null());
  const std::string text = text_of(t, a);
  const std::vector<std::string> row = thread_row(text, kMain);
  const std::vector<std::string> want = {std::to_string(kMain), "launcher",     "6",           "not recorded",
                                         "not recorded",        "not recorded", "not recorded",
                                         std::to_string(e.hard) + "/" + std::to_string(e.soft)};
  EXPECT_EQ(row, want) << text;
  // The launch window's impact is unknown for want of events, not of pairs.
  EXPECT_TRUE(has(text, "Sched/1K not recorded, IRQ/1K hard/soft")) << text;
  EXPECT_TRUE(has(text, "scheduler impact not recorded")) << text;
  // The page states the same: the thread table is there, its unknown cells say so.
  const std::string page = html_text(j);
  EXPECT_TRUE(has(page, " " + std::to_string(kMain) + " launcher 6 not recorded not recorded not recorded not recorded " +
                            std::to_string(e.hard) + "/" + std::to_string(e.soft) + " "))
      << page;
}

// A recording made without IRQ events: the per-thread IRQ counts are unknown, the switch figures
// measured.
TEST(SchedNotRecorded, ThreadIrqCountsWithoutIrqEvents) {
  const Trace t = trace_with(TraceSource::Recording, "launch,sched,wakeup", true, false);
  const Expected e = expected(t);
  ASSERT_GT(e.outs, 0);
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  const nlohmann::json& th = main_thread_json(j);
  EXPECT_TRUE(th.at("irqs_hard").is_null() && th.at("irqs_soft").is_null()) << th.dump();
  EXPECT_EQ(th.at("switch_outs"), e.outs);
  EXPECT_EQ(th.at("preemptions"), e.preempted);
  EXPECT_EQ(th.at("blocks"), e.blocked);
  EXPECT_EQ(th.at("offcpu_ns"), e.offcpu);
  EXPECT_EQ(j.at("main_thread").at("offcpu_ns"), e.offcpu);
  const std::vector<std::string> want = {std::to_string(kMain), "launcher", "6", std::to_string(e.outs),
                                         std::to_string(e.preempted), std::to_string(e.blocked), format_ns(e.offcpu),
                                         "not recorded"};
  EXPECT_EQ(thread_row(text_of(t, a), kMain), want);
  const std::string page = html_text(j);
  EXPECT_TRUE(has(page, " " + format_ns(e.offcpu) + " not recorded ")) << page;
}

// The top-level counts follow the thread rows: an event class not recorded has null counts (the
// report's dedup key leaves counts out: sched_recording_key_test.cpp), one recorded keeps its count, and
// the outputs say "not recorded" where the count would show. The counts expected are the trace's
// own rows (expected() above).
TEST(SchedNotRecorded, TopLevelCountsOfEventsNotRecordedAreNull) {
  const char* switch_keys[] = {"switch_outs", "preemptions", "blocks", "switch_ins_missing"};
  const char* irq_keys[] = {"irq_count_hard", "irq_count_soft", "irq_nested", "irq_stolen_ns"};
  {  // IRQs recorded, switches not
    const Trace t = trace_with(TraceSource::Recording, "launch,irq", false, true);
    const Expected e = expected(t);
    ASSERT_GT(e.hard + e.soft, 0);
    const nlohmann::json j = sched_analysis_json(t, analyze_sched(t));
    for (const char* k : switch_keys) EXPECT_TRUE(j.at(k).is_null()) << k << " = " << j.at(k);
    EXPECT_EQ(j.at("irq_count_hard"), e.hard);
    EXPECT_EQ(j.at("irq_count_soft"), e.soft);
    EXPECT_EQ(j.at("irq_nested"), 0);  // the three IRQs are 50 ns each at 500, 2400 and 5200: none nested
  }
  {  // switches recorded, IRQs not
    const Trace t = trace_with(TraceSource::Recording, "launch,sched,wakeup", true, false);
    const Expected e = expected(t);
    ASSERT_GT(e.outs, 0);
    const SchedAnalysis a = analyze_sched(t);
    const nlohmann::json j = sched_analysis_json(t, a);
    EXPECT_EQ(j.at("switch_outs"), e.outs);
    EXPECT_EQ(j.at("preemptions"), e.preempted);
    EXPECT_EQ(j.at("blocks"), e.blocked);
    EXPECT_EQ(j.at("switch_ins_missing"), 0);  // every switch-out of the trace has its switch-in
    for (const char* k : irq_keys) EXPECT_TRUE(j.at(k).is_null()) << k << " = " << j.at(k);
    const std::string text = text_of(t, a);
    EXPECT_TRUE(std::regex_search(text, std::regex("IRQ time on traced threads \\(nesting counted once\\) +not recorded")))
        << text;
    EXPECT_TRUE(has(html_text(j), "IRQ time on traced threads (nesting counted once) not recorded")) << html_text(j);
  }
  {  // a Kineto trace: neither
    const Trace t = trace_with(TraceSource::Kineto, nullptr, false, false);
    const nlohmann::json j = sched_analysis_json(t, analyze_sched(t));
    for (const char* k : switch_keys) EXPECT_TRUE(j.at(k).is_null()) << k << " = " << j.at(k);
    for (const char* k : irq_keys) EXPECT_TRUE(j.at(k).is_null()) << k << " = " << j.at(k);
  }
  {  // both recorded, none happened: zeros, measured
    const Trace t = trace_with(TraceSource::Recording, "launch,sched,wakeup,irq", false, false);
    const nlohmann::json j = sched_analysis_json(t, analyze_sched(t));
    for (const char* k : switch_keys) EXPECT_EQ(j.at(k), 0) << k;
    for (const char* k : irq_keys) EXPECT_EQ(j.at(k), 0) << k;
  }
}

// Recorded, and none happened: zeros, measured.
TEST(SchedNotRecorded, RecordedEventsThatDidNotHappenStayZero) {
  const Trace t = trace_with(TraceSource::Recording, "launch,sched,wakeup,irq", false, false);
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  const nlohmann::json& th = main_thread_json(j);
  for (const char* k : {"switch_outs", "preemptions", "blocks", "offcpu_ns", "irqs_hard", "irqs_soft"})
    EXPECT_EQ(th.at(k), 0) << k << th.dump();
  EXPECT_EQ(j.at("runq_latency_ns").at("samples"), 0);
  EXPECT_FALSE(j.contains("pairs_undefined_reason")) << j.dump();
  // The text never says "not recorded" of what was recorded (review CY L7), and its verdict says
  // that the events were traced and none happened, not that they were not asked for.
  const std::string text = text_of(t, a);
  EXPECT_FALSE(has(text, "not recorded")) << text;
  EXPECT_TRUE(has(a.verdict, "none happened to the traced threads")) << a.verdict;
  EXPECT_FALSE(has(a.verdict, "asked for no")) << a.verdict;
}

// A Kineto trace carries no scheduler events at all: its null pair groups are put down to that, with
// the command that records them, not to a missing `--events` (the reason read "context switches not
// recorded (--events)"); its threads' switch and IRQ figures are null, its launches counted.
TEST(SchedNotRecorded, KinetoTraceSaysItCarriesNoSchedulerEvents) {
  const Trace t = trace_with(TraceSource::Kineto, nullptr, false, false);
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  const std::string reason = j.at("pairs_undefined_reason").get<std::string>();
  EXPECT_TRUE(has(reason, "a Kineto trace carries no scheduler or IRQ events")) << reason;
  EXPECT_TRUE(has(reason, "`infertrace record`")) << reason;
  EXPECT_FALSE(has(reason, "--events")) << reason;
  for (const char* g : {"clean", "interrupted", "interrupted_only", "switched", "preempted", "blocked"}) {
    EXPECT_TRUE(j.at("pairs").at(g).is_null()) << g;
    EXPECT_TRUE(has(reason, g)) << g << ": " << reason;
  }
  EXPECT_EQ(j.at("pairs").at("all").at("count"), 5);  // six launches of one thread
  const nlohmann::json& th = main_thread_json(j);
  EXPECT_EQ(th.at("launches"), 6);
  for (const char* k : {"switch_outs", "preemptions", "blocks", "offcpu_ns", "irqs_hard", "irqs_soft"})
    EXPECT_TRUE(th.at(k).is_null()) << k << th.dump();
  // The text and the page give the verdict alone, which names the trace and the command too.
  const std::string text = text_of(t, a);
  EXPECT_TRUE(has(text, "a profiler trace, not a recording")) << text;
  EXPECT_TRUE(has(text, "`infertrace record`")) << text;
  EXPECT_FALSE(has(text, "Traced threads")) << text;
  const std::string page = html_text(j);
  EXPECT_TRUE(has(page, "record the run with infertrace record")) << page;
  EXPECT_FALSE(has(page, "--events")) << page;

  // A trace that is neither (no META list, no OS event) is not called a Kineto trace.
  const Trace u = trace_with(TraceSource::Unknown, nullptr, false, false);
  const std::string ru = sched_analysis_json(u, analyze_sched(u)).at("pairs_undefined_reason").get<std::string>();
  EXPECT_TRUE(has(ru, "does not list the events it recorded")) << ru;
  EXPECT_FALSE(has(ru, "Kineto")) << ru;
  // A recording whose META lists its events (no sched, no irq) still points at --events.
  const Trace r = trace_with(TraceSource::Recording, "launch", false, false);
  const std::string rr = sched_analysis_json(r, analyze_sched(r)).at("pairs_undefined_reason").get<std::string>();
  EXPECT_TRUE(has(rr, "context switches not recorded (--events)")) << rr;
  // ... and so does its verdict: not "a profiler trace" (review CY L3).
  const SchedAnalysis ra = analyze_sched(r);
  EXPECT_TRUE(has(ra.verdict, "This recording asked for no scheduler, IRQ or syscall events (--events)")) << ra.verdict;
  EXPECT_FALSE(has(ra.verdict, "profiler trace")) << ra.verdict;
  // A recording from before META listed the events is a recording too.
  const Trace old = trace_with(TraceSource::Recording, nullptr, false, false);
  const SchedAnalysis oa = analyze_sched(old);
  EXPECT_TRUE(has(oa.verdict, "This recording has no scheduler, IRQ or syscall events")) << oa.verdict;
  // Wake-ups (or syscalls) asked for and none happened: traced, not "asked for no" (review DF L4).
  for (const char* events : {"launch,wakeup", "launch,syscall", "launch,syscall-counts"}) {
    const Trace w = trace_with(TraceSource::Recording, events, false, false);
    const SchedAnalysis wa = analyze_sched(w);
    EXPECT_TRUE(has(wa.verdict, "none happened to the traced threads")) << events << ": " << wa.verdict;
    EXPECT_FALSE(has(wa.verdict, "asked for no")) << events << ": " << wa.verdict;
  }
  EXPECT_FALSE(has(oa.verdict, "profiler trace")) << oa.verdict;
}

}  // namespace
}  // namespace infertrace
