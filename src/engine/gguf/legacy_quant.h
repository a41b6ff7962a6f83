// ggml's original 32-value block types Q4_0, Q4_1, Q5_0 and Q5_1: block layouts and the reference
// (scalar) conversions. The layouts are part of the GGUF format (llama.cpp reads what we write
// and we read what it writes), so the byte order below is exact.
//
// Every block holds 32 values. qs[j] (j < 16) packs value j in its low nibble and value 16 + j in
// its high nibble. The Q5 types keep the fifth bit of value v in bit v of qh read as a
// little-endian uint32 (values 0..15 in qh[0..1], 16..31 in qh[2..3]).
//   Q4_0 (18 bytes): fp16 d, qs[16];          value = d * (q - 8),  q in 0..15
//   Q4_1 (20 bytes): fp16 d, fp16 m, qs[16];  value = d * q + m,    q in 0..15
//   Q5_0 (22 bytes): fp16 d, qh[4], qs[16];   value = d * (q - 16), q in 0..31
//   Q5_1 (24 bytes): fp16 d, fp16 m, qh[4], qs[16]; value = d * q + m, q in 0..31
#pragma once

#include <cstdint>
#include <cstring>

namespace infertrace::gguf {

constexpr int kLegacyBlock = 32;  // values per block of all four types

struct BlockQ4_0 {
  uint16_t d;  // fp16
  uint8_t qs[kLegacyBlock / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block must be 18 bytes as in ggml");

struct BlockQ4_1 {
  uint16_t d, m;  // fp16
  uint8_t qs[kLegacyBlock / 2];
};
static_assert(sizeof(BlockQ4_1) == 20, "Q4_1 block must be 20 bytes as in ggml");

struct BlockQ5_0 {
  uint16_t d;  // fp16
  uint8_t qh[4];
  uint8_t qs[kLegacyBlock / 2];
};
static_assert(sizeof(BlockQ5_0) == 22, "Q5_0 block must be 22 bytes as in ggml");

struct BlockQ5_1 {
  uint16_t d, m;  // fp16
  uint8_t qh[4];
  uint8_t qs[kLegacyBlock / 2];
};
static_assert(sizeof(BlockQ5_1) == 24, "Q5_1 block must be 24 bytes as in ggml");

// Quant v (0..31) of a block: the nibble from qs, plus the fifth bit from qh when qh is not null.
// The reference decoding of one quant; the SIMD kernels (simd_legacy.inc.h) decode whole
// blocks their own way and are tested against it.
static inline int legacy_quant(const uint8_t* qs, const uint8_t* qh, int v) {
  const int nib = v < 16 ? qs[v] & 15 : qs[v - 16] >> 4;
  if (!qh) return nib;
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return nib | static_cast<int>(((bits >> v) & 1u) << 4);
}

// n must be a multiple of 32. Dequantization computes each value as the layout comments say, in
// float: d * float(q - offset) for Q4_0/Q5_0, d * float(q) + m for Q4_1/Q5_1.
void dequantize_q4_0(const BlockQ4_0* in, float* y, int64_t n);
void dequantize_q4_1(const BlockQ4_1* in, float* y, int64_t n);
void dequantize_q5_0(const BlockQ5_0* in, float* y, int64_t n);
void dequantize_q5_1(const BlockQ5_1* in, float* y, int64_t n);

// ggml's reference quantizers (quantize_row_*_ref, what llama-quantize uses without an importance
// matrix), reproduced rule for rule so a synthetic file quantizes as llama.cpp would quantize it:
//   _0: the value of largest magnitude (the first one on ties) maps to -8 (-16): d = max / -8
//       (-16); q = min(15 (31), trunc(x / d + 8.5 (16.5))), x / d computed as x * (1 / d).
//   _1: d = (max - min) / 15 (31), m = min; q = trunc((x - min) * (1 / d) + 0.5), clamped to 15
//       (31). 1 / d uses the float d before its fp16 rounding, as ggml does.
void quantize_q4_0(const float* x, BlockQ4_0* out, int64_t n);
void quantize_q4_1(const float* x, BlockQ4_1* out, int64_t n);
void quantize_q5_0(const float* x, BlockQ5_0* out, int64_t n);
void quantize_q5_1(const float* x, BlockQ5_1* out, int64_t n);

}  // namespace infertrace::gguf
