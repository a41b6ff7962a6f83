#include "serve/topology_run.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "engine/runtime/numa_topology.h"
#include "serve/energy_meter.h"
#include "serve/server_process.h"
#include "util/error.h"
#include "util/thread_affinity.h"

namespace infertrace::serve {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

int64_t kv_tokens(const TopologyStudyOptions& o) {
  if (o.ctx > 0) return o.ctx;
  int64_t most = 0;
  for (const auto& p : o.points) most = std::max(most, p.prompt_tokens + p.output_tokens);
  return most;
}

}  // namespace

double compared_tok_s(const load::PointResult& point) {
  return point.spec.duration_s > 0 ? point.metrics.streamed_tok_per_s : point.metrics.tok_per_s;
}

const char* compared_figure(const load::PointSpec& spec) {
  return spec.duration_s > 0 ? "streamed_tok_per_s" : "tok_per_s";
}

double point_load(const load::PointSpec& spec) {
  switch (spec.profile) {
    case load::Profile::kSynchronous:
      return 1;
    case load::Profile::kConcurrent:
      return spec.concurrency;
    default:
      return spec.rate;
  }
}

PointEnergy measure_point_energy(const EnergyMeter& meter, const std::function<void()>& point) {
  if (!meter.supported()) {
    point();
    return {};
  }
  const EnergyMeter::Reading before = meter.read();
  point();
  const EnergyMeter::Reading after = meter.read();
  PointEnergy pe;
  pe.joules = meter.joules(before, after);
  pe.window_s = static_cast<double>(after.t_ns - before.t_ns) * 1e-9;
  return pe;
}

TopologyStudy run_topology_study(const TopologyStudyOptions& o) {
  if (o.topologies.empty()) throw UsageError("--topology needs at least one of sn, dpN");
  const std::vector<int> cpus = allowed_cpus();
  std::vector<Topology> plans;
  for (const auto& name : o.topologies)
    plans.push_back(plan_topology_beside_client(name, cpus, o.client_cpus, engine::numa_node_of_cpu));
  const bool several_nodes = engine::online_numa_nodes().size() > 1;

  TopologyStudy study;
  const EnergyMeter meter;
  study.energy_supported = meter.supported();
  if (meter.supported()) {
    for (const auto& d : meter.domain_names()) study.energy_note += (study.energy_note.empty() ? "" : ", ") + d;
  } else {
    study.energy_note = "not supported: " + meter.why_not();
  }
  stop_servers_on_signal();

  for (const Topology& t : plans) {
    std::cerr << "bench serve: topology " << t.name << ": " << t.note << "\n";
    std::vector<ServerProcess> servers;
    load::Target target;
    std::vector<std::string> common{"--max-batch", std::to_string(o.max_batch), "--max-queue", std::to_string(o.max_queue),
                                    "--ctx", std::to_string(kv_tokens(o))};
    // -t given: the same for every server (so in server_args); else each server's CPU count.
    if (o.server_threads > 0) common.insert(common.begin(), {"-t", std::to_string(o.server_threads)});
    // Each DP server's weights and KV caches on its own node's memory, as seed 003 binds its ranks.
    if (several_nodes) common.push_back("--numa");
    if (o.prefill_chunk >= 0) common.insert(common.end(), {"--prefill-chunk", std::to_string(o.prefill_chunk)});
    if (!o.prompt_math.empty()) common.insert(common.end(), {"--prompt-math", o.prompt_math});
    for (size_t i = 0; i < t.servers.size(); ++i) {
      const ServerPlacement& s = t.servers[i];
      std::vector<std::string> argv{o.server_exe, "serve", "-m", o.model, "--host", "127.0.0.1", "--port", "0",
                                    "--cpus", format_cpu_list(s.cpus)};
      if (o.server_threads <= 0) argv.insert(argv.end(), {"-t", std::to_string(s.cpus.size())});
      argv.insert(argv.end(), common.begin(), common.end());
      const std::string log = o.log_dir + "/serve-" + t.name + "-" + std::to_string(i) + ".log";
      servers.push_back(ServerProcess::start(argv, log, static_cast<int>(o.start_timeout_s * 1000)));
      target.base_urls.push_back(servers.back().url());
    }
    TopologyRun run;
    run.topology = t;
    run.server_args = common;
    run.run.target = target;
    run.run.profile = o.profile;
    // Pinned after the servers were forked (they must not inherit the client's mask) and before
    // the first request: every thread of the load generator starts from this one and inherits it.
    const ScopedThreadAffinity client_pin(o.client_cpus);
    run.client_cpus = client_pin.cpus();
    run.shared_cpus = cpus_shared_with_servers(run.client_cpus.empty() ? cpus : run.client_cpus, t);
    run.run.model = load::fetch_model_info(target, o.timeout_s);
    for (const auto& spec : o.points) {
      std::cerr << "bench serve: " << t.name << " load " << load::point_label(spec) << "\n";
      // The warm-up runs before the energy window (run_point would run it inside), so joules are
      // those of the measured requests alone.
      load::run_warmup(target, run.run.model, spec);
      load::PointSpec measured = spec;
      measured.warmup = 0;
      run.energy.push_back(measure_point_energy(
          meter, [&] { run.run.points.push_back(load::run_point(target, run.run.model, measured)); }));
      run.run.points.back().spec.warmup = load::warmup_requests(target, spec);  // the count sent, for the report
    }
    for (auto& s : servers) s.stop();
    study.runs.push_back(std::move(run));
  }

  if (study.runs.size() > 1) {
    const auto throughput = [](const TopologyRun& r) {
      std::vector<LoadThroughput> v;
      for (const auto& p : r.run.points) v.push_back({point_load(p.spec), compared_tok_s(p), p.metrics.completed > 0});
      return v;
    };
    for (size_t i = 1; i < study.runs.size(); ++i) {
      study.crossovers.push_back(find_crossover(study.runs[0].topology.name, throughput(study.runs[0]),
                                                study.runs[i].topology.name, throughput(study.runs[i])));
      // Every point of a study has the same --duration or --requests (the command line's).
      if (!o.points.empty()) study.crossovers.back().figure = compared_figure(o.points.front());
    }
  }
  return study;
}

