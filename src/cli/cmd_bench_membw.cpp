// `infertrace bench membw`: sustained memory bandwidth (STREAM-like read and triad) per thread
// count; the read figure is the bandwidth roofline `bench threads` compares decode against.
// `--device cuda[:N]`: the GPU's device-memory copy and read bandwidth instead (cli/bench_membw_gpu.h),
// the roofline of `engine run --backend cuda`.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/bench_format.h"
#include "cli/bench_membw_gpu.h"
#include "cli/engine_common.h"
#include "cli/registry.h"
#include "engine/runtime/cpu_caches.h"
#include "engine/runtime/membw.h"
#include "engine/runtime/thread_pool.h"
#include "util/error.h"
#include "util/physical_memory.h"
#include "util/plural.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct MembwArgs {
  std::string threads, cpus, format = "md", device = "cpu";
  int64_t size_mib = 512;
  int reps = 5;
  bool size_given = false, reps_given = false, cpu_only_given = false;
};

// The arrays are under 4x the last-level cache: part of what is read may come from the cache.
std::string llc_note(int64_t size_mib, uint64_t llc) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "arrays of %lld MiB are less than 4x the last-level cache (%.1f MiB, sysfs): part of each pass may be "
                "read from the cache; use --size-mib %llu or more for the DRAM bandwidth",
                static_cast<long long>(size_mib), static_cast<double>(llc) / (1 << 20),
                static_cast<unsigned long long>((4 * llc + (1 << 20) - 1) >> 20));
  return buf;
}

void run_membw(const MembwArgs& a) {
  const int gpu_index = parse_membw_device(a.device);
  // -r 2147483647 ran without end; 1000, as bench threads' and bench interference's -r (review CA L10).
  // (Below 1: the cuda path says "--repetitions must be >= 1" itself.)
  if (a.reps > 1000 || (gpu_index < 0 && a.reps < 1))
    throw UsageError("-r " + std::to_string(a.reps) + ": expected 1 to 1000 repetitions");
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
  // The three arrays must fit in this machine's memory, checked before any is allocated, as bench
  // threads checks --membw-mib (review CA L10: --size-mib 99999999999 said "cannot allocate
  // 104857599998951424 bytes", exit 1).
  if (const uint64_t ram = physical_memory_bytes(); ram > 0) {
    const int64_t ram_mib = static_cast<int64_t>(ram >> 20);
    if (a.size_mib > ram_mib / 3)
      throw UsageError("--size-mib " + std::to_string(a.size_mib) + ": three arrays of that size exceed this machine's memory (" +
                       std::to_string(ram_mib) + " MiB): at most " + std::to_string(ram_mib / 3));
  }
  // CPUs the threads run on, as bench threads counts them: the distinct CPUs of --cpus, else every
  // allowed CPU. More threads than that share CPUs: the row is marked oversubscribed.
  const int n_run_cpus =
      cpus.empty() ? engine::allowed_cpu_count() : static_cast<int>(std::set<int>(cpus.begin(), cpus.end()).size());
  // Arrays smaller than a few times the last-level cache are partly read from it: said in a note
  // (the help asks for several times the cache; 4x is this command's threshold). 0: size unknown.
  const uint64_t llc = engine::last_level_cache_bytes();
  const uint64_t array_bytes = static_cast<uint64_t>(a.size_mib) << 20;
  const bool small_for_llc = llc > 0 && array_bytes < 4 * llc;
  std::vector<engine::BandwidthResult> results;
  for (int t : counts) {
    engine::ThreadPool pool(t, cpus);
    results.push_back(engine::measure_bandwidth(pool, static_cast<uint64_t>(a.size_mib) << 20, a.reps));
  }
  if (a.format == "json") {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& r : results)
      pts.push_back({{"threads", r.threads}, {"read_gbs", r.read_gbs}, {"triad_gbs", r.triad_gbs},
                     {"read_samples_gbs", r.read_samples}, {"triad_samples_gbs", r.triad_samples},
                     {"oversubscribed", r.threads > n_run_cpus},
                     {"read_samples_s", r.read_seconds}, {"triad_samples_s", r.triad_seconds}});
    // The bytes each pass moves and the pinning, so that a reader can recompute every figure and
    // tell a pinned run from an unpinned one (review BX L3; the names bench threads uses).
    nlohmann::json j = {{"schema_version", 1}, {"array_bytes", results.front().array_bytes},
                        {"repetitions", a.reps}, {"statistic", "best of repetitions"}, {"points", pts},
                        {"run_cpus", n_run_cpus},
                        {"read_bytes", results.front().array_bytes}, {"triad_bytes", 3 * results.front().array_bytes},
                        {"cpus", cpus.empty() ? nlohmann::json(nullptr) : nlohmann::json(cpus)},
                        {"last_level_cache_bytes", llc > 0 ? nlohmann::json(llc) : nlohmann::json(nullptr)},
                        {"array_below_4x_last_level_cache", llc > 0 ? nlohmann::json(small_for_llc) : nlohmann::json(nullptr)}};
    std::cout << result_json_text(j) << "\n";
    return;
  }
  const bool csv = a.format == "csv";
  // The mark as bench threads makes it: in the markdown and the JSON; the CSV keeps its columns.
  if (csv) std::printf("threads,read_gbs,triad_gbs\n");
  else std::printf("| threads | read GB/s | triad GB/s |\n| ---: | ---: | ---: |\n");
  for (const auto& r : results) {
    const bool over = r.threads > n_run_cpus;
    if (csv) std::printf("%d,%.2f,%.2f\n", r.threads, r.read_gbs, r.triad_gbs);
    else std::printf("| %d%s | %.2f | %.2f |\n", r.threads, over ? " (oversubscribed)" : "", r.read_gbs, r.triad_gbs);
  }
  if (csv) {
    if (small_for_llc) std::fprintf(stderr, "note: %s\n", llc_note(a.size_mib, llc).c_str());
    return;
  }
  std::printf("\nbest of %d repetitions; arrays of %lld MiB (read: 1 array, triad: 3, STREAM byte counts)\n", a.reps,
              static_cast<long long>(a.size_mib));
  if (std::any_of(results.begin(), results.end(), [&](const auto& r) { return r.threads > n_run_cpus; }))
    std::printf("oversubscribed: more threads than the %d %s they run on\n", n_run_cpus,
                plural(n_run_cpus, "CPU", "CPUs").c_str());
  if (small_for_llc) std::printf("note: %s\n", llc_note(a.size_mib, llc).c_str());
}

const BenchRegistrar reg(20, [](CLI::App& bench) {
  auto a = std::make_shared<MembwArgs>();
  auto* cmd = bench.add_subcommand("membw", "Sustained memory bandwidth (STREAM-like read and triad) per thread count");
  auto* threads = cmd->add_option("-t,--threads", a->threads,
                                  "Thread counts, e.g. 1,2,4 (default: the --cpus count, else every allowed CPU)");
  auto* cpus = cmd->add_option("--cpus", a->cpus, "Pin thread i to the i-th CPU of this list");
  auto* size = cmd->add_option("--size-mib", a->size_mib,
                               "Bytes per array, MiB (use several times the last-level cache; cpu: three arrays, at most a third of "
                               "the machine's memory); cuda: the buffer "
                               "(default 4096, shrunk to fit free memory)")
                   ->capture_default_str();
  auto* reps = cmd->add_option("-r,--repetitions", a->reps,
                               "Repetitions, 1 to 1000 (the best is reported, as STREAM does; cuda: best and median, default 10)")
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
