// Portable kernels: the reference the SIMD paths are tested against, and the fallback on CPUs
// without AVX2. Sums are in float in index order (like the SIMD paths, only less parallel).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/legacy_layout.h"
#include "engine/gguf/dtype.h"
#include "engine/gguf/kquant.h"
#include "engine/gguf/legacy_quant.h"

namespace infertrace::engine::cpu {

namespace {

void f32_to_f32(const uint8_t* w, float* dst, int64_t n) { std::memcpy(dst, w, n * sizeof(float)); }
void f16_to_f32(const uint8_t* w, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, 2);
    dst[i] = gguf::half_to_float(h);
  }
}
void bf16_to_f32(const uint8_t* w, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, 2);
    dst[i] = gguf::bf16_to_float(h);
  }
}
void q8_0_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q8_0(reinterpret_cast<const gguf::BlockQ8_0*>(w), dst, n);
}
void q4_k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q4_k(reinterpret_cast<const gguf::BlockQ4_K*>(w), dst, n);
}
void q5_k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q5_k(reinterpret_cast<const gguf::BlockQ5_K*>(w), dst, n);
}
void q6_k_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q6_k(reinterpret_cast<const gguf::BlockQ6_K*>(w), dst, n);
}
void q4_0_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q4_0(reinterpret_cast<const gguf::BlockQ4_0*>(w), dst, n);
}
void q4_1_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q4_1(reinterpret_cast<const gguf::BlockQ4_1*>(w), dst, n);
}
void q5_0_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q5_0(reinterpret_cast<const gguf::BlockQ5_0*>(w), dst, n);
}
void q5_1_to_f32(const uint8_t* w, float* dst, int64_t n) {
  gguf::dequantize_q5_1(reinterpret_cast<const gguf::BlockQ5_1*>(w), dst, n);
}

// One converter per slot; the dot converts one chunk (a block of 32 values, a K-quant super-block
// of 256) at a time so that it needs no heap buffer and stays in L1.
constexpr RowToF32Fn kConv[kWeightSlots] = {f32_to_f32,  f16_to_f32,  bf16_to_f32, q8_0_to_f32,
                                            q4_k_to_f32, q5_k_to_f32, q6_k_to_f32, q4_0_to_f32,
                                            q4_1_to_f32, q5_0_to_f32, q5_1_to_f32};
// Bytes of one chunk (32 values, 256 for the K-quants) of each slot's type.
constexpr int64_t kChunkBytesOf[kWeightSlots] = {128, 64, 64, 34, 144, 176, 210, 18, 20, 22, 24};

template <int Slot>
void dot_rows(const uint8_t* w, uint64_t row_bytes, int nrows, const float* x, int64_t n, const float* /*xs*/,
              float* out) {
  constexpr int64_t kChunk = is_kquant_slot(Slot) ? 256 : 32;  // a multiple of the type's block size
  constexpr int64_t kChunkBytes = kChunkBytesOf[Slot];
  float buf[kChunk];
  for (int r = 0; r < nrows; ++r) {
    const uint8_t* row = w + r * row_bytes;
    float acc = 0;
    int64_t i = 0;
    for (; i + kChunk <= n; i += kChunk) {
      kConv[Slot](row + (i / kChunk) * kChunkBytes, buf, kChunk);
      for (int64_t j = 0; j < kChunk; ++j) acc += buf[j] * x[i + j];
    }
    if (i < n) {  // tail (not a whole chunk; never for the block types, whose rows are whole blocks)
      float tail[kChunk];
      kConv[Slot](row + (i / kChunk) * kChunkBytes, tail, n - i);
      for (int64_t j = 0; j < n - i; ++j) acc += tail[j] * x[i + j];
    }
    out[r] = acc;
  }
}

void gemm_tile(const float* const* w, int nrows, const float* const* x, int ntok, int64_t n, float* y,
               int64_t ldy) {
  for (int t = 0; t < ntok; ++t)
    for (int r = 0; r < nrows; ++r) {
      float acc = 0;
      for (int64_t i = 0; i < n; ++i) acc += w[r][i] * x[t][i];
      y[t * ldy + r] = acc;
    }
}

