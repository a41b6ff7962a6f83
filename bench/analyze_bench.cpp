// analyze_launches() throughput on a synthetic trace shaped like a long eager LLM decode: one
// launching thread, nested operators around the launches (half linked by External id, half found
// by time containment), kernels on two streams, a graph launch and a sync every 64 launches.
// Prints seconds per event (sec_per_event, e.g. "20n" = 20 ns) (GPU activities + API calls + operators) at several sizes.
//
//   build/dev/bench/analyze_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include "analysis/launch.h"

using namespace infertrace;

namespace {

// `step`: a ProfilerStep#N range (user_annotation) around every `step` launches, as torch.profiler's
// schedule writes one around each step: host active is then figured again without them
// (analysis/host_annotations.h). 0: none.
Trace synthetic(int64_t n, int64_t step = 0) {
  Trace t;
  std::vector<StrId> kernels;
  for (int k = 0; k < 64; ++k) kernels.push_back(t.strings.intern("void at::native::kernel_" + std::to_string(k) + "<float, 4>(float*)"));
  const StrId launch = t.strings.intern("cudaLaunchKernel"), graph = t.strings.intern("cudaGraphLaunch");
  const StrId sync = t.strings.intern("cudaStreamSynchronize"), layer = t.strings.intern("aten::linear"),
              mm = t.strings.intern("aten::addmm");
  t.api.reserve(static_cast<size_t>(n)), t.gpu.reserve(static_cast<size_t>(n));
  int64_t corr = 0;
  for (int64_t i = 0; i < n; ++i) {
    const ns_t ts = i * 10'000;
    if (step > 0 && i % step == 0)
      t.ops.push({ts, step * 10'000, 1000, 1001, -1, t.strings.intern("ProfilerStep#" + std::to_string(i / step)), true});
    if (i % 4 == 0) t.ops.push({ts, 39'000, 1000, 1001, i, layer, false});
    t.ops.push({ts + 500, 6'000, 1000, 1001, n + i, mm, false});
    ApiCall c;
    c.start = ts + 1'000, c.dur = 4'000, c.pid = 1000, c.tid = 1001, c.correlation = ++corr;
    c.external_id = i % 2 ? n + i : -1;  // the other half is found by containment
    const bool is_graph = i % 64 == 63;
    c.name = is_graph ? graph : launch, c.kind = is_graph ? ApiKind::GraphLaunch : ApiKind::KernelLaunch;
    t.api.push(c);
    for (int k = 0; k < (is_graph ? 8 : 1); ++k) {
      GpuActivity g;
      g.start = ts + 6'000 + k * 400, g.dur = 3'000, g.device = 0, g.stream = 7 + (i % 2) * 2, g.correlation = corr;
      g.name = kernels[static_cast<size_t>((i + k) % 64)];
      t.gpu.push(g);
    }
    if (i % 64 == 0) {
      ApiCall s;
      s.start = ts + 8'000, s.dur = 1'500, s.pid = 1000, s.tid = 1001, s.correlation = ++corr, s.name = sync;
      s.kind = ApiKind::Sync;
      t.api.push(s);
    }
  }
  return t;
}

void BM_AnalyzeLaunches(benchmark::State& state) {
  const Trace t = synthetic(state.range(0), state.range(1));
  const double events = static_cast<double>(t.gpu.size() + t.api.size() + t.ops.size());
  for (auto _ : state) {
    LaunchAnalysis a = analyze_launches(t);
    benchmark::DoNotOptimize(a.tklqt);
  }
  state.counters["events"] = events;
  state.counters["sec_per_event"] =
      benchmark::Counter(events, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert,
                         benchmark::Counter::kIs1000);
}

}  // namespace

// Second argument: launches per profiler step (0: no steps).
BENCHMARK(BM_AnalyzeLaunches)
    ->Args({10'000, 0})
    ->Args({100'000, 0})
    ->Args({1'000'000, 0})
    ->Args({1'000'000, 1'000})
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
