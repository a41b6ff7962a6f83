// infertrace: one binary, one verb per file (see cli/registry.h).
#include <algorithm>
#include <iostream>
#include <string>

#include "cli/parse_and_run.h"
#include "util/text_clean.h"
#include "cli/registry.h"

namespace infertrace::cli {

std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> entries;
  return entries;
}

bool has_verb(const std::string& name, const std::string& sub) {
  static const CLI::App* const all = [] {
    auto* a = new CLI::App;  // lives as long as the process, like the registry
    for (const CommandEntry& e : command_registry()) e.fn(*a);
    return a;
  }();
  auto found = all->get_subcommands([&](const CLI::App* a) { return a->get_name() == name; });
  if (found.empty()) return false;
  if (sub.empty()) return true;
  return !found[0]->get_subcommands([&](const CLI::App* a) { return a->get_name() == sub; }).empty();
}

namespace {
int g_exit_code = 0;
}
void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

}  // namespace infertrace::cli

int main(int argc, char** argv) {
  using namespace infertrace;
  CLI::App app{"infertrace: system-level profiler for LLM inference on CPU and CPU+GPU machines"};
  app.set_version_flag("--version", std::string("infertrace ") + INFERTRACE_VERSION);
  app.require_subcommand(1);
  auto& reg = cli::command_registry();
  std::stable_sort(reg.begin(), reg.end(),
                   [](const cli::CommandEntry& a, const cli::CommandEntry& b) { return a.order < b.order; });
  // `infertrace VERB ...` builds that verb alone (its options and its help are the same); anything
  // else (no verb, --help, --version, a misspelt verb) builds them all, so help and errors list
  // every verb.
  const auto verb = argc > 1 ? std::find_if(reg.begin(), reg.end(), [&](const cli::CommandEntry& e) { return e.name == argv[1]; })
                             : reg.end();
  if (verb != reg.end()) {
    verb->fn(app);
  } else if (argc > 1 && argv[1][0] != '-') {
    // A misspelt verb: CLI11 would only say "A subcommand is required", which reads as if none
    // was given. Name it and the verbs there are.
    std::string names;
    for (const auto& e : reg)
      if (!e.name.empty()) names += (names.empty() ? "" : ", ") + e.name;
    std::cerr << "infertrace: error: unknown verb '" << escaped_text(argv[1]) << "' (verbs: " << names << "; see --help)\n";
    return 2;
  } else {
    for (auto& e : reg) e.fn(app);
  }

  return cli::parse_and_run(app, argc, argv, cli::exit_code);
}