// The int8 activation blocks as kernel_table.h defines them. The rounding adds and subtracts
// 1.5 * 2^23: for |v| <= 127 the sum's last bit is the unit, so the F32 addition itself rounds v
// to the nearest integer, ties to even (the default rounding mode, like the SIMD conversions).
void quantize_row_int8(const float* x, int64_t n, int block, int8_t* q, float* d, float* sums) {
  constexpr float kRound = 12582912.0f;
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    float amax = 0;
    bool finite = true;
    for (int i = 0; i < block; ++i) amax = std::max(amax, std::fabs(xb[i])), finite = finite && std::isfinite(xb[i]);
    const float id = 127.0f / amax;
    // A NaN or infinity: d = NaN, so every product with the block is NaN; a zero block, or one
    // too small for 127 / amax (below ~3.7e-37): zeros (kernel_table.h; review BP L4).
    if (!finite || std::isinf(id)) {
      d[b] = finite ? 0.0f : std::numeric_limits<float>::quiet_NaN();
      std::fill(q + b * block, q + (b + 1) * block, 0);
      continue;
    }
    d[b] = amax / 127.0f;
    for (int i = 0; i < block; ++i) {
      // |v| <= 127 here (|x| <= amax, id finite): the cast is defined
      const float v = (xb[i] * id + kRound) - kRound;
      q[b * block + i] = static_cast<int8_t>(v);
    }
  }
  for (int64_t s = 0; s < n / 32; ++s) {
    int sum = 0;
    for (int i = 0; i < 32; ++i) sum += q[s * 32 + i];
    sums[s] = d[s * 32 / block] * static_cast<float>(sum);
  }
}

// Q8_0 against 32-value activation blocks: per block the integer dot of the two int8 blocks,
// scaled by both blocks' scales, summed in F32.
void gemm_int8_q8_0(const uint8_t* w, uint64_t row_bytes, int nrows, const Int8Row* x, int ntok, int64_t n,
                    float* y, int64_t ldy) {
  for (int t = 0; t < ntok; ++t)
    for (int r = 0; r < nrows; ++r) {
      const auto* blk = reinterpret_cast<const gguf::BlockQ8_0*>(w + r * row_bytes);
      float acc = 0;
      for (int64_t b = 0; b < n / 32; ++b) {
        int32_t dot = 0;
        for (int i = 0; i < 32; ++i) dot += blk[b].qs[i] * x[t].q[b * 32 + i];
        acc += gguf::half_to_float(blk[b].d) * x[t].d[b] * static_cast<float>(dot);
      }
      y[t * ldy + r] = acc;
    }
}

// Q4_K / Q5_K (Q5) against 256-value activation blocks: per super-block the sub-blocks' integer
// dots weighted by their integer scales (one int32 sum), times d * (activation scale); minus dmin
// times the mins' dot with the activations' scaled sums per 32.
template <bool Q5>
void gemm_int8_q45_k(const uint8_t* w, uint64_t row_bytes, int nrows, const Int8Row* x, int ntok, int64_t n,
                     float* y, int64_t ldy) {
  using Block = std::conditional_t<Q5, gguf::BlockQ5_K, gguf::BlockQ4_K>;
  for (int t = 0; t < ntok; ++t)
    for (int r = 0; r < nrows; ++r) {
      const auto* blk = reinterpret_cast<const Block*>(w + r * row_bytes);
      float acc = 0;
      for (int64_t b = 0; b < n / 256; ++b) {
        const int8_t* xq = x[t].q + b * 256;
        int32_t dot = 0;
        float mins = 0;
        for (int s = 0; s < 8; ++s) {
          int sc, m;
          gguf::kquant_scale_min(blk[b].scales, s, &sc, &m);
          const uint8_t* qs = blk[b].qs + 32 * (s / 2);
          int32_t sub = 0;
          for (int i = 0; i < 32; ++i) {
            int q = (s % 2 ? qs[i] >> 4 : qs[i]) & 15;
            if constexpr (Q5) q |= ((blk[b].qh[i] >> s) & 1) << 4;  // bit s of qh[i] (gguf/kquant.h)
            sub += q * xq[32 * s + i];
          }
          dot += sc * sub;
          mins += static_cast<float>(m) * x[t].sums[b * 8 + s];
        }
        acc += gguf::half_to_float(blk[b].d) * x[t].d[b] * static_cast<float>(dot) -
               gguf::half_to_float(blk[b].dmin) * mins;
      }
      y[t * ldy + r] = acc;
    }
}

