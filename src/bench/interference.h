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
  std::string pin_cpus;                // CPU list for pinned/isolated CMD ("" = the last CPU of the affinity mask)
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
  // pinned only: whether CMD ran with `nice -n -10` (ScenarioPlan::nice_applied); none otherwise.
  std::optional<bool> nice_applied;
  // What makes the scenario other than its name says (ScenarioPlan::warnings): said on stderr before
  // the runs and kept in the JSON's "warnings".
  std::vector<std::string> warnings{};
};

std::vector<std::string> known_scenarios();

// --metric-regex compiled (ECMAScript); UsageError when it does not compile or has no capture
// group: the metric is group 1 of the last match, so an expression without one has no number.
std::regex compile_metric_regex(const std::string& text);

// What --metric-regex found in a run's output. The output is matched one line at a time ('\n' and
// '\r' end a line: a metric never spans lines, and a progress bar redraws with '\r'), from the last
// line back, and the first line holding a match with a number gives the metric (its last such
// match). libstdc++'s std::regex recurses once per character a repetition covers, so a long line
// (a progress line of dots, a one-line JSON dump) overflowed the stack and killed the bench (review
// BI H1): lines longer than `max_line` characters are not matched, and counted.
struct MetricScan {
  std::optional<double> value;
  bool matched = false;          // the expression matched some line (with or without a number)
  size_t long_lines_skipped = 0; // lines not matched for their length: after the metric's line (all, without a metric)
};
MetricScan extract_metric(const std::string& out, const std::regex& re, size_t max_line);

// The longest line extract_metric matches: 1 character per 4 KiB of the stack limit (RLIMIT_STACK),
// at most 2048. Measured (g++ 12, 8 MiB stack): a match covering ~26,000 characters crashed the -O2
// build, ~18,000 with an alternation inside the repetition, ~13,800 with nested alternations; under
// ASan -O0 ~18,000, ~13,800 and ~11,200: 2048 leaves a margin of 5x or more.
size_t metric_line_limit();

// Runs every scenario; progress lines go to `log`. Stops early (returning what it has) when
// interrupted; every load is stopped and every temporary directory and cgroup removed on return.
std::vector<ScenarioResult> run_interference(const InterferenceOptions& opts, std::ostream& log);

}  // namespace infertrace::bench
