// The output of `bench serve`: the text table (seed 003's sweep layout) with the metric definitions,
// and the JSON document (schema "infertrace.bench_serve/1", docs/serve.md "bench serve").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "serve/load/load_runner.h"

namespace infertrace::serve::load {

struct BenchRun {
  Target target;
  ModelInfo model;
  std::string profile;  // as given on the command line
  std::vector<PointResult> points;
};

// The text report of one run; the metric definitions at its end unless with_definitions is false
// (a study of several runs prints them once, after the last).
// A point's load as the tables write it ("4", "0.5"), and with --repeat which run of it ("4 #2/3").
std::string load_label(const PointSpec& s);
std::string point_label(const PointSpec& s);
std::string render_text(const BenchRun& run, bool with_definitions = true);
std::string metric_definitions();
nlohmann::json to_json(const BenchRun& run);

}  // namespace infertrace::serve::load
