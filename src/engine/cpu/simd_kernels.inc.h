// Kernels written once over a vector-traits type S (S::W floats per register), instantiated by
// kernels_avx2.cpp (8 lanes) and kernels_avx512.cpp (16 lanes). Included inside the
// including file's anonymous namespace, in a file compiled with that ISA's own -m flags
// (src/engine/CMakeLists.txt), so every function here is compiled for that ISA and stays private
// to that file (no ODR mixing of ISAs).
//
// Decode is a matrix-vector product, bound by memory bandwidth for F32/F16/BF16 (for Q8_0 and the
// K-quants on these VMs the unpacking per weight limits it first: docs/benchmarks.md): dot_rows reads each weight once,
// converting F16/BF16/Q8_0 (the K-quants: simd_kquant.inc.h; Q4_0..Q5_1: simd_legacy.inc.h) to F32 in registers, and
// shares each load of x across kRowBlock rows.
// Two accumulators per row hide the FMA latency. The loops over the tile sizes are unrolled
// explicitly (#pragma GCC unroll): at -O2 GCC otherwise keeps the accumulator arrays on the stack
// and every FMA pays a store/load round trip (measured: qwen3-0.6b F16 prefill on 1 thread went from 4.5 to 14.8 tokens/s with it).

template <class S, int Slot>
inline typename S::reg load_weights(const uint8_t* row, int64_t i) {
  if constexpr (Slot == 0) return S::load(reinterpret_cast<const float*>(row) + i);
  else if constexpr (Slot == 1) return S::load_f16(row + 2 * i);
  else return S::load_bf16(row + 2 * i);
}

template <int Slot>
inline float scalar_weight(const uint8_t* row, int64_t i) {
  uint16_t h;
  if constexpr (Slot == 0) {
    float f;
    std::memcpy(&f, row + 4 * i, 4);
    return f;
  }
  std::memcpy(&h, row + 2 * i, 2);
  if constexpr (Slot == 1) return _cvtsh_ss(h);
  else {
    uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
}

template <class S, int Slot, int NR>
void dot_rows_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, float* out) {
  using R = typename S::reg;
  constexpr int W = S::W;
  R acc[NR][2];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r][0] = acc[r][1] = S::zero();
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const R x0 = S::load(x + i), x1 = S::load(x + i + W);
    #pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      acc[r][0] = S::fma(load_weights<S, Slot>(w + r * rb, i), x0, acc[r][0]);
      acc[r][1] = S::fma(load_weights<S, Slot>(w + r * rb, i + W), x1, acc[r][1]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) {
    float s = S::hsum(S::add(acc[r][0], acc[r][1]));
    for (int64_t j = i; j < n; ++j) s += scalar_weight<Slot>(w + r * rb, j) * x[j];
    out[r] = s;
  }
}

// Q8_0: per 32-value block, the int8 quants are widened to float, multiplied with x, summed in
// a block accumulator, then scaled by the block's fp16 scale (one FMA per block and row).
template <class S, int NR>
void dot_rows_q8_n(const uint8_t* w, uint64_t rb, const float* x, int64_t n, float* out) {
  using R = typename S::reg;
  constexpr int W = S::W;
  constexpr int kBlock = 32, kBlockBytes = 34;
  R acc[NR];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) acc[r] = S::zero();
  const int64_t nb = n / kBlock;
  for (int64_t b = 0; b < nb; ++b) {
    R xv[kBlock / W];
    #pragma GCC unroll 8
    for (int k = 0; k < kBlock / W; ++k) xv[k] = S::load(x + b * kBlock + k * W);
    #pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      const uint8_t* blk = w + r * rb + b * kBlockBytes;
      uint16_t d;
      std::memcpy(&d, blk, 2);
      const int8_t* qs = reinterpret_cast<const int8_t*>(blk + 2);
      R t = S::mul(S::load_i8(qs), xv[0]);
      #pragma GCC unroll 8
      for (int k = 1; k < kBlock / W; ++k) t = S::fma(S::load_i8(qs + k * W), xv[k], t);
      acc[r] = S::fma(S::set1(_cvtsh_ss(d)), t, acc[r]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) out[r] = S::hsum(acc[r]);
}

