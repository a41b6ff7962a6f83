// The recording part of the HTML report (the scheduler / IRQ / syscall section, drawn from a
// `sched --json` document) reads like `infertrace sched`: labels in words, every figure the JSON's
// value in the terminal's units, the verdict first, and events that were not recorded said to be
// so instead of shown as zeros. Documents here have the shape sched_analysis_json() writes
// (docs/sched.md); the e2e check on a real recording is tests/e2e/test_sched_recording.py.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "report/html_report.h"

using namespace infertrace;
using nlohmann::json;

namespace {

json group(int64_t count, int64_t p50, int64_t p90, int64_t p99) {
  return {{"count", count}, {"median_ns", double(p50)}, {"p50_ns", p50}, {"p90_ns", p90}, {"p99_ns", p99}};
}

// Each group's "share" as sched_analysis_json() writes it: its count over all pairs.
void add_shares(json& pairs) {
  const double all = pairs["all"]["count"].get<double>();
  for (auto& [k, v] : pairs.items()) v["share"] = all > 0 ? json(v["count"].get<double>() / all) : json(nullptr);
}

json tail(int64_t threshold, int64_t pairs, double pre, double blk, double irq_only, double app, double any_irq) {
  return {{"threshold_ns", threshold}, {"pairs", pairs},          {"switched", pre + blk},
          {"preempted", pre},          {"blocked", blk},          {"interrupted", any_irq},
          {"interrupted_only", irq_only}, {"application", app}};
}

// A full document of a contended run (CPU contention), every key sched_analysis_json() writes.
json full_doc() {
  json j;
  j["kind"] = "sched", j["schema_version"] = 1, j["source"] = "run.itrace", j["has_os_events"] = true;
  j["launches"] = 4000, j["merged_launch_calls"] = 4000;
  j["t_begin_ns"] = 0, j["t_end_ns"] = 2'500'000'000LL, j["wall_ns"] = 2'500'000'000LL;
  j["pairs"] = {{"all", group(3999, 61'000, 70'000, 2'100'000)},   {"clean", group(3500, 60'000, 66'000, 90'000)},
                {"interrupted", group(300, 62'000, 80'000, 500'000)}, {"interrupted_only", group(250, 61'500, 75'000, 300'000)},
                {"preempted", group(200, 900'000, 1'500'000, 3'000'000)}, {"blocked", group(49, 2'070'000, 2'100'000, 2'200'000)},
                {"switched", group(249, 1'200'000, 2'080'000, 3'000'000)}};
  add_shares(j["pairs"]);
  j["penalty_ns"] = {{"overall", 1'140'000}, {"preempted", 840'000}, {"blocked", nullptr}};
  j["scheduler_impact"] = 0.3912, j["impact_preempted"] = 0.3011, j["impact_blocked"] = 0.0901;
  j["switch_outs"] = 260;
  j["preemptions"] = 210, j["blocks"] = 50;
  j["sched_per_1k"] = 65.0, j["preempt_per_1k"] = 52.5, j["block_per_1k"] = 12.5;
  j["irq_per_1k_hard"] = 2.25, j["irq_per_1k_soft"] = 75.0;
  j["switches_recorded"] = true, j["irqs_recorded"] = true;
  j["irq_count_hard"] = 9, j["irq_count_soft"] = 300, j["irq_nested"] = 0, j["irq_stolen_ns"] = 4'200'000;
  j["irq_stolen_share"] = 4'200'000.0 / 2'500'000'000.0;  // 0.168%
  j["hardirqs"] = {{"nvme0q3", {{"irq", 40}, {"count", 9}, {"total_ns", 45'000}, {"self_ns", 45'000}, {"max_ns", 9'000}, {"mean_ns", 5'000.0}}}};
  j["softirqs"] = {{"TIMER", {{"irq", 1}, {"count", 250}, {"total_ns", 3'750'000}, {"self_ns", 3'700'000}, {"max_ns", 40'000}, {"mean_ns", 15'000.0}}},
                   {"RCU", {{"irq", 9}, {"count", 50}, {"total_ns", 400'000}, {"self_ns", 400'000}, {"max_ns", 12'000}, {"mean_ns", 8'000.0}}}};
  j["offcpu_ns"] = {{"23101", 250'000'000}, {"102", 1'000'000}};
  j["threads"] = json::array({{{"pid", 100}, {"tid", 23101}, {"comm", "contend"}, {"launches", 4000}, {"switch_outs", 260},
                               {"preemptions", 210}, {"blocks", 50}, {"irqs_hard", 9}, {"irqs_soft", 300}, {"offcpu_ns", 250'000'000}},
                              {{"pid", 100}, {"tid", 102}, {"comm", "busy"}, {"launches", 0}, {"switch_outs", 900},
                               {"preemptions", 900}, {"blocks", 0}, {"irqs_hard", 0}, {"irqs_soft", 10}, {"offcpu_ns", 1'000'000}}});
  j["main_thread"] = {{"pid", 100}, {"tid", 23101}, {"offcpu_ns", 250'000'000}, {"offcpu_share", 0.1}};
  j["runq_latency_ns"] = {{"samples", 260}, {"p50", 800'000}, {"p99", 4'000'000}, {"max", 6'500'000}};
  j["switch_ins_missing"] = 0;
  j["tail"] = {{"p95", tail(1'000'000, 200, 0.8, 0.15, 0.025, 0.025, 0.3)}, {"p99", tail(2'100'000, 40, 0.7, 0.3, 0, 0, 0.5)}};
  j["gpu_starved_by_scheduler"] = nullptr;
  j["syscall_totals"] = {{"count", 120}, {"total_ns", 110'000'000}, {"errors", 2}, {"counted_in_kernel", false}};
  j["syscalls"] = {{"clock_nanosleep", {{"nr", 230}, {"count", 20}, {"total_ns", 100'000'000}, {"mean_ns", 5'000'000.0},
                                        {"max_ns", 5'200'000}, {"errors", 0}, {"wall_share", 0.04}}},
                   {"ioctl", {{"nr", 16}, {"count", 100}, {"total_ns", 10'000'000}, {"mean_ns", 100'000.0},
                              {"max_ns", 900'000}, {"errors", 2}, {"wall_share", 0.004}}}};
  j["ioctl_targets"] = json::array({{{"target", "/dev/nvidia0"}, {"count", 90}, {"total_ns", 9'000'000}, {"errors", 2}},
                                    {{"target", nullptr}, {"count", 10}, {"total_ns", 1'000'000}, {"errors", 0}}});
  j["signature"] = "cpu_contention", j["mitigation"] = "pinning and priority";
  j["verdict"] = "CPU contention: the launching thread was preempted while runnable.";
  j["skipped"] = json::object();
  return j;
}

// The section of the one document in a report, as the text a reader sees (tags dropped).
std::string section_text(const json& doc) {
  html::ReportInputs in;
  in.docs.push_back({"run.itrace (scheduler)", doc});
  const std::string page = html::render_report(in);
  const size_t b = page.find("<section id=\"doc-0\"");
  const size_t e = page.find("</section>", b);
  EXPECT_NE(b, std::string::npos);
  std::string text = std::regex_replace(page.substr(b, e - b), std::regex("<[^>]*>"), " ");
  text = std::regex_replace(text, std::regex("&gt;"), ">");
  return std::regex_replace(text, std::regex("\\s+"), " ");
}

bool has(const std::string& text, const std::string& s) { return text.find(s) != std::string::npos; }

// A table row as it reads with tags dropped: cells separated by single spaces.
std::string row(std::initializer_list<const char*> cells) {
  std::string s;
  for (const char* c : cells) s += std::string(" ") + c;
  return s + " ";
}

}  // namespace

TEST(HtmlSched, RecordingSectionUsesTheTerminalsLabelsAndUnits) {
  const std::string t = section_text(full_doc());
  // The verdict comes first, its signature in words.
  const size_t verdict = t.find("Verdict: CPU contention (mitigation: pinning and priority)");
  ASSERT_NE(verdict, std::string::npos) << t;
  EXPECT_LT(verdict, t.find("Launch pairs"));
  EXPECT_TRUE(has(t, "CPU contention: the launching thread was preempted while runnable."));
  EXPECT_TRUE(has(t, "wall 2.500 s, 4,000 logical launches (4,000 nested runtime/driver calls merged)."));

  // Launch pairs: count, share of all pairs (the JSON's "share": 250 / 3999 = 6.25%, 49 / 3999 =
  // 1.23%) and percentiles in time units.
  EXPECT_TRUE(has(t, row({"all", "3,999", "100.0%", "61.00 us", "70.00 us", "2.10 ms"}))) << t;
  EXPECT_TRUE(has(t, row({"IRQ only (not switched)", "250", "6.3%", "61.50 us", "75.00 us", "300.00 us"}))) << t;
  EXPECT_TRUE(has(t, row({"switched: blocked", "49", "1.2%", "2.07 ms", "2.10 ms", "2.20 ms"}))) << t;

  // The headline: a share as a percentage, rates per 1000 launches, times with units.
  EXPECT_TRUE(has(t, row({"preemption penalty (switched - clean median)", "1.14 ms"}))) << t;
  // 49 blocked pairs and 3,500 clean ones but no penalty in the document: no group to blame.
  EXPECT_TRUE(has(t, row({"preemption penalty, blocked pairs only", "n/a"}))) << t;
  EXPECT_TRUE(has(t, row({"scheduler impact (share of wall)", "39.1%"}))) << t;
  EXPECT_TRUE(has(t, row({"scheduler impact, preempted pairs", "30.1%"}))) << t;
  EXPECT_TRUE(has(t, row({"scheduler impact, blocked pairs", "9.0%"}))) << t;
  EXPECT_TRUE(has(t, "Sched/1K (switch-outs per 1000 launches) 65.0 (preempt 52.5, block 12.5)")) << t;
  EXPECT_TRUE(has(t, row({"IRQ/1K hard (hard IRQs per 1000 launches)", "2.2"})) ||
              has(t, row({"IRQ/1K hard (hard IRQs per 1000 launches)", "2.3"})))
      << t;  // %.1f of 2.25: printf's rounding of the binary value, as the terminal prints it
  EXPECT_TRUE(has(t, row({"IRQ/1K soft (softirqs per 1000 launches)", "75.0"}))) << t;
  EXPECT_TRUE(has(t, row({"IRQ time on traced threads (nesting counted once)", "4.20 ms (0.2% of wall; 9 hard, 300 soft IRQs)"})))
      << t;
  EXPECT_TRUE(has(t, row({"run-queue latency p50 / p99 / max", "800.00 us / 4.00 ms / 6.50 ms (260 samples)"}))) << t;
  EXPECT_TRUE(has(t, "n/a (no GPU activities: record with --cuda cupti)")) << t;
  EXPECT_TRUE(has(t, row({"main launching thread off-CPU", "250.00 ms (10.0% of wall, tid 23101)"}))) << t;

  // Tail attribution as percentages.
  EXPECT_TRUE(has(t, row({">= P95", "1.00 ms", "200", "80.0%", "15.0%", "2.5%", "2.5%", "30.0%"}))) << t;
  EXPECT_TRUE(has(t, row({">= P99", "2.10 ms", "40", "70.0%", "30.0%", "0.0%", "0.0%", "50.0%"}))) << t;

  // IRQ tables, largest total first; threads with off-CPU time; syscalls with % of wall.
  EXPECT_TRUE(has(t, row({"TIMER", "250", "3.75 ms", "3.70 ms", "15.00 us", "40.00 us"}))) << t;
  EXPECT_LT(t.find(" TIMER 250"), t.find(" RCU 50"));
  EXPECT_TRUE(has(t, row({"nvme0q3", "9", "45.00 us", "45.00 us", "5.00 us", "9.00 us"}))) << t;
  EXPECT_TRUE(has(t, row({"23101", "contend", "4,000", "260", "210", "50", "250.00 ms", "9/300"}))) << t;
  EXPECT_LT(t.find(" 23101 contend"), t.find(" 102 busy"));
  EXPECT_TRUE(has(t, "Syscalls (120 calls, 110.00 ms)")) << t;
  EXPECT_TRUE(has(t, row({"clock_nanosleep", "20", "0", "100.00 ms", "5.00 ms", "5.20 ms", "4.0%"}))) << t;
  EXPECT_TRUE(has(t, row({"ioctl", "100", "2", "10.00 ms", "100.00 us", "900.00 us", "0.4%"}))) << t;
  EXPECT_TRUE(has(t, row({"/dev/nvidia0", "90", "2", "9.00 ms"}))) << t;
  EXPECT_TRUE(has(t, row({"(unresolved fd)", "10", "0", "1.00 ms"}))) << t;

  // No JSON key is shown as a label.
  for (const char* key : {"scheduler_impact", "sched_per_1k", "irq_per_1k", "penalty_ns", "total_ns", "self_ns",
                          "mean_ns", "p50_ns", "wall_share", "offcpu", "interrupted_only", "switch_outs", "runq",
                          "cpu_contention", "threshold_ns", "irq_stolen", "irq_stolen_share"})
    EXPECT_FALSE(has(t, key)) << key;
  // Nor a bare fraction: 0.3912 is "39.1%".
  EXPECT_FALSE(has(t, "0.39")) << t;
}

// The terminal's "hard IRQs counted" row, from the document's flag and lists: which system vectors,
// device IRQs only, or unknown for a document saved before the flag.
TEST(HtmlSched, SaysWhatTheHardIrqFiguresCount) {
  json j = full_doc();
  j["irq_system_vectors"] = true;
  j["irq_system_vectors_traced"] = {"LOC", "RES"};
  j["irq_system_vectors_missing"] = {"thermal_apic"};
  std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"hard IRQs counted", "device IRQs and the x86 system vectors LOC, RES (not traced: thermal_apic)"})))
      << t;
  j["irq_system_vectors"] = false, j["irq_system_vectors_traced"] = json::array(), j["irq_system_vectors_missing"] = nullptr;
  t = section_text(j);
  EXPECT_TRUE(has(t, "hard IRQs counted")) << t;
  EXPECT_TRUE(has(t, "device IRQs only, no x86 system vectors")) << t;
  j.erase("irq_system_vectors"), j.erase("irq_system_vectors_traced"), j.erase("irq_system_vectors_missing");
  t = section_text(j);
  EXPECT_TRUE(has(t, "unknown whether they include the x86 system vectors")) << t;
}

// Each tail cell reads its own share, and the threads table puts launching threads before any
// thread with more time off the CPU: here the P95 tail's IRQ-only and application shares differ
// (4% and 1%), and the busy thread without launches was off the CPU 900 ms, longer than the
// launching one's 250 ms.
TEST(HtmlSched, TailCellsReadTheirOwnSharesAndLaunchingThreadsComeFirst) {
  json j = full_doc();
  j["tail"]["p95"] = tail(1'000'000, 200, 0.8, 0.15, 0.04, 0.01, 0.3);
  j["threads"][1]["offcpu_ns"] = 900'000'000;
  j["offcpu_ns"]["102"] = 900'000'000;
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({">= P95", "1.00 ms", "200", "80.0%", "15.0%", "4.0%", "1.0%", "30.0%"}))) << t;
  EXPECT_TRUE(has(t, row({"102", "busy", "0", "900", "900", "0", "900.00 ms", "0/10"}))) << t;
  EXPECT_LT(t.find(" 23101 contend"), t.find(" 102 busy"));
}

// A document saved before `share` and `irq_stolen_share` existed: the share cells are unknown
// ("-"), not computed here, and IRQ time reads against the wall time the document has.
TEST(HtmlSched, OlderDocumentWithoutSharesShowsDashesNotComputedShares) {
  json j = full_doc();
  for (auto& [k, v] : j["pairs"].items()) v.erase("share");
  j.erase("irq_stolen_share");
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"all", "3,999", "-", "61.00 us", "70.00 us", "2.10 ms"}))) << t;
  EXPECT_TRUE(has(t, row({"IRQ time on traced threads (nesting counted once)", "4.20 ms of 2.500 s wall (9 hard, 300 soft IRQs)"})))
      << t;
  EXPECT_FALSE(has(t, "100.0%")) << t;
}

// An analysis saved before the impact's two parts existed shows the impact without their rows.
TEST(HtmlSched, ASavedAnalysisWithoutTheImpactPartsHasNoRowsForThem) {
  json j = full_doc();
  j.erase("impact_preempted"), j.erase("impact_blocked");
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"scheduler impact (share of wall)", "39.1%"}))) << t;
  EXPECT_FALSE(has(t, "scheduler impact, preempted pairs")) << t;
  EXPECT_FALSE(has(t, "scheduler impact, blocked pairs")) << t;
}

