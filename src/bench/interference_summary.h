// Per-scenario summary of the interference experiment: median throughput with its spread, slowdown
// against the baseline (metrics.md §5), and the medians of the scheduler metrics of the recorded
// runs when they could be analysed.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <vector>

#include "analysis/compare.h"
#include "bench/interference.h"

namespace infertrace::bench {

struct ScenarioSummary {
  std::string name, description, skip_reason;
  int runs = 0, runs_ok = 0;
  std::vector<double> throughput;  // per usable run: the metric, or 1 / wall seconds
  std::optional<double> median, min, max, spread_pct;  // spread = (max - min) / median x 100
  std::optional<double> wall_median_s;  // none without a usable run (review BI L2: it showed "0 ns")
  std::optional<double> slowdown_pct;  // against the baseline's median
  // Medians over the analysed recordings of this scenario.
  int analysed = 0;
  std::optional<double> sched_per_1k, irq_per_1k_hard, irq_per_1k_soft, penalty_ns, offcpu_share;
  std::optional<double> sched_increase;
  // Events the recorders lost, summed over the analysed recordings (none without one), and in how
  // many runs: the scheduler figures of such a run are computed from an incomplete record.
  std::optional<int64_t> lost_events;
  int runs_with_lost_events = 0;
  // "baseline", or the slowdown said in words with whether it stands out of the run-to-run spread
  // (every run of one scenario beyond every run of the other, when that happens by chance at most
  // kApartChanceLevel of the time with these run counts: no_overlap_chance) or not.
  std::string verdict;
  // Analysed runs whose rates per 1000 launches are upper bounds (launches counted fewer than ran:
  // ScenarioMetrics::per_1k_upper_bound_reason). With any, and no run of runs_per_1k_neither_bound,
  // the medians sched_per_1k and irq_per_1k_* are upper bounds too (a median never falls when a value
  // rises) and marked "<="; a run whose rates are neither bound (loss) leaves them unmarked.
  int runs_per_1k_upper_bound = 0;
  // Which way sched_increase may be off (ratio_of_per_1k_rates: "", "at_most", "at_least",
  // "either_way"; either_way also when one side is bounded and either side has a neither-bound run);
  // "" for the baseline's own row and without an increase.
  std::string sched_increase_bound;
  // Analysed runs whose rates per 1000 launches are neither bound (their own events lost: loss
  // windows that lost anything but launch records, dropped switch or IRQ events;
  // ScenarioMetrics::per_1k_events_lost). With any, the
  // medians are not marked "<=" (a value off either way moves the median either way), and an
  // increase beside an upper bound is "either_way" (review FH M1).
  int runs_per_1k_neither_bound = 0;
  // The CUPTI ring's unpublished slots, summed over the analysed recordings (none without one), and
  // in how many runs: up to that many records more were lost, so the table's "lost" cell is then
  // an upper bound, "<=" lost_events + unpublished_slots (lost_events stays the exact part).
  std::optional<int64_t> unpublished_slots;
  int runs_with_unpublished_slots = 0;
  // Why a scheduler column is "-" although runs were analysed, from those runs' analyses
  // (ScenarioMetrics::rates_undefined_reason and the like, or "no context switches recorded"):
  // {column, reasons joined by "; "}, in the table's order; only for a column whose median is
  // missing and whose runs said why (review DJ M2: the built-in loop makes no CUDA launch, and the
  // table said nothing of why every scheduler column was "-").
  std::vector<std::pair<std::string, std::string>> undefined_reasons;
};

// The note under the table naming why scheduler columns are "-" (ScenarioSummary::undefined_reasons),
// one line per set of scenarios with the same reasons; "" when there is nothing to explain.
std::string undefined_columns_note(const std::vector<ScenarioSummary>& v);

// The table's "lost" cell: the exact count, or "<=" it plus the unpublished slots when there are
// some (a slot count bounds the records it held); "-" without an analysed recording.
std::string lost_cell(const ScenarioSummary& s);

// Whether s's median rates per 1000 launches are upper bounds: some analysed run's are, and none is
// neither bound (a median is monotone only in values that are all exact or all bounded one way).
bool per_1k_medians_upper_bounds(const ScenarioSummary& s);

// The chance that r1 runs of one scenario and r2 of another fall apart (every run of one side above
// every run of the other) when the scenario makes no difference at all and no two runs tie: 2 of
// the C(r1 + r2, r1) equally likely orders, 2 / C(r1 + r2, r1). 1/3 for 2 and 2 runs, 1/10 for 3 and
// 3, 1/35 for 4 and 4.
double no_overlap_chance(int r1, int r2);
// That chance in the verdict's words: "1 time in 24,310" (C/2, exact, thousands grouped), "2 times in
// 35" (an odd C), or once C/2 reaches 10^15 "less than 1 time in 10^N" (N = floor(log10(C/2))).
std::string chance_words(int r1, int r2);
// Runs apart are called "beyond the run-to-run spread" only when that chance is at most this.
inline constexpr double kApartChanceLevel = 0.05;

// The median of the values (the mean of the middle two for an even count).
double median_of(std::vector<double> v);

// `sched[i][k]` is the analysis of run k of scenario i when its recording could be read. The
// baseline is the scenario named "baseline" if present, else the first with numbers.
std::vector<ScenarioSummary> summarize_interference(const std::vector<ScenarioResult>& results,
                                                    const std::vector<std::vector<std::optional<ScenarioMetrics>>>& sched,
                                                    bool metric_from_output);

void print_interference(std::ostream& os, const std::vector<ScenarioSummary>& s, bool metric_from_output);

// Whether every planned run was made: each scenario not skipped has `repetitions` runs, none of them
// cut short by an interrupt (error "interrupted"). The document's "complete": a Ctrl-C that lands
// after the last run (while its loads stop, during the analysis) leaves the matrix whole (review BX
// L1: it was marked partial whenever an interrupt had come at all).
bool every_run_made(const std::vector<ScenarioResult>& results, int repetitions);

// "kind": "compare", "experiment": "interference", schema_version 1 (docs/sched.md).
// `complete`: false when the experiment was interrupted before every run was made ("complete": false,
// a partial matrix; review BI L7).
nlohmann::json interference_json(const InterferenceOptions& o, const std::vector<ScenarioResult>& results,
                                 const std::vector<ScenarioSummary>& s, bool complete = true);

}  // namespace infertrace::bench
