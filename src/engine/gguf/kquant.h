// ggml's K-quants Q4_K, Q5_K and Q6_K: block layouts and the reference (scalar) conversions.
// Every K-quant block is a super-block of 256 values; the layouts are part of the GGUF format
// (llama.cpp reads what we write and we read what it writes), so the byte order below is exact.
//
// Q4_K / Q5_K (144 / 176 bytes): fp16 d, fp16 dmin, 12 bytes of 6-bit sub-block scales and mins
// for 8 sub-blocks of 32 values, [Q5_K only: 32 bytes of fifth bits], 128 bytes of 4-bit quants.
//   value = d * sc[s] * q - dmin * m[s],  q in 0..15 (Q4_K) or 0..31 (Q5_K).
//   Quants: the 256 values are 4 groups of 64; group g uses bytes qs[32g .. 32g+32): value 64g+l
//   (l < 32) is the low nibble of qs[32g+l] (sub-block 2g), value 64g+32+l its high nibble
//   (sub-block 2g+1). Q5_K's fifth bit of value 64g+l is bit 2g of qh[l], of 64g+32+l bit 2g+1.
//   Scales: for s < 4, sc[s] = scales[s] & 63 and m[s] = scales[s+4] & 63; for s >= 4 the low 4
//   bits are the nibbles of scales[s+4] (sc low, m high) and the top 2 bits are bits 6-7 of
//   scales[s-4] (sc) and scales[s] (m).
// Q6_K (210 bytes): 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales, fp16 d.
//   value = d * scales[v / 16] * (q - 32),  q in 0..63.
//   Each half h of 128 values uses ql[64h ..), qh[32h ..); value 128h + 32k + l (k < 4, l < 32)
//   has its low 4 bits in ql[64h + l + 32 * (k & 1)] (low nibble for k < 2, high for k >= 2)
//   and its high 2 bits in bits 2k..2k+1 of qh[32h + l].
#pragma once

#include <cstdint>

namespace infertrace::gguf {

constexpr int kQK = 256;  // values per K-quant super-block

struct BlockQ4_K {
  uint16_t d, dmin;  // fp16
  uint8_t scales[12];
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "Q4_K block must be 144 bytes as in ggml");

struct BlockQ5_K {
  uint16_t d, dmin;  // fp16
  uint8_t scales[12];
  uint8_t qh[kQK / 8];
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ5_K) == 176, "Q5_K block must be 176 bytes as in ggml");

struct BlockQ6_K {
  uint8_t ql[kQK / 2];
  uint8_t qh[kQK / 4];
  int8_t scales[kQK / 16];
  uint16_t d;  // fp16
};
static_assert(sizeof(BlockQ6_K) == 210, "Q6_K block must be 210 bytes as in ggml");

// Sub-block s (0..7) of the packed 12-byte scale field: its 6-bit scale and min. Static, not
// just inline: the SIMD kernel files (compiled with -mavx2 / -mavx512f) use it too, and one
// shared inline definition could be linked from an AVX-512 file into code run on any CPU.
static inline void kquant_scale_min(const uint8_t* scales, int s, int* sc, int* m) {
  if (s < 4) {
    *sc = scales[s] & 63;
    *m = scales[s + 4] & 63;
  } else {
    *sc = (scales[s + 4] & 0x0f) | ((scales[s - 4] >> 6) << 4);
    *m = (scales[s + 4] >> 4) | ((scales[s] >> 6) << 4);
  }
}

// n must be a multiple of 256. Dequantization computes each value as the layout comments say, in
// float: (d * sc) * q - (dmin * m) for Q4_K/Q5_K, (d * scale) * (q - 32) for Q6_K.
void dequantize_q4_k(const BlockQ4_K* in, float* y, int64_t n);
void dequantize_q5_k(const BlockQ5_K* in, float* y, int64_t n);
void dequantize_q6_k(const BlockQ6_K* in, float* y, int64_t n);

// Min/max quantizers (no search, no importance weights): each sub-block's range is covered
// exactly (scales rounded up, never clipped), so every value is within half a quantization
// step (d * sc) of its input. See docs/engine.md for the measured error.
void quantize_q4_k(const float* x, BlockQ4_K* out, int64_t n);
void quantize_q5_k(const float* x, BlockQ5_K* out, int64_t n);
void quantize_q6_k(const float* x, BlockQ6_K* out, int64_t n);

}  // namespace infertrace::gguf
