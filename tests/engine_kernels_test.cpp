// CPU kernels: every weight type on every ISA this CPU has, for decode (1-2 tokens) and prefill
// (tiles of 3 or 6 tokens, ragged edges) against a double-precision product of the dequantized weights;
// the SIMD paths against the scalar one; and the small ops against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/matmul.h"
#include "engine/cpu/ops.h"
#include "engine/gguf/dtype.h"
#include "util/error.h"
#include "matmul_reference.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

struct Matrix {
  std::vector<uint8_t> bytes;
  WeightTensor w;
};

Matrix random_matrix(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Matrix m;
  const int64_t rb = gguf::bytes_for(type, cols);
  m.bytes.resize(rb * rows);
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = nd(rng);
    gguf::quantize_row(type, row.data(), m.bytes.data() + r * rb, cols);
  }
  m.w.data = m.bytes.data();
  m.w.type = type;
  m.w.cols = cols;
  m.w.rows = rows;
  m.w.row_bytes = rb;
  m.w.name = "test";
  return m;
}

// These tests check the F32 paths at F32 precision; the int8 prefill path (Q8_0, Q4_K) has its
// own tests and bound in engine_int8_prefill_test.cpp.
constexpr cpu::PrefillPath kF32 = cpu::PrefillPath::F32;

std::vector<cpu::Isa> isas() {
  std::vector<cpu::Isa> v;
  for (cpu::Isa i : {cpu::Isa::Scalar, cpu::Isa::Avx2, cpu::Isa::Avx512})
    if (cpu::isa_supported(i)) v.push_back(i);
  return v;
}

// 13 rows: three full blocks of 4 and a ragged one; cols: 96 (whole vectors) and, for types
// without blocks, 44 (a scalar tail after the vectors); 512 (two K-quant super-blocks).
TEST(EngineKernels, MatmulEveryTypeIsaAndBatchMatchesDoubleReference) {
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_K,
                        GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                        GgmlType::Q5_1}) {
    for (int64_t cols : {96, 44, 512}) {
      if (cols % gguf::type_traits(type).block_size) continue;
      const int64_t rows = 13;
      Matrix m = random_matrix(type, rows, cols, 3);
      std::vector<float> deq(rows * cols);
      for (int64_t r = 0; r < rows; ++r) gguf::dequantize_row(type, m.w.row(r), deq.data() + r * cols, cols);
      for (int n_tok : {1, 2, 3, 7, 13}) {
        std::mt19937 rng(5);
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> x(n_tok * cols);
        for (float& v : x) v = u(rng);
        for (cpu::Isa isa : isas()) {
          std::vector<float> y(n_tok * rows, -99.0f);
          // Two calls on [0,5) and [5,13): a split like the thread pool makes.
          cpu::matmul_rows_isa(static_cast<int>(isa), m.w, x.data(), cols, n_tok, y.data(), rows, 0, 5, kF32);
          cpu::matmul_rows_isa(static_cast<int>(isa), m.w, x.data(), cols, n_tok, y.data(), rows, 5, rows, kF32);
          test::expect_matmul_matches_reference(deq, rows, cols, x.data(), cols, n_tok, y.data(), rows,
                                                gguf::type_name(static_cast<uint32_t>(type)) + " cols " +
                                                    std::to_string(cols) + " tokens " + std::to_string(n_tok) +
                                                    " isa " + cpu::isa_name(isa));
        }
      }
    }
  }
}

// Every tail of the row and token blocking: row counts leaving 1, 2 or 3 rows after blocks of 4,
// and 1..14 tokens (every remainder after the AVX-512 tile's 6 tokens and AVX2's 3), with padded
// strides (ldx = cols + 3, ldy = rows + 2) whose padding must stay untouched.
TEST(EngineKernels, MatmulEveryRowAndTokenTail) {
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_K,
                        GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                        GgmlType::Q5_1}) {
    // Whole blocks of the type; 44 (vectors and a scalar tail) for the types without blocks.
    const int64_t block = gguf::type_traits(type).block_size, cols = block > 1 ? 3 * block : 44;
    for (int64_t rows : {1, 2, 3, 5, 6, 9, 10}) {
      Matrix m = random_matrix(type, rows, cols, static_cast<uint32_t>(rows));
      std::vector<float> deq(rows * cols);
      for (int64_t r = 0; r < rows; ++r) gguf::dequantize_row(type, m.w.row(r), deq.data() + r * cols, cols);
      const int64_t ldx = cols + 3, ldy = rows + 2;
      for (int n_tok = 1; n_tok <= 14; ++n_tok) {
        std::mt19937 rng(static_cast<uint32_t>(n_tok));
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> x(n_tok * ldx);
        for (float& v : x) v = u(rng);
        for (cpu::Isa isa : isas()) {
          std::vector<float> y(n_tok * ldy, -99.0f);
          cpu::matmul_rows_isa(static_cast<int>(isa), m.w, x.data(), ldx, n_tok, y.data(), ldy, 0, rows, kF32);
          test::expect_matmul_matches_reference(deq, rows, cols, x.data(), ldx, n_tok, y.data(), ldy,
                                                gguf::type_name(static_cast<uint32_t>(type)) + " rows " +
                                                    std::to_string(rows) + " tokens " + std::to_string(n_tok) +
                                                    " isa " + cpu::isa_name(isa));
          for (int t = 0; t < n_tok; ++t) {
            for (int64_t r = rows; r < ldy; ++r)
              EXPECT_EQ(y[t * ldy + r], -99.0f) << "padding written: rows " << rows << " tokens " << n_tok;
          }
        }
      }
    }
  }
}

