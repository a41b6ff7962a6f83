// The input of the kernel benches (matvec_types_bench, prefill_tile_bench): a rows x cols matrix of
// N(0, 0.03) values quantized to `type` row by row, then `x_values` activations from the same
// generator (seed 1, rows first: every bench sees the same numbers for the same shape).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "engine/gguf/dtype.h"
#include "engine/model/weights.h"

namespace infertrace::bench_inputs {

struct RandomWeights {
  std::vector<uint8_t> data;
  std::vector<float> x;
  engine::WeightTensor w;  // views `data` (a moved vector keeps its buffer; copies are refused)

  RandomWeights(gguf::GgmlType type, int64_t rows, int64_t cols, int64_t x_values) {
    const int64_t row_bytes = gguf::bytes_for(type, cols);
    data.resize(static_cast<size_t>(row_bytes * rows));
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 0.03f);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (float& v : row) v = nd(rng);
      gguf::quantize_row(type, row.data(), data.data() + r * row_bytes, cols);
    }
    x.resize(static_cast<size_t>(x_values));
    for (float& v : x) v = nd(rng);
    w.data = data.data();
    w.type = type;
    w.cols = cols;
    w.rows = rows;
    w.row_bytes = static_cast<uint64_t>(row_bytes);
    w.name = "bench";
  }
  RandomWeights(const RandomWeights&) = delete;
  RandomWeights& operator=(const RandomWeights&) = delete;
};

}  // namespace infertrace::bench_inputs
