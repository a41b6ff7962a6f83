// Scenario comparison (docs/metrics.md §5, seed 001's RQ3 table): one row per scenario against the
// first one, the baseline. Inputs are the few numbers each scenario's scheduler analysis (or a
// saved --json of it) gives; the slowdown uses measured throughput when every scenario has one,
// else the launch rate (launches per second of wall time), which tracks throughput for a fixed
// workload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/launch_mix.h"
#include "analysis/launch_undercount.h"
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
  // The recorder's loss windows (SchedAnalysis::loss, lost_events; sched --json `rates_over_loss`,
  // `loss.lost_events`). The rates per 1000 launches above are neither bound only when the windows
  // lost switches or IRQs too (per_1k_events_lost; review FH L3), as `sched` says (docs/sched.md,
  // "Lost events").
  bool rates_over_loss = false;
  int64_t lost_events = 0;
  // Records the recorder lost that may have been launch calls (drop_may_hold_launches): `launches`
  // counts the recorded ones, so at most this many are missing and a launch rate is a lower bound
  // (the wall time is not shortened by loss: audit EE L4). 0 without such loss.
  int64_t launch_records_lost = 0;
  // Some launch-class callbacks refused by CUPTI while others were recorded (LaunchCoverage's
  // partial_note, sched --json `launch_partial_note`): the launches left out are of unknown number,
  // so a launch rate is a lower bound too (review EZ M1). "" when every launch API was recorded.
  std::string launch_partial_note;
  // Why a figure above is null where `sched` prints "n/a (reason)": the rates per 1000 launches
  // ("no launch calls", "launches not measured"), the penalty ("no clean pairs", "no switched
  // pairs") and the off-CPU share ("no launching thread"); "" when it is set, not recorded (the
  // flags above say so) or the reason is not known (an analysis saved without what decides it).
  std::string rates_undefined_reason, penalty_undefined_reason, offcpu_undefined_reason;
  // Why the rates per 1000 launches above (whole trace and launch window) are upper bounds: launches
  // under-counted while their own events were complete (per_1k_upper_bound_reason,
  // analysis/launch_undercount.h; sched --json `per_1k_upper_bound_reason`); "" when they are not.
  std::string per_1k_upper_bound_reason;
  // Whether those rates' own events were lost (SchedAnalysis::per_1k_events_lost: loss windows that
  // lost switches or IRQs, or dropped switch or IRQ events; a saved analysis: its `dropped` counters
  // and `loss.lost_by_type`, or `rates_over_loss` alone in one saved before that key):
  // neither bound, so a Sched/1K increase against them has no known direction (review FH M1).
  bool per_1k_events_lost = false;
  // Whether `sched`'s rates outside the loss windows are neither bound too
  // (SchedAnalysis::per_1k_outside_events_lost; a saved analysis: SavedPer1kBound).
  bool per_1k_outside_events_lost = false;
  // Whether launch_records_lost includes the CUPTI ring's unpublished slots ("cupti_ring_unpublished":
  // a slot count, at most that many records): the count is then an upper bound, and the verdict says
  // "lost up to N" (SchedAnalysis::launch_records_lost_up_to; a saved analysis: its `dropped`,
  // SavedPer1kBound). compare --json `launch_records_lost_up_to`.
  bool launch_records_lost_up_to = false;
  // What the scenario launched, by shape (SchedAnalysis::launch_mix; a saved analysis: sched --json
  // `launch_mix`, absent from analyses saved before 2026-12-05): none when not known.
  std::optional<LaunchMix> launch_mix;
  // Whether launch records lost beyond the launch window's ends may have shortened it
  // (LaunchWindowRates::ends_uncertain; a saved analysis: `launch_window.ends_uncertain`, false when
  // absent): its Sched/1K is then neither bound (review LW M1).
  bool window_ends_uncertain = false;
  // The recorder wrote no loss counters (SchedAnalysis::loss_counts_unknown; a saved analysis: its
  // `dropped` null): lost_events and launch_records_lost are unknown, null in compare --json, not 0
  // (review HR M1).
  bool loss_counts_unknown = false;
  // What an incomplete recording lacks (SchedAnalysis::incomplete_note; a saved analysis: its
  // `incomplete_note`): its figures cover only what was recorded; "" when complete (review HR M2).
  std::string incomplete_note;
  // A saved analysis written before `sched --json` had `launch_mix` (2026-12-05): its mix is not
  // known, where a null launch_mix above says the capture holds no GPU kernel and no launch call of
  // a known shape. False for a trace (its mix is always known).
  bool launch_mix_unknown{};
  // The GPU models the trace ran on (Kineto deviceProperties names, sorted, distinct): empty when
  // not known (a recording, a saved analysis, a trace without deviceProperties).
  std::vector<std::string> gpu_models{};
  // The names of the GPU kernels the trace ran, sorted and distinct: empty when not known (a saved
  // analysis) or without kernels. Where the launch mix differs, what differs is named (review CS L7).
  std::vector<std::string> kernel_names{};
};

