// Decode's matrix-vector product per weight type and ISA (matmul_rows, one token, one thread):
// values/s and weight bytes/s, on a matrix that stays in L2 (128 x 1024) and on a 32768 x 1024
// one (18-67 MB: beyond L2, but inside the 260 MiB L3 of the development VM, so this measures
// the kernels' instruction cost, not DRAM). Used to tune the K-quant kernels against Q8_0/F16 on
// a shared machine: it reports CPU time, not wall time. The ISA is set once with
// set_active_isa (matmul_rows_isa asks cpuid on every call, which traps in a VM).
// usage: matvec_types_bench [--benchmark_filter=q4_K]
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/matmul.h"
#include "random_weights.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

void BM_matvec(benchmark::State& st, GgmlType type, cpu::Isa isa, int64_t rows) {
  if (!cpu::isa_supported(isa)) {
    st.SkipWithError("ISA not supported here");
    return;
  }
  constexpr int64_t kCols = 1024;
  const bench_inputs::RandomWeights in(type, rows, kCols, kCols);
  const WeightTensor& w = in.w;
  const std::vector<float>& x = in.x;
  const std::vector<uint8_t>& data = in.data;
  std::vector<float> y(static_cast<size_t>(rows));
  cpu::set_active_isa(isa);
  for (auto _ : st) {
    cpu::matmul_rows(w, x.data(), kCols, 1, y.data(), rows, 0, rows);
    benchmark::DoNotOptimize(y.data());
  }
  cpu::set_active_isa(cpu::best_isa());
  st.counters["values/s"] = benchmark::Counter(static_cast<double>(rows * kCols), benchmark::Counter::kIsIterationInvariantRate);
  st.counters["bytes/s"] = benchmark::Counter(static_cast<double>(data.size()), benchmark::Counter::kIsIterationInvariantRate);
}

const int registered = [] {
  for (GgmlType t : {GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q4_0,
                     GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1})
    for (cpu::Isa isa : {cpu::Isa::Avx512, cpu::Isa::Avx2, cpu::Isa::Scalar})
      for (int64_t rows : {int64_t{128}, int64_t{32768}}) {
        const std::string name = "matvec/" + gguf::type_name(static_cast<uint32_t>(t)) + "/" + cpu::isa_name(isa) +
                                 (rows == 128 ? "/l2" : "/l3");
        benchmark::RegisterBenchmark(name.c_str(), BM_matvec, t, isa, rows);
      }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