// A recording made without sched or irq events: those figures are unknown, and the page says so
// instead of showing zeros (sched_analysis_json() writes null rates and false flags).
TEST(HtmlSched, EventsThatWereNotRecordedAreSaidSoNotShownAsZero) {
  json j = full_doc();
  j["switches_recorded"] = false, j["irqs_recorded"] = false, j["irq_stolen_share"] = nullptr;
  for (const char* k : {"sched_per_1k", "preempt_per_1k", "block_per_1k", "irq_per_1k_hard", "irq_per_1k_soft"}) j[k] = nullptr;
  j["switch_outs"] = j["preemptions"] = j["blocks"] = 0;
  j["penalty_ns"] = {{"overall", nullptr}, {"preempted", nullptr}, {"blocked", nullptr}};
  j["scheduler_impact"] = j["impact_preempted"] = j["impact_blocked"] = nullptr;
  j["main_thread"]["offcpu_share"] = nullptr, j["main_thread"]["offcpu_ns"] = nullptr;
  for (json& th : j["threads"])
    for (const char* k : {"switch_outs", "preemptions", "blocks", "irqs_hard", "irqs_soft", "offcpu_ns"}) th[k] = nullptr;
  j["hardirqs"] = j["softirqs"] = json::object();
  j["signature"] = "not_recorded", j["mitigation"] = "record with --events sched,irq";
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, "Verdict: Context switches not recorded")) << t;
  EXPECT_TRUE(has(t, "Context switches were not recorded (record --events sched,wakeup)")) << t;
  EXPECT_TRUE(has(t, "IRQs were not recorded (record --events irq)")) << t;
  EXPECT_TRUE(has(t, row({"Sched/1K (switch-outs per 1000 launches)", "not recorded (--events)"}))) << t;
  EXPECT_TRUE(has(t, row({"IRQ/1K soft (softirqs per 1000 launches)", "not recorded (--events)"}))) << t;
  EXPECT_TRUE(has(t, row({"scheduler impact (share of wall)", "not recorded (--events)"}))) << t;
  EXPECT_TRUE(has(t, row({"scheduler impact, blocked pairs", "not recorded (--events)"}))) << t;
  EXPECT_TRUE(has(t, row({"run-queue latency p50 / p99 / max", "not recorded (--events)"}))) << t;
  // Groups that need switch or IRQ events say "not recorded", as the terminal's rows; the IRQ tables
  // are left out.
  EXPECT_FALSE(has(t, " preempted 200 ")) << t;
  for (const char* g : {"clean (not switched; IRQs not recorded)", "interrupted (any IRQ)", "IRQ only (not switched)",
                        "switched", "switched: preempted", "switched: blocked"})
    EXPECT_TRUE(has(t, row({g, "not recorded", "-", "-", "-", "-"}))) << g << ": " << t;
  EXPECT_FALSE(has(t, "Softirqs by vector")) << t;
  // The thread table keeps each thread's launches; its switch, off-CPU and IRQ cells say "not
  // recorded" (a "-" or 0 there read as none).
  EXPECT_TRUE(has(t, row({"23101", "contend", "4,000", "not recorded", "not recorded", "not recorded", "not recorded",
                          "not recorded"})))
      << t;
  // Tail shares of unrecorded causes are unknown, not 0% and not an empty set.
  EXPECT_TRUE(has(t, row({">= P95", "1.00 ms", "200", "not recorded", "not recorded", "not recorded", "not recorded",
                          "not recorded"})))
      << t;
  // (" 0.0%": a cell of its own; "100.0%", the share of all pairs, is known)
  EXPECT_FALSE(has(t, " 0.0%")) << t;
}