TEST(EngineKernels, SplitRowsCoversEveryRowOnceInBlocksOfFour) {
  for (int64_t rows : {1, 4, 13, 151936})
    for (int nth : {1, 2, 3, 7}) {
      int64_t next = 0;
      for (int t = 0; t < nth; ++t) {
        int64_t r0, r1;
        cpu::split_rows(rows, t, nth, &r0, &r1);
        EXPECT_EQ(r0, next);
        EXPECT_TRUE(r0 % 4 == 0 || r0 == rows);
        next = r1;
      }
      EXPECT_EQ(next, rows);
    }
}

TEST(EngineKernels, RmsNormByHand) {
  const float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 2, 0.5f};
  float y[4];
  cpu::rms_norm(x, w, y, 4, 0.0f);
  const double k = 1 / std::sqrt(30.0 / 4);  // mean of squares = (1+4+9+16)/4
  EXPECT_NEAR(y[0], 1 * k, 1e-6);
  EXPECT_NEAR(y[2], 6 * k, 1e-6);
  EXPECT_NEAR(y[3], 2 * k, 1e-6);
}

TEST(EngineKernels, RopePairsAndAnglesByHand) {
  // rope_dim 4, base 100: pair 0 turns by pos, pair 1 by pos / 10.
  float cs[4];
  cpu::rope_angles(4, 2, 100.0f, nullptr, cs);
  EXPECT_NEAR(cs[0], std::cos(2.0), 1e-6);
  EXPECT_NEAR(cs[1], std::cos(0.2), 1e-6);
  EXPECT_NEAR(cs[3], std::sin(0.2), 1e-6);
  float norm[5] = {1, 0, 1, 0, 7}, neox[5] = {1, 1, 0, 0, 7};
  cpu::rope_apply(norm, 4, cs, false);  // pairs (0,1), (2,3)
  EXPECT_NEAR(norm[0], std::cos(2.0), 1e-6);
  EXPECT_NEAR(norm[1], std::sin(2.0), 1e-6);
  EXPECT_NEAR(norm[2], std::cos(0.2), 1e-6);
  EXPECT_NEAR(norm[3], std::sin(0.2), 1e-6);
  EXPECT_EQ(norm[4], 7);  // past rope_dim: untouched
  cpu::rope_apply(neox, 4, cs, true);  // pairs (0,2), (1,3)
  EXPECT_NEAR(neox[0], std::cos(2.0), 1e-6);
  EXPECT_NEAR(neox[2], std::sin(2.0), 1e-6);
  EXPECT_NEAR(neox[1], std::cos(0.2), 1e-6);
  EXPECT_NEAR(neox[3], std::sin(0.2), 1e-6);
  // frequency factors divide the angle
  const float f[2] = {2.0f, 1.0f};
  cpu::rope_angles(4, 2, 100.0f, f, cs);
  EXPECT_NEAR(cs[0], std::cos(1.0), 1e-6);
}

TEST(EngineKernels, SoftmaxAndSilu) {
  float s[3] = {0, std::log(2.0f), std::log(5.0f)};
  cpu::softmax(s, 3);
  EXPECT_NEAR(s[0], 1 / 8.0, 1e-6);
  EXPECT_NEAR(s[2], 5 / 8.0, 1e-6);
  float g[2] = {0, 2}, up[2] = {3, 0.5f};
  cpu::silu_mul(g, up, 2);
  EXPECT_EQ(g[0], 0);
  EXPECT_NEAR(g[1], 2 / (1 + std::exp(-2.0)) * 0.5, 1e-6);
}

TEST(EngineKernels, IsaNamesAndForcing) {
  EXPECT_EQ(cpu::parse_isa("avx2"), cpu::Isa::Avx2);
  EXPECT_THROW(cpu::parse_isa("sse9"), Error);
  EXPECT_TRUE(cpu::isa_supported(cpu::Isa::Scalar));
  cpu::set_active_isa(cpu::Isa::Scalar);
  EXPECT_EQ(cpu::active_isa(), cpu::Isa::Scalar);
  cpu::set_active_isa(cpu::best_isa());
  if (!cpu::isa_supported(cpu::Isa::Avx512)) {
    EXPECT_THROW(cpu::set_active_isa(cpu::Isa::Avx512), Error);
  }
}

}  // namespace
