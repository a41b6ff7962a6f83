// The check the matrix-product tests share: y (n_tok rows of ldy floats) against a double-precision
// product of the dequantized weights `deq` (rows x cols, row-major) and x (n_tok rows of ldx floats).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/matmul.h"
#include "engine/gguf/dtype.h"
#include "engine/gguf/ggml_type.h"
#include "engine/model/weights.h"

namespace infertrace::test {

// Float accumulation: the error is bounded by about n * eps * sum |terms|; `what` names the case.
inline void expect_matmul_matches_reference(const std::vector<float>& deq, int64_t rows, int64_t cols, const float* x,
                                            int64_t ldx, int n_tok, const float* y, int64_t ldy, const std::string& what) {
  for (int t = 0; t < n_tok; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double ref = 0, mag = 0;
      for (int64_t i = 0; i < cols; ++i) {
        const double p = static_cast<double>(deq[r * cols + i]) * x[t * ldx + i];
        ref += p, mag += std::abs(p);
      }
      EXPECT_NEAR(y[t * ldy + r], ref, 1e-6 * cols * mag + 1e-6) << what << " row " << r << " token " << t;
    }
}

// A random fp16 scale of moderate magnitude (exponent 7..10) and either sign, so that products of
// blocks of random bytes stay finite.
inline void put_random_half(uint8_t* p, std::mt19937& rng) {
  const uint16_t h = static_cast<uint16_t>(((7 + rng() % 4) << 10) | (rng() & 0x3ff) | (rng() % 2 ? 0x8000 : 0));
  std::memcpy(p, &h, 2);
}

// `rows` rows of `cols` values of type t stored in `bytes` (random blocks, as another program may
// write them): every ISA's product with random x for each token count (1-2 tokens take the decode
// path, more the F32 prefill one) against the double product of the scalar dequantization.
inline void expect_every_isa_matches_dequantized(gguf::GgmlType t, const std::vector<uint8_t>& bytes, int64_t rows,
                                                 int64_t cols, std::initializer_list<int> token_counts, std::mt19937& rng) {
  engine::WeightTensor w;
  w.data = bytes.data(), w.type = t, w.cols = cols, w.rows = rows, w.row_bytes = bytes.size() / static_cast<size_t>(rows);
  w.name = "foreign";
  std::vector<float> deq(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) gguf::dequantize_row(t, w.row(r), deq.data() + r * cols, cols);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int ntok : token_counts) {
    std::vector<float> x(static_cast<size_t>(ntok * cols));
    for (auto& v : x) v = u(rng);
    for (engine::cpu::Isa isa : {engine::cpu::Isa::Scalar, engine::cpu::Isa::Avx2, engine::cpu::Isa::Avx512}) {
      if (!engine::cpu::isa_supported(isa)) continue;
      std::vector<float> y(static_cast<size_t>(ntok * rows), -99.0f);
      // The F32 prefill path: int8 activations have their own bound (engine_int8_prefill_test.cpp).
      engine::cpu::matmul_rows_isa(static_cast<int>(isa), w, x.data(), cols, ntok, y.data(), rows, 0, rows,
                                   engine::cpu::PrefillPath::F32);
      expect_matmul_matches_reference(deq, rows, cols, x.data(), cols, ntok, y.data(), rows,
                                      gguf::type_name(static_cast<uint32_t>(t)) + " " +
                                          engine::cpu::isa_name(isa) + " tokens " + std::to_string(ntok));
    }
  }
}

}  // namespace infertrace::test
