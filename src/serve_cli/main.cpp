// infertrace-serve: the serving verbs (`serve`, `bench serve`; docs/serve.md). `infertrace serve`
// and `infertrace bench serve` exec this executable from beside themselves, so it is normally not
// run by hand, but it takes the same arguments: `infertrace-serve serve -m M.gguf`.
#include <algorithm>

#include "cli/parse_and_run.h"
#include "serve_cli/serve_registry.h"

namespace infertrace::serve_cli {

std::vector<VerbEntry>& verb_registry() {
  static std::vector<VerbEntry> entries;
  return entries;
}
std::vector<VerbEntry>& bench_verb_registry() {
  static std::vector<VerbEntry> entries;
  return entries;
}

namespace {
int g_exit_code = 0;

void sort_by_order(std::vector<VerbEntry>& v) {
  std::stable_sort(v.begin(), v.end(), [](const VerbEntry& a, const VerbEntry& b) { return a.order < b.order; });
}
}  // namespace

void set_exit_code(int code) { g_exit_code = code; }

}  // namespace infertrace::serve_cli

int main(int argc, char** argv) {
  using namespace infertrace;
  // Named like the main binary: help and errors read as `infertrace serve ...`.
  CLI::App app{"infertrace serving verbs: an OpenAI-compatible server around the reference engine and its load "
               "generator",
               "infertrace"};
  app.set_version_flag("--version", std::string("infertrace ") + INFERTRACE_VERSION);
  app.require_subcommand(1);
  auto& verbs = serve_cli::verb_registry();
  serve_cli::sort_by_order(verbs);
  for (auto& v : verbs) v.fn(app);
  auto& bench_verbs = serve_cli::bench_verb_registry();
  if (!bench_verbs.empty()) {
    serve_cli::sort_by_order(bench_verbs);
    auto* bench = app.add_subcommand("bench", "Run an experiment");
    bench->require_subcommand(1);
    for (auto& v : bench_verbs) v.fn(*bench);
  }
  return cli::parse_and_run(app, argc, argv, [] { return serve_cli::g_exit_code; });
}
