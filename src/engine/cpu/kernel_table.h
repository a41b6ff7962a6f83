// The per-ISA building blocks of the matrix products (internal to engine/cpu). Each instruction
// set fills one table; matmul.cpp picks the table of the active ISA and does the blocking and
// the row split, so the blocking logic exists once and only the inner loops are per ISA.
// Weight type slots: 0 F32, 1 F16, 2 BF16, 3 Q8_0, 4 Q4_K, 5 Q5_K, 6 Q6_K, 7 Q4_0, 8 Q4_1, 9 Q5_0,
// 10 Q5_1 (see weight_slot()).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/gguf/ggml_type.h"

namespace infertrace::engine::cpu {

constexpr int kRowBlock = 4;    // weight rows per micro-kernel call
constexpr int kMaxTokenBlock = 6;  // most activation vectors per gemm_tile call (prefill)

// out[i] = dot(row i, x) for i < nrows (1..kRowBlock); row i starts at w + i * row_bytes and
// holds n values of the slot's type; x holds n floats. xs: x's sub-block sums in the layout of
// x_subblock_sums() (the Q4_K/Q5_K mins' term needs them; other types and the scalar reference
// ignore it, and it may be null for them).
using DotRowsFn = void (*)(const uint8_t* w, uint64_t row_bytes, int nrows, const float* x, int64_t n,
                           const float* xs, float* out);

// Per 256-value super-block of x (n a multiple of 256): 16 floats, 8 zeros and then the sums of
// its eight 32-value sub-blocks (the zeros let one vector product with a super-block's 16
// unpacked scales-then-mins keep only the mins' dot). Computed once per matrix-vector product and
// shared by all its rows: before, every call of four rows summed x again.
constexpr int64_t kSubblockSumsPer256 = 16;
inline void x_subblock_sums(const float* x, int64_t n, float* xs) {
  for (int64_t b = 0; b < n / 256; ++b) {
    float* o = xs + b * kSubblockSumsPer256;
    for (int s = 0; s < 8; ++s) {
      const float* p = x + b * 256 + s * 32;
      float a[4] = {0, 0, 0, 0};  // four partial sums: independent adds
      for (int j = 0; j < 32; j += 4)
        for (int u = 0; u < 4; ++u) a[u] += p[j + u];
      o[s] = 0;
      o[8 + s] = (a[0] + a[1]) + (a[2] + a[3]);
    }
  }
}
// dst[0..n) = the row converted to F32.
using RowToF32Fn = void (*)(const uint8_t* w, float* dst, int64_t n);
// y[t * ldy + i] = dot(w[i], x[t]) for i < nrows (1..kRowBlock), t < ntok (1..gemm_tokens): an
// F32 register-blocked tile, used for prefill after rows are converted to F32.
using GemmTileFn = void (*)(const float* const* w, int nrows, const float* const* x, int ntok, int64_t n,
                            float* y, int64_t ldy);

constexpr int kWeightSlots = 11;

// Prefill with integer dot products (int8 activations). Each token's activations are quantized
// once per matmul call, block by block, B = int8_block_values(slot) values a block:
//   d = max|x| / 127 over the block (F32), q = round-to-nearest-even(x * (127 / max|x|)) as int8,
//   so q is in -127..127 and the value the kernels multiply is d * q, within d / 2 of x (plus
//   the rounding of the F32 products: x * (127/max) is not exactly x / d). A block of zeros has
//   d = 0 and q = 0 (no division by zero; its products are exactly 0), and so has a block whose
//   max |x| is below about 3.7e-37, where 127 / max overflows F32 (values that small add nothing
//   visible to a product). A block holding a NaN or an infinity has d = NaN and q = 0: every
//   product with it is NaN, as F32 arithmetic gives NaN for a NaN activation (an infinity, which
//   F32 would carry as +-inf or NaN, gives NaN too). Every variant gives these same bits for the
//   same x (end-to-end, x itself differs between ISAs in the last bits, which can move a value
//   across a rounding midpoint: docs/engine.md "Int8 activations across ISAs"): the SIMD
//   block maxima compare |x| as integers, so a NaN cannot be dropped by a max instruction's
//   operand order, and no cvtps2dq sees a NaN or infinite product (it would give -128).
//   Round-to-nearest-even rather than half away from zero: it is what the SIMD conversions do
//   (cvtps2dq in the default rounding mode), so every ISA gives the same q bit for bit.
// Plus, per 32 values, the scaled sum d * sum(q) (the mins' term of the K-quants and of Q4_1 /
// Q5_1: their weights have value d*sc*q - dmin*m, or d*q + m, and the constant part multiplies
// the sum of the activations).
struct Int8Row {
  const int8_t* q;     // n values
  const float* d;      // n / B scales
  const float* sums;   // n / 32 scaled sums d * sum(q)
};
// Q8_0's and the legacy types' (Q4_0..Q5_1) weight scale is per 32 values anyway, so their
// activations use 32-value blocks; the K-quants take one scale per 256-value super-block, so that
// a super-block's sub-block scales (Q4_K/Q5_K: eight 6-bit ones; Q6_K: sixteen int8 ones) can be
// applied in integer arithmetic and the F32 work (convert, scale) is once per 256 values per row
// and token instead of once per 32.
constexpr int int8_block_values(int slot) { return slot >= 4 && slot <= 6 ? 256 : 32; }
// q, d, sums of one row of n values (n a multiple of block), as defined above.
using QuantizeRowFn = void (*)(const float* x, int64_t n, int block, int8_t* q, float* d, float* sums);
// y[t * ldy + i] = dot(w row i, d * q of token t) for i < nrows (1..kRowBlock), t < ntok (1..tokens).
using GemmInt8TileFn = void (*)(const uint8_t* w, uint64_t row_bytes, int nrows, const Int8Row* x, int ntok,
                                int64_t n, float* y, int64_t ldy);
struct Int8Kernels {
  const char* name;  // "avx512-vnni", "avx-vnni", ... (tests name the variant they check)
  QuantizeRowFn quantize;
  GemmInt8TileFn tile[kWeightSlots];  // null: the type has no integer kernel (the F32 tile is used)
  int tokens;                         // tokens per tile call (<= kMaxTokenBlock)
  // PrefillPath::Auto uses tile[slot] only where this is set: measured faster than the F32 tile
  // (bench/prefill_tile_bench.cpp; figures where each variant sets it).
  bool faster[kWeightSlots];
};
constexpr bool is_kquant_slot(int slot) { return slot >= 4 && slot <= 6; }
constexpr bool is_legacy_slot(int slot) { return slot >= 7 && slot <= 10; }  // Q4_0, Q4_1, Q5_0, Q5_1

struct KernelTable {
  DotRowsFn dot_rows[kWeightSlots];
  RowToF32Fn row_to_f32[kWeightSlots];
  GemmTileFn gemm_tile;
  int gemm_tokens;  // tokens per gemm_tile call (the ISA's register tile; <= kMaxTokenBlock)
  const Int8Kernels* int8;
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
    case gguf::GgmlType::Q4_0: return 7;
    case gguf::GgmlType::Q4_1: return 8;
    case gguf::GgmlType::Q5_0: return 9;
    case gguf::GgmlType::Q5_1: return 10;
    default: return -1;
  }
}