std::string render_study_text(const TopologyStudy& study) {
  std::ostringstream o;
  for (const auto& r : study.runs) {
    o << "## topology " << r.topology.name << ": " << r.topology.note << "\n\n";
    if (!r.shared_cpus.empty())
      o << "note: the load generator shares CPUs " << format_cpu_list(r.shared_cpus)
        << " with the server(s); client-side TTFT/ITL include its own scheduling delays; --client-cpus keeps it off them\n";
    else if (!r.client_cpus.empty())
      o << "load generator: pinned to CPUs " << format_cpu_list(r.client_cpus) << " (--client-cpus), off the servers' CPUs\n";
    o << load::render_text(r.run, false);
    if (study.energy_supported) {
      o << "\nenergy (CPU packages):\n";
      for (size_t i = 0; i < r.run.points.size(); ++i) {
        const auto& m = r.run.points[i].metrics;
        const PointEnergy& e = r.energy[i];
        if (!e.joules) continue;
        const double j = *e.joules;
        o << "  load " << load::point_label(r.run.points[i].spec) << ": " << fmt("%.1f J", j) << ", "
          << (e.window_s > 0 ? fmt("%.1f W", j / e.window_s) : "- W") << ", "
          << (m.output_tokens > 0 ? fmt("%.3f J per output token", j / m.output_tokens) : "no output tokens") << "\n";
      }
    }
    o << "\n";
  }
  o << "energy: " << study.energy_note << "\n";
  for (const auto& c : study.crossovers) {
    o << "\n## " << c.alt << " against " << c.base << " ("
      << (c.figure == "streamed_tok_per_s" ? "output tok/s streamed inside each point's duration (the --duration window, plus its drain unless "
                                             "--no-drain), every request's events included"
                                           : "completed requests' output tok/s")
      << "; ties within " << fmt("%g", c.tie_pct) << "%)\n\n";
    // With --repeat: each side's median over its runs, then its range and number of runs.
    bool runs = false;
    for (const auto& row : c.rows) runs = runs || row.base_runs > 1 || row.alt_runs > 1;
    const auto cell = [&](double median, double lo, double hi, int n) {
      if (!runs) return fmt("%.2f", median);
      return fmt("%.2f", median) + " (" + fmt("%.2f", lo) + "-" + fmt("%.2f", hi) + ", " + std::to_string(n) + ")";
    };
    const char* per = runs ? " tok/s median (range, runs)" : " tok/s";
    o << "| Load | " << c.base << per << " | " << c.alt << per << " | Delta | Winner |\n|---|---|---|---|---|\n";
    for (const auto& row : c.rows)
      o << "| " << fmt("%g", row.load) << " | " << cell(row.base_tok_s, row.base_min, row.base_max, row.base_runs)
        << " | " << cell(row.alt_tok_s, row.alt_min, row.alt_max, row.alt_runs) << " | " << (!std::isfinite(row.delta_pct) ? "-" : std::fabs(row.delta_pct) < 0.5 ? "0%" : fmt("%+.0f%%", row.delta_pct)) << " | " << row.winner << " |\n";
    o << "\ncrossover: " << c.summary << "\n";
  }
  o << "\n" << load::metric_definitions();
  return o.str();
}

