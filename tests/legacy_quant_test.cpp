// The 32-value block types Q4_0, Q4_1, Q5_0, Q5_1: the quantizer on hand-picked values whose
// quants and scales are worked out here from ggml's reference rules (the signed extreme maps to
// the lowest quant, ties of x / d + offset + 0.5 truncate, the top quant clamps), dequantization of
// random block bytes against values computed here from the documented bit layout, the
// quantizer's error bound, SIMD row conversion against the scalar one, and blocks llama.cpp may
// write but our quantizer never does (negative scales and mins, every quant) through every ISA
// and path against a double-precision product.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/matmul.h"
#include "engine/gguf/dtype.h"
#include "engine/gguf/legacy_quant.h"
#include "engine/model/quant_mix.h"
#include "util/error.h"
#include "matmul_reference.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

constexpr GgmlType kTypes[] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1};

bool has_min(GgmlType t) { return t == GgmlType::Q4_1 || t == GgmlType::Q5_1; }
bool has_fifth(GgmlType t) { return t == GgmlType::Q5_0 || t == GgmlType::Q5_1; }
std::string name(GgmlType t) { return gguf::type_name(static_cast<uint32_t>(t)); }

float f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return gguf::half_to_float(h);
}

// Quant of value v of a block of raw bytes, read from ggml's block definitions again: d (and m)
// first, then for Q5 four bytes of fifth bits (value v's is bit v % 8 of byte v / 8), then 16
// bytes whose low nibbles are values 0..15 and high nibbles values 16..31.
int expected_quant(GgmlType t, const uint8_t* blk, int v) {
  const int head = has_min(t) ? 4 : 2;
  const uint8_t* qs = blk + head + (has_fifth(t) ? 4 : 0);
  int q = v < 16 ? qs[v] % 16 : qs[v - 16] / 16;
  if (has_fifth(t) && (blk[head + v / 8] >> (v % 8)) % 2) q += 16;
  return q;
}

double expected_value(GgmlType t, const uint8_t* blk, int v) {
  const int q = expected_quant(t, blk, v);
  const double d = f16(blk);
  if (has_min(t)) return d * q + f16(blk + 2);
  return d * (q - (has_fifth(t) ? 16 : 8));
}

