// K-quants (Q4_K, Q5_K, Q6_K): dequantization of hand-built blocks against values written out by
// hand and against values computed here from the documented bit layout (gguf/kquant.h, ggml's
// block definitions) on random block bytes; the quantizer's error bound (half a step) and its
// RMS error; SIMD row conversion against the scalar one on every ISA this CPU has; the
// Q4_K_M tensor rules; and a K-quant tensor whose rows are not whole super-blocks.
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
#include "engine/gguf/gguf.h"
#include "engine/gguf/kquant.h"
#include "engine/model/quant_mix.h"
#include "util/error.h"
#include "matmul_reference.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

// --- the layouts, written out again here from ggml's block definitions -------------------------

// Q4_K/Q5_K 6-bit scale (want_min false) or min of sub-block s, from the 12 packed bytes b:
// sub-blocks 0-3 are the low 6 bits of b[s] (scale) and b[s+4] (min); sub-blocks 4-7 take 4 low
// bits from b[s+4] (scale: low nibble, min: high nibble) and 2 high bits from the top of b[s-4]
// (scale) or b[s] (min).
int six_bits(const uint8_t* b, int s, bool want_min) {
  if (s < 4) return b[s + (want_min ? 4 : 0)] % 64;
  const int low = want_min ? b[s + 4] / 16 : b[s + 4] % 16;
  const int high = (want_min ? b[s] : b[s - 4]) / 64;
  return low + 16 * high;
}

float f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return gguf::half_to_float(h);
}

// Value v of a Q4_K (fifth = false) or Q5_K block of raw bytes.
double expected_q45k(const uint8_t* blk, int v, bool fifth) {
  const uint8_t* scales = blk + 4;
  const uint8_t* qh = blk + 16;
  const uint8_t* qs = blk + (fifth ? 48 : 16);
  const int pair = v / 64, in_pair = v % 64, sub = v / 32;
  const uint8_t byte = qs[32 * pair + in_pair % 32];
  int q = in_pair < 32 ? byte % 16 : byte / 16;
  if (fifth && (qh[in_pair % 32] >> sub) % 2) q += 16;  // bit `sub` of qh[l]: 2*pair (+1 for hi)
  return static_cast<double>(f16(blk)) * six_bits(scales, sub, false) * q -
         static_cast<double>(f16(blk + 2)) * six_bits(scales, sub, true);
}

// Value v of a Q6_K block: halves of 128 values, quarters of 32 within a half.
double expected_q6k(const uint8_t* blk, int v) {
  const int half = v / 128, quarter = (v % 128) / 32, l = v % 32;
  const uint8_t lowbyte = blk[64 * half + l + (quarter % 2 == 1 ? 32 : 0)];
  const int low4 = quarter < 2 ? lowbyte % 16 : lowbyte / 16;
  const int high2 = (blk[128 + 32 * half + l] >> (2 * quarter)) % 4;
  const int scale = static_cast<int8_t>(blk[192 + v / 16]);
  return static_cast<double>(f16(blk + 208)) * scale * (low4 + 16 * high2 - 32);
}

std::vector<float> deq(GgmlType t, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  gguf::dequantize_row(t, bytes.data(), y.data(), n);
  return y;
}

// --- hand-built blocks ----------------------------------------------------------------------------

TEST(KQuant, Q4KHandBuiltBlock) {
  std::vector<uint8_t> b(144, 0);
  const uint16_t one = 0x3c00, half = 0x3800;  // fp16 1.0 and 0.5
  std::memcpy(&b[0], &one, 2);
  std::memcpy(&b[2], &half, 2);
  b[4 + 0] = 0x45;  // sc0 = 5; top bits 01 -> sc4 high = 1
  b[4 + 4] = 0xc3;  // m0 = 3; top bits 11 -> m4 high = 3
  b[4 + 8] = 0x21;  // sc4 low = 1, m4 low = 2: sc4 = 17, m4 = 50
  b[16 + 0] = 0x9a;   // value 0: nibble 10 (sub-block 0); value 32: nibble 9 (sub-block 1, sc = m = 0)
  b[16 + 64] = 0x07;  // value 128: nibble 7, sub-block 4
  const std::vector<float> y = deq(GgmlType::Q4_K, b, 256);
  EXPECT_FLOAT_EQ(y[0], 1.0f * 5 * 10 - 0.5f * 3);     // 48.5
  EXPECT_FLOAT_EQ(y[1], -1.5f);                        // nibble 0, same sub-block
  EXPECT_FLOAT_EQ(y[32], 0.0f);
  EXPECT_FLOAT_EQ(y[128], 1.0f * 17 * 7 - 0.5f * 50);  // 94
  EXPECT_FLOAT_EQ(y[160], 0.0f);                       // sub-block 5: sc = m = 0
}

