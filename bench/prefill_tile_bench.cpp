// Prefill's matrix product per weight type, ISA and path (matmul_rows_isa, one thread): the F32
// tile (rows converted to F32) against the integer kernels (int8 activations), on a 1024 x 1024
// matrix (0.6-1.1 MB of Q4_0..Q8_0: in L2) for 3..128 tokens. Reports multiply-adds per second
// (rows x cols x tokens), CPU time, the activation quantization included. Used to choose
// matmul.cpp's path per type and ISA (PrefillPath::Auto); prefill/TYPE/ISA/int8/N runs the variant
// cpuid picks for that level, which its label names. prefill/TYPE/VARIANT/tile/N drives one
// integer kernel variant directly (AVX-512 without VNNI cannot be reached through matmul on a CPU
// that has VNNI), with matmul.cpp's blocking written out here.
// usage: prefill_tile_bench [--benchmark_filter=q4_K/avx512]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/matmul.h"
#include "random_weights.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

void BM_prefill(benchmark::State& st, GgmlType type, cpu::Isa isa, cpu::PrefillPath path, int ntok) {
  if (!cpu::isa_supported(isa)) {
    st.SkipWithError("ISA not supported here");
    return;
  }
  constexpr int64_t kRows = 1024, kCols = 1024;
  const bench_inputs::RandomWeights in(type, kRows, kCols, kCols * ntok);
  std::vector<float> y(static_cast<size_t>(kRows * ntok));
  // The level's name does not say which int8 variant cpuid picked (avx2/int8 is vpdpbusd on a CPU
  // with AVX-VNNI, vpmaddubsw elsewhere): the label (the console's last column, "label" in JSON) does.
  if (path == cpu::PrefillPath::Int8) st.SetLabel(cpu::int8_variant_name(static_cast<int>(isa)));
  for (auto _ : st) {
    cpu::matmul_rows_isa(static_cast<int>(isa), in.w, in.x.data(), kCols, ntok, y.data(), kRows, 0, kRows, path);
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["MAC/s"] =
      benchmark::Counter(static_cast<double>(kRows * kCols * ntok), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_int8_variant(benchmark::State& st, GgmlType type, const cpu::Int8Kernels* k, int ntok) {
  constexpr int64_t kRows = 1024, kCols = 1024;
  const int slot = cpu::weight_slot(type), block = cpu::int8_block_values(slot);
  const bench_inputs::RandomWeights in(type, kRows, kCols, kCols * ntok);
  const uint8_t* data = in.data.data();
  const float* x = in.x.data();
  const int64_t row_bytes = static_cast<int64_t>(in.w.row_bytes);
  std::vector<float> y(static_cast<size_t>(kRows * ntok));
  std::vector<int8_t> q(kCols * ntok);
  std::vector<float> d(kCols / block * ntok), sums(kCols / 32 * ntok);
  std::vector<cpu::Int8Row> rows(ntok);
  for (auto _ : st) {
    for (int t = 0; t < ntok; ++t) {
      k->quantize(x + t * kCols, kCols, block, q.data() + t * kCols, d.data() + t * (kCols / block),
                  sums.data() + t * (kCols / 32));
      rows[t] = {q.data() + t * kCols, d.data() + t * (kCols / block), sums.data() + t * (kCols / 32)};
    }
    for (int64_t r = 0; r < kRows; r += cpu::kRowBlock)
      for (int t = 0; t < ntok; t += k->tokens)
        k->tile[slot](data + r * row_bytes, row_bytes, cpu::kRowBlock, rows.data() + t,
                      std::min(k->tokens, ntok - t), kCols, y.data() + t * kRows + r, kRows);
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["MAC/s"] =
      benchmark::Counter(static_cast<double>(kRows * kCols * ntok), benchmark::Counter::kIsIterationInvariantRate);
}

// Every type with integer kernels (kernel_table.h slots 3..10).
const GgmlType kTypes[] = {GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K,
                           GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1};

const int registered = [] {
  std::vector<const cpu::Int8Kernels*> variants;
  for (cpu::Isa isa : {cpu::Isa::Avx2, cpu::Isa::Avx512})
    for (const cpu::Int8Kernels* k : cpu::int8_variants(isa)) variants.push_back(k);
  for (GgmlType t : kTypes)
    for (const cpu::Int8Kernels* k : variants)
      for (int ntok : {3, 6, 16, 128}) {
        const std::string name = "prefill/" + gguf::type_name(static_cast<uint32_t>(t)) + "/" + k->name + "/tile/" +
                                 std::to_string(ntok);
        benchmark::RegisterBenchmark(name.c_str(), BM_int8_variant, t, k, ntok);
      }
  for (GgmlType t : kTypes)
    for (cpu::Isa isa : {cpu::Isa::Avx512, cpu::Isa::Avx2})
      for (cpu::PrefillPath path : {cpu::PrefillPath::F32, cpu::PrefillPath::Int8})
        for (int ntok : {3, 6, 16, 128}) {
          const std::string name = "prefill/" + gguf::type_name(static_cast<uint32_t>(t)) + "/" + cpu::isa_name(isa) +
                                   (path == cpu::PrefillPath::F32 ? "/f32/" : "/int8/") + std::to_string(ntok);
          benchmark::RegisterBenchmark(name.c_str(), BM_prefill, t, isa, path, ntok);
        }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