// drop_may_hold_launches, the one list of drop counters that may hold launch calls: analysis/launch_undercount.h.
// m.launch_records_lost += count for such a counter (held at INT64_MAX: counts come from META text);
// a positive "cupti_ring_unpublished" sets m.launch_records_lost_up_to (tally_per_1k_drop).
void add_launch_records_lost(ScenarioMetrics& m, const std::string& drop_key, int64_t count);

// The mark before a slowdown whose rate(s) are lower bounds (ComparisonRow::slowdown_bound), or a
// Sched/1K increase from upper-bound rates (sched_increase_bound): "<=" at_most, ">=" at_least, "~"
// either_way, "" exact. Compare's text table, the report page and bench interference's summary.
std::string slowdown_mark(const std::string& bound);

ScenarioMetrics scenario_from_analysis(const SchedAnalysis& a, const std::string& name, const std::string& source);

// The reasons of ScenarioMetrics' *_undefined_reason from the figures that decide them, for a
// recording's analysis and a saved one alike (`sched`'s own words): `launches` unset when not
// measured; clean / switched pair counts; the launching thread's tid (< 0: none) and the wall its
// share is over.
std::string rates_undefined_reason(std::optional<int64_t> launches);
// Why a scenario has no launch rate: "launch calls not measured in its recording", "no launch calls
// in its capture" (an empty or GPU-only capture) or "no wall time in its capture"; "" when it has one.
std::string no_launch_rate_reason(const ScenarioMetrics& m);
std::string penalty_undefined_reason(int64_t clean_pairs, int64_t switched_pairs, std::optional<int64_t> launches = std::nullopt);
std::string offcpu_undefined_reason(int64_t main_tid, ns_t offcpu_wall);

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
  // On the launch-rate basis, `rate` counts recorded launches only while launch records were lost
  // (m.launch_records_lost > 0) or some launch APIs were not recorded (m.launch_partial_note): the
  // true rate is at least this.
  bool rate_lower_bound = false;
  // Which way the slowdown may be off when a rate is a lower bound: "" exact, "at_most" (this row's
  // rate is a lower bound: its true slowdown is at most this), "at_least" (the baseline's is), or
  // "either_way" (both are). "" for the baseline's own row.
  std::string slowdown_bound;
  std::string verdict;
  // Which way sched_increase and window_sched_increase may be off when a rate per 1000 launches is an
  // upper bound (ratio_of_upper_bounds): "" exact, "at_most" (this row's rates are upper bounds, the
  // baseline's exact: the true increase is at most this), "at_least" (the baseline's are), or
  // "either_way" (both are). "" for the baseline's own row and where there is no ratio.
  std::string sched_increase_bound;
  // On the launch-rate basis, this scenario's launch count against the baseline's (review UX M3:
  // gpt2 against nullkernel_2000 read "567.4% faster"): "" within kLaunchCountTolerance (or not that
  // basis, or the baseline's row); "same_wall" when the counts are further apart but the wall times
  // are within the tolerance (a fixed-time run of one workload, where the count is the work done:
  // the slowdown stands, the verdict says what it assumes); "different_work" when both are apart
  // (they ran different work, where a launch rate is not throughput: the rate stays, the slowdown is
  // null and the verdict says why).
  std::string launch_count_mismatch;
  // The share of launches this scenario and the baseline have in common by shape
  // (launch_mix_similarity); none when either mix is unknown, their bases differ, or for the
  // baseline's own row.
  std::optional<double> launch_mix_similarity;
  // On the launch-rate basis, launch_mix_similarity below kLaunchMixMinSimilarity: different work
  // even where the launch counts match (bert prefill at batch 1 and 2: 165 and 166 launches), so no
  // slowdown, and the verdict says why.
  bool launch_mix_differs = false;
  // sched_increase_bound for window_sched_increase: "either_way" when either side's launch window
  // may be shorter than its launches (ScenarioMetrics::window_ends_uncertain), else the same.
  std::string window_sched_increase_bound;
  // On the launch-rate basis, why the launch mix was not compared with the baseline's (a row with
  // both rates whose launch_mix_similarity is none): one side's launch calls reached no GPU work,
  // mixes of other bases, too few launches, or a mix not known. "" when it was compared (or not
  // that basis, or the baseline's row). compare --json `launch_mix_unchecked_reason`.
  std::string launch_mix_unchecked_reason{};
  // The check was not made because one side's launch calls reached no GPU work while the other's
  // did (review CS M1: a capture without the GPU side read "no measurable change"): whether they ran
  // the same work is not known, so no slowdown and the verdict says why.
  bool launch_mix_unchecked_withholds{};
  // Why slowdown_pct is null though both rates exist: the rates too far apart for a slowdown to
  // mean anything or to be finite (throughputs 1 and 1e308: review CS M3). "" otherwise.
  std::string slowdown_undefined_reason{};
  // Both sides name their GPU models and the names differ (ScenarioMetrics::gpu_models): a
  // slowdown across GPU models is not the same machine's (review CS M2); the verdict and a note say so.
  bool gpu_models_differ{};
  // Where launch_mix_differs and both sides' kernel names are known: a few kernels only on one side
  // ("only in bs2: a, b, c and 5 more; only in the baseline: d"), or, with the same names, that the
  // grids and blocks differ (review CS L7: a mismatch was a bare percentage). "" otherwise.
  std::string launch_mix_difference{};
  // The same with each name cut to kNoteKernelNameBytes (names kept distinct), for the notes; the
  // JSON's launch_mix_difference keeps the whole names (review WD56 M2: a note of kilobytes).
  std::string launch_mix_difference_note{};
};

