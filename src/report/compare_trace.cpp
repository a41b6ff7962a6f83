#include "report/compare_trace.h"

#include "analysis/sched.h"
#include "trace/gpu_models.h"

namespace infertrace {

ScenarioMetrics scenario_from_trace(const Trace& trace, const std::string& name, const std::string& source) {
  // The drops that may have been launch calls (audit EE L4) come with the analysis
  // (SchedAnalysis::launch_records_lost), so a recording and its saved analysis read alike.
  ScenarioMetrics m = scenario_from_analysis(analyze_sched(trace), name, source);
  m.gpu_models = gpu_model_names(trace);  // (review CS M2)
  return m;
}

}  // namespace infertrace