nlohmann::json study_json(const TopologyStudy& study) {
  nlohmann::json j;
  j["schema"] = "infertrace.bench_serve_topologies/1";
  j["energy"] = {{"supported", study.energy_supported}, {"note", study.energy_note}};
  j["topologies"] = nlohmann::json::array();
  for (const auto& r : study.runs) {
    nlohmann::json t;
    t["name"] = r.topology.name;
    t["note"] = r.topology.note;
    t["servers"] = nlohmann::json::array();
    for (size_t i = 0; i < r.topology.servers.size(); ++i) {
      const auto& s = r.topology.servers[i];
      t["servers"].push_back({{"cpus", format_cpu_list(s.cpus)},
                              {"numa_node", s.numa_node < 0 ? nlohmann::json() : nlohmann::json(s.numa_node)},
                              {"url", i < r.run.target.base_urls.size() ? r.run.target.base_urls[i] : ""}});
    }
    t["server_args"] = r.server_args;  // what every server of this topology ran with, after its CPU set
    t["run"] = load::to_json(r.run);
    t["energy_j"] = nlohmann::json::array();
    t["energy_window_s"] = nlohmann::json::array();
    for (const auto& e : r.energy) {
      t["energy_j"].push_back(e.joules ? nlohmann::json(*e.joules) : nlohmann::json());
      t["energy_window_s"].push_back(e.joules ? nlohmann::json(e.window_s) : nlohmann::json());
    }
    t["client_cpus"] = r.client_cpus.empty() ? nlohmann::json() : nlohmann::json(format_cpu_list(r.client_cpus));
    t["client_shares_server_cpus"] = !r.shared_cpus.empty();
    t["client_shared_cpus"] = r.shared_cpus.empty() ? nlohmann::json() : nlohmann::json(format_cpu_list(r.shared_cpus));
    j["topologies"].push_back(t);
  }
  j["crossovers"] = nlohmann::json::array();
  for (const auto& c : study.crossovers) {
    nlohmann::json x{{"base", c.base}, {"alt", c.alt}, {"tie_pct", c.tie_pct}, {"summary", c.summary}, {"figure", c.figure}};
    x["load"] = c.load ? nlohmann::json(*c.load) : nlohmann::json();
    x["rows"] = nlohmann::json::array();
    for (const auto& row : c.rows)
      x["rows"].push_back({{"load", row.load},
                           {"base_tok_s", row.base_tok_s},
                           {"alt_tok_s", row.alt_tok_s},
                           {"delta_pct", std::isfinite(row.delta_pct) ? nlohmann::json(row.delta_pct) : nlohmann::json()},
                           {"winner", row.winner},
                           {"base_min", row.base_min},
                           {"base_max", row.base_max},
                           {"base_runs", row.base_runs},
                           {"alt_min", row.alt_min},
                           {"alt_max", row.alt_max},
                           {"alt_runs", row.alt_runs}});
    j["crossovers"].push_back(x);
  }
  return j;
}

}  // namespace infertrace::serve
