// Scalar conversions between F32 and the stored weight formats (F16, BF16, Q8_0; Q4_0..Q5_1 are in
// legacy_quant.h, the K-quants in kquant.h). These are the reference definitions
// (round-to-nearest-even, ggml's Q8_0 block layout); SIMD kernels in engine/cpu must agree with them, and tests compare against them.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "engine/gguf/ggml_type.h"

namespace infertrace::gguf {

// IEEE binary16 <-> binary32. Conversion to half rounds to nearest even, overflows to infinity,
// keeps NaN a NaN and produces subnormals.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

// bfloat16: the upper 16 bits of a binary32 (round-to-nearest-even on the way in; NaN kept NaN).
inline float bf16_to_float(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t float_to_bf16(float f);

// ggml's Q8_0: blocks of 32 values, one fp16 scale d = max|x| / 127 and 32 int8 quants
// q = round(x / d); x ~= d * q. 34 bytes per block, no padding.
constexpr int kQ8_0Block = 32;
struct BlockQ8_0 {
  uint16_t d;  // fp16 scale
  int8_t qs[kQ8_0Block];
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must be 34 bytes as in ggml");

// n must be a multiple of 32.
void quantize_q8_0(const float* x, BlockQ8_0* out, int64_t n);
void dequantize_q8_0(const BlockQ8_0* in, float* y, int64_t n);

// Batch helpers over a whole row.
void floats_to_half(const float* x, uint16_t* out, int64_t n);
void half_to_floats(const uint16_t* in, float* y, int64_t n);
void floats_to_bf16(const float* x, uint16_t* out, int64_t n);
void bf16_to_floats(const uint16_t* in, float* y, int64_t n);

// Converts n values of a row stored as F32/F16/BF16/Q8_0, Q4_0/Q4_1/Q5_0/Q5_1 (legacy_quant.h) or
// Q4_K/Q5_K/Q6_K (kquant.h) to F32 (n a multiple of the block size). Throws Error for other types.
void dequantize_row(GgmlType type, const void* src, float* y, int64_t n);
// The reverse: stores n F32 values as `type` (the same types); dst holds bytes_for(type, n).
void quantize_row(GgmlType type, const float* x, void* dst, int64_t n);

}  // namespace infertrace::gguf
