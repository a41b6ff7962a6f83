// The integer prefill tile of the legacy 32-value block types Q4_0, Q4_1, Q5_0, Q5_1 (slots 7-10;
// layouts in gguf/legacy_quant.h, field offsets in legacy_layout.h), over the integer vector
// traits T of simd_int8.inc.h, which includes this file. Activations are 32-value int8 blocks as
// for Q8_0, so a weight block and an activation block share their extent and the tile is Q8_0's:
// T::kBytes / 32 blocks per vector, all NR x NT accumulators live, an odd last block a half
// vector on 64-byte vectors (the next block is not read: it may lie past the row's end).
//
// T::legacy_quants<Slot> cuts a vector's blocks out into bytes in value order (nibbles, plus 16
// where the fifth bit is set), minus the offset for the _0 types:
//   Q4_0 / Q5_0: w = q - 8 (-8..7) or q - 16 (-16..15), signed: multiplied as |w| times (x with
//     w's sign), as Q8_0's quants (vpmaddubsw and vpdpbusd take one unsigned operand); the block
//     contributes d * dx * sum(w * xq), the offset inside the integer sum (no cancellation in F32).
//   Q4_1 / Q5_1: q (0..15 / 0..31) unsigned, straight into vpmaddubsw / vpdpbusd; the block
//     contributes d * dx * sum(q * xq) + m * (dx * sum(xq)), the second factor the activations'
//     scaled block sum (Int8Row::sums). That term is folded into the same accumulator by one FMA
//     with a vector holding m in every lane and the block's scaled sum in the block's first lane
//     only (T::legacy_sums: zeros elsewhere), so there are no further accumulators to spill.
// Overflow: a vpmaddubsw pair |w * xq + w' * xq'| <= 2 * 31 * 127 = 7874 (Q5_1; Q4_1 2 * 15 * 127,
// Q5_0 2 * 16 * 127, Q4_0 2 * 8 * 127), inside int16 without saturation; a block's int32 lanes
// then sum at most 32 such products, |sum| <= 32 * 31 * 127 = 125,984, converted to F32 per block
// (exactly: below 2^24). The extreme-block test hits each type's largest products.
template <class T, int Slot, int NR, int NT>
void legacy_tile(const uint8_t* w, uint64_t rb, const Int8Row* x, int64_t n, float* y, int64_t ldy) {
  using VI = typename T::vi;
  using VF = typename T::vf;
  constexpr int BPV = T::kBytes / 32;                      // blocks per vector
  constexpr int kBlockBytes = LegacyLayout<Slot>::kBytes;
  constexpr bool kMin = LegacyLayout<Slot>::kMin;  // Q4_1, Q5_1: value d * q + m
  VF acc[NR][NT];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[r][t] = T::zero_f();
  const int64_t nb = n / 32;
  for (int64_t b = 0; b < nb; b += BPV) {
    const int blocks = static_cast<int>(std::min<int64_t>(BPV, nb - b));
    VF dx[NT], sx[NT];
    VI xv[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      dx[t] = T::block_scales(x[t].d + b, blocks);
      xv[t] = T::load_blocks(x[t].q + b * 32, blocks);
      if constexpr (kMin) sx[t] = T::legacy_sums(x[t].sums + b, blocks);
    }
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * kBlockBytes;
      const VI wv = T::template legacy_quants<Slot>(blk, blocks);
      const VF dw = T::template legacy_half<kBlockBytes>(blk, blocks);
      if constexpr (kMin) {
        const VF mw = T::template legacy_half<kBlockBytes>(blk + 2, blocks);
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t)
          acc[r][t] = T::fma(mw, sx[t], T::fma(T::cvt(T::dot_u8(wv, xv[t])), T::mul(dw, dx[t]), acc[r][t]));
      } else {
        const VI aw = T::abs8(wv);
        #pragma GCC unroll 8
        for (int t = 0; t < NT; ++t)
          acc[r][t] = T::fma(T::cvt(T::dot_s8(aw, wv, xv[t])), T::mul(dw, dx[t]), acc[r][t]);
      }
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = T::hsum(acc[r][t]);
}