TEST(KQuant, Q6KHandBuiltBlock) {
  std::vector<uint8_t> b(210, 0);
  const uint16_t half = 0x3800;
  std::memcpy(&b[208], &half, 2);
  b[0] = 0x3c;    // value 0 low 4 bits 12; value 64 low 4 bits 3
  b[32] = 0x10;   // value 32 low 4 bits 0; value 96 low 4 bits 1
  b[128] = 0x93;  // qh[0] = 10 01 00 11: high bits 3 (v0), 0 (v32), 1 (v64), 2 (v96)
  b[64] = 0xf0;   // value 192 (second half, quarter 2): low 4 bits 15
  b[160] = 0x20;  // its high bits (qh[32] >> 4) = 2
  b[192 + 0] = 3;
  b[192 + 2] = 1;
  b[192 + 4] = 5;
  b[192 + 6] = 7;
  b[192 + 12] = static_cast<uint8_t>(-2);
  const std::vector<float> y = deq(GgmlType::Q6_K, b, 256);
  EXPECT_FLOAT_EQ(y[0], 0.5f * 3 * (12 + 48 - 32));   // 42
  EXPECT_FLOAT_EQ(y[32], 0.5f * 1 * (0 - 32));        // -16
  EXPECT_FLOAT_EQ(y[64], 0.5f * 5 * (3 + 16 - 32));   // -32.5
  EXPECT_FLOAT_EQ(y[96], 0.5f * 7 * (1 + 32 - 32));   // 3.5
  EXPECT_FLOAT_EQ(y[192], 0.5f * -2 * (15 + 32 - 32));  // -15
}

// Random bytes everywhere (fp16 scales kept finite and small), every value of several blocks.
TEST(KQuant, RandomBlocksMatchTheLayout) {
  std::mt19937 rng(123);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const int64_t bb = gguf::type_traits(t).block_bytes, nblocks = 4;
    std::vector<uint8_t> bytes(static_cast<size_t>(bb * nblocks));
    for (uint8_t& c : bytes) c = static_cast<uint8_t>(rng());
    for (int64_t k = 0; k < nblocks; ++k) {
      uint8_t* blk = bytes.data() + k * bb;
      // fp16 in [2^-8, 2^-4): exponent 7..10, random mantissa and sign
      auto small_half = [&](uint8_t* p) {
        const uint16_t h = static_cast<uint16_t>(((7 + rng() % 4) << 10) | (rng() & 0x3ff) | (rng() % 2 ? 0x8000 : 0));
        std::memcpy(p, &h, 2);
      };
      if (t == GgmlType::Q6_K) {
        small_half(blk + 208);
      } else {
        small_half(blk);
        small_half(blk + 2);
      }
    }
    const std::vector<float> y = deq(t, bytes, 256 * nblocks);
    for (int64_t k = 0; k < nblocks; ++k)
      for (int v = 0; v < 256; ++v) {
        const uint8_t* blk = bytes.data() + k * bb;
        const double want = t == GgmlType::Q6_K ? expected_q6k(blk, v) : expected_q45k(blk, v, t == GgmlType::Q5_K);
        ASSERT_NEAR(y[k * 256 + v], want, 1e-6 * std::max(1.0, std::abs(want)))
            << gguf::type_name(static_cast<uint32_t>(t)) << " block " << k << " value " << v;
      }
  }
}

