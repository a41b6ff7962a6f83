// Topology planning (sn, dpN) on made-up machines, the crossover rule on seed 003's own sweep, the
// powercap energy meter on a fake sysfs tree, and the server launcher with stand-in servers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "serve/crossover.h"
#include "serve/energy_meter.h"
#include "serve/server_process.h"
#include "serve/topology.h"
#include "serve/topology_run.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::serve;

namespace {

std::vector<int> range(int a, int b) {
  std::vector<int> v;
  for (int i = a; i <= b; ++i) v.push_back(i);
  return v;
}

// Seed 003's machine: socket 0 has the even CPUs, socket 1 the odd ones (hyperthreads excluded).
int seed003_node(int cpu) { return cpu % 2; }

}  // namespace

TEST(ServeTopology, SingleNodeSnTakesEveryCpuAndDpSplitsTheList) {
  auto one_node = [](int) { return 0; };
  const Topology sn = plan_topology("sn", {0, 1, 2, 3, 4}, one_node);
  ASSERT_EQ(sn.servers.size(), 1u);
  EXPECT_EQ(sn.servers[0].cpus, range(0, 4));
  const Topology dp2 = plan_topology("dp2", {0, 1, 2, 3, 4}, one_node);
  ASSERT_EQ(dp2.servers.size(), 2u);
  EXPECT_EQ(dp2.servers[0].cpus, range(0, 2));  // 5 CPUs: 3 + 2
  EXPECT_EQ(dp2.servers[1].cpus, range(3, 4));
  EXPECT_EQ(dp2.servers[0].numa_node, 0);
  const Topology dp3 = plan_topology("dp3", {0, 1, 2}, one_node);
  ASSERT_EQ(dp3.servers.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(dp3.servers[i].cpus, std::vector<int>{i});
}

TEST(ServeTopology, TwoSocketsGiveOneSocketToSnAndOneEachToDp2) {
  const auto cpus = range(0, 27);
  const Topology sn = plan_topology("sn", cpus, seed003_node);
  ASSERT_EQ(sn.servers.size(), 1u);
  EXPECT_EQ(sn.servers[0].numa_node, 0);
  EXPECT_EQ(sn.servers[0].cpus.size(), 14u);
  for (int c : sn.servers[0].cpus) EXPECT_EQ(c % 2, 0);
  const Topology dp2 = plan_topology("dp2", cpus, seed003_node);
  ASSERT_EQ(dp2.servers.size(), 2u);
  EXPECT_EQ(dp2.servers[0].numa_node, 0);
  EXPECT_EQ(dp2.servers[1].numa_node, 1);
  for (int c : dp2.servers[1].cpus) EXPECT_EQ(c % 2, 1);
  EXPECT_EQ(format_cpu_list(dp2.servers[0].cpus).substr(0, 6), "0,2,4,");
  // Four servers on two nodes: fewer nodes than servers, so the CPU list is split, and a part
  // mixing nodes has no single node.
  const Topology dp4 = plan_topology("dp4", cpus, seed003_node);
  ASSERT_EQ(dp4.servers.size(), 4u);
  EXPECT_EQ(dp4.servers[0].cpus, range(0, 6));
  EXPECT_EQ(dp4.servers[0].numa_node, -1);
}

TEST(ServeTopology, BadNamesAndTooFewCpusAreUsageErrors) {
  auto one_node = [](int) { return 0; };
  for (const char* name : {"tp2", "dp", "dp1", "dpx", "xx", "dp2x", ""}) {
    try {
      plan_topology(name, {0, 1}, one_node);
      ADD_FAILURE() << name << " accepted";
    } catch (const UsageError&) {
    }
  }
  EXPECT_THROW(plan_topology("dp3", {0, 1}, one_node), UsageError);
}

// bench serve --client-cpus (review R55): the servers are planned on the allowed CPUs the load
// generator does not take; a list outside the allowed CPUs, one that takes them all, or one that
// leaves too few for the topology is a usage error naming the option.
TEST(ServeTopology, ClientCpusAreTakenFromTheServers) {
  auto one_node = [](int) { return 0; };
  const Topology sn = plan_topology_beside_client("sn", {0, 1}, {1}, one_node);
  ASSERT_EQ(sn.servers.size(), 1u);
  EXPECT_EQ(sn.servers[0].cpus, std::vector<int>{0});
  EXPECT_EQ(sn.note, "one server on every allowed CPU (0); the load generator on --client-cpus 1");
  EXPECT_TRUE(cpus_shared_with_servers({1}, sn).empty());
  EXPECT_EQ(cpus_shared_with_servers({0, 1}, sn), std::vector<int>{0});
  const Topology dp2 = plan_topology_beside_client("dp2", range(0, 7), {6, 7}, one_node);
  ASSERT_EQ(dp2.servers.size(), 2u);
  EXPECT_EQ(dp2.servers[0].cpus, range(0, 2));
  EXPECT_EQ(dp2.servers[1].cpus, range(3, 5));
  // No client list: every allowed CPU, shared with the (unpinned) client.
  EXPECT_EQ(plan_topology_beside_client("sn", {0, 1}, {}, one_node).servers[0].cpus, range(0, 1));

  const auto message = [&](const std::string& name, const std::vector<int>& allowed, const std::vector<int>& client) {
    try {
      plan_topology_beside_client(name, allowed, client, one_node);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("sn", {0, 1}, {2}), "--client-cpus 2: CPU 2 is not among the CPUs this process may use (0-1)");
  EXPECT_EQ(message("sn", {0, 1}, {0, 1}),
            "--client-cpus 0-1 takes every CPU this process may use (0-1): none is left for the servers");
  EXPECT_EQ(message("dp2", {0, 1}, {1}), "topology dp2 needs at least 2 CPUs; --client-cpus 1 leaves the servers 1 (0)");
  EXPECT_NO_THROW(check_client_cpus({0, 1}, {0, 1}));  // --url: the client may take every CPU
  EXPECT_THROW(check_client_cpus({0, 1}, {1, 5}), UsageError);
}

// Without --client-cpus the text says the load generator shares the servers' CPUs and the JSON
// flags it; pinned off them, neither.
TEST(ServeTopology, SharedCpusNoteAndJsonFields) {
  TopologyStudy study;
  TopologyRun run;
  run.topology.name = "sn";
  run.topology.servers.push_back({{0, 1}, 0});
  run.run.target.base_urls = {"http://127.0.0.1:8080"};
  run.shared_cpus = {0, 1};
  study.runs.push_back(run);
  std::string text = render_study_text(study);
  EXPECT_NE(text.find("note: the load generator shares CPUs 0-1 with the server(s); client-side TTFT/ITL include its "
                      "own scheduling delays; --client-cpus keeps it off them\n"),
            std::string::npos)
      << text;
  nlohmann::json t = study_json(study)["topologies"][0];
  EXPECT_TRUE(t["client_cpus"].is_null());
  EXPECT_EQ(t["client_shares_server_cpus"], true);
  EXPECT_EQ(t["client_shared_cpus"], "0-1");

  study.runs[0].topology.servers[0].cpus = {0};
  study.runs[0].client_cpus = {1};
  study.runs[0].shared_cpus = {};
  text = render_study_text(study);
  EXPECT_EQ(text.find("note: the load generator shares"), std::string::npos) << text;
  EXPECT_NE(text.find("load generator: pinned to CPUs 1 (--client-cpus)"), std::string::npos) << text;
  t = study_json(study)["topologies"][0];
  EXPECT_EQ(t["client_cpus"], "1");
  EXPECT_EQ(t["client_shares_server_cpus"], false);
  EXPECT_TRUE(t["client_shared_cpus"].is_null());
}

TEST(ServeTopology, CpuListFormat) {
  EXPECT_EQ(format_cpu_list({3, 0, 1, 2, 6, 8, 9}), "0-3,6,8-9");
  EXPECT_EQ(format_cpu_list({5}), "5");
  EXPECT_EQ(format_cpu_list({}), "");
}

TEST(ServeCrossover, SeedThreeSweepCrossesAtSix) {
  // Seed 003 section 6.3: SN and DP-2 output tok/s at rates 1, 2, 4, 6, 8. DP-2 wins at 2 but loses
  // at 4: the crossover is 6, from where it wins at every larger rate.
  const std::vector<LoadThroughput> sn{{1, 3.90}, {2, 6.23}, {4, 7.07}, {6, 5.80}, {8, 4.95}};
  const std::vector<LoadThroughput> dp{{1, 3.90}, {2, 7.25}, {4, 6.42}, {6, 8.87}, {8, 8.33}};
  const Crossover c = find_crossover("sn", sn, "dp2", dp);
  ASSERT_EQ(c.rows.size(), 5u);
  EXPECT_EQ(c.rows[0].winner, "tie");
  EXPECT_EQ(c.rows[1].winner, "dp2");
  EXPECT_EQ(c.rows[2].winner, "sn");
  EXPECT_NEAR(c.rows[3].delta_pct, (8.87 - 5.80) / 5.80 * 100, 1e-9);
  ASSERT_TRUE(c.load.has_value());
  EXPECT_EQ(*c.load, 6);
}

TEST(ServeCrossover, NoCrossoverWhenBaseLeadsAtTheEndOrOnlyTies) {
  const std::vector<LoadThroughput> a{{1, 10}, {2, 10}};
  EXPECT_FALSE(find_crossover("sn", a, "dp2", {{1, 12}, {2, 9}}).load.has_value());
  EXPECT_FALSE(find_crossover("sn", a, "dp2", {{1, 10.2}, {2, 10.1}}).load.has_value());
  // A win followed by a tie at the largest load still crosses at the win.
  const Crossover c = find_crossover("sn", a, "dp2", {{1, 12}, {2, 10.3}});
  ASSERT_TRUE(c.load.has_value());
  EXPECT_EQ(*c.load, 1);
  // Loads on one side only are left out and said.
  const Crossover d = find_crossover("sn", {{1, 10}, {3, 10}}, "dp2", {{1, 20}, {2, 20}});
  EXPECT_EQ(d.rows.size(), 1u);
  EXPECT_NE(d.summary.find("one side only"), std::string::npos);
  // Counted in their number: loads 3 (sn only) and 2 (dp2 only); then load 3 alone.
  EXPECT_NE(d.summary.find("(2 loads measured on one side only, left out)"), std::string::npos) << d.summary;
  const Crossover e = find_crossover("sn", {{1, 10}, {3, 10}}, "dp2", {{1, 20}});
  EXPECT_NE(e.summary.find("(1 load measured on one side only, left out)"), std::string::npos) << e.summary;
}

TEST(ServeCrossover, PointsThatCompletedNothingAreNotCompared) {
  // Review BS L6: neither side completed anything at load 1 ("0% tie" before), and at load 2 only
  // the base completed nothing (an infinite win and a crossover at 2 before).
  const Crossover c = find_crossover("sn", {{1, 0, false}, {2, 0, false}, {4, 10}}, "dp2",
                                     {{1, 0, false}, {2, 7}, {4, 10.1}});
  ASSERT_EQ(c.rows.size(), 3u);
  EXPECT_EQ(c.rows[0].winner, kNotCompared);
  EXPECT_EQ(c.rows[1].winner, kNotCompared);
  EXPECT_TRUE(std::isnan(c.rows[0].delta_pct));
  EXPECT_TRUE(std::isnan(c.rows[1].delta_pct));
  EXPECT_EQ(c.rows[2].winner, "tie");
  EXPECT_FALSE(c.load.has_value()) << c.summary;
  EXPECT_NE(c.summary.find("(2 loads where a side completed no request, left out)"), std::string::npos) << c.summary;
  const Crossover none = find_crossover("sn", {{1, 0, false}}, "dp2", {{1, 0, false}});
  EXPECT_FALSE(none.load.has_value());
  EXPECT_EQ(none.summary, "no comparison: at no load did both sn and dp2 complete a request");
}

TEST(ServeCrossover, RepeatedLoadsAreComparedOnTheirMedian) {
  // Review BS M5: load 2 three times per side (bench serve --repeat 3); before, only the last pair
  // counted, then the mean. The median of 10, 30, 11 is 11 (the mean 17).
  const Crossover c =
      find_crossover("sn", {{2, 10}, {1, 10}, {2, 30}, {2, 11}}, "dp2", {{2, 33}, {1, 10}, {2, 31}, {2, 32}});
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(c.rows[1].base_tok_s, 11);
  EXPECT_DOUBLE_EQ(c.rows[1].alt_tok_s, 32);
  EXPECT_DOUBLE_EQ(c.rows[1].base_min, 10);
  EXPECT_DOUBLE_EQ(c.rows[1].base_max, 30);
  EXPECT_DOUBLE_EQ(c.rows[1].alt_min, 31);
  EXPECT_DOUBLE_EQ(c.rows[1].alt_max, 33);
  EXPECT_EQ(c.rows[1].base_runs, 3);
  EXPECT_EQ(c.rows[1].alt_runs, 3);
  EXPECT_EQ(c.rows[0].base_runs, 1);
  EXPECT_NEAR(c.rows[1].delta_pct, 21.0 / 11.0 * 100, 1e-9);
  EXPECT_EQ(c.rows[1].winner, "dp2");  // every dp2 run beats every sn run
  ASSERT_TRUE(c.load.has_value());
  EXPECT_EQ(*c.load, 2);
  EXPECT_NE(c.summary.find("(1 load measured several times on a side: compared on the median"), std::string::npos)
      << c.summary;
  // An even number of runs: the mean of the two middle ones.
  EXPECT_DOUBLE_EQ(find_crossover("sn", {{2, 10}, {2, 20}}, "dp2", {{2, 40}}).rows[0].base_tok_s, 15);
  // A point of a repeated load that completed nothing is left out of its median and its runs.
  const Crossover d = find_crossover("sn", {{2, 10}, {2, 0, false}}, "dp2", {{2, 10}});
  EXPECT_DOUBLE_EQ(d.rows[0].base_tok_s, 10);
  EXPECT_EQ(d.rows[0].base_runs, 1);
  EXPECT_EQ(d.rows[0].winner, "tie");
}

TEST(ServeCrossover, LeadWithinTheSpreadOfTheRunsIsNoWin) {
  // Medians 15 and 17 (+13%, beyond the 5% tie band) but an sn run (20) beat a dp2 run (17): the
  // runs overlap, so the lead is within their spread, and no crossover is claimed on it.
  const Crossover c = find_crossover("sn", {{1, 10}, {2, 10}, {2, 20}}, "dp2", {{1, 10.1}, {2, 17}, {2, 17}});
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_NEAR(c.rows[1].delta_pct, 2.0 / 15.0 * 100, 1e-9);
  EXPECT_EQ(c.rows[1].winner, kWithinSpread);
  EXPECT_FALSE(c.load.has_value()) << c.summary;
  EXPECT_NE(c.summary.find("(1 load where the lead beyond the tie band is within the spread of the runs: counted as "
                           "a tie)"),
            std::string::npos)
      << c.summary;
  // Touching ranges overlap too: sn's best run equals dp2's worst.
  EXPECT_EQ(find_crossover("sn", {{2, 10}, {2, 20}}, "dp2", {{2, 20}, {2, 40}}).rows[0].winner, kWithinSpread);
  // A within-spread row neither breaks nor makes a run of wins: dp2 wins at 4 and 8, overlaps at 6.
  const Crossover e = find_crossover("sn", {{4, 10}, {6, 10}, {6, 20}, {8, 10}}, "dp2",
                                     {{4, 30}, {6, 19}, {6, 25}, {8, 30}});
  EXPECT_EQ(e.rows[1].winner, kWithinSpread);
  ASSERT_TRUE(e.load.has_value()) << e.summary;
  EXPECT_EQ(*e.load, 4);
}

TEST(ServeEnergy, FakePowercapTreeWithWrap) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("infertrace_powercap_" + std::to_string(getpid()));
  fs::remove_all(root);
  auto write = [](const fs::path& p, const std::string& v) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << v << "\n";
  };
  write(root / "intel-rapl:0" / "name", "package-0");
  write(root / "intel-rapl:0" / "energy_uj", "1000000");
  write(root / "intel-rapl:0" / "max_energy_range_uj", "262143328850");
  write(root / "intel-rapl:1" / "name", "package-1");
  write(root / "intel-rapl:1" / "energy_uj", "262143000000");
  write(root / "intel-rapl:1" / "max_energy_range_uj", "262143328850");
  write(root / "intel-rapl:0:0" / "name", "core");  // a sub-zone: already inside package-0
  write(root / "intel-rapl:0:0" / "energy_uj", "5");
  write(root / "intel-rapl:0:0" / "max_energy_range_uj", "100");
  write(root / "intel-rapl:2" / "name", "psys");  // not a package
  write(root / "intel-rapl:2" / "energy_uj", "5");
  write(root / "intel-rapl:2" / "max_energy_range_uj", "100");
  EnergyMeter m(root.string());
  ASSERT_TRUE(m.supported()) << m.why_not();
  ASSERT_EQ(m.domain_names().size(), 2u);
  EXPECT_EQ(m.domain_names()[0], "package-0 (intel-rapl:0)");
  const auto a = m.read();
  write(root / "intel-rapl:0" / "energy_uj", "3500000");  // +2.5 J
  write(root / "intel-rapl:1" / "energy_uj", "671150");   // wrapped: +328850 + 671150 uJ = +1 J
  const auto b = m.read();
  EXPECT_NEAR(m.joules(a, b), 3.5, 1e-9);

  // A point measured by measure_point_energy: the joules the point's run added to the counters and
  // the seconds between the readings around it (at least the point's own 30 ms, at most the time
  // around the whole call).
  const auto t0 = std::chrono::steady_clock::now();
  bool ran = false;
  const PointEnergy pe = measure_point_energy(m, [&] {
    write(root / "intel-rapl:0" / "energy_uj", "5500000");  // +2 J
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ran = true;
  });
  const double around_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(ran);
  ASSERT_TRUE(pe.joules.has_value());
  EXPECT_NEAR(*pe.joules, 2.0, 1e-9);
  EXPECT_GE(pe.window_s, 0.030);
  EXPECT_LE(pe.window_s, around_s);
  fs::remove_all(root);

  EnergyMeter none((root / "missing").string());
  EXPECT_FALSE(none.supported());
  bool ran_unmetered = false;
  const PointEnergy unmetered = measure_point_energy(none, [&] { ran_unmetered = true; });
  EXPECT_TRUE(ran_unmetered);  // the point runs without a meter too
  EXPECT_FALSE(unmetered.joules.has_value());
  EXPECT_EQ(unmetered.window_s, 0.0);
  EXPECT_NE(none.why_not().find("missing"), std::string::npos);
}