// `record --events syscall-counts`: counts and totals from the kernel, no errors or maxima, and
// (with no switch events) no launch pairs of a CPU-only run.
TEST(HtmlSched, SyscallCountsOnlyRecordingShowsUnknownsAsDashes) {
  json j = full_doc();
  j["launches"] = 0, j["merged_launch_calls"] = 0, j["switches_recorded"] = false, j["irqs_recorded"] = false;
  for (auto& [k, v] : j["pairs"].items()) v = group(0, 0, 0, 0);
  for (const char* k : {"sched_per_1k", "preempt_per_1k", "block_per_1k", "irq_per_1k_hard", "irq_per_1k_soft"}) j[k] = nullptr;
  j["threads"] = json::array();
  j["main_thread"] = {{"pid", -1}, {"tid", -1}, {"offcpu_ns", 0}, {"offcpu_share", nullptr}};
  j["syscall_totals"] = {{"count", 20}, {"total_ns", 100'000'000}, {"errors", nullptr}, {"counted_in_kernel", true}};
  j["syscalls"] = {{"clock_nanosleep", {{"nr", 230}, {"count", 20}, {"total_ns", 100'000'000}, {"mean_ns", 5'000'000.0},
                                        {"max_ns", nullptr}, {"errors", nullptr}, {"wall_share", 0.04}}}};
  j["ioctl_targets"] = json::array();
  j["signature"] = "too_few_launches";
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, "No launch pairs: the recording has no CUDA launches")) << t;
  EXPECT_FALSE(has(t, "Tail attribution")) << t;
  EXPECT_TRUE(has(t, row({"clock_nanosleep", "20", "-", "100.00 ms", "5.00 ms", "-", "4.0%"}))) << t;
  EXPECT_TRUE(has(t, "Counted in the kernel")) << t;
  EXPECT_FALSE(has(t, "ioctl by file")) << t;
}