std::vector<uint8_t> quantize(GgmlType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(static_cast<size_t>(gguf::bytes_for(t, static_cast<int64_t>(x.size()))));
  gguf::quantize_row(t, x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

std::vector<float> deq(GgmlType t, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  gguf::dequantize_row(t, bytes.data(), y.data(), n);
  return y;
}

uint16_t d_bits(const std::vector<uint8_t>& b, int at = 0) {
  uint16_t h;
  std::memcpy(&h, b.data() + at, 2);
  return h;
}

// --- the quantizers on hand-worked values ----------------------------------------------------------

// Q4_0: the largest magnitude is -2 (negative), so d = -2 / -8 = 0.25, 1/d = 4, q = trunc(4x + 8.5)
// capped at 15. 0.125 and -0.125 sit on ties and go up (9 and 8): truncation of x/d + 8.5, not
// rounding half away from zero (that would give 7 for -0.125).
TEST(LegacyQuant, Q4_0QuantizerByHand) {
  std::vector<float> x(32, 0.0f);
  x[0] = -2.0f;    // 4x + 8.5 = 0.5  -> 0
  x[1] = 1.0f;     // 12.5 -> 12
  x[2] = 0.1f;     // 8.9  -> 8
  x[3] = 0.13f;    // 9.02 -> 9
  x[4] = 0.125f;   // 9.0  -> 9
  x[5] = -0.125f;  // 8.0  -> 8
  x[17] = 2.0f;    // 16.5 -> 16, capped to 15
  x[18] = 0.375f;  // 10.0 -> 10
  const std::vector<uint8_t> b = quantize(GgmlType::Q4_0, x);
  ASSERT_EQ(b.size(), 18u);
  EXPECT_EQ(d_bits(b), 0x3400);  // fp16 0.25
  const int want[32] = {0, 12, 8, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
                        8, 15, 10, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
  for (int v = 0; v < 32; ++v) EXPECT_EQ(expected_quant(GgmlType::Q4_0, b.data(), v), want[v]) << "value " << v;
  EXPECT_EQ(b[2 + 1], 12 | (15 << 4));  // value 1 low nibble, value 17 high nibble
  const std::vector<float> y = deq(GgmlType::Q4_0, b, 32);
  EXPECT_FLOAT_EQ(y[0], -2.0f);
  EXPECT_FLOAT_EQ(y[1], 1.0f);
  EXPECT_FLOAT_EQ(y[17], 1.75f);  // the capped positive extreme
  EXPECT_FLOAT_EQ(y[18], 0.5f);
}

// A positive extreme gives a negative d (ggml keeps the sign), and of equal magnitudes the first
// one is the extreme.
TEST(LegacyQuant, SymmetricScaleKeepsTheSignOfTheFirstExtreme) {
  std::vector<float> x(32, 0.0f);
  x[3] = 1.0f;
  x[9] = -1.0f;
  const std::vector<uint8_t> q4 = quantize(GgmlType::Q4_0, x);
  EXPECT_EQ(d_bits(q4), 0xb000);  // fp16 -0.125
  EXPECT_EQ(expected_quant(GgmlType::Q4_0, q4.data(), 3), 0);
  EXPECT_EQ(expected_quant(GgmlType::Q4_0, q4.data(), 9), 15);  // -1 / -0.125 + 8.5 = 16.5, capped
  const std::vector<uint8_t> q5 = quantize(GgmlType::Q5_0, x);
  EXPECT_EQ(d_bits(q5), 0xac00);  // fp16 -0.0625
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, q5.data(), 3), 0);
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, q5.data(), 9), 31);
  // All zero: d = 0 / -16 = -0 (fp16 0x8000, as ggml writes it) and every quant is the offset.
  const std::vector<uint8_t> z = quantize(GgmlType::Q5_0, std::vector<float>(32, 0.0f));
  EXPECT_EQ(d_bits(z), 0x8000);
  for (int v = 0; v < 32; ++v) EXPECT_EQ(expected_quant(GgmlType::Q5_0, z.data(), v), 16);
}

// Q5_0: the extreme 4 is positive: d = -0.25, 1/d = -4, q = trunc(-4x + 16.5) capped at 31.
TEST(LegacyQuant, Q5_0QuantizerByHand) {
  std::vector<float> x(32, 0.0f);
  x[0] = 4.0f;      // 0.5  -> 0
  x[1] = 1.0f;      // 12.5 -> 12
  x[3] = -4.0f;     // 32.5 -> 32, capped to 31
  x[7] = 0.125f;    // 16.0 -> 16
  x[20] = -0.125f;  // 17.0 -> 17
  x[31] = -2.1f;    // 24.9 -> 24
  const std::vector<uint8_t> b = quantize(GgmlType::Q5_0, x);
  ASSERT_EQ(b.size(), 22u);
  EXPECT_EQ(d_bits(b), 0xb400);  // fp16 -0.25
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, b.data(), 0), 0);
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, b.data(), 1), 12);
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, b.data(), 3), 31);
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, b.data(), 7), 16);
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, b.data(), 20), 17);
  EXPECT_EQ(expected_quant(GgmlType::Q5_0, b.data(), 31), 24);
  // The fifth bits written out: values 3, 7, 20, 31 and every zero (q = 16) but value 0, 1.
  uint32_t qh;
  std::memcpy(&qh, b.data() + 2, 4);
  EXPECT_EQ(qh, 0xfffffffcu);
  EXPECT_EQ(b[6 + 4], 0x1 << 4 | 0x0);  // value 4: q 16 (nibble 0); value 20: q 17 (nibble 1)
  const std::vector<float> y = deq(GgmlType::Q5_0, b, 32);
  EXPECT_FLOAT_EQ(y[0], 4.0f);
  EXPECT_FLOAT_EQ(y[3], -3.75f);
  EXPECT_FLOAT_EQ(y[20], -0.25f);
  EXPECT_FLOAT_EQ(y[31], -2.0f);
}