TEST(ServeServerProcess, ReadsTheAddressAndStops) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("infertrace_srvproc_" + std::to_string(getpid()));
  fs::create_directories(dir);
  // A stand-in server: says where it listens after a moment, then waits to be stopped.
  ServerProcess p = ServerProcess::start(
      {"/bin/sh", "-c", "echo starting >&2; sleep 0.2; echo 'infertrace serve: listening on http://127.0.0.1:4242'; "
                        "exec sleep 60"},
      (dir / "ok.log").string(), 10000);
  EXPECT_EQ(p.url(), "http://127.0.0.1:4242");
  const pid_t pid = p.pid();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(p.stop(), 128 + SIGTERM);
  // Well before its `sleep 60` would end (a wall-time bound: other tests run beside this one, so
  // it is loose; the exit status says SIGTERM, not a later SIGKILL, ended it).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  EXPECT_NE(kill(pid, 0), 0);  // reaped

  // One that exits first: the error quotes its log.
  try {
    ServerProcess::start({"/bin/sh", "-c", "echo 'model file is broken' >&2; exit 3"}, (dir / "bad.log").string(), 10000);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("status 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model file is broken"), std::string::npos) << e.what();
  }
  // One that never announces: a timeout, and nothing left running.
  try {
    ServerProcess::start({"/bin/sh", "-c", "exec sleep 60"}, (dir / "slow.log").string(), 300);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("within"), std::string::npos) << e.what();
  }
  // An executable that does not exist.
  EXPECT_THROW(ServerProcess::start({"/nonexistent/infertrace-serve"}, (dir / "none.log").string(), 5000), Error);
  fs::remove_all(dir);
}