// The syscall column is the call's time summed over its threads per wall time, as the terminal
// heads it (review RC L1): 1.2 reads 120.0% under "thread time / wall" with a note saying why it
// can pass 100%; at 4% (full_doc) there is no note.
TEST(HtmlSched, SyscallThreadTimePerWallOver100PercentIsExplained) {
  json j = full_doc();
  EXPECT_FALSE(has(section_text(j), "over 100% when several threads")) << section_text(j);
  j["syscalls"]["clock_nanosleep"]["wall_share"] = 1.2;
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"syscall", "calls", "errors", "total", "mean", "max", "thread time / wall"}))) << t;
  EXPECT_FALSE(has(t, "max % of wall")) << t;
  EXPECT_TRUE(has(t, row({"clock_nanosleep", "20", "0", "100.00 ms", "5.00 ms", "5.20 ms", "120.0%"}))) << t;
  EXPECT_TRUE(has(t, "over 100% when several threads were in it at once")) << t;
}

// A trace without OS events (a Kineto trace given to `sched --json`): the verdict, nothing more.
TEST(HtmlSched, NoOsEventsShowsTheVerdictOnly) {
  const json j = {{"kind", "sched"}, {"has_os_events", false}, {"launches", 10}, {"signature", "no_os_events"},
                  {"mitigation", "record the run"}, {"verdict", "This trace has no scheduler, IRQ or syscall events."},
                  {"pairs", {{"all", group(9, 1, 1, 1)}}}, {"sched_per_1k", 0.0}};
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, "Verdict: No OS events")) << t;
  EXPECT_TRUE(has(t, "nothing more to show")) << t;
  EXPECT_FALSE(has(t, "Sched/1K")) << t;
  // With fewer than two launches there are no pairs: the note does not promise them (review FMT2 L1).
  const json none = {{"kind", "sched"}, {"has_os_events", false}, {"launches", 1}, {"signature", "no_os_events"},
                     {"mitigation", "record the run"}, {"verdict", "This trace has no scheduler, IRQ or syscall events."},
                     {"pairs", {{"all", group(0, 0, 0, 0)}}}, {"sched_per_1k", nullptr}};
  const std::string u = section_text(none);
  EXPECT_TRUE(has(u, "nothing more to show here;")) << u;
  EXPECT_FALSE(has(u, "launch pairs as a whole")) << u;
}

