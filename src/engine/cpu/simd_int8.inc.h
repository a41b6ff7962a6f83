// The integer prefill kernels (int8 activations, kernel_table.h), written once over an integer
// vector-traits type T and instantiated by kernels_int8_avx2.cpp (32-byte vectors, vpmaddubsw +
// vpmaddwd), kernels_int8_avx512.cpp (64-byte, the same) and kernels_int8_avx512_vnni.cpp
// (vpdpbusd / vpdpwssd). Included inside the including file's anonymous namespace after its ISA
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
// max |x| by vector max, then q = cvtps2dq(x * (127 / max)) (round to nearest even).
template <class T>
void quantize_row_int8(const float* x, int64_t n, int block, int8_t* q, float* d, float* sums) {
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    const float amax = T::abs_max(xb, block);
    const float id = amax > 0 ? 127.0f / amax : 0.0f;
    d[b] = amax / 127.0f;
    T::quantize(xb, block, id, q + b * block);
  }
  for (int64_t s = 0; s < n / 32; ++s) sums[s] = d[s * 32 / block] * static_cast<float>(T::sum32(q + s * 32));
}

// Q4_K: per row and super-block, the 256 quants as bytes in value order (T::q4k_quants) and the
// eight 6-bit scales lined up with T::q4k_dot's integer lanes (T::q4k_row_scales); per token
// T::q4k_dot gives sum(sc_s * q * xq) over the super-block in int32 lanes (every partial sum stays
// far inside int16 where the instructions need it: |q * xq| <= 15 * 127), converted once and
// scaled by d * (activation scale). The mins (-dmin * m_s * the sub-block's sum of activations)
// are a second, F32 pass with the activations' scaled sums. Rows one after the other: a row's
// unpacked super-block serves the tile's tokens, and only NT accumulators are live (with all
// NR x NT live, 24 on AVX-512, GCC spilled them to the stack: perf annotate of the first version).
template <class T, int NR, int NT>
void q4k_tile(const uint8_t* w, uint64_t rb, const Int8Row* x, int64_t n, float* y, int64_t ldy) {
  using VI = typename T::vi;
  using VF = typename T::vf;
  constexpr int K = 256 / T::kBytes;
  constexpr int kBytes = 144;
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
      for (int k = 0; k < K; ++k) wq[k] = T::q4k_quants(blk + 16, k);
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

template <class T, int NR>
void int8_rows(bool q4k, const uint8_t* w, uint64_t rb, const Int8Row* x, int ntok, int64_t n, float* y,
               int64_t ldy) {
  static_assert(T::kTokens <= 6, "tile token counts below");
#define IT_INT8_CASE(NT)                                          \
  case NT:                                                        \
    if constexpr (NT <= T::kTokens) {                             \
      if (q4k) return q4k_tile<T, NR, NT>(w, rb, x, n, y, ldy);   \
      return q80_tile<T, NR, NT>(w, rb, x, n, y, ldy);            \
    }                                                             \
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

template <class T, bool Q4K>
void int8_tile(const uint8_t* w, uint64_t rb, int nrows, const Int8Row* x, int ntok, int64_t n, float* y,
               int64_t ldy) {
  switch (nrows) {
    case 1: return int8_rows<T, 1>(Q4K, w, rb, x, ntok, n, y, ldy);
    case 2: return int8_rows<T, 2>(Q4K, w, rb, x, ntok, n, y, ldy);
    case 3: return int8_rows<T, 3>(Q4K, w, rb, x, ntok, n, y, ldy);
    default: return int8_rows<T, 4>(Q4K, w, rb, x, ntok, n, y, ldy);
  }
}

template <class T>
Int8Kernels make_int8_kernels() {
  return {T::kName, quantize_row_int8<T>, {nullptr, nullptr, nullptr, int8_tile<T, false>, int8_tile<T, true>},
          T::kTokens, {false, false, false, T::kFasterQ8_0, T::kFasterQ4K}};
}
