// infertrace-serve: the serving verbs (`serve`, `bench serve`; docs/serve.md). `infertrace serve`
// and `infertrace bench serve` exec this executable from beside themselves, so it is normally not
// run by hand, but it takes the same arguments: `infertrace-serve serve -m M.gguf`.
#include <algorithm>
#include <iostream>

#include "serve_cli/serve_registry.h"
#include "util/error.h"

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // usage error
  } catch (const Error& e) {
    std::cerr << "infertrace: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "infertrace: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "infertrace: error: " << e.what() << "\n";
    return 1;
  }
  return serve_cli::g_exit_code;
}
