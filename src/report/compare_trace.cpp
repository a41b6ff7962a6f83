#include "report/compare_trace.h"

#include <algorithm>

#include "analysis/sched.h"
#include "trace/gpu_models.h"

namespace infertrace {

ScenarioMetrics scenario_from_trace(const Trace& trace, const std::string& name, const std::string& source) {
  // The drops that may have been launch calls (audit EE L4) come with the analysis
  // (SchedAnalysis::launch_records_lost), so a recording and its saved analysis read alike.
  ScenarioMetrics m = scenario_from_analysis(analyze_sched(trace), name, source);
  m.gpu_models = gpu_model_names(trace);  // (review CS M2)
  // The kernels' names, for what differs where the launch mix does (review CS L7).
  for (size_t i = 0; i < trace.gpu.size(); ++i)
    if (trace.gpu.kind[i] == GpuKind::Kernel) m.kernel_names.emplace_back(trace.str(trace.gpu.name[i]));
  std::sort(m.kernel_names.begin(), m.kernel_names.end());
  m.kernel_names.erase(std::unique(m.kernel_names.begin(), m.kernel_names.end()), m.kernel_names.end());
  return m;
}

}  // namespace infertrace
