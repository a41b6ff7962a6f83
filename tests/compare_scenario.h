// Builders the compare tests share: a scenario known by its launch count over one second and the
// records it lost that may have been launch calls, and a figure as the tables print it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "analysis/compare.h"

namespace infertrace::compare_scenario {

// `launches` recorded in 1 s; `lost` records that may have been launch calls.
inline ScenarioMetrics scenario(const char* name, int64_t launches, int64_t lost) {
  ScenarioMetrics m;
  m.name = name, m.launches = launches, m.wall = 1'000'000'000;
  m.launch_records_lost = lost;
  return m;
}

// One decimal, as the compare table prints a rate.
inline std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace infertrace::compare_scenario