// --- the quantizer ----------------------------------------------------------------------------

// Half the decoded step of value v's (sub-)block: the quantizer's bound.
double half_step(GgmlType t, const uint8_t* blk, int v) {
  if (t == GgmlType::Q6_K) return 0.5 * std::abs(f16(blk + 208) * static_cast<int8_t>(blk[192 + v / 16]));
  return 0.5 * f16(blk) * six_bits(blk + 4, v / 32, false);
}

TEST(KQuant, QuantizeDequantizeWithinHalfAStep) {
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  const int64_t n = 256 * 64;
  std::vector<std::vector<float>> rows;
  std::vector<float> r(n);
  for (float& v : r) v = nd(rng);
  rows.push_back(r);
  rows.push_back(std::vector<float>(n, 0.0f));   // all zero
  rows.push_back(std::vector<float>(n, 0.25f));  // constant positive (min clamps to 0)
  rows.push_back(std::vector<float>(n, -3.0f));  // constant negative
  for (float& v : r) v = std::abs(v) + 1.0f;      // positive offset
  rows.push_back(r);
  for (float& v : r) v = nd(rng);
  r[5] = 40.0f;  // one outlier per row: its sub-block's step is large, the others stay fine
  r[300] = -40.0f;
  rows.push_back(r);
  // RMS error / RMS of the normal row, measured: printed, and bounded a little above.
  const double max_rel_rms[] = {0.09, 0.045, 0.025};
  int ti = 0;
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const int64_t bb = gguf::type_traits(t).block_bytes;
    for (size_t ri = 0; ri < rows.size(); ++ri) {
      const std::vector<float>& x = rows[ri];
      std::vector<uint8_t> q(static_cast<size_t>(gguf::bytes_for(t, n)));
      gguf::quantize_row(t, x.data(), q.data(), n);
      const std::vector<float> y = deq(t, q, n);
      double se = 0, sx = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double bound = half_step(t, q.data() + (i / 256) * bb, static_cast<int>(i % 256));
        ASSERT_LE(std::abs(y[i] - x[i]), bound * (1 + 1e-5) + 1e-6 * std::abs(x[i]) + 1e-30)
            << gguf::type_name(static_cast<uint32_t>(t)) << " row " << ri << " value " << i;
        se += (y[i] - x[i]) * (y[i] - x[i]);
        sx += static_cast<double>(x[i]) * x[i];
      }
      if (ri == 0) {
        const double rel = std::sqrt(se / sx);
        std::printf("%s: RMS error / RMS value on N(0, 0.05) rows = %.4f\n", gguf::type_name(static_cast<uint32_t>(t)).c_str(), rel);
        EXPECT_LT(rel, max_rel_rms[ti]);
      }
    }
    ++ti;
  }
}

// --- SIMD row conversion (prefill) equals the scalar reference, every ISA ------------------------

TEST(KQuant, SimdRowToF32MatchesScalar) {
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t n = 1024;
  std::vector<float> x(n);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    for (float& v : x) v = nd(rng);
    std::vector<uint8_t> q(static_cast<size_t>(gguf::bytes_for(t, n)));
    gguf::quantize_row(t, x.data(), q.data(), n);
    const std::vector<float> ref = deq(t, q, n);
    const int slot = cpu::weight_slot(t);
    ASSERT_GE(slot, 4);
    for (cpu::Isa isa : {cpu::Isa::Scalar, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
      if (!cpu::isa_supported(isa)) continue;
      std::vector<float> y(n, -99.0f);
      cpu::kernels_for(isa).row_to_f32[slot](q.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_NEAR(y[i], ref[i], 1e-6f * std::max(1.0f, std::abs(ref[i])))
            << gguf::type_name(static_cast<uint32_t>(t)) << " " << cpu::isa_name(isa) << " value " << i;
    }
  }
}

// --- llama.cpp's Q4_K_M rules --------------------------------------------------------------------

// Blocks as llama.cpp's quantizer may write them and ours never does: random bytes with negative
// d/dmin, Q6_K scales of -128 and every quant value, through the decode (1-2 tokens) and prefill
// (3-5 tokens) paths of every ISA, against the scalar dequantization and a double-precision dot.
TEST(KQuant, ForeignBlocksThroughEveryIsaAndPath) {
  std::mt19937 rng(77);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const int64_t cols = 768, rows = 7, bb = gguf::type_traits(t).block_bytes, rb = cols / 256 * bb;
    std::vector<uint8_t> bytes(static_cast<size_t>(rb * rows));
    for (auto& c : bytes) c = static_cast<uint8_t>(rng());
    auto half = [&](uint8_t* p) { test::put_random_half(p, rng); };
    for (int64_t b = 0; b < rows * cols / 256; ++b) {
      uint8_t* blk = bytes.data() + b * bb;
      if (t == GgmlType::Q6_K) {
        half(blk + 208);
        blk[192] = 0x80;  // scale -128
      } else {
        half(blk), half(blk + 2);
      }
    }
    test::expect_every_isa_matches_dequantized(t, bytes, rows, cols, {1, 2, 3, 5}, rng);
  }
}

