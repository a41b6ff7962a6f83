// The verbs of infertrace-serve (`serve`, `bench serve`), registered like the main binary's
// (cli/registry.h): each verb in its own file adds itself with a static registrar.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace infertrace::serve_cli {

using RegisterFn = std::function<void(CLI::App&)>;

struct VerbEntry {
  int order;
  RegisterFn fn;
};

// Top-level verbs (`serve`) and sub-verbs of `bench` (`bench serve`).
std::vector<VerbEntry>& verb_registry();
std::vector<VerbEntry>& bench_verb_registry();

struct VerbRegistrar {
  VerbRegistrar(int order, RegisterFn fn) { verb_registry().push_back({order, std::move(fn)}); }
};
struct BenchVerbRegistrar {
  BenchVerbRegistrar(int order, RegisterFn fn) { bench_verb_registry().push_back({order, std::move(fn)}); }
};

// A verb's callback sets this when it completes with findings (exit code 1 without an error).
void set_exit_code(int code);

}  // namespace infertrace::serve_cli
