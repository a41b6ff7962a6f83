#include "report/compare_trace.h"

#include "analysis/sched.h"
#include "trace/recorder_drops.h"

namespace infertrace {

ScenarioMetrics scenario_from_trace(const Trace& trace, const std::string& name, const std::string& source) {
  ScenarioMetrics m = scenario_from_analysis(analyze_sched(trace), name, source);
  // The drops that may have been launch calls make the launch rate a lower bound (audit EE L4).
  for (const RecorderDrop& d : recorder_drops(trace)) add_launch_records_lost(m, d.key, d.count);
  return m;
}

}  // namespace infertrace
