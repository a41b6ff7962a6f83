// The K-quant kernels (Q4_K, Q5_K, Q6_K; layouts in gguf/kquant.h), written once over a
// vector-traits type S like simd_kernels.inc.h, which includes this file (same rules: inside
// the including file's anonymous namespace, after its ISA target is set).
//
// Each super-block of 256 values is unpacked W quants at a time: W bytes widened to 32-bit lanes,
// the bit fields cut out with and/shift/or, converted to float and multiplied with x, so a weight
// is read once and never stored. The rows of a call are walked super-block by super-block in
// step, which keeps decode's kRowBlock long sequential weight streams (matmul.cpp).

inline float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// Quants of values 64g + k*W .. (lo, sub-block 2g) and 64g + 32 + k*W .. (hi, sub-block 2g+1)
// of a Q4_K (Q5 false) or Q5_K super-block.
template <class S, bool Q5>
inline void q45k_quants(const uint8_t* qs, const uint8_t* qh, int g, int k, typename S::ireg* lo,
                        typename S::ireg* hi) {
  using I = typename S::ireg;
  const I v = S::load_u8(qs + 32 * g + k * S::W);
  *lo = S::iand(v, 15);
  *hi = S::shr(v, 4);
  if constexpr (Q5) {
    const I h = S::load_u8(qh + k * S::W);
    *lo = S::ior(*lo, S::shl(S::iand(S::shr(h, 2 * g), 1), 4));
    *hi = S::ior(*hi, S::shl(S::iand(S::shr(h, 2 * g + 1), 1), 4));
  }
}

// Quants minus 32 of the W values 128h + 32g + l .. of a Q6_K super-block.
template <class S>
inline typename S::ireg q6k_quants(const uint8_t* ql, const uint8_t* qh, int h, int g, int l) {
  using I = typename S::ireg;
  const I b = S::load_u8(ql + 64 * h + 32 * (g & 1) + l);
  const I low = g < 2 ? S::iand(b, 15) : S::shr(b, 4);
  const I high = S::iand(S::shr(S::load_u8(qh + 32 * h + l), 2 * g), 3);
  return S::isub(S::ior(low, S::shl(high, 4)), 32);
}

// Q4_K / Q5_K: value = d*sc*q - dmin*m, so a sub-block contributes d*sc * sum(q x) - dmin*m *
// sum(x): one FMA per sub-block for the scale, and the sums of x per sub-block are computed once
// per super-block for all rows of the call.
template <class S, bool Q5, int NR>
void dot_rows_q45k_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, float* out) {
  using R = typename S::reg;
  using I = typename S::ireg;
  constexpr int W = S::W;
  constexpr int kBytes = Q5 ? 176 : 144, kQsAt = Q5 ? 48 : 16;
  R acc[NR];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r] = S::zero();
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* xb = x + b * 256;
    R xsum[8];
    #pragma GCC unroll 8
    for (int s = 0; s < 8; ++s) {
      xsum[s] = S::load(xb + 32 * s);
      #pragma GCC unroll 4
      for (int k = 1; k < 32 / W; ++k) xsum[s] = S::add(xsum[s], S::load(xb + 32 * s + k * W));
    }
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * kBytes;
      const float d = half_at(blk), dmin = half_at(blk + 2);
      R a = acc[r];
      #pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        int sc0, m0, sc1, m1;
        gguf::kquant_scale_min(blk + 4, 2 * g, &sc0, &m0);
        gguf::kquant_scale_min(blk + 4, 2 * g + 1, &sc1, &m1);
        R t0 = S::zero(), t1 = S::zero();
        #pragma GCC unroll 4
        for (int k = 0; k < 32 / W; ++k) {
          I lo, hi;
          q45k_quants<S, Q5>(blk + kQsAt, blk + 16, g, k, &lo, &hi);
          t0 = S::fma(S::cvt(lo), S::load(xb + 64 * g + k * W), t0);
          t1 = S::fma(S::cvt(hi), S::load(xb + 64 * g + 32 + k * W), t1);
        }
        a = S::fma(S::set1(d * static_cast<float>(sc0)), t0, a);
        a = S::fma(S::set1(d * static_cast<float>(sc1)), t1, a);
        a = S::fma(S::set1(-dmin * static_cast<float>(m0)), xsum[2 * g], a);
        a = S::fma(S::set1(-dmin * static_cast<float>(m1)), xsum[2 * g + 1], a);
      }
      acc[r] = a;
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) out[r] = S::hsum(acc[r]);
}

// Q6_K: value = d*scale*(q-32) per group of 16; one FMA per group applies the scale.
template <class S, int NR>
void dot_rows_q6k_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, float* out) {
  using R = typename S::reg;
  constexpr int W = S::W;
  R acc[NR];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r] = S::zero();
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* xb = x + b * 256;
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * 210;
      const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192);
      const float d = half_at(blk + 208);
      R a = acc[r];
      for (int h = 0; h < 2; ++h)
        #pragma GCC unroll 4
        for (int g = 0; g < 4; ++g)
          #pragma GCC unroll 2
          for (int j = 0; j < 2; ++j) {
            R t = S::zero();
            #pragma GCC unroll 2
            for (int k = 0; k < 16 / W; ++k) {
              const int l = 16 * j + k * W;
              t = S::fma(S::cvt(q6k_quants<S>(blk, blk + 128, h, g, l)), S::load(xb + 128 * h + 32 * g + l), t);
            }
            a = S::fma(S::set1(d * static_cast<float>(sc[8 * h + 2 * g + j])), t, a);
          }
      acc[r] = a;
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) out[r] = S::hsum(acc[r]);
}

// Rows to F32 for prefill: the same products as the reference dequantizers (d*sc, then *q, -o).
template <class S, bool Q5>
void q45k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  constexpr int W = S::W;
  constexpr int kBytes = Q5 ? 176 : 144, kQsAt = Q5 ? 48 : 16;
  for (int64_t b = 0; b < n / 256; ++b, dst += 256) {
    const uint8_t* blk = w + b * kBytes;
    const float d = half_at(blk), dmin = half_at(blk + 2);
    for (int g = 0; g < 4; ++g) {
      int sc0, m0, sc1, m1;
      gguf::kquant_scale_min(blk + 4, 2 * g, &sc0, &m0);
      gguf::kquant_scale_min(blk + 4, 2 * g + 1, &sc1, &m1);
      const auto d0 = S::set1(d * static_cast<float>(sc0)), o0 = S::set1(dmin * static_cast<float>(m0));
      const auto d1 = S::set1(d * static_cast<float>(sc1)), o1 = S::set1(dmin * static_cast<float>(m1));
      for (int k = 0; k < 32 / W; ++k) {
        typename S::ireg lo, hi;
        q45k_quants<S, Q5>(blk + kQsAt, blk + 16, g, k, &lo, &hi);
        S::store(dst + 64 * g + k * W, S::sub(S::mul(d0, S::cvt(lo)), o0));
        S::store(dst + 64 * g + 32 + k * W, S::sub(S::mul(d1, S::cvt(hi)), o1));
      }
    }
  }
}

template <class S>
void q6k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  constexpr int W = S::W;
  for (int64_t b = 0; b < n / 256; ++b, dst += 256) {
    const uint8_t* blk = w + b * 210;
    const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192);
    const float d = half_at(blk + 208);
    for (int h = 0; h < 2; ++h)
      for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; l += W) {
          const int v = 128 * h + 32 * g + l;
          S::store(dst + v, S::mul(S::set1(d * static_cast<float>(sc[v / 16])), S::cvt(q6k_quants<S>(blk, blk + 128, h, g, l))));
        }
  }
}
