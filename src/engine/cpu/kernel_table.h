// The per-ISA building blocks of the matrix products (internal to engine/cpu). Each instruction
// set fills one table; matmul.cpp picks the table of the active ISA and does the blocking and
// the row split, so the blocking logic exists once and only the inner loops are per ISA.
// Weight type slots: 0 F32, 1 F16, 2 BF16, 3 Q8_0, 4 Q4_K, 5 Q5_K, 6 Q6_K (see weight_slot()).
#pragma once

#include <cstdint>

#include "engine/cpu/isa.h"
#include "engine/gguf/ggml_type.h"

namespace infertrace::engine::cpu {

constexpr int kRowBlock = 4;    // weight rows per micro-kernel call
constexpr int kMaxTokenBlock = 6;  // most activation vectors per gemm_tile call (prefill)

// out[i] = dot(row i, x) for i < nrows (1..kRowBlock); row i starts at w + i * row_bytes and
// holds n values of the slot's type; x holds n floats.
using DotRowsFn = void (*)(const uint8_t* w, uint64_t row_bytes, int nrows, const float* x, int64_t n,
                           float* out);
// dst[0..n) = the row converted to F32.
using RowToF32Fn = void (*)(const uint8_t* w, float* dst, int64_t n);
// y[t * ldy + i] = dot(w[i], x[t]) for i < nrows (1..kRowBlock), t < ntok (1..gemm_tokens): an
// F32 register-blocked tile, used for prefill after rows are converted to F32.
using GemmTileFn = void (*)(const float* const* w, int nrows, const float* const* x, int ntok, int64_t n,
                            float* y, int64_t ldy);

constexpr int kWeightSlots = 7;

struct KernelTable {
  DotRowsFn dot_rows[kWeightSlots];
  RowToF32Fn row_to_f32[kWeightSlots];
  GemmTileFn gemm_tile;
  int gemm_tokens;  // tokens per gemm_tile call (the ISA's register tile; <= kMaxTokenBlock)
};

// -1 for types the engine does not compute with.
inline int weight_slot(gguf::GgmlType t) {
  switch (t) {
    case gguf::GgmlType::F32: return 0;
    case gguf::GgmlType::F16: return 1;
    case gguf::GgmlType::BF16: return 2;
    case gguf::GgmlType::Q8_0: return 3;
    case gguf::GgmlType::Q4_K: return 4;
    case gguf::GgmlType::Q5_K: return 5;
    case gguf::GgmlType::Q6_K: return 6;
    default: return -1;
  }
}

const KernelTable& scalar_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();
const KernelTable& kernels_for(Isa isa);

}  // namespace infertrace::engine::cpu