// A saved `analyze --json` of one recording keeps the scheduler analysis under "sched": the report
// shows the same section after the launch figures, and its verdict among the findings.
TEST(HtmlSched, AnalyzeDocumentOfARecordingShowsItsSchedulerSection) {
  html::ReportInputs in;
  in.docs.push_back({"analyze.json", json{{"tklqt_ns", 5}, {"sched", full_doc()}}});
  const std::string page = html::render_report(in);
  EXPECT_NE(page.find("Verdict: CPU contention (mitigation: pinning and priority)"), std::string::npos);
  EXPECT_NE(page.find("39.1%"), std::string::npos);
  bool finding = false;
  for (auto& f : html::findings(in)) finding |= f.find("CPU contention: the launching thread") != std::string::npos;
  EXPECT_TRUE(finding);
}

// Review DK L1: the document's own reason for the missing starvation figure (a --cuda cupti
// recording is not told to record with --cuda cupti); a document without the key (before it) keeps
// the old text.
TEST(HtmlSched, GpuStarvationRowTakesTheDocumentsReason) {
  json j = full_doc();
  j["gpu_starved_by_scheduler"] = nullptr;
  j["gpu_starved_undefined_reason"] = "n/a (no GPU activities: recorded with --cuda cupti, yet no GPU activity record arrived)";
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"GPU idle while launching thread off-CPU",
                          "n/a (no GPU activities: recorded with --cuda cupti, yet no GPU activity record arrived)"})))
      << t;
  EXPECT_FALSE(has(t, "record with --cuda cupti")) << t;
  j.erase("gpu_starved_undefined_reason");
  EXPECT_TRUE(has(section_text(j), "n/a (no GPU activities: record with --cuda cupti)"));
}

// A CUPTI recording has GPU activities: GPU idle while the launching thread was off-CPU, with the
// share of idle time the JSON states, as the terminal's row reads.
TEST(HtmlSched, GpuStarvationRowWhenTheRecordingHasGpuActivities) {
  json j = full_doc();
  j["gpu_starved_by_scheduler"] = {{"pid", 100}, {"tid", 23101}, {"window_begin_ns", 0}, {"window_end_ns", 2'000'000'000},
                                   {"gpu_busy_ns", 1'500'000'000}, {"gpu_idle_ns", 500'000'000}, {"idle_gaps", 4000},
                                   {"idle_while_preempted_ns", 90'000'000}, {"idle_while_runqueue_ns", 35'000'000},
                                   {"idle_while_blocked_ns", 60'000'000}, {"starved_ns", 125'000'000}, {"gaps_starved", 130},
                                   {"share_of_idle", 0.25}};
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"GPU idle while launching thread off-CPU (scheduler)",
                          "125.00 ms of 500.00 ms GPU idle (25.0%; preempted 90.00 ms, run queue 35.00 ms; sleeping "
                          "60.00 ms not counted)"})))
      << t;
  EXPECT_FALSE(has(t, "record with --cuda cupti")) << t;
  EXPECT_FALSE(has(t, "spanning a loss window")) << t;  // a recording without LOSS records
  // With LOSS records the object names the intervals left out and their GPU idle time.
  j["gpu_starved_by_scheduler"]["offcpu_intervals_spanning_loss"] = 3;
  j["gpu_starved_by_scheduler"]["idle_left_out_ns"] = 20'000'000;
  const std::string l = section_text(j);
  EXPECT_TRUE(has(l, row({"GPU idle: launching thread off-CPU intervals spanning a loss window",
                          "3 (left out; 20.00 ms of GPU idle left out of the share)"})))
      << l;
  // The share is of the idle time not left out (500 - 20 ms), and the row says so (review DX L1).
  EXPECT_TRUE(has(l, "GPU idle (25.0% of the 480.00 ms not left out; preempted")) << l;
  // Gaps of lost switches are named after the intervals (review EA L1).
  j["gpu_starved_by_scheduler"]["lost_switch_gaps"] = 2;
  EXPECT_TRUE(has(section_text(j), "3, and 2 gaps of lost switches (left out; 20.00 ms")) << section_text(j);
  j["gpu_starved_by_scheduler"]["lost_switch_gaps"] = 1;
  EXPECT_TRUE(has(section_text(j), "3, and 1 gap of lost switches (left out; 20.00 ms")) << section_text(j);
}

