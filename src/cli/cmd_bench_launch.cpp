// `infertrace bench launch`: null-kernel launch cost per CUDA launch API (gpu/launch_bench.h),
// beside seed 004's Table V.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "analysis/percentile.h"
#include "cli/bench_format.h"
#include "cli/registry.h"
#include "gpu/launch_bench.h"
#include "util/error.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct LaunchArgs {
  gpu::LaunchBenchOptions o;
  std::string format = "md";
};

// SKIP (seed 004) Table V: cudaLaunchKernel of a null kernel, launch overhead in ns, measured from
// PyTorch profiler traces on each platform.
constexpr struct {
  const char* platform;
  double overhead_ns;
} kSkipTableV[] = {{"AMD+A100", 2260.5}, {"Intel+H100", 2374.6}, {"GH200", 2771.6}};

double us(int64_t ns) { return static_cast<double>(ns) / 1000.0; }

void print_json(const gpu::LaunchBenchResult& r, const LaunchArgs& a) {
  nlohmann::json apis = nlohmann::json::array();
  for (const auto& x : r.apis) {
    apis.push_back({{"api", x.api},
                    {"kernels_per_launch", x.kernels_per_launch},
                    {"launches", x.host_ns.size()},
                    {"host_ns", {{"p50", percentile_of(x.host_ns, 50)}, {"p99", percentile_of(x.host_ns, 99)}}},
                    {"start_latency_ns",
                     {{"p50", percentile_of(x.start_latency_ns, 50)}, {"p99", percentile_of(x.start_latency_ns, 99)}}},
                    {"back_to_back_ns_per_launch", x.back_to_back_ns},
                    {"kernel_spacing_ns", x.kernel_spacing_ns}});
  }
  nlohmann::json skip = nlohmann::json::array();
  for (const auto& s : kSkipTableV) skip.push_back({{"platform", s.platform}, {"launch_overhead_ns", s.overhead_ns}});
  nlohmann::json j = {{"schema_version", 1},
                      {"device", r.device_name},
                      {"driver_version", r.driver_version},
                      {"runtime_version", r.runtime_version},
                      {"launches_per_api", a.o.launches},
                      {"clock",
                       {{"timer_granularity_ns", r.timer_granularity_ns},
                        {"error_ns", r.clock.error_ns()},
                        {"drift_ppm", r.clock.drift_ppm()},
                        {"consistent", r.clock.before().intervals_consistent && r.clock.after().intervals_consistent}}},
                      {"apis", apis},
                      {"skip_table_v", skip}};
  std::cout << result_json_text(j) << "\n";
}

void print_table(const gpu::LaunchBenchResult& r, const LaunchArgs& a) {
  std::printf("bench launch: %s, driver %d, runtime %d, %d launches per API (each isolated: launch, then sync)\n",
              r.device_name.c_str(), r.driver_version, r.runtime_version, a.o.launches);
  std::printf("GPU start stamps (%%globaltimer, step %lld ns) mapped to CLOCK_MONOTONIC within +-%.0f ns, drift %.2f ppm%s\n\n",
              static_cast<long long>(r.timer_granularity_ns), r.clock.error_ns(), r.clock.drift_ppm(),
              r.clock.before().intervals_consistent && r.clock.after().intervals_consistent
                  ? ""
                  : " (calibration intervals did not intersect: the narrowest one was used)");
  std::printf("| API | kernels | host us p50 | host us p99 | launch->start us p50 | p99 | back-to-back us/launch | us/kernel in graph |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const auto& x : r.apis) {
    char spacing[32] = "";
    if (x.kernels_per_launch > 1) std::snprintf(spacing, sizeof(spacing), "%.2f", x.kernel_spacing_ns / 1000.0);
    std::printf("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n", x.api.c_str(), x.kernels_per_launch,
                us(percentile_of(x.host_ns, 50)), us(percentile_of(x.host_ns, 99)),
                us(percentile_of(x.start_latency_ns, 50)), us(percentile_of(x.start_latency_ns, 99)),
                x.back_to_back_ns / 1000.0, spacing);
  }
  std::printf("\nSKIP (seed 004) Table V, null-kernel cudaLaunchKernel launch overhead from profiler traces:");
  for (const auto& s : kSkipTableV) std::printf(" %s %.2f us;", s.platform, s.overhead_ns / 1000.0);
  std::printf("\ncompare with launch->start above (SKIP's launch latency is kernel start - launch call start).\n");
}

void run_launch(const LaunchArgs& a) {
  check_format(a.format, {"md", "json"});
  const gpu::LaunchBenchResult r = gpu::run_launch_bench(a.o);
  if (a.format == "json") print_json(r, a);
  else print_table(r, a);
}

const BenchRegistrar reg(40, [](CLI::App& bench) {
  auto a = std::make_shared<LaunchArgs>();
  auto* cmd = bench.add_subcommand(
      "launch", "Null-kernel launch cost per CUDA API (cudaLaunchKernel, cudaLaunchKernelExC, cuLaunchKernel, "
                "cuLaunchKernelEx, graphs of 1 and N kernels)");
  cmd->add_option("-n,--launches", a->o.launches, "Measured launches per API")->capture_default_str();
  cmd->add_option("--graph-kernels", a->o.graph_kernels, "Kernels in the graph-of-N case")->capture_default_str();
  cmd->add_option("--device", a->o.device, "CUDA device index")->capture_default_str();
  add_format_options(cmd, a->format, "md or json");
  cmd->footer(gpu::launch_bench_built() ? "Needs an NVIDIA GPU and driver."
                                        : "This build has no CUDA part (nvcc was not found at configure time).");
  cmd->callback([a] { run_launch(*a); });
});

}  // namespace

}  // namespace infertrace::cli
