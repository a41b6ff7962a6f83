// `infertrace bench interference [--scenarios ...] [-r N] [--metric-regex RE] -- CMD`: the
// noisy-neighbour experiment (src/bench/interference.h, docs/sched.md).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <unistd.h>

#include "analysis/compare.h"
#include "analysis/sched.h"
#include "bench/interference.h"
#include "bench/interference_proc.h"
#include "bench/interference_summary.h"
#include "bench/scenario_list.h"
#include "cli/load_noting.h"
#include "cli/output_file.h"
#include "cli/numeric_options.h"
#include "cli/registry.h"
#include "report/sched_render.h"
#include "trace/recorder_drops.h"
#include "engine/runtime/thread_pool.h"
#include "util/cpu_list.h"
#include "util/error.h"
#include "util/write_text_file.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct Args {
  std::string scenarios = "baseline,cpu,net,disk,heavy,pinned,isolated";
  int reps = 3;
  std::string metric_regex, out_dir = "interference-runs", record = "auto", pin_cpus;
  double warmup = 1.0, workload_seconds = 2.0;
  int load_limit = 600;
  bool json = false;
  std::vector<std::string> command;
};

std::string self_exe() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "/proc/self/exe" : p.string();
}

// `record` is a verb of this build and we may load BPF programs. The verb list is checked in-process
// (a child's `record --help` would succeed anyway: the top-level help).
bool can_record(std::string& why) {
  if (!has_verb("record")) return why = "this build has no `record` verb", false;
  if (geteuid() != 0) return why = "recording needs root (or CAP_BPF + CAP_PERFMON)", false;
  return true;
}

// Scheduler metrics of every recorded run, when this build can read recordings; each analysis is
// also saved beside its recording so `infertrace compare` can reuse it.
// A recorded run's wall time becomes the command's own run time from its recording
// (META command.wall_ns): the recorder's start-up and shutdown (seconds, loading and detaching
// probes) are not the command's.
std::vector<std::vector<std::optional<ScenarioMetrics>>> analyse_recordings(std::vector<bench::ScenarioResult>& res) {
  std::vector<std::vector<std::optional<ScenarioMetrics>>> out(res.size());
  for (size_t i = 0; i < res.size(); ++i)
    for (bench::RunResult& r : res[i].runs) {
      out[i].emplace_back();
      if (r.recording.empty() || !r.error.empty()) continue;
      try {
        // Noting, as every verb does: a run recorded beside stress-ng, iperf3 or fio is the likeliest
        // to have lost events, and its figures must not pass for complete.
        const Trace trace = load_trace_noting(r.recording);
        const auto wall = trace.meta.find("command.wall_ns");
        char* end = nullptr;
        const double wall_ns = wall == trace.meta.end() ? -1 : std::strtod(wall->second.c_str(), &end);
        if (wall_ns >= 0 && end && *end == '\0') r.wall_s = wall_ns / 1e9;
        else std::cerr << "bench interference: " << r.recording << " does not say how long the command ran; its wall time includes the recorder's\n";
        const SchedAnalysis a = analyze_sched(trace);
        const std::string doc = result_json_text(sched_analysis_json(trace, a)) + "\n";
        write_text_file(r.recording + ".sched.json", doc);  // checked, whole, as every output
        out[i].back() = scenario_from_analysis(a, res[i].name, r.recording);
        r.lost_events = recorder_lost_total(trace);  // with the analysis, so it counts among the analysed runs
        // The CUPTI ring's unpublished slots apart: up to that many records (recorder_lost_total is exact).
        r.unpublished_slots = 0;
        for (const RecorderDrop& d : recorder_drops(trace))
          if (d.cause == DropCause::CuptiRingUnpublished) r.unpublished_slots = saturating_add_drops(*r.unpublished_slots, d.count);
      } catch (const Error& e) {
        std::cerr << "bench interference: cannot analyse " << r.recording << ": " << e.what() << "\n";
      }
    }
  return out;
}

