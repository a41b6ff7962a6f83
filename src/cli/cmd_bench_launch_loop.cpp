// `infertrace bench launch-loop`: the built-in CPU launch-loop workload (src/bench/launch_loop.h), the
// default command of `bench interference`. Prints "launches/s: X" for --metric-regex.
#include <cstdio>
#include <memory>

#include "bench/launch_loop.h"
#include "cli/numeric_options.h"
#include "cli/registry.h"
#include "util/error.h"

namespace infertrace::cli {

namespace {

struct LoopArgs {
  double seconds = 2.0;
  int work = 512;
};

const BenchRegistrar reg(40, [](CLI::App& bench) {
  auto a = std::make_shared<LoopArgs>();
  auto* cmd = bench.add_subcommand("launch-loop", "Built-in workload: a CPU loop of short fixed work items for a fixed time");
  check_range(cmd->add_option("--seconds", a->seconds, "Seconds to run")->capture_default_str(), 0.01, 3600.0);
  check_range(cmd->add_option("--work", a->work, "Rounds of arithmetic per launch (about 1 us per 256)")
                  ->capture_default_str(),
              1, 1 << 24);
  cmd->callback([a]() {
    const bench::LaunchLoopResult r = bench::run_launch_loop(a->seconds, a->work);
    std::printf("launches: %lld\nseconds: %.6f\nlaunches/s: %.1f\n", static_cast<long long>(r.launches), r.seconds, r.per_second);
  });
});

}  // namespace

}  // namespace infertrace::cli
