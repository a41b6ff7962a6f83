// Rules of the CPU kernels that the product and forward tests cannot see: the K-quant dot without
// precomputed sub-block sums (it then sums x per super-block itself), which ISA best_isa() picks,
// the names parse_isa() accepts, and a softmax whose inputs overflow exp() unless the maximum is
// subtracted (the forward tests' scores are O(1), where subtracting it or not gives the same
// values). Expected values are computed here from the definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/ops.h"
#include "engine/gguf/dtype.h"
#include "matmul_reference.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

// The kernel table allows xs == nullptr for Q4_K/Q5_K (kernel_table.h): the kernel then sums x per
// super-block itself. matmul always passes the sums, so only a direct call reaches that path;
// three super-blocks per row, so a sum kept from the first super-block would show.
TEST(EngineKernelRules, KQuantDotWithoutPrecomputedSumsMatchesDoubleReference) {
  const int64_t rows = 4, cols = 768;
  for (GgmlType type : {GgmlType::Q4_K, GgmlType::Q5_K}) {
    std::mt19937 rng(21);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const int64_t rb = gguf::bytes_for(type, cols);
    std::vector<uint8_t> bytes(static_cast<size_t>(rb * rows));
    std::vector<float> row(cols), deq(static_cast<size_t>(rows * cols)), x(cols);
    for (int64_t r = 0; r < rows; ++r) {
      for (float& v : row) v = nd(rng);
      gguf::quantize_row(type, row.data(), bytes.data() + r * rb, cols);
      gguf::dequantize_row(type, bytes.data() + r * rb, deq.data() + r * cols, cols);
    }
    // x with a different mean per super-block, so that each super-block's sums differ
    for (int64_t i = 0; i < cols; ++i) x[i] = nd(rng) + static_cast<float>(i / 256);
    const int slot = cpu::weight_slot(type);
    for (cpu::Isa isa : {cpu::Isa::Scalar, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
      if (!cpu::isa_supported(isa)) continue;
      std::vector<float> y(rows, -99.0f);
      cpu::kernels_for(isa).dot_rows[slot](bytes.data(), rb, static_cast<int>(rows), x.data(), cols, nullptr, y.data());
      test::expect_matmul_matches_reference(deq, rows, cols, x.data(), cols, 1, y.data(), rows,
                                            gguf::type_name(static_cast<uint32_t>(type)) + " without sums, isa " +
                                                cpu::isa_name(isa));
    }
  }
}

TEST(EngineKernelRules, BestIsaIsTheHighestSupported) {
  cpu::Isa highest = cpu::Isa::Scalar;
  for (cpu::Isa i : {cpu::Isa::Avx2, cpu::Isa::Avx512})
    if (cpu::isa_supported(i)) highest = i;
  EXPECT_EQ(cpu::best_isa(), highest);
}

TEST(EngineKernelRules, EveryIsaNameParses) {
  EXPECT_EQ(cpu::parse_isa("scalar"), cpu::Isa::Scalar);
  EXPECT_EQ(cpu::parse_isa("avx2"), cpu::Isa::Avx2);
  EXPECT_EQ(cpu::parse_isa("avx512"), cpu::Isa::Avx512);
  for (cpu::Isa i : {cpu::Isa::Scalar, cpu::Isa::Avx2, cpu::Isa::Avx512}) EXPECT_EQ(cpu::parse_isa(cpu::isa_name(i)), i);
}

// exp(1000) overflows a float: only a max-subtracted softmax gives 1/4, 3/4. In the second case
// the largest value is the last and lies more than 88 above the others (e^88 is near the float
// limit), so a maximum that misses the last value overflows as well.
TEST(EngineKernelRules, SoftmaxOfLargeScoresSubtractsTheMaximum) {
  float a[2] = {1000.0f, 1000.0f + std::log(3.0f)};
  cpu::softmax(a, 2);
  EXPECT_NEAR(a[0], 0.25, 1e-5);
  EXPECT_NEAR(a[1], 0.75, 1e-5);
  float b[3] = {-100.0f, -99.0f, 100.0f};
  cpu::softmax(b, 3);
  for (float v : b) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(b[2], 1.0, 1e-6);
  EXPECT_NEAR(b[0] + b[1], 0.0, 1e-6);
}

}  // namespace