// _1 types: d = (max - min) / 15 or 31 and m = min; with min -1, max 14 (Q4_1) or min -2, max 29
// (Q5_1) d is exactly 1, so q = trunc(x - min + 0.5).
TEST(LegacyQuant, AffineQuantizersByHand) {
  std::vector<float> x(32, 0.0f);
  x[0] = -1.0f;   // q 0
  x[1] = 14.0f;   // q 15
  x[2] = 0.5f;    // 2.0  -> 2 (a tie goes up)
  x[18] = 1.49f;  // 2.99 -> 2
  x[19] = 3.5f;   // 5.0  -> 5
  const std::vector<uint8_t> b = quantize(GgmlType::Q4_1, x);
  ASSERT_EQ(b.size(), 20u);
  EXPECT_EQ(d_bits(b), 0x3c00);     // 1.0
  EXPECT_EQ(d_bits(b, 2), 0xbc00);  // -1.0
  const int want4[] = {0, 15, 2};
  for (int v = 0; v < 3; ++v) EXPECT_EQ(expected_quant(GgmlType::Q4_1, b.data(), v), want4[v]);
  EXPECT_EQ(expected_quant(GgmlType::Q4_1, b.data(), 18), 2);
  EXPECT_EQ(expected_quant(GgmlType::Q4_1, b.data(), 19), 5);
  EXPECT_EQ(expected_quant(GgmlType::Q4_1, b.data(), 5), 1);  // 0 - (-1) = 1
  EXPECT_FLOAT_EQ(deq(GgmlType::Q4_1, b, 32)[19], 4.0f);

  std::vector<float> x5(32, 3.0f);
  x5[0] = -2.0f;   // q 0
  x5[30] = 29.0f;  // q 31: nibble 15, fifth bit 30
  x5[16] = 0.5f;   // 2.5 + 0.5 = 3
  const std::vector<uint8_t> c = quantize(GgmlType::Q5_1, x5);
  ASSERT_EQ(c.size(), 24u);
  EXPECT_EQ(d_bits(c), 0x3c00);
  EXPECT_EQ(d_bits(c, 2), 0xc000);  // -2.0
  EXPECT_EQ(expected_quant(GgmlType::Q5_1, c.data(), 0), 0);
  EXPECT_EQ(expected_quant(GgmlType::Q5_1, c.data(), 30), 31);
  EXPECT_EQ(expected_quant(GgmlType::Q5_1, c.data(), 16), 3);
  EXPECT_EQ(expected_quant(GgmlType::Q5_1, c.data(), 1), 5);  // 3 - (-2)
  uint32_t qh;
  std::memcpy(&qh, c.data() + 4, 4);
  EXPECT_EQ(qh, 1u << 30);  // only q 31 has the fifth bit
  const std::vector<float> y = deq(GgmlType::Q5_1, c, 32);
  EXPECT_FLOAT_EQ(y[30], 29.0f);
  EXPECT_FLOAT_EQ(y[1], 3.0f);
}

TEST(LegacyQuant, NonFiniteInputIsRefused) {
  for (GgmlType t : kTypes) {
    std::vector<float> x(32, 1.0f);
    x[7] = NAN;
    EXPECT_THROW(quantize(t, x), Error) << name(t);
    x[7] = INFINITY;
    EXPECT_THROW(quantize(t, x), Error) << name(t);
  }
}

// --- dequantization against the layout, random bytes ----------------------------------------------

