// Scenario comparison (docs/metrics.md §5, seed 001's RQ3 table): one row per scenario against the
// first one, the baseline. Inputs are the few numbers each scenario's scheduler analysis (or a
// saved --json of it) gives; the slowdown uses measured throughput when every scenario has one,
// else the launch rate (launches per second of wall time), which tracks throughput for a fixed
// workload.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/sched.h"

namespace infertrace {

struct ScenarioMetrics {
  std::string name, source;
  std::optional<double> throughput;  // work per second from the workload itself (e.g. tok/s)
  int64_t launches = 0;
  bool launches_measured = true;  // false: the recording did not measure them (launches 0, no launch rate)
  ns_t wall = 0;
  // Per 1000 launches: none without launches.
  std::optional<double> sched_per_1k, irq_per_1k_hard, irq_per_1k_soft;
  // Sched/1K over the launch window [first launch, last launch] (sched_window.h): without the
  // start-up (imports, weight loading) the whole-trace rate counts. None without a window or
  // without switch events.
  std::optional<double> window_sched_per_1k;
  std::optional<ns_t> penalty;
  std::optional<double> offcpu_share;  // main launching thread's off-CPU time / wall; none without one
  std::string signature;    // from the scheduler verdict, when known
  // Whether the input holds context switches / IRQs at all (SchedAnalysis::switches_recorded,
  // irqs_recorded; a Kineto trace has neither): without them the rates, penalty and off-CPU share
  // above are unset because they were not recorded, not for want of launches, and say so.
  bool switches_recorded = true, irqs_recorded = true;
  // SchedAnalysis::irq_system_vectors; none also for an analysis saved before the key existed.
  std::optional<bool> irq_system_vectors;
  // Which system vectors (SchedAnalysis::irq_vectors_traced, irq_vectors_missing): none when not
  // known (no vectors, or an analysis saved before sched --json listed them).
  std::optional<std::vector<std::string>> irq_vectors_traced, irq_vectors_missing;
};

ScenarioMetrics scenario_from_analysis(const SchedAnalysis& a, const std::string& name, const std::string& source);

struct ComparisonRow {
  ScenarioMetrics m;
  std::optional<double> rate;           // the value the slowdown is computed from
  std::optional<double> slowdown_pct;   // (baseline - scenario) / baseline x 100
  std::optional<double> sched_increase; // scenario Sched/1K / baseline Sched/1K (whole trace)
  // The same ratio over each one's launch window; none when either window rate is missing.
  std::optional<double> window_sched_increase;
  // This scenario's hard IRQs and the baseline's are not the same kind: one counts the x86 system
  // vectors (tick, IPIs), the other device IRQs only. Known only when both say which: none when
  // either does not (an analysis saved before the key, or no IRQs recorded; review DX M3). Also true
  // when both count system vectors but not the same ones (irq_vector_sets_differ), where both say;
  // none when both count them and either does not say which (irq_vectors_traced unset; review EK M3).
  std::optional<bool> irq_sources_differ;
  bool irq_vector_sets_differ = false;
  std::string verdict;
};

struct Comparison {
  std::string basis;  // "throughput", "launch_rate" or "none"
  std::vector<ComparisonRow> rows;  // rows[0] is the baseline
  // On the launch-rate basis: the scenarios without a rate, their launch calls not measured by their
  // recording (Trace::launch_coverage); the other rows keep theirs. Empty on the other bases.
  std::vector<std::string> rate_not_measured;
};

// Throws Error when fewer than two scenarios are given.
Comparison compare_scenarios(const std::vector<ScenarioMetrics>& scenarios);

}  // namespace infertrace