#include "engine/cpu/simd_kquant.inc.h"
#include "engine/cpu/simd_legacy.inc.h"

template <class S, int Slot, int NR>
void dot_rows_k(const uint8_t* w, uint64_t rb, const float* x, int64_t n, const float* xs, float* out) {
  if constexpr (Slot == 6) dot_rows_q6k_n<S, NR>(w, rb, x, n, out);
  else dot_rows_q45k_n<S, Slot == 5, NR>(w, rb, x, n, xs, out);
}

template <class S, int Slot>
void dot_rows(const uint8_t* w, uint64_t rb, int nrows, const float* x, int64_t n, const float* xs, float* out) {
  if constexpr (is_legacy_slot(Slot)) {
    switch (nrows) {
      case 1: return dot_rows_legacy_n<S, Slot, 1>(w, rb, x, n, out);
      case 2: return dot_rows_legacy_n<S, Slot, 2>(w, rb, x, n, out);
      case 3: return dot_rows_legacy_n<S, Slot, 3>(w, rb, x, n, out);
      default: return dot_rows_legacy_n<S, Slot, 4>(w, rb, x, n, out);
    }
  } else if constexpr (is_kquant_slot(Slot)) {
    switch (nrows) {
      case 1: return dot_rows_k<S, Slot, 1>(w, rb, x, n, xs, out);
      case 2: return dot_rows_k<S, Slot, 2>(w, rb, x, n, xs, out);
      case 3: return dot_rows_k<S, Slot, 3>(w, rb, x, n, xs, out);
      default: return dot_rows_k<S, Slot, 4>(w, rb, x, n, xs, out);
    }
  } else if constexpr (Slot == 3) {
    switch (nrows) {
      case 1: return dot_rows_q8_n<S, 1>(w, rb, x, n, out);
      case 2: return dot_rows_q8_n<S, 2>(w, rb, x, n, out);
      case 3: return dot_rows_q8_n<S, 3>(w, rb, x, n, out);
      default: return dot_rows_q8_n<S, 4>(w, rb, x, n, out);
    }
  } else {
    switch (nrows) {
      case 1: return dot_rows_n<S, Slot, 1>(w, rb, x, n, out);
      case 2: return dot_rows_n<S, Slot, 2>(w, rb, x, n, out);
      case 3: return dot_rows_n<S, Slot, 3>(w, rb, x, n, out);
      default: return dot_rows_n<S, Slot, 4>(w, rb, x, n, out);
    }
  }
}

template <class S, int Slot>
void row_to_f32(const uint8_t* w, float* dst, int64_t n) {
  if constexpr (is_legacy_slot(Slot)) {
    legacy_to_f32<S, Slot>(w, dst, n);
  } else if constexpr (Slot == 6) {
    q6k_to_f32<S>(w, dst, n);
  } else if constexpr (Slot >= 4) {
    q45k_to_f32<S, Slot == 5>(w, dst, n);
  } else if constexpr (Slot == 3) {
    constexpr int W = S::W;
    for (int64_t b = 0; b < n / 32; ++b) {
      const uint8_t* blk = w + b * 34;
      uint16_t d;
      std::memcpy(&d, blk, 2);
      const auto scale = S::set1(_cvtsh_ss(d));
      const int8_t* qs = reinterpret_cast<const int8_t*>(blk + 2);
      for (int k = 0; k < 32 / W; ++k) S::store(dst + b * 32 + k * W, S::mul(scale, S::load_i8(qs + k * W)));
    }
  } else {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::store(dst + i, load_weights<S, Slot>(w, i));
    for (; i < n; ++i) dst[i] = scalar_weight<Slot>(w, i);
  }
}

