// Annotation ranges in host activity (docs/analyze.md, "Annotations and profiler steps"). A
// `user_annotation` (record_function, and the ProfilerStep#N that torch.profiler's schedule writes
// around every step) is an operator by docs/metrics.md, so it counts in host active; one that wraps
// a step or the whole model covers every gap of the launching thread and leaves CPU idle near 0.
// The figures stay as defined; these say how far the annotations decide them.
#pragma once

#include <string_view>

#include "analysis/launch.h"

namespace infertrace {

// "ProfilerStep#N": torch.profiler's step range (category user_annotation, or Operator in old traces).
bool is_profiler_step(std::string_view name);

// Sets a.profiler_steps, a.launch_thread_annotations and the host active / CPU idle without
// annotations, from the launching thread and IL window already in `a` (host_activity has run).
// Without annotations on that thread the figures without them are the figures themselves.
void host_annotation_figures(const Trace& t, LaunchAnalysis& a);

}  // namespace infertrace
