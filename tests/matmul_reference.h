// The check the matrix-product tests share: y (n_tok rows of ldy floats) against a double-precision
// product of the dequantized weights `deq` (rows x cols, row-major) and x (n_tok rows of ldx floats).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace infertrace::test