// Prefill: an NR x NT register tile; each weight vector load is shared by NT tokens and each x
// load by NR rows. AVX2 (16 registers) takes 4 x 3 (12 accumulators and the operands); AVX-512
// (32 registers) takes 4 x 6, S::kGemmTokens: 24 accumulators, 6 x and 1 weight register, so 10
// loads feed 24 FMAs instead of 7 per 12. S::keep pins a loaded weight vector in a register: GCC
// otherwise folds the weight load into each of the NT FMAs (12 loads + 3 per 12 FMAs for 4 x 3
// measured in perf annotate), which made the tile bound by loads rather than FMAs.
template <class S, int NR, int NT>
void gemm_n(const float* const* w, const float* const* x, int64_t n, float* y, int64_t ldy) {
  using R = typename S::reg;
  constexpr int W = S::W;
  R acc[NR][NT];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[r][t] = S::zero();
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    R xv[NT];
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) xv[t] = S::load(x[t] + i);
    #pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      R wv = S::load(w[r] + i);
      S::keep(wv);
      #pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) acc[r][t] = S::fma(wv, xv[t], acc[r][t]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      float s = S::hsum(acc[r][t]);
      for (int64_t j = i; j < n; ++j) s += w[r][j] * x[t][j];
      y[t * ldy + r] = s;
    }
}

template <class S, int NR>
void gemm_rows(const float* const* w, const float* const* x, int ntok, int64_t n, float* y, int64_t ldy) {
  if constexpr (S::kGemmTokens >= 6) {
    switch (ntok) {
      case 1: return gemm_n<S, NR, 1>(w, x, n, y, ldy);
      case 2: return gemm_n<S, NR, 2>(w, x, n, y, ldy);
      case 3: return gemm_n<S, NR, 3>(w, x, n, y, ldy);
      case 4: return gemm_n<S, NR, 4>(w, x, n, y, ldy);
      case 5: return gemm_n<S, NR, 5>(w, x, n, y, ldy);
      default: return gemm_n<S, NR, 6>(w, x, n, y, ldy);
    }
  } else {
    switch (ntok) {
      case 1: return gemm_n<S, NR, 1>(w, x, n, y, ldy);
      case 2: return gemm_n<S, NR, 2>(w, x, n, y, ldy);
      default: return gemm_n<S, NR, 3>(w, x, n, y, ldy);
    }
  }
}

template <class S>
void gemm_tile(const float* const* w, int nrows, const float* const* x, int ntok, int64_t n, float* y,
               int64_t ldy) {
  switch (nrows) {
    case 1: return gemm_rows<S, 1>(w, x, ntok, n, y, ldy);
    case 2: return gemm_rows<S, 2>(w, x, ntok, n, y, ldy);
    case 3: return gemm_rows<S, 3>(w, x, ntok, n, y, ldy);
    default: return gemm_rows<S, 4>(w, x, ntok, n, y, ldy);
  }
}

template <class S>
KernelTable make_table(const Int8Kernels* int8) {
  return {{dot_rows<S, 0>, dot_rows<S, 1>, dot_rows<S, 2>, dot_rows<S, 3>, dot_rows<S, 4>, dot_rows<S, 5>,
           dot_rows<S, 6>, dot_rows<S, 7>, dot_rows<S, 8>, dot_rows<S, 9>, dot_rows<S, 10>},
          {row_to_f32<S, 0>, row_to_f32<S, 1>, row_to_f32<S, 2>, row_to_f32<S, 3>, row_to_f32<S, 4>,
           row_to_f32<S, 5>, row_to_f32<S, 6>, row_to_f32<S, 7>, row_to_f32<S, 8>, row_to_f32<S, 9>,
           row_to_f32<S, 10>},
          gemm_tile<S>, S::kGemmTokens, int8};
}
