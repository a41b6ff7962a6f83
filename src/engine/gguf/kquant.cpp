#include "engine/gguf/kquant.h"

#include <algorithm>
#include <cmath>

#include "engine/gguf/dtype.h"

namespace infertrace::gguf {

namespace {

// The fp16 value nearest above v (v >= 0): a super-block scale stored this way never shrinks the
// range the sub-block scales were sized for, so no value gets clipped by fp16 rounding.
uint16_t half_at_least(float v) {
  uint16_t h = float_to_half(v);
  while (half_to_float(h) < v && h < 0x7bffu) ++h;  // positive halves order like their bits
  return h;
}

// Inverse of kquant_scale_min: 8 six-bit scales and mins into the 12-byte field.
void pack_scales(const int* sc, const int* m, uint8_t* out) {
  for (int s = 0; s < 4; ++s) {
    out[s] = static_cast<uint8_t>(sc[s] | ((sc[s + 4] >> 4) << 6));
    out[s + 4] = static_cast<uint8_t>(m[s] | ((m[s + 4] >> 4) << 6));
    out[s + 8] = static_cast<uint8_t>((sc[s + 4] & 15) | ((m[s + 4] & 15) << 4));
  }
}

// Q4_K and Q5_K share everything but the quant width (qmax 15 or 31). Per sub-block of 32:
// the offset covers the most negative value (min clamped to <= 0, as the format stores a
// subtracted min), the scale covers the rest of the range; both are rounded up to their 6-bit
// grid over the fp16 super-block scales. Writes d, dmin, scales and the quants q[256].
void quantize_scaled_min(const float* x, int qmax, uint16_t* d_out, uint16_t* dmin_out, uint8_t* scales,
                         uint8_t* q) {
  float neg_min[8], hi[8];
  float max_neg_min = 0;
  for (int s = 0; s < 8; ++s) {
    float mn = 0, mx = -INFINITY;
    for (int l = 0; l < 32; ++l) {
      mn = std::min(mn, x[32 * s + l]);
      mx = std::max(mx, x[32 * s + l]);
    }
    neg_min[s] = -mn;
    hi[s] = mx;
    max_neg_min = std::max(max_neg_min, -mn);
  }
  *dmin_out = half_at_least(max_neg_min / 63);
  const float dmin = half_to_float(*dmin_out);
  int sc[8], m[8];
  float offset[8], need[8], max_need = 0;
  for (int s = 0; s < 8; ++s) {
    m[s] = dmin > 0 ? std::min(63, static_cast<int>(std::ceil(neg_min[s] / dmin))) : 0;
    offset[s] = dmin * static_cast<float>(m[s]);
    need[s] = std::max(0.0f, hi[s] + offset[s]) / static_cast<float>(qmax);
    max_need = std::max(max_need, need[s]);
  }
  *d_out = half_at_least(max_need / 63);
  const float d = half_to_float(*d_out);
  for (int s = 0; s < 8; ++s) {
    sc[s] = d > 0 ? std::min(63, static_cast<int>(std::ceil(need[s] / d))) : 0;
    const float step = d * static_cast<float>(sc[s]);
    const float inv = step > 0 ? 1.0f / step : 0.0f;
    for (int l = 0; l < 32; ++l) {
      const long v = std::lround((x[32 * s + l] + offset[s]) * inv);
      q[32 * s + l] = static_cast<uint8_t>(std::clamp<long>(v, 0, qmax));
    }
  }
  pack_scales(sc, m, scales);
}

// Q4_K and Q5_K share the super-block: d, dmin, the packed 6-bit scales and mins of 8 sub-blocks
// of 32, and values x = d*sc*q - dmin*m; `quant(k, g, l, high)` gives q of element l of the
// low (sub-block 2g) or high (2g+1) half of group g, which is all that differs between them.
template <class Block, class Quant>
void dequantize_k45(const Block* in, float* y, int64_t n, Quant quant) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const Block& k = in[b];
    const float d = half_to_float(k.d), dmin = half_to_float(k.dmin);
    for (int g = 0; g < 4; ++g) {
      int sc0, m0, sc1, m1;
      kquant_scale_min(k.scales, 2 * g, &sc0, &m0);
      kquant_scale_min(k.scales, 2 * g + 1, &sc1, &m1);
      const float d0 = d * static_cast<float>(sc0), o0 = dmin * static_cast<float>(m0);
      const float d1 = d * static_cast<float>(sc1), o1 = dmin * static_cast<float>(m1);
      for (int l = 0; l < 32; ++l) {
        y[64 * g + l] = d0 * static_cast<float>(quant(k, g, l, false)) - o0;
        y[64 * g + 32 + l] = d1 * static_cast<float>(quant(k, g, l, true)) - o1;
      }
    }
  }
}

}  // namespace

