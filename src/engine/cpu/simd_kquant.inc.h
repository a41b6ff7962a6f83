// The K-quant kernels (Q4_K, Q5_K, Q6_K; layouts in gguf/kquant.h), written once over a
// vector-traits type S like simd_kernels.inc.h, which includes this file (same rules: inside
// the including file's anonymous namespace, after its ISA target is set).
//
// A row's super-block of 256 values is turned into quants either W at a time (W bytes widened to
// 32-bit lanes, the bit fields cut out with and/shift: Q4_K (on AVX-512 its low nibble goes to
// float through a 16-entry table permute, no and), and the prefill conversions) or 32
// bytes at a time into a 256-byte stack buffer that stays in L1 (Q5_K, Q6_K: more fields to
// combine, cheaper on byte vectors), then converted to float and multiplied with x; the scales
// are applied once per sub-block. The rows of a call are walked super-block by super-block in
// step, which keeps decode's kRowBlock long sequential weight streams (matmul.cpp). All
// arithmetic here is F32: decode and the F32 prefill tile. Prefill of all three has integer
// kernels with int8 activations too (simd_int8.inc.h), taken where measured faster.

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

// Q4_K's two nibbles of the W bytes 32g + k*W ..: lo still holds the byte (S::low_nibble_f takes
// its low 4 bits while converting: a table permute on AVX-512 ignores the other bits, which saves
// the and), hi the high nibble.
template <class S>
inline void q45k_nibbles(const uint8_t* qs, int g, int k, typename S::ireg* lo, typename S::ireg* hi) {
  *lo = S::load_u8(qs + 32 * g + k * S::W);
  *hi = S::shr(*lo, 4);
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

// Byte vectors (GCC vector extensions, lowered to this file's ISA): the K-quant bit fields are
// cut out 32 values per instruction before widening, instead of once per W widened lanes.
// Shifts are done on 16-bit lanes and then masked (x86 has no byte shifts: GCC would emit a
// vpaddb per bit for a byte shift left); the mask drops the bits that crossed a byte boundary.
typedef uint8_t u8x32 __attribute__((vector_size(32)));
typedef uint16_t u16x16 __attribute__((vector_size(32)));

inline u8x32 load_u8x32(const uint8_t* p) {
  u8x32 v;
  std::memcpy(&v, p, 32);
  return v;
}
inline void store_u8x32(uint8_t* p, u8x32 v) { std::memcpy(p, &v, 32); }
inline u8x32 shr_bytes(u8x32 v, int c) { return reinterpret_cast<u8x32>(reinterpret_cast<u16x16>(v) >> c); }
inline u8x32 shl_bytes(u8x32 v, int c) { return reinterpret_cast<u8x32>(reinterpret_cast<u16x16>(v) << c); }

// A Q4_K / Q5_K super-block's 256 quants as bytes, in value order.
template <bool Q5>
inline void unpack_q45k(const uint8_t* blk, uint8_t* q) {
  const uint8_t* qs = blk + (Q5 ? 48 : 16);
  #pragma GCC unroll 4
  for (int g = 0; g < 4; ++g) {
    const u8x32 v = load_u8x32(qs + 32 * g);
    u8x32 lo = v & 15, hi = shr_bytes(v, 4) & 15;
    if constexpr (Q5) {  // bit 2g (lo) and 2g+1 (hi) of qh, moved to bit 4
      const u8x32 h = load_u8x32(blk + 16);
      lo |= (2 * g <= 4 ? shl_bytes(h, 4 - 2 * g) : shr_bytes(h, 2 * g - 4)) & 16;
      hi |= (2 * g + 1 <= 4 ? shl_bytes(h, 3 - 2 * g) : shr_bytes(h, 2 * g - 3)) & 16;
    }
    store_u8x32(q + 64 * g, lo);
    store_u8x32(q + 64 * g + 32, hi);
  }
}

// A Q6_K super-block's 256 quants minus 32, as int8 bytes in value order.
inline void unpack_q6k(const uint8_t* blk, uint8_t* q) {
  #pragma GCC unroll 2
  for (int h = 0; h < 2; ++h) {
    const u8x32 a = load_u8x32(blk + 64 * h), b = load_u8x32(blk + 64 * h + 32);
    const u8x32 c = load_u8x32(blk + 128 + 32 * h);
    // bits 2k..2k+1 of c become bits 4..5 of quant group k; "- 32" wraps to the int8 q - 32
    store_u8x32(q + 128 * h, ((a & 15) | (shl_bytes(c, 4) & 0x30)) - 32);
    store_u8x32(q + 128 * h + 32, ((b & 15) | (shl_bytes(c, 2) & 0x30)) - 32);
    store_u8x32(q + 128 * h + 64, ((shr_bytes(a, 4) & 15) | (c & 0x30)) - 32);
    store_u8x32(q + 128 * h + 96, ((shr_bytes(b, 4) & 15) | (shr_bytes(c, 2) & 0x30)) - 32);
  }
}

// The 8 six-bit scales (sc[0..8)) and mins (sc[8..16)) of a Q4_K/Q5_K super-block, four at a time
// (the byte-parallel form of gguf::kquant_scale_min).
inline void unpack_scales_mins(const uint8_t* packed, uint8_t* sc) {
  uint32_t u[3], o[4];
  std::memcpy(u, packed, 12);
  o[0] = u[0] & 0x3f3f3f3fu;
  o[1] = (u[2] & 0x0f0f0f0fu) | ((u[0] >> 2) & 0x30303030u);
  o[2] = u[1] & 0x3f3f3f3fu;
  o[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 2) & 0x30303030u);
  std::memcpy(sc, o, 16);
}

