// The noisy-neighbour experiment (docs/sched.md): runs a command alone and beside noisy neighbours
// (CPU hogs, loopback network traffic, direct-I/O disk writes), and with mitigations (pinning +
// priority, a cpuset-isolated load), N times each, optionally recording every run with
// `infertrace record`, and reports throughput per scenario.
#pragma once

#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

namespace infertrace::bench {

struct InterferenceOptions {
  std::vector<std::string> scenarios;  // names from known_scenarios(), in run order
  int repetitions = 3;
  std::string metric_regex;            // applied to CMD's output; group 1 (or the match) is the metric
  std::vector<std::string> command;    // CMD ARGS...
  std::string out_dir;                 // recordings and per-run output
  bool record = false;                 // wrap each run in `self_exe record -o FILE --`
  std::string self_exe;                // this binary (for record)
  double warmup_s = 1.0;               // loads run this long before CMD starts
  int load_limit_s = 600;              // every load stops by itself after this long at the latest
  std::string pin_cpus;                // CPU list for pinned/isolated CMD ("" = the last CPU)
};

struct RunResult {
  int exit_code = 0;
  double wall_s = 0;
  std::optional<double> metric;  // from --metric-regex
  std::string recording;         // path, when recorded
  std::string error;             // why this run has no usable number
  // Events the recorder lost in this run's recording (trace/recorder_drops.h); none when
  // the run was not recorded or its recording could not be analysed.
  std::optional<int64_t> lost_events;
  // The CUPTI ring's unpublished slots in that recording (recorder_drops' cupti_ring_unpublished: a
  // process killed mid-write; up to that many records unread, so not in lost_events, which is exact);
  // set (0 without) when lost_events is.
  std::optional<int64_t> unpublished_slots;
};

struct ScenarioResult {
  std::string name, description;
  std::string skip_reason;  // non-empty: not run
  std::vector<RunResult> runs;
};

std::vector<std::string> known_scenarios();

// --metric-regex compiled (ECMAScript); UsageError when it does not compile or has no capture
// group: the metric is group 1 of the last match, so an expression without one has no number.
std::regex compile_metric_regex(const std::string& text);

// Runs every scenario; progress lines go to `log`. Stops early (returning what it has) when
// interrupted; every load is stopped and every temporary directory and cgroup removed on return.
std::vector<ScenarioResult> run_interference(const InterferenceOptions& opts, std::ostream& log);

}  // namespace infertrace::bench
