// Portable kernels: the reference the SIMD paths are tested against, and the fallback on CPUs
// without AVX2. Sums are in float in index order (like the SIMD paths, only less parallel).
#include <cstring>

#include "engine/cpu/kernel_table.h"
#include "engine/gguf/dtype.h"
#include "engine/gguf/kquant.h"
#include "engine/gguf/legacy_quant.h"

namespace infertrace::engine::cpu {

namespace {

void f32_to_f32(const uint8_t* w, float* dst, int64_t n) { std::memcpy(dst, w, n * sizeof(float)); }
void f16_to_f32(const uint8_t* w, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, 2);
    dst[i] = gguf::half_to_float(h);
  }
}
void bf16_to_f32(const uint8_t* w, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, 2);
    dst[i] = gguf::bf16_to_float(h);
  }
}
void q8_0_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q8_0(reinterpret_cast<const gguf::BlockQ8_0*>(w), dst, n);
}
void q4_k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q4_k(reinterpret_cast<const gguf::BlockQ4_K*>(w), dst, n);
}
void q5_k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q5_k(reinterpret_cast<const gguf::BlockQ5_K*>(w), dst, n);
}
void q6_k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q6_k(reinterpret_cast<const gguf::BlockQ6_K*>(w), dst, n);
}
void q4_0_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q4_0(reinterpret_cast<const gguf::BlockQ4_0*>(w), dst, n);
}
void q4_1_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q4_1(reinterpret_cast<const gguf::BlockQ4_1*>(w), dst, n);
}
void q5_0_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q5_0(reinterpret_cast<const gguf::BlockQ5_0*>(w), dst, n);
}
void q5_1_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q5_1(reinterpret_cast<const gguf::BlockQ5_1*>(w), dst, n);
}

// One converter per slot; the dot converts one chunk (a block of 32 values, a K-quant super-block
// of 256) at a time so that it needs no heap buffer and stays in L1.
constexpr RowToF32Fn kConv[kWeightSlots] = {f32_to_f32,  f16_to_f32,  bf16_to_f32, q8_0_to_f32,
                                            q4_k_to_f32, q5_k_to_f32, q6_k_to_f32, q4_0_to_f32,
                                            q4_1_to_f32, q5_0_to_f32, q5_1_to_f32};
// Bytes of one chunk (32 values, 256 for the K-quants) of each slot's type.
constexpr int64_t kChunkBytesOf[kWeightSlots] = {128, 64, 64, 34, 144, 176, 210, 18, 20, 22, 24};

template <int Slot>
void dot_rows(const uint8_t* w, uint64_t row_bytes, int nrows, const float* x, int64_t n, const float* /*xs*/,
              float* out) {
  constexpr int64_t kChunk = is_kquant_slot(Slot) ? 256 : 32;  // a multiple of the type's block size
  constexpr int64_t kChunkBytes = kChunkBytesOf[Slot];
  float buf[kChunk];
  for (int r = 0; r < nrows; ++r) {
    const uint8_t* row = w + r * row_bytes;
    float acc = 0;
    int64_t i = 0;
    for (; i + kChunk <= n; i += kChunk) {
      kConv[Slot](row + (i / kChunk) * kChunkBytes, buf, kChunk);
      for (int64_t j = 0; j < kChunk; ++j) acc += buf[j] * x[i + j];
    }
    if (i < n) {  // tail (not a whole chunk; never for the block types, whose rows are whole blocks)
      float tail[kChunk];
      kConv[Slot](row + (i / kChunk) * kChunkBytes, tail, n - i);
      for (int64_t j = 0; j < n - i; ++j) acc += tail[j] * x[i + j];
    }
    out[r] = acc;
  }
}

void gemm_tile(const float* const* w, int nrows, const float* const* x, int ntok, int64_t n, float* y,
               int64_t ldy) {
  for (int t = 0; t < ntok; ++t)
    for (int r = 0; r < nrows; ++r) {
      float acc = 0;
      for (int64_t i = 0; i < n; ++i) acc += w[r][i] * x[t][i];
      y[t * ldy + r] = acc;
    }
}

}  // namespace

const KernelTable& scalar_kernels() {
  static const KernelTable t = {
      {dot_rows<0>, dot_rows<1>, dot_rows<2>, dot_rows<3>, dot_rows<4>, dot_rows<5>, dot_rows<6>, dot_rows<7>,
       dot_rows<8>, dot_rows<9>, dot_rows<10>},
      {f32_to_f32, f16_to_f32, bf16_to_f32, q8_0_to_f32, q4_k_to_f32, q5_k_to_f32, q6_k_to_f32, q4_0_to_f32,
       q4_1_to_f32, q5_0_to_f32, q5_1_to_f32},
      gemm_tile, 3};
  return t;
}

const KernelTable& kernels_for(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return avx512_kernels();
    case Isa::Avx2: return avx2_kernels();
    case Isa::Scalar: break;
  }
  return scalar_kernels();
}

}  // namespace infertrace::engine::cpu
