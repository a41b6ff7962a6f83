// The integer prefill kernels (int8 activations, kernel_table.h), written once over an integer
// vector-traits type T and instantiated by kernels_int8_avx2.cpp (32-byte vectors, vpmaddubsw +
// vpmaddwd), kernels_int8_avx_vnni.cpp (32-byte, vpdpbusd / vpdpwssd), kernels_int8_avx512.cpp
// (64-byte, vpmaddubsw + vpmaddwd) and kernels_int8_avx512_vnni.cpp (64-byte, vpdpbusd / vpdpwssd). Included inside the including file's anonymous namespace after its ISA
// flags are set, like simd_kernels.inc.h.
//
// The blocking is matmul.cpp's (kRowBlock rows x T::kTokens tokens per call); here, per row and
// weight block, the quants are unpacked once into registers and reused for every token of the
// tile, and each token's int8 block is loaded once per row.

#include "engine/cpu/simd_kquant.inc.h"  // half_at, unpack_scales_mins

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The same quantization as the scalar reference (kernel_table.h), W floats at a time: the block's
// max |x| by vector max (NaN if the block has one, else infinity if it has one), then
// q = cvtps2dq(x * (127 / max)) (round to nearest even); the blocks of NaN or infinity, and those
// too small for 127 / max, as kernel_table.h says.
template <class T>
void quantize_row_int8(const float* x, int64_t n, int block, int8_t* q, float* d, float* sums) {
  constexpr float kMax = std::numeric_limits<float>::max();
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    const float amax = T::abs_max(xb, block);
    const float id = 127.0f / amax;
    if (!(amax <= kMax) || !(id <= kMax)) {  // NaN or infinite; zero or tiny (id inf)
      d[b] = amax <= kMax ? 0.0f : std::numeric_limits<float>::quiet_NaN();
      std::memset(q + b * block, 0, block);
      continue;
    }
    d[b] = amax / 127.0f;
    T::quantize(xb, block, id, q + b * block);
  }
  for (int64_t s = 0; s < n / 32; ++s) sums[s] = d[s * 32 / block] * static_cast<float>(T::sum32(q + s * 32));
}

// Q4_K / Q5_K (Q5): per row and super-block, the 256 quants as bytes in value order, straight
// from the block into registers (T::q4k_quants, T::q5k_quants; not through a stack buffer as the
// decode kernels do: 64-byte loads of 32-byte stores stalled on store forwarding) and the eight 6-bit
// scales lined up with T::q4k_dot's integer lanes (T::q4k_row_scales); per token T::q4k_dot gives
// sum(sc_s * q * xq) over the super-block in int32 lanes, converted once and scaled by
// d * (activation scale). Every partial sum stays inside int16 where the instructions need it:
// a vpmaddubsw pair |q * xq + q' * xq'| <= 2 * 31 * 127 = 7874, a vpdpbusd lane of four products
// <= 4 * 31 * 127 = 15748 (packed to int16 by vpackssdw without saturating); int32 holds the
// whole super-block, |sum| <= 256 * 63 * 31 * 127 < 6.4e7. The mins (-dmin * m_s * the
// sub-block's sum of activations) are a second, F32 pass with the activations' scaled sums.
// Rows one after the other: a row's unpacked super-block serves the tile's tokens, and only NT
// accumulators are live (with all NR x NT live, 24 on AVX-512, GCC spilled them to the stack:
// perf annotate of the first version).
template <class T, bool Q5, int NR, int NT>
void q45k_tile(const uint8_t* w, uint64_t rb, const Int8Row* x, int64_t n, float* y, int64_t ldy) {
  using VI = typename T::vi;
  using VF = typename T::vf;
  constexpr int K = 256 / T::kBytes;
  constexpr int kBytes = Q5 ? 176 : 144;
  alignas(64) uint8_t sm[16];
  for (int r = 0; r < NR; ++r) {
    const uint8_t* row = w + r * rb;
    VF acc[NT];
    __m256 macc[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[t] = T::zero_f(), macc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / 256; ++b) {
      const uint8_t* blk = row + b * kBytes;
      unpack_scales_mins(blk + 4, sm);
      VI wq[K], sc[K];
      #pragma GCC unroll 8
      for (int k = 0; k < K; ++k) wq[k] = Q5 ? T::q5k_quants(blk, k) : T::q4k_quants(blk + 16, k);
      T::q4k_row_scales(sm, sc);
      const float dr = half_at(blk);
      // the mins' eight products with each token's eight scaled sums, as F32 vectors
      const __m256 m = _mm256_mul_ps(
          _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm + 8)))),
          _mm256_set1_ps(half_at(blk + 2)));
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        const VI iv = T::q4k_dot(wq, x[t].q + b * 256, sc);
        acc[t] = T::fma(T::cvt(iv), T::set1(dr * x[t].d[b]), acc[t]);
        macc[t] = _mm256_fmadd_ps(m, _mm256_loadu_ps(x[t].sums + b * 8), macc[t]);
      }
    }
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = T::hsum(acc[t]) - hsum8(macc[t]);
  }
}

