// Decode matrix-vector products (1-2 tokens), which read a thread's rows as four interleaved
// sequential streams (cpu/matmul.cpp): every row of every thread's share must be computed once
// and land at its own index, for ragged shares (rows not a multiple of four per thread, fewer
// rows than streams), row lengths that leave a scalar tail, every weight type, every ISA this CPU
// has and 1-3 threads; checked against a double-precision product of the dequantized weights.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/matmul.h"
#include "engine/gguf/dtype.h"
#include "engine/runtime/thread_pool.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

struct Case {
  GgmlType type;
  int64_t rows, cols;
};

TEST(EngineMatvecStreams, EveryRowOnceForRaggedSharesTypesIsasAndThreads) {
  std::vector<Case> cases;
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0})
    for (int64_t rows : {1, 2, 3, 5, 7, 13, 37, 130})
      for (int64_t cols : {44, 96, 1000, 1024}) {
        if (type == GgmlType::Q8_0 && cols % 32) continue;  // whole Q8_0 blocks only
        cases.push_back({type, rows, cols});
      }
  std::vector<cpu::Isa> isas;
  for (cpu::Isa i : {cpu::Isa::Scalar, cpu::Isa::Avx2, cpu::Isa::Avx512})
    if (cpu::isa_supported(i)) isas.push_back(i);
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (const Case& c : cases) {
    const int64_t rb = gguf::bytes_for(c.type, c.cols);
    std::vector<uint8_t> bytes(rb * c.rows);
    std::vector<float> row(c.cols), deq(c.rows * c.cols);
    for (int64_t r = 0; r < c.rows; ++r) {
      for (float& v : row) v = nd(rng);
      gguf::quantize_row(c.type, row.data(), bytes.data() + r * rb, c.cols);
      gguf::dequantize_row(c.type, bytes.data() + r * rb, deq.data() + r * c.cols, c.cols);
    }
    WeightTensor w;
    w.data = bytes.data();
    w.type = c.type;
    w.cols = c.cols;
    w.rows = c.rows;
    w.row_bytes = rb;
    w.name = "test";
    for (int n_tok : {1, 2}) {
      std::vector<float> x(n_tok * c.cols);
      for (float& v : x) v = nd(rng);
      std::vector<double> ref(n_tok * c.rows), mag(n_tok * c.rows);
      for (int t = 0; t < n_tok; ++t)
        for (int64_t r = 0; r < c.rows; ++r)
          for (int64_t i = 0; i < c.cols; ++i) {
            const double p = static_cast<double>(deq[r * c.cols + i]) * x[t * c.cols + i];
            ref[t * c.rows + r] += p;
            mag[t * c.rows + r] += std::abs(p);
          }
      for (cpu::Isa isa : isas)
        for (int threads = 1; threads <= 3; ++threads) {
          ThreadPool pool(threads);
          std::vector<float> y(n_tok * c.rows, std::numeric_limits<float>::quiet_NaN());
          pool.run([&](int tid, int nth) {
            int64_t r0, r1;
            cpu::split_rows(c.rows, tid, nth, &r0, &r1);
            cpu::matmul_rows_isa(static_cast<int>(isa), w, x.data(), c.cols, n_tok, y.data(), c.rows, r0, r1);
          });
          for (int t = 0; t < n_tok; ++t)
            for (int64_t r = 0; r < c.rows; ++r) {
              const int64_t k = t * c.rows + r;
              // float accumulation: error bounded by ~n * eps * sum|terms|; NaN = row never written
              EXPECT_NEAR(y[k], ref[k], 1e-6 * c.cols * mag[k] + 1e-6)
                  << gguf::type_name(static_cast<uint32_t>(c.type)) << " rows " << c.rows << " cols " << c.cols
                  << " tokens " << n_tok << " isa " << cpu::isa_name(isa) << " threads " << threads << " row " << r
                  << " token " << t;
            }
        }
    }
  }
}

}  // namespace