// A pair group that is empty while others are not (no blocked pair here): sched --json writes 0
// for its percentiles; the page shows "-" there, as the terminal does, not "0 ns".
TEST(HtmlSched, EmptyPairGroupShowsDashesNotZeroTimes) {
  json j = full_doc();
  j["pairs"]["blocked"] = group(0, 0, 0, 0);
  add_shares(j["pairs"]);
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"switched: blocked", "0", "0.0%", "-", "-", "-"}))) << t;
  EXPECT_FALSE(has(t, "p50, blocked")) << t;  // no bars of 0 ns in the percentile chart
  EXPECT_TRUE(has(t, "p50, preempted")) << t;
  // The missing penalty names the empty group (audit EE L5), and an empty clean group before it.
  EXPECT_TRUE(has(t, row({"preemption penalty, blocked pairs only", "n/a (no blocked pairs)"}))) << t;
  j["pairs"]["clean"] = group(0, 0, 0, 0);
  j["penalty_ns"] = {{"overall", nullptr}, {"preempted", nullptr}, {"blocked", nullptr}};
  add_shares(j["pairs"]);
  const std::string c = section_text(j);
  EXPECT_TRUE(has(c, row({"preemption penalty (switched - clean median)", "n/a (no clean pairs)"}))) << c;
  EXPECT_TRUE(has(c, row({"preemption penalty, preempted pairs only", "n/a (no clean pairs)"}))) << c;
}

// The main launching thread's own run-queue waits get a row under the pooled one (audit CK D3), and
// without IRQ events the clean row says it means "not switched" and the unknown IRQ groups (null
// in the JSON) have no row (D8).
// The launch window's rates (review CP: the page had no row for them), summed over two launching
// threads with the per-thread share; an analysis saved before the key has no row.
TEST(HtmlSched, LaunchWindowRow) {
  json j = full_doc();
  j["launch_pair_threads"] = 2;
  j["launch_window"] = {{"begin_ns", 1'000'000'000LL}, {"end_ns", 2'000'000'000LL}, {"wall_ns", 1'000'000'000LL},
                        {"switch_outs", 10}, {"sched_per_1k", 12.5}, {"irq_per_1k_hard", 0.5}, {"irq_per_1k_soft", 7.25},
                        {"scheduler_impact", 1.5}, {"scheduler_impact_per_thread", 0.75}};
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, "rates over the launch window")) << t;
  // 7.25 is exact in binary: printf's half to even, as every formatter here (and Python's format).
  EXPECT_TRUE(has(t, "Sched/1K 12.5, IRQ/1K hard/soft 0.5 / 7.2")) << t;
  EXPECT_TRUE(has(t, "scheduler impact 150.0% summed over 2 launching threads (75.0% per thread on average)")) << t;
  // The whole trace's row says it too (review DJ L5): 39.1% over 2 threads, 19.5% each.
  j["scheduler_impact_per_thread"] = 0.1956;
  EXPECT_TRUE(has(section_text(j), row({"scheduler impact (share of wall)",
                                        "39.1% summed over 2 launching threads (19.6% per thread on average)"})))
      << section_text(j);
  j.erase("launch_window");
  EXPECT_FALSE(has(section_text(j), "rates over the launch window"));
}

TEST(HtmlSched, MainThreadRunQueueRowAndCleanWithoutIrqs) {
  json j = full_doc();
  j["runq_latency_ns"]["main_thread"] = {{"tid", 23101}, {"samples", 40}, {"p50", 500'000}, {"p99", 2'000'000}, {"max", 3'000'000}};
  j["irqs_recorded"] = false;
  j["pairs"]["interrupted"] = nullptr, j["pairs"]["interrupted_only"] = nullptr;
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"of the main launching thread", "500.00 us / 2.00 ms / 3.00 ms (40 samples, tid 23101)"}))) << t;
  EXPECT_TRUE(has(t, "clean (not switched; IRQs not recorded)")) << t;
  EXPECT_TRUE(has(t, row({"IRQ only (not switched)", "not recorded", "-", "-", "-", "-"}))) << t;
  EXPECT_TRUE(has(t, row({"interrupted (any IRQ)", "not recorded", "-", "-", "-", "-"}))) << t;
  // The tail's IRQ-only, application and any-IRQ shares need IRQ events; the switch shares stand.
  const json& p95 = j["tail"]["p95"];
  const auto pct = [](const json& v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * v.get<double>());
    return std::string(buf);
  };
  EXPECT_TRUE(has(t, " >= P95 1.00 ms 200 " + pct(p95["preempted"]) + " " + pct(p95["blocked"]) +
                         " not recorded not recorded not recorded ")) << t;
  // The contending thread's IRQ counts are unknown, its switch figures measured.
  EXPECT_TRUE(has(t, row({"23101", "contend", "4,000", "260", "210", "50", "250.00 ms", "not recorded"}))) << t;
}

