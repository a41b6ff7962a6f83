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
  // The kernels' names, for what differs where the launch mix does (review CS L7): distinct by
  // their interned id first, so a trace of millions of kernels copies each name once, not per row.
  std::vector<StrId> ids;
  for (size_t i = 0; i < trace.gpu.size(); ++i)
    if (trace.gpu.kind[i] == GpuKind::Kernel) ids.push_back(trace.gpu.name[i]);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (StrId id : ids) m.kernel_names.emplace_back(trace.str(id));
  std::sort(m.kernel_names.begin(), m.kernel_names.end());
  m.kernel_names.erase(std::unique(m.kernel_names.begin(), m.kernel_names.end()), m.kernel_names.end());
  return m;
}

}  // namespace infertrace
