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

std::string render_text(const BenchRun& run);
nlohmann::json to_json(const BenchRun& run);

}  // namespace infertrace::serve::load
