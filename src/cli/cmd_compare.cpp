// `infertrace compare A B ...`: the scenario table of docs/sched.md. A is the baseline; each input is
// a recording (or any trace) analysed here, or a saved scheduler analysis (--json) of one.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "analysis/compare.h"
#include "cli/inputs_after_dash.h"
#include "cli/load_noting.h"
#include "cli/registry.h"
#include "cli/result_document.h"
#include "ingest/load.h"
#include "report/compare_render.h"
#include "report/compare_trace.h"
#include "report/schema_version.h"
#include "util/json_error.h"
#include "util/error.h"
#include "util/text_clean.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct CompareArgs {
  std::vector<std::string> inputs;
  bool json = false;
};

// "NAME=PATH" names a scenario; a plain path is named after its file, less .gz, .json, .itrace; an
// inherited descriptor (<(...)'s /dev/fd/63) after its place among the inputs, `place`.
std::pair<std::string, std::string> split_label(const std::string& arg, size_t place) {
  NamedInput in = split_named_input(arg, "compare");
  if (!in.name.empty()) return {in.name, in.path};
  if (std::string name = descriptor_input_name("compare", arg, place); !name.empty()) return {name, arg};
  std::string stem = std::filesystem::path(arg).filename().string();
  for (const char* ext : {".gz", ".json", ".itrace"})  // ".gz" first: x.json.gz is "x"
    if (stem.size() > std::strlen(ext) && stem.ends_with(ext)) stem.resize(stem.size() - std::strlen(ext));
  return {stem, arg};
}

ScenarioMetrics load_scenario(const std::string& arg, size_t place) {
  const auto [name, path] = split_label(arg, place);
  ResultOrTrace in = read_result_or_trace(path);
  if (const std::optional<std::string>& text = in.result) {
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::parse_error& e) {
      throw InputError(path, static_cast<int64_t>(e.byte > 0 ? e.byte - 1 : 0), "not valid JSON: " + json_error_text(e.what()));
    } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double (1e400)
      throw InputError(path, -1, "unreadable JSON: " + json_error_text(e.what()));
    }
    ScenarioMetrics m = scenario_from_json(doc, name, path);
    // The note `report` gives such a document on its page (review HR L1).
    if (const std::string later = later_schema_note(doc); !later.empty())
      std::cerr << "infertrace: note: " << path << ": " << later << "\n";
    return m;
  }
  return scenario_from_trace(in.bytes ? load_trace_noting(std::move(*in.bytes), path) : load_trace_noting(path), name, path);
}

// The scenario's name and file as the outputs show them: a file name that is not UTF-8 reads '?'
// there (util/text_clean.h), or the JSON document could not be written (review CX M1).
ScenarioMetrics load_scenario_shown(const std::string& arg, size_t place) {
  ScenarioMetrics m = load_scenario(arg, place);
  m.name = clean_text(m.name), m.source = clean_text(m.source);
  return m;
}

void run(const CompareArgs& a) {
  if (a.inputs.size() < 2) throw UsageError("compare needs at least two inputs: the baseline first, then the scenarios");
  std::vector<ScenarioMetrics> scenarios;
  for (const std::string& in : a.inputs) {
    scenarios.push_back(load_scenario_shown(in, scenarios.size() + 1));
    for (size_t i = 0; i + 1 < scenarios.size(); ++i)
      if (scenarios[i].name == scenarios.back().name)
        throw UsageError("compare: two scenarios are named '" + scenarios.back().name + "'; name them with NAME=PATH");
  }
  const Comparison c = compare_scenarios(scenarios);
  if (a.json) std::cout << result_json_text(comparison_json(c)) << "\n";
  else print_comparison(std::cout, c);
}

const CommandRegistrar reg(310, "compare", [](CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand("compare", "Compare scenarios (recordings or saved scheduler analyses) against a baseline");
  cmd->footer(
      "The first input is the baseline. Name a scenario with NAME=PATH. Slowdown is computed from a\n"
      "\"throughput\" value when every input has one (bench interference writes it), else from launches\n"
      "per second of wall time. See docs/sched.md.");
  CLI::Option* inputs = cmd->add_option("inputs", args->inputs,
                                        "Recordings (.itrace), traces, or saved analyses (.json): the baseline "
                                        "first, then one or more scenarios")
      ->required();
  inputs_on_both_sides_of_dash(cmd, inputs);  // `A -- B`: A, then B
  cmd->add_flag("--json", args->json, "Machine-readable output (docs/sched.md)");
  cmd->callback([args]() { run(*args); });
});

}  // namespace

}  // namespace infertrace::cli