// The watts divide the point's joules by the seconds between the two energy readings, not by the
// load metrics' duration (first send to last [DONE]), which the meter's window contains.
TEST(ServeTopology, WattsUseTheEnergyWindowNotTheLoadDuration) {
  TopologyStudy study;
  study.energy_supported = true;
  study.energy_note = "package-0";
  TopologyRun run;
  run.topology.name = "sn";
  run.run.target.base_urls = {"http://127.0.0.1:8080"};
  load::PointResult point;
  point.spec.profile = load::Profile::kConcurrent;
  point.spec.concurrency = 2;
  point.metrics.output_tokens = 50;
  point.metrics.duration_s = 4.0;  // 30 J / 4 s would print 7.5 W
  run.run.points.push_back(point);
  PointEnergy measured;
  measured.joules = 30.0;
  measured.window_s = 5.0;
  run.energy.push_back(measured);
  load::PointResult unmeasured_point = point;
  unmeasured_point.spec.concurrency = 4;
  run.run.points.push_back(unmeasured_point);
  run.energy.push_back(PointEnergy{});  // no reading: no line, null in the JSON
  study.runs.push_back(run);

  const std::string text = render_study_text(study);
  EXPECT_NE(text.find("load 2: 30.0 J, 6.0 W, 0.600 J per output token"), std::string::npos) << text;
  EXPECT_EQ(text.find("load 4:"), std::string::npos) << text;
  const nlohmann::json j = study_json(study);
  const auto& t = j["topologies"][0];
  EXPECT_EQ(t["energy_j"], nlohmann::json::parse("[30.0, null]"));
  EXPECT_EQ(t["energy_window_s"], nlohmann::json::parse("[5.0, null]"));
}

