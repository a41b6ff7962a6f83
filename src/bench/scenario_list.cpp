#include "bench/scenario_list.h"

#include <algorithm>

#include "bench/interference.h"
#include "util/comma_list.h"
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
  if (text.empty()) throw UsageError("--scenarios: empty list");
  for (const std::string& name : split_commas(text)) {
    // "baseline," or "baseline,,cpu": a typo, refused as bench threads -t 1,,2 is (review BX L2: the
    // empty item was dropped, and a trailing comma never reached this check through getline).
    if (name.empty())
      throw UsageError("--scenarios " + text + ": an empty item (a comma too many); expected names like baseline,cpu");
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw UsageError("--scenarios: unknown scenario '" + name + "' (known: " + joined(known) + ")");
    if (std::find(out.names.begin(), out.names.end(), name) != out.names.end())
      throw UsageError("--scenarios: '" + name + "' is listed twice (each scenario runs once per repetition; use -r for more runs)");
    out.names.push_back(name);
  }
  out.has_baseline = std::find(out.names.begin(), out.names.end(), "baseline") != out.names.end();
  return out;
}

}  // namespace infertrace::bench