// Q6_K: value = d * sc_g * (q - 32), sc_g an int8 scale per 16 values, q in 0..63. With w = q - 32
// (int8, -32..31; T::q6k_quants) a super-block contributes d * dx * sum_g sc_g * sum_{i in g} w_i xq_i,
// all in integers up to the one conversion. The products go through the unsigned-times-signed
// instructions as |w| * (xq with w's sign) (T::q6k_dot; as Q8_0): |w| <= 32 fits a byte, a
// vpmaddubsw pair is <= 2 * 32 * 127 = 8128 and a vpdpbusd lane of four <= 4 * 32 * 127 = 16256
// (int16 for vpmaddwd / vpackssdw); scaled by |sc| <= 128 and summed over the whole super-block
// the int32 lanes stay at most 256 * 32 * 127 * 128 = 133,169,152 < 2^31 (the extreme-block test
// hits that bound's worst case). No mins, so no F32 second pass. Rows one after the other as
// for Q4_K.
template <class T, int NR, int NT>
void q6k_tile(const uint8_t* w, uint64_t rb, const Int8Row* x, int64_t n, float* y, int64_t ldy) {
  using VI = typename T::vi;
  using VF = typename T::vf;
  constexpr int K = 256 / T::kBytes;
  constexpr int kBytes = 210;
  for (int r = 0; r < NR; ++r) {
    const uint8_t* row = w + r * rb;
    VF acc[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[t] = T::zero_f();
    for (int64_t b = 0; b < n / 256; ++b) {
      const uint8_t* blk = row + b * kBytes;
      VI wq[K], aw[K], sc[K];
      #pragma GCC unroll 8
      for (int k = 0; k < K; ++k) wq[k] = T::q6k_quants(blk, k), aw[k] = T::abs8(wq[k]);
      T::q6k_row_scales(reinterpret_cast<const int8_t*>(blk + 192), sc);
      const float dr = half_at(blk + 208);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        const VI iv = T::q6k_dot(aw, wq, x[t].q + b * 256, sc);
        acc[t] = T::fma(T::cvt(iv), T::set1(dr * x[t].d[b]), acc[t]);
      }
    }
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = T::hsum(acc[t]);
  }
}