TEST(KQuant, Q4KMMixFollowsLlamaCppRules) {
  // use_more_bits for 28 layers: i < 3, i >= 24, and (i - 3) % 3 == 2 -> 5, 8, ..., 23
  std::vector<int> more;
  for (int i = 0; i < 28; ++i)
    if (use_more_bits(i, 28)) more.push_back(i);
  EXPECT_EQ(more, (std::vector<int>{0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27}));
  const WeightScheme m = parse_weight_scheme("q4_k_m");
  EXPECT_EQ(llama_file_type(m), 15u);
  EXPECT_EQ(llama_file_type(parse_weight_scheme("q5_k_m")), 17u);
  EXPECT_EQ(llama_file_type(parse_weight_scheme("q6_k")), 18u);
  EXPECT_THROW(llama_file_type(WeightScheme{GgmlType::Q4_K, false}), UsageError);
  EXPECT_THROW(parse_weight_scheme("q4_k"), UsageError);
  EXPECT_EQ(matrix_type(m, "token_embd.weight", 1024, 28, true), GgmlType::Q6_K);   // tied: it is the output
  EXPECT_EQ(matrix_type(m, "token_embd.weight", 1024, 28, false), GgmlType::Q4_K);
  EXPECT_EQ(matrix_type(m, "output.weight", 1024, 28, false), GgmlType::Q6_K);
  EXPECT_EQ(matrix_type(m, "blk.5.attn_v.weight", 1024, 28, true), GgmlType::Q6_K);
  EXPECT_EQ(matrix_type(m, "blk.6.attn_v.weight", 1024, 28, true), GgmlType::Q4_K);
  EXPECT_EQ(matrix_type(m, "blk.27.ffn_down.weight", 3072, 28, true), GgmlType::Q6_K);
  EXPECT_EQ(matrix_type(m, "blk.27.ffn_up.weight", 1024, 28, true), GgmlType::Q4_K);
  EXPECT_EQ(matrix_type(m, "blk.4.attn_q.weight", 1024, 28, true), GgmlType::Q4_K);
  // Rows that are not whole super-blocks: llama.cpp's fallbacks (SmolLM2's 576, the tiny 128).
  EXPECT_EQ(matrix_type(m, "blk.4.attn_q.weight", 128, 28, true), GgmlType::Q5_0);
  EXPECT_EQ(matrix_type(m, "blk.4.attn_q.weight", 576, 28, true), GgmlType::Q5_0);
  EXPECT_EQ(matrix_type(m, "blk.5.attn_v.weight", 576, 28, true), GgmlType::Q8_0);  // Q6_K's fallback
  EXPECT_EQ(matrix_type(m, "token_embd.weight", 576, 28, true), GgmlType::Q8_0);
  EXPECT_EQ(matrix_type(m, "blk.4.ffn_up.weight", 1536, 28, true), GgmlType::Q4_K);  // 6 super-blocks
  EXPECT_EQ(matrix_type(parse_weight_scheme("q5_k_m"), "blk.4.attn_q.weight", 960, 28, true), GgmlType::Q5_1);
  EXPECT_EQ(matrix_type(parse_weight_scheme("q6_k"), "blk.4.attn_q.weight", 960, 28, true), GgmlType::Q8_0);
  EXPECT_EQ(fallback_type(GgmlType::Q4_K, 48), GgmlType::F16);  // not even blocks of 32
  EXPECT_THROW(fallback_type(GgmlType::Q8_0, 48), UsageError);
  // An output of 48-value rows: llama.cpp takes Q8_0 for it, which has no fallback (it refuses).
  EXPECT_THROW(matrix_type(m, "output.weight", 48, 28, false), UsageError);
  EXPECT_EQ(matrix_type(parse_weight_scheme("q4_0"), "output.weight", 576, 28, false), GgmlType::Q8_0);
  EXPECT_EQ(matrix_type(parse_weight_scheme("q6_k"), "blk.6.attn_v.weight", 1024, 28, true), GgmlType::Q6_K);
  EXPECT_EQ(matrix_type(parse_weight_scheme("q8_0"), "output.weight", 1024, 28, true), GgmlType::Q8_0);
}

