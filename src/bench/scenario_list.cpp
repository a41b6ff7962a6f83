#include "bench/scenario_list.h"

#include <algorithm>
#include <sstream>

#include "bench/interference.h"
#include "util/error.h"

namespace infertrace::bench {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

}  // namespace

ScenarioList parse_scenario_list(const std::string& text) {
  const std::vector<std::string> known = known_scenarios();
  ScenarioList out;
  std::stringstream ss(text);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name.empty()) continue;
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw UsageError("--scenarios: unknown scenario '" + name + "' (known: " + joined(known) + ")");
    if (std::find(out.names.begin(), out.names.end(), name) != out.names.end())
      throw UsageError("--scenarios: '" + name + "' is listed twice (each scenario runs once per repetition; use -r for more runs)");
    out.names.push_back(name);
  }
  if (out.names.empty()) throw UsageError("--scenarios: empty list");
  out.has_baseline = std::find(out.names.begin(), out.names.end(), "baseline") != out.names.end();
  return out;
}

}  // namespace infertrace::bench
