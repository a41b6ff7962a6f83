// The `bench interference --scenarios` list, checked before anything runs. Every slowdown is
// measured against the baseline scenario's median (docs/sched.md, "Scenario comparison"), so a
// list without "baseline" gets it in front, and a name listed twice is refused: two rows of the
// same scenario would be compared with each other as if they were different conditions.
#pragma once

#include <string>
#include <vector>

namespace infertrace::bench {

struct ScenarioList {
  std::vector<std::string> names;  // in run order
  bool baseline_added = false;     // "baseline" was not listed and has been put first
};

// "cpu,net" -> {baseline, cpu, net} (baseline_added). Empty items ("cpu,,net") are skipped.
// Throws UsageError (exit 2) on an unknown name, a repeated name or a list with no name.
ScenarioList parse_scenario_list(const std::string& text);

}  // namespace infertrace::bench