struct Comparison {
  std::string basis;  // "throughput", "launch_rate" or "none"
  std::vector<ComparisonRow> rows;  // rows[0] is the baseline
  // On the launch-rate basis: the scenarios without a rate, their launch calls not measured by their
  // recording (Trace::launch_coverage); the other rows keep theirs. Empty on the other bases.
  std::vector<std::string> rate_not_measured;
  // On the launch-rate basis: the scenarios whose launches were measured but that have no rate, with
  // no launch call or no wall time (an empty or GPU-only capture: review SW M1); the other rows keep
  // theirs. Empty on the other bases.
  std::vector<std::string> no_launch_rate;
};

// How far apart two scenarios' launch counts (and wall times) may be for their launch rates to
// compare as throughput. A fixed-work workload launches the same kernels every run (equal counts,
// or a few launches apart from warm-up or where a recording starts and stops); a fixed-time one runs
// equally long and its count is the work done. Counts and walls both further apart mean different
// work (another model or CUDA graphs), where more launches per second is not more work done.
constexpr double kLaunchCountTolerance = 0.05;

// Rates further apart than this factor give no slowdown (ComparisonRow::slowdown_undefined_reason):
// one workload's throughputs differ by a few times at most, while 1 against 1e308 overflows to an
// infinite slowdown (review CS M3).
constexpr double kMaxRateRatio = 1e6;

// The most bytes of a kernel name that compare's notes show (ComparisonRow::launch_mix_difference_note):
// a templated CUDA name can run to kilobytes; its start and end are kept around "...".
constexpr size_t kNoteKernelNameBytes = 96;

// Whether the launch counts of `a` and `b` are more than kLaunchCountTolerance apart (of the larger).
// A count that is a lower bound (records lost that may be launch calls: up to that many more; CUPTI
// refused launch callbacks: any number more) differs only when even its highest possible count is
// too far below the other's lowest.
bool launch_counts_differ(const ScenarioMetrics& a, const ScenarioMetrics& b);

// A row whose launch counts and walls are apart from the baseline's ("different_work") while its
// launch mix matches (launch_mix_similarity at least kLaunchMixMinSimilarity): the same shapes in
// another amount, a capture of the same work over another length (review SW L4).
bool same_shapes_other_amount(const ComparisonRow& r);

// Throws Error when fewer than two scenarios are given.
Comparison compare_scenarios(const std::vector<ScenarioMetrics>& scenarios);

}  // namespace infertrace
