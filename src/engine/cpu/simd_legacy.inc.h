// The kernels of ggml's 32-value block types Q4_0, Q4_1, Q5_0, Q5_1 (layouts in
// gguf/legacy_quant.h), written once over a vector-traits type S like simd_kernels.inc.h, which
// includes this file (same rules: inside the including file's anonymous namespace, after its ISA
// target is set).
//
// W bytes of qs are widened to 32-bit lanes at a time; their low nibbles are values k*W .. and
// their high nibbles values 16 + k*W .. of the block (W = 8 or 16 divides 16, so a load never
// straddles the halves). The Q5 types' fifth bits come from one broadcast of qh shifted by the
// lane index (AVX-512: a 16-entry table permute and a masked add, legacy_quants). All arithmetic
// is F32: decode, and prefill's F32 tile (the integer prefill kernels, Q4_0..Q5_1's included,
// are in simd_int8.inc.h and simd_int8_legacy.inc.h).

// LegacyLayout<Slot> (legacy_layout.h, included by the including file): where each field lies.

// The quants (minus the _0 types' offset) of values v0 .. v0+W-1 (lo) and 16+v0 .. (hi) of a
// block as floats, v0 a multiple of W below 16. Where the ISA has a 16-entry table permute
// (AVX-512's vpermps reads only the index's low 4 bits) a nibble becomes its float q - offset in
// one instruction, and a fifth bit is a masked add of 16 with the bits of qh as the mask; else
// the fields are cut out in integer lanes and converted.
template <class S, int Slot>
inline void legacy_quants(const uint8_t* blk, int v0, typename S::reg* lo, typename S::reg* hi) {
  using L = LegacyLayout<Slot>;
  const typename S::ireg v = S::load_u8(blk + L::kQsAt + v0);
  uint32_t bits = 0;
  if constexpr (L::kFifth) std::memcpy(&bits, blk + L::kQhAt, 4);
  if constexpr (S::kLut16) {
    const typename S::reg table = S::iota16_minus(static_cast<float>(L::kOffset));
    *lo = S::lut16(v, table);
    *hi = S::lut16(S::shr(v, 4), table);
    if constexpr (L::kFifth) {
      *lo = S::add_where(*lo, bits >> v0, S::set1(16.0f));
      *hi = S::add_where(*hi, bits >> (16 + v0), S::set1(16.0f));
    }
  } else {
    typename S::ireg l = S::iand(v, 15), h = S::shr(v, 4);
    if constexpr (L::kFifth) {
      l = S::ior(l, S::shl(S::bit_lanes(bits >> v0), 4));
      h = S::ior(h, S::shl(S::bit_lanes(bits >> (16 + v0)), 4));
    }
    if constexpr (L::kOffset != 0) {
      l = S::isub(l, L::kOffset);
      h = S::isub(h, L::kOffset);
    }
    *lo = S::cvt(l);
    *hi = S::cvt(h);
  }
}

// Q4_0/Q4_1 with the 16-entry permute (AVX-512, W = 16): per block and row the 16 possible values
// of a nibble are computed once, d * (i - offset) + m for i < 16 (one FMA: one rounding where the
// reference has two, within the product tests' tolerance), so each nibble becomes its weight in one
// vpermps and goes straight into an FMA with x. Measured against the generic path below
// (matvec_types_bench, alternating): Q4_0 +4%, Q4_1 +5%; the same for the Q5 types (a masked add
// of 16 * d for the fifth bits) was 3-8% slower, so they keep the generic path.
template <class S, int Slot, int NR>
void dot_rows_legacy_lut_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, float* out) {
  using L = LegacyLayout<Slot>;
  using R = typename S::reg;
  static_assert(S::W == 16 && !L::kFifth, "one 16-lane vector per half block; Q4_0/Q4_1 only");
  R acc[NR][2];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r][0] = acc[r][1] = S::zero();
  const R iota = S::iota16_minus(static_cast<float>(L::kOffset));
  for (int64_t b = 0; b < n / 32; ++b) {
    const R x0 = S::load(x + b * 32), x1 = S::load(x + b * 32 + 16);
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * L::kBytes;
      const float d = half_at(blk);
      const R table = L::kMin ? S::fma(iota, S::set1(d), S::set1(half_at(blk + 2))) : S::mul(iota, S::set1(d));
      const typename S::ireg v = S::load_u8(blk + L::kQsAt);
      acc[r][0] = S::fma(S::lut16(v, table), x0, acc[r][0]);
      acc[r][1] = S::fma(S::lut16(S::shr(v, 4), table), x1, acc[r][1]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) out[r] = S::hsum(S::add(acc[r][0], acc[r][1]));
}

// Otherwise, per block and row: t = sum(q * x) over the 32 values (q offset for the _0 types),
// then one FMA applies d; the _1 types' m multiplies the block's sum of x (shared by the rows),
// collected in a second accumulator per row.
template <class S, int Slot, int NR>
void dot_rows_legacy_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, float* out) {
  if constexpr (S::kLut16 && !LegacyLayout<Slot>::kFifth) {
    dot_rows_legacy_lut_n<S, Slot, NR>(w, rb, x, n, out);
    return;
  }
  using L = LegacyLayout<Slot>;
  using R = typename S::reg;
  constexpr int W = S::W;
  R acc[NR], macc[NR];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r] = macc[r] = S::zero();
  for (int64_t b = 0; b < n / 32; ++b) {
    R xv[32 / W];
    #pragma GCC unroll 4
    for (int k = 0; k < 32 / W; ++k) xv[k] = S::load(x + b * 32 + k * W);
    R xsum = S::zero();
    if constexpr (L::kMin) {
      #pragma GCC unroll 4
      for (int k = 0; k < 32 / W; ++k) xsum = S::add(xsum, xv[k]);
    }
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * L::kBytes;
      R t0 = S::zero(), t1 = S::zero();
      #pragma GCC unroll 2
      for (int k = 0; k < 16 / W; ++k) {
        R lo, hi;
        legacy_quants<S, Slot>(blk, k * W, &lo, &hi);
        t0 = S::fma(lo, xv[k], t0);
        t1 = S::fma(hi, xv[16 / W + k], t1);
      }
      acc[r] = S::fma(S::set1(half_at(blk)), S::add(t0, t1), acc[r]);
      if constexpr (L::kMin) macc[r] = S::fma(S::set1(half_at(blk + 2)), xsum, macc[r]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) out[r] = S::hsum(L::kMin ? S::add(acc[r], macc[r]) : acc[r]);
}

// Rows to F32 for prefill: the same products as the reference dequantizers (d * float(q - offset),
// or d * float(q) + m), so the converted rows equal dequantize_row's bit for bit.
template <class S, int Slot>
void legacy_to_f32(const uint8_t* w, float* dst, int64_t n) {
  using L = LegacyLayout<Slot>;
  constexpr int W = S::W;
  for (int64_t b = 0; b < n / 32; ++b, dst += 32) {
    const uint8_t* blk = w + b * L::kBytes;
    const auto d = S::set1(half_at(blk));
    const auto m = S::set1(L::kMin ? half_at(blk + 2) : 0.0f);
    for (int k = 0; k < 16 / W; ++k) {
      typename S::reg lo, hi;
      legacy_quants<S, Slot>(blk, k * W, &lo, &hi);
      if constexpr (L::kMin) {
        S::store(dst + k * W, S::add(S::mul(d, lo), m));
        S::store(dst + 16 + k * W, S::add(S::mul(d, hi), m));
      } else {
        S::store(dst + k * W, S::mul(d, lo));
        S::store(dst + 16 + k * W, S::mul(d, hi));
      }
    }
  }
}
