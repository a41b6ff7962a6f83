#include "analysis/host_annotations.h"

#include <vector>

#include "analysis/host_union.h"

namespace infertrace {

bool is_profiler_step(std::string_view name) { return name.substr(0, 13) == "ProfilerStep#"; }

namespace {

// Per string id: whether an operator of that name is a profiler step. (Names only: a few thousand.)
std::vector<uint8_t> profiler_step_names(const Trace& t) {
  std::vector<uint8_t> step(t.strings.size(), 0);
  for (size_t id = 0; id < step.size(); ++id) step[id] = is_profiler_step(t.strings.view(static_cast<StrId>(id)));
  return step;
}

}  // namespace

void host_annotation_figures(const Trace& t, LaunchAnalysis& a) {
  a.host_active_without_annotations = a.host_active, a.cpu_idle_without_annotations = a.cpu_idle;
  const size_t n = t.ops.size();
  if (n == 0) return;
  const std::vector<uint8_t> step = profiler_step_names(t);
  const auto annotation = [&](size_t o) { return t.ops.user_annotation[o] != 0 || step[t.ops.name[o]] != 0; };
  const int64_t pid = a.launch_thread_pid, tid = a.launch_thread_tid;
  const ns_t lo = a.t_begin, hi = a.t_end;
  // (A pid or tid read from a name is negative: a launching thread is known by its launches.)
  const bool thread = a.launch_thread_launches > 0;
  std::vector<uint8_t> step_seen(step.size(), 0);
  for (size_t o = 0; o < n; ++o) {
    // Steps by name: merged ranks' ProfilerStep#3 ranges, or one step's range on two threads, are one step.
    if (step[t.ops.name[o]] && !step_seen[t.ops.name[o]]) step_seen[t.ops.name[o]] = 1, ++a.profiler_steps;
    // An annotation of the launching thread that reaches into the IL window.
    if (thread && t.ops.pid[o] == pid && t.ops.tid[o] == tid && annotation(o) &&
        end_of(t.ops.start[o], t.ops.dur[o]) > lo && t.ops.start[o] < hi)
      ++a.launch_thread_annotations;
  }
  if (a.launch_thread_annotations == 0 || a.host_undefined()) return;
  // host_activity's union again, without the annotations (every sync call is in the union, so the
  // difference is the rest).
  const HostUnion u = host_union(t, pid, tid, lo, hi, annotation);
  a.host_active_without_annotations = u.active - u.sync;
  a.cpu_idle_without_annotations = a.inference_latency - a.host_active_without_annotations;
}

}  // namespace infertrace
