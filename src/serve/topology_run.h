// `bench serve -m M.gguf --topology sn,dp2`: seed 003's study on this machine. For each topology,
// start its servers (infertrace-serve serve, port 0, pinned to their CPU sets), run every profile
// point against all of them (each request to the server with the fewest in flight), read the
// package energy around each point where powercap allows, stop the servers; then compare every
// topology with the first one point by point and name the crossover (serve/crossover.h).
#pragma once

#include <nlohmann/json.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "serve/crossover.h"
#include "serve/load/load_report.h"
#include "serve/topology.h"

namespace infertrace::serve {

struct TopologyStudyOptions {
  std::string server_exe;  // infertrace-serve
  std::string model;       // GGUF path
  std::vector<std::string> topologies;
  int max_batch = 8;
  int64_t ctx = 0;             // 0: prompt + output tokens of the points (each KV cache sized to the work)
  int64_t prefill_chunk = -1;  // the servers' --prefill-chunk; < 0: their default
  std::string prompt_math;     // the servers' --prompt-math; empty: their default
  double start_timeout_s = 300;
  std::string log_dir;          // servers' stderr logs
  std::string profile;          // as given on the command line
  double timeout_s = 600;       // for /v1/models
  std::vector<load::PointSpec> points;
  // --client-cpus: the load generator's CPUs (its thread pinned there while it runs; the servers
  // planned on the other allowed CPUs); empty: unpinned, sharing the servers' CPUs.
  std::vector<int> client_cpus{};
  // The servers' -t (threads per server; 0: one per CPU of its set) and --max-queue: seed 003's
  // threads-per-instance axis, and the queue a saturation sweep fills (review SV58 L1).
  int server_threads{};
  int max_queue{64};
};

struct PointEnergy {
  std::optional<double> joules;  // package energy during the point, when measured
  // Seconds between the two energy readings: the watts divide by this window, not by the load
  // metrics' duration (first request sent to last [DONE], or the --duration sending window), which
  // leaves out the point's start-up and the client's wind-down the meter still counts.
  double window_s = 0;
};

class EnergyMeter;
// Reads the package energy, runs `point`, reads it again: the joules and the seconds between the
// two readings (nothing when the meter is unsupported; `point` runs either way).
PointEnergy measure_point_energy(const EnergyMeter& meter, const std::function<void()>& point);

struct TopologyRun {
  Topology topology;
  load::BenchRun run;
  std::vector<PointEnergy> energy;  // per point
  std::vector<std::string> server_args;  // the options every server had beyond its -t and --cpus
  // The load generator's CPU mask as read back after pinning it (--client-cpus); empty: unpinned.
  std::vector<int> client_cpus{};
  // The CPUs the load generator may run on that a server of this topology runs on too: its
  // client-side TTFT/ITL then include its own scheduling delays (review R55).
  std::vector<int> shared_cpus{};
};

struct TopologyStudy {
  std::vector<TopologyRun> runs;
  std::vector<Crossover> crossovers;  // every topology after the first against the first
  bool energy_supported = false;
  std::string energy_note;            // the domains, or why not
};

TopologyStudy run_topology_study(const TopologyStudyOptions& options);

// The load a point ran at: its rate (open loop) or concurrency (closed loop; 1 for synchronous).
double point_load(const load::PointSpec& spec);

// The output tokens/s topologies are compared on at one point: with a --duration window the streamed
// rate (every token event inside the window, those of requests cut at its close included: a
// topology whose long requests are still streaming at the close is not charged for them, review
// SB2 L3), else completed requests' tokens / duration. Its JSON name: compared_figure().
double compared_tok_s(const load::PointResult& point);
const char* compared_figure(const load::PointSpec& spec);

std::string render_study_text(const TopologyStudy& study);
nlohmann::json study_json(const TopologyStudy& study);

}  // namespace infertrace::serve
