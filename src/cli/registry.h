// Each verb lives in its own cli/cmd_*.cpp and registers itself here with a static registrar, so
// adding a verb touches no shared file. `order` fixes where the verb appears in --help; `name` is
// the subcommand the function adds, so that main() can build only the verb being run (building
// every verb's options was a sixth of the start-up).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace infertrace::cli {

using RegisterFn = std::function<void(CLI::App&)>;

struct CommandEntry {
  int order;
  RegisterFn fn;
  std::string name;  // the verb (empty for bench sub-verbs, which bench registers together)
};

std::vector<CommandEntry>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(int order, std::string name, RegisterFn fn) {
    command_registry().push_back({order, std::move(fn), std::move(name)});
  }
};

// Sub-verbs of `infertrace bench` (threads, membw, interference, launch, ...), registered the same way
// from their own cmd_bench_*.cpp files: BenchRegistrar r(order, [](CLI::App& bench) {...}).
std::vector<CommandEntry>& bench_registry();

struct BenchRegistrar {
  BenchRegistrar(int order, RegisterFn fn) { bench_registry().push_back({order, std::move(fn), {}}); }
};

// Whether this binary has the verb `name` (and its sub-verb `sub`, when given). main() builds only
// the verb being run, so a verb that runs others (demo, bench interference) asks here, where every
// registered verb is built once into an app of its own.
bool has_verb(const std::string& name, const std::string& sub = "");

// A verb's callback sets this when it completes with findings (exit code 1 without an error).
void set_exit_code(int code);
int exit_code();

}  // namespace infertrace::cli
