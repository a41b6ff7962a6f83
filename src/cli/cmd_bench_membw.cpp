// `infertrace bench membw`: sustained memory bandwidth (STREAM-like read and triad) per thread
// count; the read figure is the bandwidth roofline `bench threads` compares decode against.
// `--device cuda[:N]`: the GPU's device-memory copy and read bandwidth instead (cli/bench_membw_gpu.h),
// the roofline of `engine run --backend cuda`.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/bench_format.h"
#include "cli/bench_membw_gpu.h"
#include "cli/engine_common.h"
#include "cli/registry.h"
#include "engine/runtime/membw.h"
#include "engine/runtime/thread_pool.h"
#include "util/error.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct MembwArgs {
  std::string threads, cpus, format = "md", device = "cpu";
  int64_t size_mib = 512;
  int reps = 5;
  bool size_given = false, reps_given = false, cpu_only_given = false;
};

void run_membw(const MembwArgs& a) {
  const int gpu_index = parse_membw_device(a.device);
  if (gpu_index >= 0) {
    if (a.cpu_only_given) throw UsageError("bench membw: -t/--threads and --cpus apply to --device cpu only");
    gpu::GpuMembwOptions o;
    o.device = gpu_index;
    if (a.size_given) o.buffer_bytes = static_cast<uint64_t>(std::max<int64_t>(a.size_mib, 0)) << 20;
    if (a.reps_given) o.repetitions = a.reps;
    run_membw_gpu(o, a.format);
    return;
  }
  const std::vector<int> cpus = a.cpus.empty() ? std::vector<int>{} : engine::parse_pinning_cpus(a.cpus, "--cpus");
  // Without -t: one thread per CPU the threads run on, as engine run and bench threads count them
  // (engine::resolve_thread_count): the --cpus list when given, else the allowed CPUs. The
  // affinity mask alone gave `--cpus 0` two threads on one CPU (on two allowed CPUs) and
  // `taskset -c 0 ... --cpus 0-1` one thread, leaving CPU 1 of the list unmeasured.
  const std::string threads = a.threads.empty() ? std::to_string(engine::resolve_thread_count(0, cpus)) : a.threads;
  const std::vector<int> counts = parse_thread_list(threads);
  engine::check_thread_cap(counts, engine::thread_cap_cpus(cpus), "-t " + threads);
  check_format(a.format);
  if (a.size_mib < 1) throw UsageError("--size-mib must be >= 1");
  std::vector<engine::BandwidthResult> results;
  for (int t : counts) {
    engine::ThreadPool pool(t, cpus);
    results.push_back(engine::measure_bandwidth(pool, static_cast<uint64_t>(a.size_mib) << 20, a.reps));
  }
  if (a.format == "json") {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& r : results)
      pts.push_back({{"threads", r.threads}, {"read_gbs", r.read_gbs}, {"triad_gbs", r.triad_gbs},
                     {"read_samples_gbs", r.read_samples}, {"triad_samples_gbs", r.triad_samples}});
    nlohmann::json j = {{"schema_version", 1}, {"array_bytes", results.front().array_bytes},
                        {"repetitions", a.reps}, {"statistic", "best of repetitions"}, {"points", pts}};
    std::cout << result_json_text(j) << "\n";
    return;
  }
  const bool csv = a.format == "csv";
  if (csv) std::printf("threads,read_gbs,triad_gbs\n");
  else std::printf("| threads | read GB/s | triad GB/s |\n| ---: | ---: | ---: |\n");
  for (const auto& r : results)
    std::printf(csv ? "%d,%.2f,%.2f\n" : "| %d | %.2f | %.2f |\n", r.threads, r.read_gbs, r.triad_gbs);
  if (!csv)
    std::printf("\nbest of %d repetitions; arrays of %lld MiB (read: 1 array, triad: 3, STREAM byte counts)\n", a.reps,
                static_cast<long long>(a.size_mib));
}

const BenchRegistrar reg(20, [](CLI::App& bench) {
  auto a = std::make_shared<MembwArgs>();
  auto* cmd = bench.add_subcommand("membw", "Sustained memory bandwidth (STREAM-like read and triad) per thread count");
  auto* threads = cmd->add_option("-t,--threads", a->threads,
                                  "Thread counts, e.g. 1,2,4 (default: the --cpus count, else every allowed CPU)");
  auto* cpus = cmd->add_option("--cpus", a->cpus, "Pin thread i to the i-th CPU of this list");
  auto* size = cmd->add_option("--size-mib", a->size_mib,
                               "Bytes per array, MiB (use several times the last-level cache); cuda: the buffer "
                               "(default 4096, shrunk to fit free memory)")
                   ->capture_default_str();
  auto* reps = cmd->add_option("-r,--repetitions", a->reps,
                               "Repetitions (the best is reported, as STREAM does; cuda: best and median, default 10)")
                   ->capture_default_str();
  add_format_options(cmd, a->format, "md, csv or json (cuda: md or json)");
  cmd->add_option("--device", a->device,
                  "cpu, or cuda[:N]: the GPU's copy (read + write) and read bandwidth of device memory")
      ->capture_default_str();
  cmd->callback([a, threads, cpus, size, reps] {
    a->size_given = size->count() > 0;
    a->reps_given = reps->count() > 0;
    a->cpu_only_given = threads->count() > 0 || cpus->count() > 0;
    run_membw(*a);
  });
});

}  // namespace

}  // namespace infertrace::cli