// --- odd-size tensors -------------------------------------------------------------------------

// A Q4_K tensor of 128-value rows cannot be written, and one patched to 128 in a file is refused
// by the reader with the reason (never a read past the data).
TEST(KQuant, RowsNotAWholeSuperBlockAreAClearError) {
  gguf::Writer bad;
  EXPECT_THROW(bad.add_tensor("w", {128, 2}, GgmlType::Q4_K), Error);
  gguf::Writer w;
  w.set_u32("general.alignment", 32);
  std::vector<uint8_t> data(2 * 144, 0);
  w.add_tensor("w", {256, 2}, GgmlType::Q4_K, data);
  std::vector<uint8_t> bytes = w.to_bytes();
  // ne[0] = 256 as a little-endian u64 right after the name "w" and n_dims = 2
  const uint8_t needle[] = {'w', 2, 0, 0, 0, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
  auto it = std::search(bytes.begin(), bytes.end(), std::begin(needle), std::end(needle));
  ASSERT_NE(it, bytes.end());
  *(it + 5) = 0x80;  // ne[0] = 128
  *(it + 6) = 0x00;
  try {
    gguf::File::from_memory(bytes, "odd.gguf");
    FAIL() << "a 128-value Q4_K row was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row length 128 is not a multiple of q4_K's block size 256"), std::string::npos)
        << e.what();
  }
}

// A super-block whose other sub-blocks have negative values (so dmin > 0) and one whose values are
// all positive: that sub-block's min is 0 (the format subtracts a min, which cannot be negative:
// a positive lowest value is reached by the quants instead), and every value is within half a step.
TEST(KQuant, SubBlockWithoutNegativeValuesHasMinZero) {
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q5_K}) {
    std::vector<float> x(256);
    for (int i = 0; i < 256; ++i) x[i] = i < 32 ? 0.5f + 0.015625f * static_cast<float>(i) : std::sin(0.37f * static_cast<float>(i));
    std::vector<uint8_t> q(static_cast<size_t>(gguf::bytes_for(t, 256)));
    gguf::quantize_row(t, x.data(), q.data(), 256);
    ASSERT_GT(f16(q.data() + 2), 0.0f) << "dmin";
    EXPECT_EQ(six_bits(q.data() + 4, 0, true), 0) << gguf::type_name(static_cast<uint32_t>(t));
    for (int s = 1; s < 8; ++s) EXPECT_GT(six_bits(q.data() + 4, s, true), 0) << "sub-block " << s;
    const std::vector<float> y = deq(t, q, 256);
    for (int i = 0; i < 256; ++i)
      ASSERT_LE(std::abs(y[i] - x[i]), half_step(t, q.data(), i) * (1 + 1e-5) + 1e-6 * std::abs(x[i]))
          << gguf::type_name(static_cast<uint32_t>(t)) << " value " << i;
  }
}

}  // namespace