void dequantize_q4_k(const BlockQ4_K* in, float* y, int64_t n) {
  dequantize_k45(in, y, n, [](const BlockQ4_K& k, int g, int l, bool high) {
    return high ? k.qs[32 * g + l] >> 4 : k.qs[32 * g + l] & 15;
  });
}

void dequantize_q5_k(const BlockQ5_K* in, float* y, int64_t n) {
  // The fifth bit of element l of sub-block j is bit j of qh[l].
  dequantize_k45(in, y, n, [](const BlockQ5_K& k, int g, int l, bool high) {
    const int low4 = high ? k.qs[32 * g + l] >> 4 : k.qs[32 * g + l] & 15;
    return low4 | (((k.qh[l] >> (2 * g + (high ? 1 : 0))) & 1) << 4);
  });
}

void dequantize_q6_k(const BlockQ6_K* in, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const BlockQ6_K& k = in[b];
    const float d = half_to_float(k.d);
    for (int h = 0; h < 2; ++h)
      for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; ++l) {
          const int v = 128 * h + 32 * g + l;
          const uint8_t lo = k.ql[64 * h + l + 32 * (g & 1)];
          const int q = ((g < 2 ? lo & 15 : lo >> 4) | (((k.qh[32 * h + l] >> (2 * g)) & 3) << 4)) - 32;
          y[v] = d * static_cast<float>(k.scales[v / 16]) * static_cast<float>(q);
        }
  }
}

void quantize_q4_k(const float* x, BlockQ4_K* out, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    uint8_t q[kQK];
    quantize_scaled_min(x, 15, &out[b].d, &out[b].dmin, out[b].scales, q);
    for (int g = 0; g < 4; ++g)
      for (int l = 0; l < 32; ++l)
        out[b].qs[32 * g + l] = static_cast<uint8_t>(q[64 * g + l] | (q[64 * g + 32 + l] << 4));
  }
}

void quantize_q5_k(const float* x, BlockQ5_K* out, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    uint8_t q[kQK];
    quantize_scaled_min(x, 31, &out[b].d, &out[b].dmin, out[b].scales, q);
    std::fill(std::begin(out[b].qh), std::end(out[b].qh), uint8_t{0});
    for (int g = 0; g < 4; ++g)
      for (int l = 0; l < 32; ++l) {
        const int q0 = q[64 * g + l], q1 = q[64 * g + 32 + l];
        out[b].qs[32 * g + l] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
        out[b].qh[l] |= static_cast<uint8_t>(((q0 >> 4) << (2 * g)) | ((q1 >> 4) << (2 * g + 1)));
      }
  }
}

// Per group of 16: the scale maps the largest |x| to 31 (so -32 is never needed and nothing
// clips), rounded up to the int8 grid over the fp16 super-block scale.
void quantize_q6_k(const float* x, BlockQ6_K* out, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ6_K& k = out[b];
    float need[16], max_need = 0;
    for (int g = 0; g < 16; ++g) {
      float amax = 0;
      for (int l = 0; l < 16; ++l) amax = std::max(amax, std::fabs(x[16 * g + l]));
      need[g] = amax / 31;
      max_need = std::max(max_need, need[g]);
    }
    k.d = half_at_least(max_need / 127);
    const float d = half_to_float(k.d);
    uint8_t q[kQK];
    for (int g = 0; g < 16; ++g) {
      const int sc = d > 0 ? std::min(127, static_cast<int>(std::ceil(need[g] / d))) : 0;
      k.scales[g] = static_cast<int8_t>(sc);
      const float step = d * static_cast<float>(sc);
      const float inv = step > 0 ? 1.0f / step : 0.0f;
      for (int l = 0; l < 16; ++l)
        q[16 * g + l] = static_cast<uint8_t>(std::clamp<long>(std::lround(x[16 * g + l] * inv), -32, 31) + 32);
    }
    std::fill(std::begin(k.qh), std::end(k.qh), uint8_t{0});
    for (int h = 0; h < 2; ++h)
      for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; ++l) {
          const int v = q[128 * h + 32 * g + l];
          uint8_t& lo = k.ql[64 * h + l + 32 * (g & 1)];
          lo = static_cast<uint8_t>(g < 2 ? v & 15 : lo | ((v & 15) << 4));  // k < 2 comes first
          k.qh[32 * h + l] |= static_cast<uint8_t>((v >> 4) << (2 * g));
        }
  }
}

}  // namespace infertrace::gguf