// Switches not recorded, IRQs recorded: the IRQ-only share is of pairs not switched out, so it is
// unknown too (the page showed the JSON's null as "-"), while "any IRQ" is measured.
TEST(HtmlSched, TailWithoutSwitchEventsKeepsOnlyTheAnyIrqShare) {
  json j = full_doc();
  j["switches_recorded"] = false;
  for (const char* k : {"switched", "preempted", "blocked", "not_switched", "interrupted_only", "application"})
    j["tail"]["p95"][k] = j["tail"]["p99"][k] = nullptr;
  const std::string t = section_text(j);
  const double any95 = j["tail"]["p95"]["interrupted"].get<double>(), any99 = j["tail"]["p99"]["interrupted"].get<double>();
  char buf[160];
  std::snprintf(buf, sizeof buf, " >= P95 1.00 ms 200 not recorded not recorded not recorded not recorded %.1f%% ", 100 * any95);
  EXPECT_TRUE(has(t, buf)) << t;
  std::snprintf(buf, sizeof buf, " >= P99 2.10 ms 40 not recorded not recorded not recorded not recorded %.1f%% ", 100 * any99);
  EXPECT_TRUE(has(t, buf)) << t;
}

// A recording with LOSS records: the off-CPU intervals and run-queue waits left out are rows of
// their own, with the counts the document gives; a document without the keys (no loss, or saved
// before 2026-12-03) has no such rows.
TEST(HtmlSched, LossRowsForOffCpuIntervalsAndRunQueueWaitsLeftOut) {
  json j = full_doc();
  EXPECT_FALSE(has(section_text(j), "spanning a loss window"));
  j["pairs_spanning_loss"] = 12, j["switch_ins_lost_by_recorder"] = 0, j["rates_over_loss"] = true;
  j["offcpu_intervals_spanning_loss"] = 7, j["runq_waits_spanning_loss"] = 5;
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, "off-CPU intervals spanning a loss window")) << t;
  EXPECT_TRUE(has(t, "7 (left out of off-CPU time and its share of wall)")) << t;
  EXPECT_TRUE(has(t, "run-queue waits spanning a loss window")) << t;
  EXPECT_TRUE(has(t, "5 (left out of run-queue latency)")) << t;
  // With pairs left out the impact is over each thread's wall less them: the label says so.
  EXPECT_TRUE(has(t, row({"scheduler impact (share of wall less left-out pairs)", "39.1%"}))) << t;
  EXPECT_FALSE(has(t, row({"scheduler impact (share of wall)", "39.1%"}))) << t;
}

// How much the recorder lost and the rates outside the loss windows, as the terminal's two rows
// (audit EE L2: the page had neither); the main thread's off-CPU share names its shorter wall.
TEST(HtmlSched, RecorderLossAndRatesOutsideTheLossWindows) {
  json j = full_doc();
  const std::string before = section_text(j);
  EXPECT_FALSE(has(before, "recorder loss")) << before;
  j["pairs_spanning_loss"] = 3, j["rates_over_loss"] = true;
  j["loss"] = {{"windows", 2},
               {"lost_events", 24192},
               {"covered_ns", 1'250'000'000},
               {"launches_outside", 3800},
               {"switch_outs_outside", 240},
               {"irqs_hard_outside", 10},
               {"irqs_soft_outside", 20},
               {"sched_per_1k_outside", 1000.0 * 240 / 3800},
               {"irq_per_1k_hard_outside", 1000.0 * 10 / 3800},
               {"irq_per_1k_soft_outside", 1000.0 * 20 / 3800}};
  j["main_thread"]["offcpu_left_out_ns"] = 1'000'000;
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"recorder loss",
                          "24,192 events lost in 2 windows covering 1.250 s: the rates above lost events on both sides, neither bound"})))
      << t;
  {  // a count of one in the singular, as the terminal says it
    json one = j;
    one["loss"]["windows"] = 1, one["loss"]["lost_events"] = 1;
    const std::string o = section_text(one);
    EXPECT_TRUE(has(o, row({"recorder loss",
                            "1 event lost in 1 window covering 1.250 s: the rates above lost events on both sides, neither bound"})))
        << o;
  }
  // 240 / 3.8 = 63.2, 10 / 3.8 = 2.6, 20 / 3.8 = 5.3 per 1000 launches. Saved without
  // `loss.lost_by_type`, the loss types are unknown: neither bound outside the windows too (review FN).
  EXPECT_TRUE(has(t, row({"rates outside the loss windows",
                          "Sched/1K 63.2, IRQ/1K hard 2.6, soft 5.3 (3,800 launches); neither bound: the loss windows "
                          "lost records of types not saved, which may decide which threads are counted"})))
      << t;
  {  // with the types: switches and launch records lost leave them unmarked here (no bound reason saved)
    json typed = j;
    typed["loss"]["lost_by_type"] = {{"api", 24000}, {"switch", 192}};
    const std::string ty = section_text(typed);
    EXPECT_TRUE(has(ty, row({"rates outside the loss windows", "Sched/1K 63.2, IRQ/1K hard 2.6, soft 5.3 (3,800 launches)"})))
        << ty;
  }
  EXPECT_TRUE(has(t, "of wall less left-out time, tid")) << t;
  j["loss"]["launches_outside"] = 0;
  const std::string none = section_text(j);
  EXPECT_TRUE(has(none, "Sched/1K n/a (no launch outside the loss)")) << none;
}

// A saved analysis whose bound keys cannot be read (`per_1k_upper_bound` neither true nor false): the
// rates are shown unmarked, and a row says why, with the reader's message (compare refuses such a
// document with the same message). Before, the page kept its defaults without a word.
TEST(HtmlSched, AnUnreadableBoundIsSaidNotSilentlyDropped) {
  json j = full_doc();
  j["per_1k_upper_bound"] = "yes";
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, "Sched/1K (switch-outs per 1000 launches) 65.0 (preempt 52.5, block 12.5)")) << t;
  const size_t at = t.find("rates per 1000 launches bound unknown (unreadable: ");
  ASSERT_NE(at, std::string::npos) << t;
  EXPECT_TRUE(has(t.substr(at), "the saved analysis: &quot;per_1k_upper_bound&quot; is not true, false or null)")) << t.substr(at, 200);
  // A readable one has no such row.
  EXPECT_FALSE(has(section_text(full_doc()), "bound unknown")) << section_text(full_doc());
}

