// `infertrace bench <experiment>`: each experiment registers itself as a sub-verb through
// bench_registry() (cli/registry.h), in its own cmd_bench_*.cpp file.
#include <algorithm>

#include "cli/registry.h"

namespace infertrace::cli {

std::vector<CommandEntry>& bench_registry() {
  static std::vector<CommandEntry> entries;
  return entries;
}

namespace {
const CommandRegistrar reg(900, "bench", [](CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Run an experiment (thread sweep, memory bandwidth, interference, ...)");
  bench->require_subcommand(1);
  auto& entries = bench_registry();
  std::stable_sort(entries.begin(), entries.end(),
                   [](const CommandEntry& a, const CommandEntry& b) { return a.order < b.order; });
  for (auto& e : entries) e.fn(*bench);
});
}  // namespace

}  // namespace infertrace::cli