// Q8_0 against 32-value activation blocks: per vector (T::kBytes / 32 blocks) and row, |w| once;
// per token the signed product as |w| * (x with w's sign) (vpmaddubsw takes one unsigned
// operand), int32 lanes of one block each converted and scaled by both blocks' scales.
// n / 32 blocks; on 64-byte vectors an odd last block is a half vector (upper half zero).
// All NR x NT accumulators live (GCC spills some on AVX-512): tried two rows at a time (no
// spills, but each token's blocks and scales prepared twice as often) and it was slower,
// prefill_tile_bench 1024 x 1024, 128 tokens, medians of 3 alternating: AVX-512 VNNI 89.7 -> 69.6,
// AVX2 50.0 -> 44.3 G MAC/s.
template <class T, int NR, int NT>
void q80_tile(const uint8_t* w, uint64_t rb, const Int8Row* x, int64_t n, float* y, int64_t ldy) {
  using VI = typename T::vi;
  using VF = typename T::vf;
  constexpr int BPV = T::kBytes / 32;  // blocks per vector
  VF acc[NR][NT];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[r][t] = T::zero_f();
  const int64_t nb = n / 32;
  for (int64_t b = 0; b < nb; b += BPV) {
    const int blocks = static_cast<int>(std::min<int64_t>(BPV, nb - b));
    VF dx[NT];
    VI xv[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      dx[t] = T::block_scales(x[t].d + b, blocks);
      xv[t] = T::load_blocks(x[t].q + b * 32, blocks);
    }
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * 34;
      const VI wv = T::q8_weights(blk, blocks);
      const VI aw = T::abs8(wv);
      const VF dw = T::q8_scales(blk, blocks);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t)
        acc[r][t] = T::fma(T::cvt(T::dot_s8(aw, wv, xv[t])), T::mul(dw, dx[t]), acc[r][t]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = T::hsum(acc[r][t]);
}

#include "engine/cpu/simd_int8_legacy.inc.h"  // legacy_tile: Q4_0, Q4_1, Q5_0, Q5_1

// One tile call: the kernel of the weight slot (kernel_table.h: 3 Q8_0, 4 Q4_K, 5 Q5_K, 6 Q6_K,
// 7-10 Q4_0, Q4_1, Q5_0, Q5_1) for NR rows and ntok tokens.
template <class T, int Slot, int NR, int NT>
void slot_tile(const uint8_t* w, uint64_t rb, const Int8Row* x, int64_t n, float* y, int64_t ldy) {
  if constexpr (Slot == 3) q80_tile<T, NR, NT>(w, rb, x, n, y, ldy);
  else if constexpr (Slot >= 7) legacy_tile<T, Slot, NR, NT>(w, rb, x, n, y, ldy);
  else if constexpr (Slot == 6) q6k_tile<T, NR, NT>(w, rb, x, n, y, ldy);
  else q45k_tile<T, Slot == 5, NR, NT>(w, rb, x, n, y, ldy);
}

template <class T, int Slot, int NR>
void int8_rows(const uint8_t* w, uint64_t rb, const Int8Row* x, int ntok, int64_t n, float* y, int64_t ldy) {
  static_assert(T::kTokens <= 6, "tile token counts below");
#define IT_INT8_CASE(NT)                                                               \
  case NT:                                                                             \
    if constexpr (NT <= T::kTokens) return slot_tile<T, Slot, NR, NT>(w, rb, x, n, y, ldy); \
    break;
  switch (ntok) {
    IT_INT8_CASE(1)
    IT_INT8_CASE(2)
    IT_INT8_CASE(3)
    IT_INT8_CASE(4)
    IT_INT8_CASE(5)
    IT_INT8_CASE(6)
  }
#undef IT_INT8_CASE
}

template <class T, int Slot>
void int8_tile(const uint8_t* w, uint64_t rb, int nrows, const Int8Row* x, int ntok, int64_t n, float* y,
               int64_t ldy) {
  switch (nrows) {
    case 1: return int8_rows<T, Slot, 1>(w, rb, x, ntok, n, y, ldy);
    case 2: return int8_rows<T, Slot, 2>(w, rb, x, ntok, n, y, ldy);
    case 3: return int8_rows<T, Slot, 3>(w, rb, x, ntok, n, y, ldy);
    default: return int8_rows<T, Slot, 4>(w, rb, x, ntok, n, y, ldy);
  }
}

template <class T>
Int8Kernels make_int8_kernels() {
  return {T::kName,
          quantize_row_int8<T>,
          {nullptr, nullptr, nullptr, int8_tile<T, 3>, int8_tile<T, 4>, int8_tile<T, 5>, int8_tile<T, 6>,
           int8_tile<T, 7>, int8_tile<T, 8>, int8_tile<T, 9>, int8_tile<T, 10>},
          T::kTokens,
          {false, false, false, T::kFasterQ8_0, T::kFasterQ4K, T::kFasterQ5K, T::kFasterQ6K, T::kFasterQ4_0,
           T::kFasterQ4_1, T::kFasterQ5_0, T::kFasterQ5_1}};
}
