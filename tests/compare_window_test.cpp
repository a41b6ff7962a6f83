// `compare`'s context-switch increase over the launch window (docs/sched.md "Two windows"), beside
// the whole-trace one that docs/metrics.md section 5 defines: scenario / baseline of the window
// Sched/1K, null when either is missing, the whole-trace figure unchanged; read from a recording's
// analysis and from its saved JSON alike. Expected values are worked out here from the inputs.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <vector>

#include "analysis/compare.h"
#include "analysis/sched.h"
#include "report/compare_render.h"
#include "report/sched_render.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace {
namespace {

constexpr int64_t kPid = 100, kMain = 101, kOther = 999;

ScenarioMetrics scenario(const char* name, double sched, std::optional<double> window) {
  ScenarioMetrics m;
  m.name = name, m.launches = 1000, m.wall = 1'000'000'000, m.sched_per_1k = sched, m.window_sched_per_1k = window;
  return m;
}

TEST(CompareWindow, IncreaseOverTheLaunchWindowBesideTheWholeTraceOne) {
  // Baseline: a start-up full of switches (whole trace 40/1K) but a quiet launch loop (5/1K);
  // scenario: 60/1K whole trace, 30/1K in its loop. Whole trace 1.5x, launch window 6x.
  const double base_all = 40, base_win = 5, cpu_all = 60, cpu_win = 30;
  const Comparison c = compare_scenarios({scenario("base", base_all, base_win), scenario("cpu", cpu_all, cpu_win),
                                          scenario("old", cpu_all, std::nullopt)});
  EXPECT_DOUBLE_EQ(c.rows[1].sched_increase.value_or(-1), cpu_all / base_all);  // unchanged
  EXPECT_DOUBLE_EQ(c.rows[1].window_sched_increase.value_or(-1), cpu_win / base_win);
  EXPECT_DOUBLE_EQ(c.rows[0].window_sched_increase.value_or(-1), 1.0);
  // A scenario without a window rate (an analysis saved before it existed): no window ratio, the
  // whole-trace one stands.
  EXPECT_FALSE(c.rows[2].window_sched_increase);
  EXPECT_DOUBLE_EQ(c.rows[2].sched_increase.value_or(-1), cpu_all / base_all);

  const nlohmann::json j = comparison_json(c);
  EXPECT_DOUBLE_EQ(j["scenarios"][1].at("launch_window_sched_per_1k").get<double>(), cpu_win);
  EXPECT_DOUBLE_EQ(j["scenarios"][1].at("launch_window_sched_increase").get<double>(), cpu_win / base_win);
  EXPECT_DOUBLE_EQ(j["scenarios"][1].at("sched_increase").get<double>(), cpu_all / base_all);
  EXPECT_TRUE(j["scenarios"][2].at("launch_window_sched_per_1k").is_null());
  EXPECT_TRUE(j["scenarios"][2].at("launch_window_sched_increase").is_null());

  std::ostringstream os;
  print_comparison(os, c);
  const std::string text = os.str();
  EXPECT_NE(text.find("window Sched/1K"), std::string::npos) << text;
  EXPECT_NE(text.find("window x base"), std::string::npos) << text;
  // The cpu row: whole trace, its ratio, then the window's rate and its ratio (cells are at least
  // two spaces apart).
  const size_t row = text.find("\ncpu ");
  ASSERT_NE(row, std::string::npos) << text;
  const std::string line = text.substr(row + 1, text.find('\n', row + 1) - row - 1);
  std::vector<std::string> cells;
  const std::regex gap(" {2,}");
  for (std::sregex_token_iterator it(line.begin(), line.end(), gap, -1), end; it != end; ++it) cells.push_back(*it);
  ASSERT_GE(cells.size(), 7u) << line;
  const std::vector<std::string> want = {format_fixed(cpu_all, 1), format_fixed(cpu_all / base_all, 2) + "x",
                                         format_fixed(cpu_win, 1), format_fixed(cpu_win / base_win, 2) + "x"};
  EXPECT_EQ(std::vector<std::string>(cells.begin() + 3, cells.begin() + 7), want) << text;
  EXPECT_NE(text.find("window: from the first launch to the last"), std::string::npos) << text;
}

TEST(CompareWindow, NoRatioAgainstAMissingOrZeroBaselineWindow) {
  const Comparison none = compare_scenarios({scenario("base", 10, std::nullopt), scenario("cpu", 20, 8.0)});
  EXPECT_FALSE(none.rows[1].window_sched_increase);
  EXPECT_TRUE(none.rows[1].sched_increase);
  const Comparison zero = compare_scenarios({scenario("base", 10, 0.0), scenario("cpu", 20, 8.0)});
  EXPECT_FALSE(zero.rows[1].window_sched_increase);  // as the whole-trace ratio: no ratio to a zero rate
}

TEST(CompareWindow, SavedJsonWindowRate) {
  nlohmann::json doc = {{"launches", 2000}, {"wall_ns", 4'000'000'000}, {"sched_per_1k", 12.5}};
  EXPECT_FALSE(scenario_from_json(doc, "a", "a.json").window_sched_per_1k);  // saved before the key
  doc["launch_window"] = nullptr;  // a window of no length
  EXPECT_FALSE(scenario_from_json(doc, "a", "a.json").window_sched_per_1k);
  doc["launch_window"] = {{"wall_ns", 1000}, {"sched_per_1k", nullptr}};  // switches not recorded
  EXPECT_FALSE(scenario_from_json(doc, "a", "a.json").window_sched_per_1k);
  doc["launch_window"]["sched_per_1k"] = 7.25;
  EXPECT_DOUBLE_EQ(scenario_from_json(doc, "a", "a.json").window_sched_per_1k.value_or(-1), 7.25);
  EXPECT_DOUBLE_EQ(scenario_from_json({{"sched", doc}}, "n", "n.json").window_sched_per_1k.value_or(-1), 7.25);
  doc["launch_window"]["sched_per_1k"] = "many";
  EXPECT_THROW(scenario_from_json(doc, "a", "a.json"), InputError);
  doc["launch_window"] = 3;
  EXPECT_THROW(scenario_from_json(doc, "a", "a.json"), InputError);
}

void launch(Trace& t, ns_t ts) {
  ApiCall c;
  c.start = ts, c.dur = 100, c.pid = kPid, c.tid = kMain, c.name = t.strings.intern("cudaLaunchKernel");
  c.kind = classify_api("cudaLaunchKernel");
  t.api.push(c);
}

void switch_out_and_back(Trace& t, ns_t ts) {
  ContextSwitch out, in;
  out.ts = ts, out.cpu = 0, out.prev_pid = kPid, out.prev_tid = kMain, out.preempted = true, out.prev_state = 0;
  out.next_pid = kOther, out.next_tid = kOther;
  in = out;
  in.ts = ts + 100, in.prev_pid = kOther, in.prev_tid = kOther, in.next_pid = kPid, in.next_tid = kMain;
  t.switches.push(out), t.switches.push(in);
}

// `startup` switch-outs in 0..1 ms, then 100 launches 10 us apart from 2 ms with a switch-out after
// every `every`-th launch (inside the window unless it follows the last).
Trace run(int startup, int every) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched,wakeup,irq";
  for (int k = 0; k < startup; ++k) switch_out_and_back(t, 1000 * k);
  for (int i = 0; i < 100; ++i) {
    launch(t, 2'000'000 + 10'000 * i);
    if (i % every == 0 && i < 99) switch_out_and_back(t, 2'000'000 + 10'000 * i + 5000);
  }
  return t;
}

// From recordings: the window rate is the switch-outs between the first and the last launch per
// 1000 launches, the same value a saved `sched --json` carries, so both inputs compare alike.
TEST(CompareWindow, FromARecordingAsFromItsSavedAnalysis) {
  const Trace base = run(300, 10), cpu = run(20, 2);
  const SchedAnalysis ab = analyze_sched(base), ac = analyze_sched(cpu);
  const auto in_window = [](int every) {  // switch-outs after launches 0, every, 2 every, ... below 99
    int n = 0;
    for (int i = 0; i < 99; ++i) n += i % every == 0;
    return n;
  };
  const double base_win = 1000.0 * in_window(10) / 100, cpu_win = 1000.0 * in_window(2) / 100;
  const double base_all = 1000.0 * (300 + in_window(10)) / 100, cpu_all = 1000.0 * (20 + in_window(2)) / 100;
  const ScenarioMetrics mb = scenario_from_analysis(ab, "base", "base.itrace"), mc = scenario_from_analysis(ac, "cpu", "cpu.itrace");
  EXPECT_DOUBLE_EQ(mb.window_sched_per_1k.value_or(-1), base_win);
  EXPECT_DOUBLE_EQ(mc.window_sched_per_1k.value_or(-1), cpu_win);
  const Comparison c = compare_scenarios({mb, mc});
  EXPECT_DOUBLE_EQ(c.rows[1].sched_increase.value_or(-1), cpu_all / base_all);  // below 1: start-up dominates
  EXPECT_DOUBLE_EQ(c.rows[1].window_sched_increase.value_or(-1), cpu_win / base_win);
  const Comparison saved = compare_scenarios({scenario_from_json(sched_analysis_json(base, ab), "base", "base.json"),
                                              scenario_from_json(sched_analysis_json(cpu, ac), "cpu", "cpu.json")});
  EXPECT_DOUBLE_EQ(saved.rows[1].window_sched_increase.value_or(-1), cpu_win / base_win);

  // Without switch events the window rate is unknown: no ratio.
  Trace quiet = run(0, 10);
  quiet.meta["events"] = "launch,irq";
  const Comparison q = compare_scenarios({mb, scenario_from_analysis(analyze_sched(quiet), "quiet", "q.itrace")});
  EXPECT_FALSE(q.rows[1].window_sched_increase);
  EXPECT_FALSE(q.rows[1].sched_increase);
}

}  // namespace
}  // namespace infertrace