const KernelTable& scalar_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();
const KernelTable& kernels_for(Isa isa);

// The integer prefill kernels per instruction set; AVX2 and AVX-512 have two each, with
// vpdpbusd/vpdpwssd (AVX-VNNI, AVX512_VNNI) and without (vpmaddubsw + vpmaddwd), chosen by cpuid
// when the level's table is built.
const Int8Kernels& scalar_int8_kernels();
const Int8Kernels& avx2_int8_kernels();
// Null where this build has no AVX-VNNI variant: a compiler without -mavxvnni (gcc < 11,
// clang < 12; src/engine/CMakeLists.txt), or not x86-64. The AVX2 level then runs avx2 (maddubs).
const Int8Kernels* avx_vnni_int8_kernels();
const Int8Kernels& avx512_int8_kernels();
const Int8Kernels& avx512_vnni_int8_kernels();

// The integer prefill variants this CPU and build can run at a level, the one its table takes
// first (cpuid's choice): avx512-vnni (with AVX512_VNNI) then avx512; avx-vnni (with AVX-VNNI,
// where built) then avx2; scalar. Empty where the CPU lacks the level. Tests and benchmarks
// reach the second one through matmul_rows_variant (matmul.h).
std::vector<const Int8Kernels*> int8_variants(Isa isa);

}  // namespace infertrace::engine::cpu
