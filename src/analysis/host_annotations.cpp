#include "analysis/host_annotations.h"

#include <vector>

#include "analysis/launch_intervals.h"

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
  for (size_t o = 0; o < n; ++o) {
    a.profiler_steps += step[t.ops.name[o]];
    // An annotation of the launching thread that reaches into the IL window.
    if (a.launch_thread_pid >= 0 && t.ops.pid[o] == pid && t.ops.tid[o] == tid && annotation(o) &&
        end_of(t.ops.start[o], t.ops.dur[o]) > lo && t.ops.start[o] < hi)
      ++a.launch_thread_annotations;
  }
  if (a.launch_thread_annotations == 0 || a.host_undefined()) return;
  // host_activity's union again, without the annotations: the thread's other operators and its API
  // calls, less its sync calls (every sync call is in the union, so the difference is the rest).
  std::vector<Interval> active, sync;
  for (size_t o = 0; o < n; ++o)
    if (t.ops.pid[o] == pid && t.ops.tid[o] == tid && !annotation(o))
      active.emplace_back(t.ops.start[o], end_of(t.ops.start[o], t.ops.dur[o]));
  for (size_t r = 0; r < t.api.size(); ++r) {
    if (t.api.pid[r] != pid || t.api.tid[r] != tid) continue;
    const Interval iv{t.api.start[r], end_of(t.api.start[r], t.api.dur[r])};
    active.push_back(iv);
    if (t.api.kind[r] == ApiKind::Sync) sync.push_back(iv);
  }
  const ns_t in_sync = union_length(sync, lo, hi);
  a.host_active_without_annotations = union_length(active, lo, hi) - in_sync;
  a.cpu_idle_without_annotations = a.inference_latency - a.host_active_without_annotations;
}

}  // namespace infertrace