TEST(LegacyQuant, RandomBlocksMatchTheLayout) {
  std::mt19937 rng(31);
  for (GgmlType t : kTypes) {
    const int64_t bb = gguf::type_traits(t).block_bytes, nblocks = 8;
    std::vector<uint8_t> bytes(static_cast<size_t>(bb * nblocks));
    for (uint8_t& c : bytes) c = static_cast<uint8_t>(rng());
    for (int64_t k = 0; k < nblocks; ++k)  // finite fp16 d and m of either sign: exponent 1..29
      for (int f = 0; f < (has_min(t) ? 2 : 1); ++f) {
        const uint16_t h = static_cast<uint16_t>(((1 + rng() % 29) << 10) | (rng() & 0x3ff) | (rng() % 2 ? 0x8000 : 0));
        std::memcpy(bytes.data() + k * bb + 2 * f, &h, 2);
      }
    const std::vector<float> y = deq(t, bytes, 32 * nblocks);
    for (int64_t k = 0; k < nblocks; ++k)
      for (int v = 0; v < 32; ++v) {
        const double want = expected_value(t, bytes.data() + k * bb, v);
        ASSERT_NEAR(y[k * 32 + v], want, 1e-6 * std::abs(want)) << name(t) << " block " << k << " value " << v;
      }
  }
}

// --- the quantizer's error ---------------------------------------------------------------------------

// Every value within half a step of its input, plus what the fp16 rounding of d and m moves the
// grid (at most 2^-11 relative each, times the quant); the capped extreme of the _0 types may be a
// whole step off (the grid has no +offset).
TEST(LegacyQuant, QuantizeDequantizeErrorBound) {
  std::mt19937 rng(17);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  const int64_t n = 32 * 256;
  std::vector<std::vector<float>> rows;
  std::vector<float> r(n);
  for (float& v : r) v = nd(rng);
  rows.push_back(r);
  rows.push_back(std::vector<float>(n, 0.0f));
  rows.push_back(std::vector<float>(n, 0.25f));
  rows.push_back(std::vector<float>(n, -3.0f));
  for (float& v : r) v = std::abs(v) + 1.0f;
  rows.push_back(r);
  for (float& v : r) v = nd(rng);
  r[5] = 40.0f;
  r[300] = -40.0f;
  rows.push_back(r);
  // Measured on the N(0, 0.05) row: 0.0863, 0.0780, 0.0428, 0.0379; bounded a little above.
  const double max_rel_rms[] = {0.095, 0.085, 0.047, 0.042};
  int ti = 0;
  for (GgmlType t : kTypes) {
    const int64_t bb = gguf::type_traits(t).block_bytes;
    const int qmax = has_fifth(t) ? 31 : 15;
    for (size_t ri = 0; ri < rows.size(); ++ri) {
      const std::vector<float>& x = rows[ri];
      const std::vector<uint8_t> q = quantize(t, x);
      const std::vector<float> y = deq(t, q, n);
      double se = 0, sx = 0;
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t* blk = q.data() + (i / 32) * bb;
        const double d = std::abs(f16(blk)), m = has_min(t) ? std::abs(f16(blk + 2)) : 0.0;
        const double step = has_min(t) ? 0.5 : 1.0;
        const double bound = step * d + (qmax + 1) * d * std::ldexp(1.0, -10) + m * std::ldexp(1.0, -10);
        ASSERT_LE(std::abs(y[i] - x[i]), bound + 1e-6 * std::abs(x[i]) + 1e-30) << name(t) << " row " << ri << " value " << i;
        if (!has_min(t)) {
          // Outside the capped extreme, _0 values are within half a step too.
          const int qv = expected_quant(t, blk, static_cast<int>(i % 32));
          if (qv != qmax) {
            ASSERT_LE(std::abs(y[i] - x[i]), 0.5 * d + (qmax + 1) * d * std::ldexp(1.0, -10) + 1e-6 * std::abs(x[i]) + 1e-30)
                << name(t) << " row " << ri << " value " << i;
          }
        }
        se += (y[i] - x[i]) * (y[i] - x[i]);
        sx += static_cast<double>(x[i]) * x[i];
      }
      if (ri == 0) {
        const double rel = std::sqrt(se / sx);
        std::printf("%s: RMS error / RMS value on N(0, 0.05) rows = %.4f\n", name(t).c_str(), rel);
        EXPECT_LT(rel, max_rel_rms[ti]);
      }
    }
    ++ti;
  }
}

// --- kernels ---------------------------------------------------------------------------------------

