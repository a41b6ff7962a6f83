// The CUDA engine seen through the runtime's Evaluator interfaces (runtime/evaluator.h), so
// generate() and generate_batched() time it exactly as they time the CPU Session.
#pragma once

#include <span>

#include "engine/runtime/evaluator.h"
#include "gpu/engine/cuda_engine.h"

namespace infertrace::gpu {

class CudaEvaluator final : public engine::Evaluator, public engine::BatchEvaluator {
 public:
  CudaEvaluator(CudaEngine& engine, int64_t n_vocab, int64_t n_seq)
      : engine_(engine), n_vocab_(n_vocab), n_seq_(n_seq) {}

  // One sequence: the first call (or any call of several tokens) is a prefill, later single
  // tokens are decode steps.
  std::span<const float> eval(std::span<const int32_t> tokens) override;

  int64_t n_seq() const override { return n_seq_; }
  int64_t n_vocab() const override { return n_vocab_; }
  std::span<const float> prefill(std::span<const int32_t> prompt) override;
  std::span<const float> decode(std::span<const int32_t> tokens) override;

 private:
  CudaEngine& engine_;
  int64_t n_vocab_, n_seq_;
};

}  // namespace infertrace::gpu
