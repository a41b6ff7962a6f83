#include "engine/gguf/legacy_quant.h"

#include <algorithm>
#include <cmath>

#include "engine/gguf/dtype.h"

namespace infertrace::gguf {

namespace {

constexpr int kHalf = kLegacyBlock / 2;

// Values of one block as x = d * q + c: the quants are read through legacy_quant.
void dequantize_block(const uint8_t* qs, const uint8_t* qh, float d, float m, int offset, float* y) {
  for (int v = 0; v < kLegacyBlock; ++v) {
    const int q = legacy_quant(qs, qh, v);
    y[v] = offset ? d * static_cast<float>(q - offset) : d * static_cast<float>(q) + m;
  }
}

// _0 types: the scale that maps the signed extreme to -offset (ggml keeps the sign: the extreme
// lands exactly on the most negative quant, which has no positive counterpart).
float symmetric_scale(const float* x, int offset) {
  float amax = 0, max = 0;
  for (int j = 0; j < kLegacyBlock; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  return max / static_cast<float>(-offset);
}

// Quants of the _0 types: trunc(x * id + offset + 0.5), at most 2 * offset - 1. The truncation
// (C's float-to-integer conversion, not rounding) is ggml's; x * id + offset + 0.5 >= 0.5 - eps
// for finite inputs, so it never goes below 0.
void symmetric_quants(const float* x, float d, int offset, uint8_t* q) {
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const float bias = static_cast<float>(offset) + 0.5f;
  for (int j = 0; j < kLegacyBlock; ++j) {
    const float s = x[j] * id;
    q[j] = static_cast<uint8_t>(std::clamp(static_cast<int>(s + bias), 0, 2 * offset - 1));
  }
}

// _1 types: d = (max - min) / qmax, m = min, q = trunc((x - min) * id + 0.5) <= qmax.
void affine_quants(const float* x, int qmax, float* d_out, float* min_out, uint8_t* q) {
  float mn = x[0], mx = x[0];
  for (int j = 1; j < kLegacyBlock; ++j) {
    mn = std::min(mn, x[j]);
    mx = std::max(mx, x[j]);
  }
  const float d = (mx - mn) / static_cast<float>(qmax);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < kLegacyBlock; ++j) {
    const float s = (x[j] - mn) * id;
    q[j] = static_cast<uint8_t>(std::clamp(static_cast<int>(s + 0.5f), 0, qmax));
  }
  *d_out = d;
  *min_out = mn;
}

void pack_nibbles(const uint8_t* q, uint8_t* qs) {
  for (int j = 0; j < kHalf; ++j) qs[j] = static_cast<uint8_t>((q[j] & 15) | ((q[j + kHalf] & 15) << 4));
}

void pack_fifth_bits(const uint8_t* q, uint8_t* qh) {
  uint32_t bits = 0;
  for (int v = 0; v < kLegacyBlock; ++v) bits |= static_cast<uint32_t>((q[v] >> 4) & 1) << v;
  std::memcpy(qh, &bits, 4);  // little-endian, as ggml reads it (x86 and every GGUF host)
}

}  // namespace

void dequantize_q4_0(const BlockQ4_0* in, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b)
    dequantize_block(in[b].qs, nullptr, half_to_float(in[b].d), 0, 8, y + b * kLegacyBlock);
}
void dequantize_q4_1(const BlockQ4_1* in, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b)
    dequantize_block(in[b].qs, nullptr, half_to_float(in[b].d), half_to_float(in[b].m), 0, y + b * kLegacyBlock);
}
void dequantize_q5_0(const BlockQ5_0* in, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b)
    dequantize_block(in[b].qs, in[b].qh, half_to_float(in[b].d), 0, 16, y + b * kLegacyBlock);
}
void dequantize_q5_1(const BlockQ5_1* in, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b)
    dequantize_block(in[b].qs, in[b].qh, half_to_float(in[b].d), half_to_float(in[b].m), 0, y + b * kLegacyBlock);
}

void quantize_q4_0(const float* x, BlockQ4_0* out, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b, x += kLegacyBlock) {
    uint8_t q[kLegacyBlock];
    const float d = symmetric_scale(x, 8);
    symmetric_quants(x, d, 8, q);
    out[b].d = float_to_half(d);
    pack_nibbles(q, out[b].qs);
  }
}
void quantize_q5_0(const float* x, BlockQ5_0* out, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b, x += kLegacyBlock) {
    uint8_t q[kLegacyBlock];
    const float d = symmetric_scale(x, 16);
    symmetric_quants(x, d, 16, q);
    out[b].d = float_to_half(d);
    pack_nibbles(q, out[b].qs);
    pack_fifth_bits(q, out[b].qh);
  }
}
void quantize_q4_1(const float* x, BlockQ4_1* out, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b, x += kLegacyBlock) {
    uint8_t q[kLegacyBlock];
    float d, m;
    affine_quants(x, 15, &d, &m, q);
    out[b].d = float_to_half(d);
    out[b].m = float_to_half(m);
    pack_nibbles(q, out[b].qs);
  }
}
void quantize_q5_1(const float* x, BlockQ5_1* out, int64_t n) {
  for (int64_t b = 0; b < n / kLegacyBlock; ++b, x += kLegacyBlock) {
    uint8_t q[kLegacyBlock];
    float d, m;
    affine_quants(x, 31, &d, &m, q);
    out[b].d = float_to_half(d);
    out[b].m = float_to_half(m);
    pack_nibbles(q, out[b].qs);
    pack_fifth_bits(q, out[b].qh);
  }
}

}  // namespace infertrace::gguf