// Prefill's row conversion gives the scalar dequantization's values bit for bit on every ISA.
TEST(LegacyQuant, SimdRowToF32EqualsScalar) {
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t n = 32 * 9;
  std::vector<float> x(n);
  for (GgmlType t : kTypes) {
    for (float& v : x) v = nd(rng);
    const std::vector<uint8_t> q = quantize(t, x);
    const std::vector<float> ref = deq(t, q, n);
    const int slot = cpu::weight_slot(t);
    ASSERT_TRUE(cpu::is_legacy_slot(slot));
    for (cpu::Isa isa : {cpu::Isa::Scalar, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
      if (!cpu::isa_supported(isa)) continue;
      std::vector<float> y(n, -99.0f);
      cpu::kernels_for(isa).row_to_f32[slot](q.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], ref[i]) << name(t) << " " << cpu::isa_name(isa) << " value " << i;
    }
  }
}

// Random bytes (every quant and fifth bit pattern) with d and m of either sign, through the decode
// (1-2 tokens) and prefill (3-7 tokens) paths of every ISA, against a double-precision product of
// the scalar dequantization; 7 rows (a block of 4 and a tail of 3).
TEST(LegacyQuant, ForeignBlocksThroughEveryIsaAndPath) {
  std::mt19937 rng(77);
  for (GgmlType t : kTypes) {
    const int64_t cols = 32 * 11, rows = 7, bb = gguf::type_traits(t).block_bytes, rb = cols / 32 * bb;
    std::vector<uint8_t> bytes(static_cast<size_t>(rb * rows));
    for (auto& c : bytes) c = static_cast<uint8_t>(rng());
    for (int64_t b = 0; b < rows * cols / 32; ++b)
      for (int f = 0; f < (has_min(t) ? 2 : 1); ++f) test::put_random_half(bytes.data() + b * bb + 2 * f, rng);
    test::expect_every_isa_matches_dequantized(t, bytes, rows, cols, {1, 2, 3, 7}, rng);
  }
}

// --- llama.cpp's per-tensor rules for the Q4_0 / Q4_1 / Q5_0 / Q5_1 file types ----------------------

// Without an importance matrix llama.cpp changes only the output (and a tied token_embd, which is
// the output) of these files: Q6_K, or Q6_K's fallback Q8_0 when the rows are not whole
// super-blocks. file_type: LLAMA_FTYPE_MOSTLY_Q4_0 2, Q4_1 3, Q5_0 8, Q5_1 9.
TEST(LegacyQuant, FileTypesFollowLlamaCppRules) {
  const std::pair<const char*, uint32_t> ftypes[] = {{"q4_0", 2}, {"q4_1", 3}, {"q5_0", 8}, {"Q5_1", 9}};
  for (const auto& [n, ftype] : ftypes) {
    const WeightScheme s = parse_weight_scheme(n);
    EXPECT_FALSE(s.k_mix);
    EXPECT_EQ(llama_file_type(s), ftype) << n;
    EXPECT_EQ(matrix_type(s, "output.weight", 1024, 28, false), GgmlType::Q6_K) << n;
    EXPECT_EQ(matrix_type(s, "output.weight", 576, 28, false), GgmlType::Q8_0) << n;
    EXPECT_EQ(matrix_type(s, "token_embd.weight", 1024, 28, true), GgmlType::Q6_K) << n;
    EXPECT_EQ(matrix_type(s, "token_embd.weight", 576, 28, false), s.base) << n;
    EXPECT_EQ(matrix_type(s, "blk.0.attn_v.weight", 576, 28, true), s.base) << n;  // no _M rule
    EXPECT_EQ(matrix_type(s, "blk.27.ffn_down.weight", 1536, 28, true), s.base) << n;
    EXPECT_THROW(matrix_type(s, "blk.0.attn_q.weight", 48, 28, true), UsageError) << n;  // llama.cpp has no fallback
  }
  EXPECT_THROW(llama_file_type(WeightScheme{GgmlType::Q4_0, true}), UsageError);
}

}  // namespace
