// A small trace built by hand for the report tests: 20 launches on one thread, each followed by a
// kernel 30 us later (launch part 5 us, queue 25 us for the first ones), one operator, and a kernel
// name that needs escaping in HTML.
#pragma once

#include "trace/trace.h"

inline infertrace::Trace small_launch_trace() {
  using namespace infertrace;
  Trace t;
  t.file = "unit.json";
  t.threads.push({1, 2, t.strings.intern("python"), 0, 1'000'000});
  t.ops.push({0, 900'000, 1, 2, 1, t.strings.intern("aten::mm"), false});
  for (int i = 0; i < 20; ++i) {
    ApiCall c;
    c.start = 1'000 + i * 40'000, c.dur = 5'000, c.pid = 1, c.tid = 2, c.correlation = i + 1;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = c.start + 30'000, g.dur = 8'000, g.device = 0, g.stream = 7, g.correlation = i + 1;
    g.name = t.strings.intern(i % 2 ? "void gemm<128>(float*)" : "relu_kernel");
    t.gpu.push(g);
  }
  return t;
}