void run(Args a) {
  bench::InterferenceOptions o;
  const bench::ScenarioList list = bench::parse_scenario_list(a.scenarios);
  o.scenarios = list.names;
  if (!list.has_baseline)
    std::cerr << "bench interference: no baseline in --scenarios: no slowdown will be given (add baseline to "
                 "measure one)\n";
  o.repetitions = a.reps;
  o.self_exe = self_exe();
  o.out_dir = a.out_dir;
  o.warmup_s = a.warmup;
  o.load_limit_s = a.load_limit;
  o.pin_cpus = a.pin_cpus;
  if (!a.pin_cpus.empty()) engine::parse_pinning_cpus(a.pin_cpus, "--pin-cpus");  // usage errors early (syntax, CPUs outside the cpuset)
  o.metric_regex = a.metric_regex;
  if (!o.metric_regex.empty()) bench::compile_metric_regex(o.metric_regex);  // usage errors before anything runs
  o.command = a.command;
  if (o.command.empty()) {
    // The built-in launch loop; its own figure is the metric unless the user chose another.
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", a.workload_seconds);
    // Its length is known: loads that bound themselves to less than the warm-up and the run would
    // end during it (review BI M2). Recording adds record's start-up on top; a load that still ends
    // during CMD marks that run as not counted.
    if (a.load_limit < a.warmup + a.workload_seconds) {
      char warm[32];
      std::snprintf(warm, sizeof warm, "%g", a.warmup);
      throw UsageError("--load-limit " + std::to_string(a.load_limit) + " is shorter than --warmup + --workload-seconds (" +
                       warm + " s of warm-up, then " + secs + " s of the built-in workload): the loads would end during the runs");
    }
    o.command = {o.self_exe, "bench", "launch-loop", "--seconds", secs};
    if (o.metric_regex.empty()) o.metric_regex = "launches/s: ([0-9.eE+-]+)";
  }
  std::string why;
  if (a.record == "on") {
    if (!can_record(why)) throw Error("bench interference --record on: " + why);
    o.record = true;
  } else if (a.record == "auto") {
    o.record = can_record(why);
    if (!o.record) std::cerr << "bench interference: not recording the runs: " << why << "\n";
  } else if (a.record != "off") {
    throw UsageError("--record must be auto, on or off");
  }

  auto results = bench::run_interference(o, std::cerr);
  const auto sched = analyse_recordings(results);
  const auto sums = bench::summarize_interference(results, sched, !o.metric_regex.empty());
  // Complete when every planned run was made, whether or not an interrupt came after the last one.
  const bool complete = bench::every_run_made(results, o.repetitions);
  const nlohmann::json j = bench::interference_json(o, results, sums, complete);
  bool any = false;
  for (const auto& s : sums) any = any || s.runs_ok > 0;
  // Without a single number the document is no result: `report` would chart it as one. It is not
  // written, and one an earlier run left in DIR goes too (the recordings stay, for a look at why).
  const std::string doc = (std::filesystem::path(o.out_dir) / "interference.json").string();
  if (any) {
    write_text_file(doc, result_json_text(j) + "\n");
  } else {
    std::error_code ec;
    if (std::filesystem::remove(doc, ec)) std::cerr << "bench interference: removed " << doc << " (an earlier run's)\n";
  }
  if (a.json) std::cout << result_json_text(j) << "\n";
  else bench::print_interference(std::cout, sums, !o.metric_regex.empty());
  // 128 + the signal, as a shell reports a job it interrupted: 130 for Ctrl-C, 129 for a hang-up.
  if (bench::interrupted())
    throw Error(complete ? "bench interference: interrupted after every run was made; loads stopped, the results above are complete"
                         : "bench interference: interrupted; loads stopped, partial results above",
                128 + bench::interrupt_signal());
  if (!any)
    throw Error("bench interference: no run produced a number (see the messages above); " + doc + " not written");
}

const BenchRegistrar reg(50, [](CLI::App& bench) {
  auto a = std::make_shared<Args>();
  auto* cmd = bench.add_subcommand("interference", "Noisy-neighbour experiment: CMD alone, beside CPU/net/disk load, and with mitigations");
  cmd->footer(
      "Runs CMD (default: the built-in `bench launch-loop`) under each scenario, -r times, recording each run\n"
      "with `infertrace record` when this build and user can. Loads start --warmup seconds before CMD and are\n"
      "stopped (whole process groups) right after it, also on Ctrl-C, and die with the bench if it is killed; all\n"
      "network traffic stays on 127.0.0.1. pinned's nice -10 needs root with CAP_SYS_NICE (or RLIMIT_NICE): without\n"
      "it CMD runs pinned only, said on stderr and in the results (nice_applied false).\n"
      "Writes DIR/interference.json (open it with `infertrace report`). See docs/sched.md.");
  cmd->add_option("--scenarios", a->scenarios, "Comma-separated, each at most once: baseline,cpu,net,disk,heavy,pinned,isolated (slowdowns need baseline)")->capture_default_str();
  check_range(cmd->add_option("-r,--repetitions", a->reps, "Runs per scenario")->capture_default_str(), 1, 1000);
  cmd->add_option("--metric-regex", a->metric_regex, "Throughput from CMD's output: group 1 of the last match, so RE needs a capture group (default: 1 / wall time)");
  cmd->add_option("--out-dir", a->out_dir, "Directory for recordings and interference.json")->capture_default_str();
  cmd->add_option("--record", a->record, "auto, on or off")->capture_default_str();
  cmd->add_option("--pin-cpus", a->pin_cpus, "CPUs for CMD in pinned/isolated (default: the last CPU of this process's affinity mask)");
  check_range(cmd->add_option("--warmup", a->warmup, "Seconds the loads run before CMD starts")->capture_default_str(),
              0.0, 60.0);
  check_range(cmd->add_option("--load-limit", a->load_limit, "Every load ends by itself after this many seconds")
                  ->capture_default_str(),
              1, 86400);
  check_range(cmd->add_option("--workload-seconds", a->workload_seconds, "Seconds the built-in workload runs")
                  ->capture_default_str(),
              0.01, 3600.0);
  cmd->add_flag("--json", a->json, "Machine-readable output (docs/sched.md)");
  cmd->add_option("command", a->command, "-- CMD ARGS...");
  cmd->callback([a]() {
    refuse_dash(a->out_dir, "--out-dir", "a directory of recordings");  // made one called - (review CX L9)
    run(*a);
  });
});

}  // namespace

}  // namespace infertrace::cli
