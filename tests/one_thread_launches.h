// A hand-built trace of one thread's launch calls for the compare tests: thread (pid 100, tid 101)
// "python" makes `n` cudaLaunchKernel calls, 1000 ns apart, 100 ns each, and nothing else.
#pragma once

#include "trace/trace.h"

namespace infertrace {

inline Trace one_thread_launches(int n, TraceSource source) {
  Trace t;
  t.source = source;
  t.threads.push({100, 101, t.strings.intern("python"), 0, 1000 * n});
  for (int i = 0; i < n; ++i) {
    ApiCall c;
    c.start = 1000 * i, c.dur = 100, c.pid = 100, c.tid = 101, c.name = t.strings.intern("cudaLaunchKernel");
    c.kind = classify_api("cudaLaunchKernel");
    t.api.push(c);
  }
  return t;
}

}  // namespace infertrace
