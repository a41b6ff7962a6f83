// `infertrace serve` and `infertrace bench serve` run the executable infertrace-serve that is
// installed beside this one (src/CMakeLists.txt says why it is separate: its HTTP library would
// slow every verb's start-up). Every argument after the verb goes to it untouched, --help included;
// where it cannot be run, --help still prints what this binary knows and exits 0.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/registry.h"
#include "util/error.h"

namespace infertrace::cli {
namespace {

std::string serving_executable() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find this executable (/proc/self/exe): " + ec.message());
  return (self.parent_path() / "infertrace-serve").string();
}

// Whether the forwarded words ask for help, as infertrace-serve would read them (CLI11 takes a
// `--` before them away, so that is no boundary here either).
bool asks_for_help(const std::vector<std::string>& rest) {
  for (const std::string& w : rest)
    if (w == "--help" || w == "-h") return true;
  return false;
}

// Runs infertrace-serve with the verb's words; returns only when it cannot be run and `rest` asks
// for help: then the help this binary has is printed (the verb and why its options cannot be
// listed) and the exit is 0, as for every other --help (audit EW: it exited 1). Serving without
// that executable is an error.
void exec_serving(const std::vector<std::string>& verb, const std::vector<std::string>& rest,
                  const std::string& description) {
  const std::string exe = serving_executable();
  std::vector<std::string> args{exe};
  args.insert(args.end(), verb.begin(), verb.end());
  args.insert(args.end(), rest.begin(), rest.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
  const int err = errno;
  const std::string why =
      err == ENOENT ? exe + " is missing: the serving verbs run it and it is built only where cpp-httplib is "
                            "installed (./scripts/setup.sh installs libcpp-httplib-dev; then rebuild)"
                    : "cannot run " + exe + ": " + std::strerror(err);
  if (!asks_for_help(rest)) throw Error(why);
  std::string usage = "infertrace";
  for (const std::string& v : verb) usage += " " + v;
  std::cout << description << "\n\nUsage: " << usage << " [OPTIONS]\n\n"
            << "Its options are listed by infertrace-serve, which this binary runs for it, and in docs/serve.md. "
            << "Here it cannot be run: " << why << ".\n";
}

// A verb whose arguments all pass through: no help flag of its own, nothing parsed here.
CLI::App* add_forwarding_verb(CLI::App& parent, const std::string& name, const std::string& description,
                              std::vector<std::string> verb) {
  auto* cmd = parent.add_subcommand(name, description);
  cmd->set_help_flag();
  cmd->prefix_command();
  cmd->callback([cmd, verb, description]() { exec_serving(verb, cmd->remaining(), description); });
  return cmd;
}

const CommandRegistrar reg(850, "serve", [](CLI::App& app) {
  add_forwarding_verb(app, "serve",
                      "OpenAI-compatible HTTP server (completions, SSE streaming, continuous batching) around the "
                      "reference engine (`infertrace serve --help`; docs/serve.md)",
                      {"serve"});
});

const BenchRegistrar bench_reg(60, [](CLI::App& bench) {
  add_forwarding_verb(bench, "serve",
                      "Serving load sweep: TTFT, ITL, TPOT, E2E under synchronous/concurrent/constant/poisson load, "
                      "across topologies (`infertrace bench serve --help`; docs/serve.md)",
                      {"bench", "serve"});
});

}  // namespace
}  // namespace infertrace::cli
