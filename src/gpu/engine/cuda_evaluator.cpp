#include "gpu/engine/cuda_evaluator.h"

#include <string>

#include "util/error.h"

namespace infertrace::gpu {

std::span<const float> CudaEvaluator::eval(std::span<const int32_t> tokens) {
  if (tokens.empty()) throw Error("eval: no tokens");
  if (tokens.size() == 1 && engine_.n_past() > 0) return decode(tokens);
  return prefill(tokens);
}

std::span<const float> CudaEvaluator::prefill(std::span<const int32_t> prompt) {
  return {engine_.prefill(prompt.data(), static_cast<int64_t>(prompt.size())), static_cast<size_t>(n_vocab_)};
}

std::span<const float> CudaEvaluator::decode(std::span<const int32_t> tokens) {
  if (static_cast<int64_t>(tokens.size()) != n_seq_)
    throw Error("decode: " + std::to_string(tokens.size()) + " tokens for " + std::to_string(n_seq_) + " sequences");
  return {engine_.decode(tokens.data()), static_cast<size_t>(n_seq_ * n_vocab_)};
}

}  // namespace infertrace::gpu
