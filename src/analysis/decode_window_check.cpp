#include "analysis/decode_window_check.h"

#include <algorithm>

#include "trace/api_kind.h"
#include "util/units.h"

namespace infertrace {

CudaWorkSpan cuda_work_span(const Trace& t) {
  CudaWorkSpan s;
  auto note = [&](ns_t ts) {
    s.first = s.any ? std::min(s.first, ts) : ts;
    s.last = s.any ? std::max(s.last, ts) : ts;
    s.any = true;
  };
  for (size_t i = 0; i < t.api.size(); ++i) note(t.api.start[i]);
  for (size_t i = 0; i < t.gpu.size(); ++i) note(t.gpu.start[i]);
  return s;
}

std::vector<std::string> decode_window_doubts(const Trace& cut, const CudaWorkSpan& before, const TraceWindow& w,
                                              const DecodeRunCounts& run) {
  std::vector<std::string> doubts;
  const std::string maybe = "the window or the run document may be of another run, or the recording lost events";
  if (before.any && w.from < before.first)
    doubts.push_back("the window starts " + format_ns(before.first - w.from) +
                     " before the trace's first CUDA event, so it holds whatever the trace has of the run's prefill, "
                     "which comes before the decode steps: the window may be of another run, or the recording began "
                     "after the decode had started");
  if (run.decode_steps <= 0) return doubts;
  int64_t kernels = 0, launch_calls = 0;
  for (size_t i = 0; i < cut.gpu.size(); ++i) kernels += cut.gpu.kind[i] == GpuKind::Kernel;
  for (size_t i = 0; i < cut.api.size(); ++i) {
    const ApiKind k = cut.api.kind[i];
    launch_calls += k == ApiKind::KernelLaunch || k == ApiKind::GraphLaunch;
  }
  const std::string steps = format_count(run.decode_steps) + (run.decode_steps == 1 ? " step" : " steps");
  if (cut.gpu.size() > 0 && run.kernels_per_step > 0) {
    const int64_t want = run.decode_steps * run.kernels_per_step;
    if (kernels != want)
      doubts.push_back("the window holds " + format_count(kernels) + " GPU kernels where the run counted " + steps +
                       " x " + format_count(run.kernels_per_step) + " = " + format_count(want) + ": " + maybe);
  } else if (cut.gpu.size() == 0 && run.launches_per_step > 0) {
    const int64_t want = run.decode_steps * run.launches_per_step;
    if (launch_calls != want)
      doubts.push_back("the window holds " + format_count(launch_calls) + " kernel and graph launch calls where the run "
                       "counted " + steps + " x " + format_count(run.launches_per_step) + " = " + format_count(want) +
                       ": " + maybe);
  }
  return doubts;
}

}  // namespace infertrace
