// Proximity-score fusion speed: chain counting and the greedy scan over every requested length,
// and building the kernel sequences from a Trace. Synthetic decode-shaped kernel stream: a
// 24-kernel transformer layer repeated, every 4th layer with a different GEMM, the layer's last
// kernel replaced by one of 500 rare kernels in 4% of layers (so not all chains are deterministic
// and long chains are mostly one-offs), a sync call every 4096 launches.
//
//   build/dev/bench/fusion_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <random>

#include "analysis/fusion.h"
#include "analysis/fusion_sequences.h"

using namespace infertrace;

namespace {

Trace synthetic(int64_t n) {
  Trace t;
  std::vector<StrId> layer, rare;
  for (int k = 0; k < 24; ++k) layer.push_back(t.strings.intern("void layer_kernel_" + std::to_string(k) + "<half, 128>(half*)"));
  for (int k = 0; k < 500; ++k) rare.push_back(t.strings.intern("rare_kernel_" + std::to_string(k)));
  const StrId alt_gemm = t.strings.intern("sm90_xmma_gemm_f16f16_alt"), launch = t.strings.intern("cudaLaunchKernel");
  const StrId sync = t.strings.intern("cudaStreamSynchronize");
  std::mt19937_64 rng(7);
  t.gpu.reserve(static_cast<size_t>(n));
  t.api.reserve(static_cast<size_t>(n + n / 4096 + 1));
  for (int64_t i = 0; i < n; ++i) {
    const ns_t ts = i * 5'000;
    if (i % 4096 == 0 && i > 0) t.api.push({ts - 100, 50, 1, 1, -1, -1, -1, -1, sync, ApiKind::Sync});
    ApiCall c;
    c.start = ts, c.dur = 2'000 + static_cast<ns_t>(rng() % 1000), c.pid = 1, c.tid = 1, c.correlation = i;
    c.name = launch, c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = ts + 3'500, g.dur = 1'000, g.device = 0, g.stream = 7, g.correlation = i;
    const int64_t pos = i % 24, layer_no = i / 24;
    g.name = pos == 23 && rng() % 25 == 0 ? rare[rng() % rare.size()] : (pos == 5 && layer_no % 4 == 0) ? alt_gemm : layer[pos];
    t.gpu.push(g);
  }
  return t;
}

const std::vector<int> kPowers = {2, 4, 8, 16, 32, 64, 128, 256};

std::vector<int> every_length() {
  std::vector<int> v;
  for (int L = 2; L <= 256; ++L) v.push_back(L);
  return v;
}

void run_chains(benchmark::State& st, const std::vector<int>& lengths, FusionMethod method = FusionMethod::Auto) {
  const KernelSequences seq = build_kernel_sequences(synthetic(st.range(0)));
  FusionOptions opt;
  opt.lengths = lengths;
  opt.method = method;
  int64_t fused = 0;
  for (auto _ : st) {
    const FusionResult r = analyze_fusion(seq, opt);
    fused = r.lengths.front().fused_chains;
    benchmark::DoNotOptimize(fused);
  }
  st.counters["kernels"] = static_cast<double>(seq.size());
  st.counters["lengths"] = static_cast<double>(lengths.size());
  st.counters["fused_L2"] = static_cast<double>(fused);
  st.SetItemsProcessed(st.iterations() * static_cast<int64_t>(seq.size() * lengths.size()));
}

// Auto: doubling for the eight powers, suffix order for every length. The forced variants show
// what the other method would cost (where Auto's switch point comes from).
void BM_FusionPowersOfTwo(benchmark::State& st) { run_chains(st, kPowers); }
void BM_FusionPowersOfTwoBySuffixOrder(benchmark::State& st) { run_chains(st, kPowers, FusionMethod::SuffixOrder); }
void BM_FusionEveryLength(benchmark::State& st) { run_chains(st, every_length()); }
void BM_FusionEveryLengthByDoubling(benchmark::State& st) { run_chains(st, every_length(), FusionMethod::Doubling); }

void BM_KernelSequences(benchmark::State& st) {
  const Trace t = synthetic(st.range(0));
  for (auto _ : st) benchmark::DoNotOptimize(build_kernel_sequences(t).size());
  st.SetItemsProcessed(st.iterations() * st.range(0));
}

}  // namespace

BENCHMARK(BM_FusionPowersOfTwo)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FusionPowersOfTwoBySuffixOrder)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FusionEveryLength)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
// 255 hash passes: about 80 s on 10M kernels, so only the 1M size here.
BENCHMARK(BM_FusionEveryLengthByDoubling)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_KernelSequences)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
