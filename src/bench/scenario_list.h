// The `bench interference --scenarios` list, checked before anything runs. Every slowdown is
// measured against the baseline scenario's median (docs/sched.md, "Scenario comparison"): a name
// listed twice is refused (two rows of the same scenario would be compared with each other as if
// they were different conditions), and a list without "baseline" is run as given, with no
// slowdowns (summarize_interference takes no other scenario in its place). Such a list has its
// uses: watching where an isolated or pinned command runs, or how the loads stop on Ctrl-C.
#pragma once

#include <string>
#include <vector>

namespace infertrace::bench {

struct ScenarioList {
  std::vector<std::string> names;  // in run order
  bool has_baseline = false;       // false: no slowdown can be given (the CLI says so first)
};

// "cpu,net" -> {cpu, net} (no baseline). Throws UsageError (exit 2) on an unknown name, a repeated
// name, an empty item ("cpu,,net", "cpu,", ",cpu") or an empty list.
ScenarioList parse_scenario_list(const std::string& text);

}  // namespace infertrace::bench