// Q6_K against 256-value activation blocks: per super-block the 16-value groups' integer dots of
// (q - 32) with the activations weighted by their int8 scales (one int32 sum: |sum| <= 256 * 32 *
// 127 * 128 < 2^31), times d * (activation scale).
void gemm_int8_q6_k(const uint8_t* w, uint64_t row_bytes, int nrows, const Int8Row* x, int ntok, int64_t n,
                    float* y, int64_t ldy) {
  for (int t = 0; t < ntok; ++t)
    for (int r = 0; r < nrows; ++r) {
      const auto* blk = reinterpret_cast<const gguf::BlockQ6_K*>(w + r * row_bytes);
      float acc = 0;
      for (int64_t b = 0; b < n / 256; ++b) {
        const gguf::BlockQ6_K& k = blk[b];
        const int8_t* xq = x[t].q + b * 256;
        int32_t dot = 0;
        for (int g = 0; g < 16; ++g) {
          int32_t sub = 0;
          for (int i = 0; i < 16; ++i) {
            // value v = 128h + 32c + l (gguf/kquant.h): low 4 bits in ql, high 2 in qh
            const int v = 16 * g + i, h = v / 128, c = v % 128 / 32, l = v % 32;
            const uint8_t lo = k.ql[64 * h + l + 32 * (c & 1)];
            const int q = ((c < 2 ? lo & 15 : lo >> 4) | (((k.qh[32 * h + l] >> (2 * c)) & 3) << 4)) - 32;
            sub += q * xq[v];
          }
          dot += k.scales[g] * sub;
        }
        acc += gguf::half_to_float(k.d) * x[t].d[b] * static_cast<float>(dot);
      }
      y[t * ldy + r] = acc;
    }
}

// Q4_0..Q5_1 against 32-value activation blocks: per block the integer dot of the quants (minus
// the _0 types' offset) with the int8 block, times both scales; the _1 types add m times the
// activations' scaled block sum (value d * q + m, so m multiplies the block's sum of x).
template <int Slot>
void gemm_int8_legacy(const uint8_t* w, uint64_t row_bytes, int nrows, const Int8Row* x, int ntok, int64_t n,
                      float* y, int64_t ldy) {
  using L = LegacyLayout<Slot>;
  const auto half = [](const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return gguf::half_to_float(h);
  };
  for (int t = 0; t < ntok; ++t)
    for (int r = 0; r < nrows; ++r) {
      const uint8_t* row = w + r * row_bytes;
      float acc = 0;
      for (int64_t b = 0; b < n / 32; ++b) {
        const uint8_t* blk = row + b * L::kBytes;
        int32_t dot = 0;
        for (int i = 0; i < 32; ++i)
          dot += (gguf::legacy_quant(blk + L::kQsAt, L::kFifth ? blk + L::kQhAt : nullptr, i) - L::kOffset) *
                 x[t].q[b * 32 + i];
        acc += half(blk) * x[t].d[b] * static_cast<float>(dot);
        if constexpr (L::kMin) acc += half(blk + 2) * x[t].sums[b];
      }
      y[t * ldy + r] = acc;
    }
}

}  // namespace

const Int8Kernels& scalar_int8_kernels() {
  static const Int8Kernels k = {
      "scalar",
      quantize_row_int8,
      {nullptr, nullptr, nullptr, gemm_int8_q8_0, gemm_int8_q45_k<false>, gemm_int8_q45_k<true>, gemm_int8_q6_k,
       gemm_int8_legacy<7>, gemm_int8_legacy<8>, gemm_int8_legacy<9>, gemm_int8_legacy<10>},
      3,
      // The reference, for tests: the F32 tile stays the scalar level's prefill (not measured;
      // no CPU this engine targets runs it except through --isa scalar).
      {}};
  return k;
}

const KernelTable& scalar_kernels() {
  static const KernelTable t = {
      {dot_rows<0>, dot_rows<1>, dot_rows<2>, dot_rows<3>, dot_rows<4>, dot_rows<5>, dot_rows<6>, dot_rows<7>,
       dot_rows<8>, dot_rows<9>, dot_rows<10>},
      {f32_to_f32, f16_to_f32, bf16_to_f32, q8_0_to_f32, q4_k_to_f32, q5_k_to_f32, q6_k_to_f32, q4_0_to_f32,
       q4_1_to_f32, q5_0_to_f32, q5_1_to_f32},
      gemm_tile, 3, &scalar_int8_kernels()};
  return t;
}

const KernelTable& kernels_for(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return avx512_kernels();
    case Isa::Avx2: return avx2_kernels();
    case Isa::Scalar: break;
  }
  return scalar_kernels();
}

}  // namespace infertrace::engine::cpu