// Q4_K / Q5_K: value = d*sc*q - dmin*m, so a sub-block contributes d*sc * sum(q x) - dmin*m *
// sum(x): one FMA per sub-block applies the scale, and the mins are a dot with the sums of x per
// sub-block, one vector FMA per row. xs holds those sums (x_subblock_sums in kernel_table.h,
// computed once per matrix-vector product); without it they are summed here per super-block.
template <class S, bool Q5, int NR>
void dot_rows_q45k_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, const float* xs, float* out) {
  using R = typename S::reg;
  constexpr int W = S::W;
  constexpr int kBytes = Q5 ? 176 : 144;
  R acc[NR], macc[NR];  // macc: the mins' part, subtracted at the end
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r] = macc[r] = S::zero();
  alignas(64) uint8_t q[256];
  alignas(64) uint8_t sm[16];
  alignas(64) float smf[16];
  alignas(64) float own_xs[16];
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* xb = x + b * 256;
    const float* xs16 = xs ? xs + b * kSubblockSumsPer256 : own_xs;
    if (!xs) x_subblock_sums(xb, 256, own_xs);
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * kBytes;
      const float d = half_at(blk), dmin = half_at(blk + 2);
      unpack_scales_mins(blk + 4, sm);
      #pragma GCC unroll 2
      for (int i = 0; i < 16; i += W) {
        const R v = S::cvt(S::load_u8(sm + i));
        S::store(smf + i, S::mul(v, S::set1(d)));  // d * sc (the mins' lanes unused)
        macc[r] = S::fma(S::mul(v, S::set1(dmin)), S::load(xs16 + i), macc[r]);
      }
      R a = acc[r];
      if constexpr (Q5) {  // the fifth bits: cut out 32 bytes at a time first
        unpack_q45k<Q5>(blk, q);
        #pragma GCC unroll 8
        for (int s = 0; s < 8; ++s) {
          R t = S::mul(S::cvt(S::load_u8(q + 32 * s)), S::load(xb + 32 * s));
          #pragma GCC unroll 4
          for (int k = 1; k < 32 / W; ++k)
            t = S::fma(S::cvt(S::load_u8(q + 32 * s + k * W)), S::load(xb + 32 * s + k * W), t);
          a = S::fma(S::bcast(smf + s), t, a);
        }
      } else {  // Q4_K: each widened byte gives two quants (its nibbles, sub-blocks 2g and 2g+1)
        #pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) {
          R t0 = S::zero(), t1 = S::zero();
          #pragma GCC unroll 4
          for (int k = 0; k < 32 / W; ++k) {
            typename S::ireg lo, hi;
            q45k_nibbles<S>(blk + 16, g, k, &lo, &hi);
            t0 = S::fma(S::low_nibble_f(lo), S::load(xb + 64 * g + k * W), t0);
            t1 = S::fma(S::cvt(hi), S::load(xb + 64 * g + 32 + k * W), t1);
          }
          a = S::fma(S::bcast(smf + 2 * g), t0, a);
          a = S::fma(S::bcast(smf + 2 * g + 1), t1, a);
        }
      }
      acc[r] = a;
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) out[r] = S::hsum(S::sub(acc[r], macc[r]));
}

// Q6_K: value = d*scale*(q-32) per group of 16; one FMA per group applies the scale.
template <class S, int NR>
void dot_rows_q6k_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, float* out) {
  using R = typename S::reg;
  constexpr int W = S::W;
  R acc[NR];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r] = S::zero();
  alignas(64) uint8_t q[256];
  alignas(64) float scf[16];
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* xb = x + b * 256;
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * 210;
      const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192);
      const R d = S::set1(half_at(blk + 208));
      #pragma GCC unroll 2
      for (int i = 0; i < 16; i += W) S::store(scf + i, S::mul(d, S::load_i8(sc + i)));  // d * scale
      unpack_q6k(blk, q);
      const int8_t* qi = reinterpret_cast<const int8_t*>(q);
      R a = acc[r];
      #pragma GCC unroll 16
      for (int g = 0; g < 16; ++g) {
        R t = S::mul(S::load_i8(qi + 16 * g), S::load(xb + 16 * g));
        #pragma GCC unroll 2
        for (int k = 1; k < 16 / W; ++k) t = S::fma(S::load_i8(qi + 16 * g + k * W), S::load(xb + 16 * g + k * W), t);
        a = S::fma(S::bcast(scf + g), t, a);
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