// Thread ids reused (docs/sched.md): the page says it as the terminal does, only when there were some.
TEST(HtmlSched, ReusedThreadIdsAreSaidAsTheTerminalSaysThem) {
  json j = full_doc();
  EXPECT_FALSE(has(section_text(j), "thread ids reused")) << section_text(j);
  j["thread_ids_reused"] = 2, j["pairs_across_thread_end"] = 1;
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"thread ids reused", "2 (an id named a second thread after its first exited: each life counted "
                                               "apart, an outsider&#39;s switches left out; 1 launch pair across an exit left out)"})))
      << t;
}

// Clean pairs' microseconds beside switched ones' milliseconds (full_doc: clean p50 60 us, switched
// p99 3 ms, 50x apart, more than 10^1.5) are charted on a log axis, where a linear one drew the
// clean bars under a pixel high (review HR L4); within 1.5 decades the axis stays linear.
TEST(HtmlSched, IntervalChartUsesALogAxisOverAWideSpan) {
  html::ReportInputs in;
  in.docs.push_back({"run.sched.json", full_doc()});
  const std::string wide = html::render_report(in);
  EXPECT_NE(wide.find("interval between launches (log scale)"), std::string::npos);
  json narrow = full_doc();
  for (auto& [k, g] : narrow["pairs"].items()) g["p50_ns"] = 60'000, g["p90_ns"] = 70'000, g["p99_ns"] = 90'000;
  in.docs[0].doc = narrow;
  const std::string page = html::render_report(in);
  EXPECT_EQ(page.find("(log scale)"), std::string::npos);
  EXPECT_NE(page.find("interval between launches"), std::string::npos);
}

// Review HR L7: with events not recorded, the penalty's two parts are rows of their own saying so,
// as the terminal prints them, and the launch window's IRQ rates read "not recorded" once.
TEST(HtmlSched, PenaltyPartsAndWindowIrqRatesNotRecorded) {
  json j = full_doc();
  j["switches_recorded"] = false, j["irqs_recorded"] = false;
  j["penalty_ns"] = {{"overall", nullptr}, {"preempted", nullptr}, {"blocked", nullptr}};
  j["launch_window"] = {{"begin_ns", 1'000'000'000LL}, {"end_ns", 2'000'000'000LL}, {"wall_ns", 1'000'000'000LL},
                        {"switch_outs", nullptr}, {"sched_per_1k", nullptr}, {"irq_per_1k_hard", nullptr},
                        {"irq_per_1k_soft", nullptr}, {"scheduler_impact", nullptr}};
  const std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"preemption penalty (switched - clean median)", "not recorded (--events)"}))) << t;
  EXPECT_TRUE(has(t, row({"preemption penalty, preempted pairs only", "not recorded (--events)"}))) << t;
  EXPECT_TRUE(has(t, row({"preemption penalty, blocked pairs only", "not recorded (--events)"}))) << t;
  EXPECT_TRUE(has(t, "Sched/1K not recorded, IRQ/1K hard/soft not recorded, scheduler impact not recorded")) << t;
  EXPECT_FALSE(has(t, "not recorded / not recorded")) << t;
  // Switches recorded, IRQs not: the window's Sched/1K is a figure, its IRQ rates one "not recorded".
  j = full_doc();
  j["irqs_recorded"] = false;
  j["launch_window"] = {{"begin_ns", 1'000'000'000LL}, {"end_ns", 2'000'000'000LL}, {"wall_ns", 1'000'000'000LL},
                        {"switch_outs", 10}, {"sched_per_1k", 12.5}, {"irq_per_1k_hard", nullptr}, {"irq_per_1k_soft", nullptr},
                        {"scheduler_impact", 0.25}};
  EXPECT_TRUE(has(section_text(j), "Sched/1K 12.5, IRQ/1K hard/soft not recorded, scheduler impact 25.0%")) << section_text(j);
}

// Review HR L6: a penalty below 0 (switched median under the clean one) gets a note, as a figure
// that is no number does; a hand-edited 1e308 prints compactly in its cell and in the finding.
TEST(HtmlSched, NegativePenaltyNotedAndHugeRatesCompact) {
  json j = full_doc();
  j["penalty_ns"] = {{"overall", -5}, {"preempted", 840'000}, {"blocked", -1200}};
  std::string t = section_text(j);
  EXPECT_TRUE(has(t, row({"preemption penalty (switched - clean median)", "-5 ns"}))) << t;
  EXPECT_TRUE(has(t, "2 preemption penalties are below 0 (overall -5 ns, blocked pairs -1.20 us): the switched pairs' "
                     "median interval is shorter than the clean pairs'")) << t;
  j["penalty_ns"] = {{"overall", 1'140'000}, {"preempted", 840'000}, {"blocked", nullptr}};
  EXPECT_FALSE(has(section_text(j), "below 0")) << section_text(j);

  j["sched_per_1k"] = 1e308;
  j.erase("verdict");
  html::ReportInputs in;
  in.docs.push_back({"s.json", j});
  const std::string page = html::render_report(in);
  EXPECT_TRUE(has(section_text(j), "Sched/1K (switch-outs per 1000 launches) 1.00e+308")) << section_text(j);
  EXPECT_TRUE(has(page, "Scheduler/IRQ (s.json): 1.00e+308 context switches per 1000 launches.")) << page;
  EXPECT_FALSE(std::regex_search(page, std::regex("[0-9]{25}"))) << "a figure printed in full";
}
