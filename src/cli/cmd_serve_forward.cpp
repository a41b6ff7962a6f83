// `infertrace serve` and `infertrace bench serve` run the executable infertrace-serve that is
// installed beside this one (src/CMakeLists.txt says why it is separate: its HTTP library would
// slow every verb's start-up). Every argument after the verb goes to it untouched, --help included.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
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

[[noreturn]] void exec_serving(const std::vector<std::string>& verb, const std::vector<std::string>& rest) {
  const std::string exe = serving_executable();
  std::vector<std::string> args{exe};
  args.insert(args.end(), verb.begin(), verb.end());
  args.insert(args.end(), rest.begin(), rest.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
  const int err = errno;
  if (err == ENOENT)
    throw Error(exe + " is missing: the serving verbs run it and it is built only where cpp-httplib is "
                      "installed (./scripts/setup.sh installs libcpp-httplib-dev; then rebuild)");
  throw Error("cannot run " + exe + ": " + std::strerror(err));
}

// A verb whose arguments all pass through: no help flag of its own, nothing parsed here.
CLI::App* add_forwarding_verb(CLI::App& parent, const std::string& name, const std::string& description,
                              std::vector<std::string> verb) {
  auto* cmd = parent.add_subcommand(name, description);
  cmd->set_help_flag();
  cmd->prefix_command();
  cmd->callback([cmd, verb]() { exec_serving(verb, cmd->remaining()); });
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