// A --duration point is compared on its streamed rate (cut requests' tokens inside the window
// included), a --requests point on completed requests' tokens (review SB2 L3); the text and the
// JSON name the figure.
TEST(ServeTopology, DurationPointsCompareStreamedTokensPerSecond) {
  load::PointResult by_time;
  by_time.spec.duration_s = 10;
  by_time.metrics.tok_per_s = 40;           // completed requests only
  by_time.metrics.streamed_tok_per_s = 55;  // every token event inside the window
  EXPECT_EQ(compared_tok_s(by_time), 55);
  EXPECT_STREQ(compared_figure(by_time.spec), "streamed_tok_per_s");
  load::PointResult by_count = by_time;
  by_count.spec.duration_s = 0;
  by_count.spec.requests = 6;
  EXPECT_EQ(compared_tok_s(by_count), 40);
  EXPECT_STREQ(compared_figure(by_count.spec), "tok_per_s");

  TopologyStudy study;
  study.crossovers.push_back(find_crossover("sn", {{1, 40}}, "dp2", {{1, 60}}));
  study.crossovers.back().figure = compared_figure(by_time.spec);
  EXPECT_NE(render_study_text(study).find("(output tok/s streamed inside each point's duration"), std::string::npos);
  EXPECT_EQ(study_json(study)["crossovers"][0]["figure"], "streamed_tok_per_s");
}
