// What generate() drives, so the CPU Session and the CUDA engine share one timing definition
// (metrics.md section 6). Evaluator: one sequence; BatchEvaluator: several sequences decoded in
// lockstep, all started from the same prompt (for batch sweeps).
#pragma once

#include <cstdint>
#include <span>

namespace infertrace::engine {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Appends `tokens` to the sequence; returns the logits (n_vocab) after the last one, valid until
  // the next call.
  virtual std::span<const float> eval(std::span<const int32_t> tokens) = 0;
  // The same for tokens of a prompt (generate()'s prompt, the server's prefill pieces): a backend
  // may multiply them with other arithmetic than generated tokens (the CPU's int8 activations),
  // the same for every prompt token however the prompt is cut into calls.
  virtual std::span<const float> eval_prompt(std::span<const int32_t> tokens) { return eval(tokens); }
};

class BatchEvaluator {
 public:
  virtual ~BatchEvaluator() = default;
  virtual int64_t n_seq() const = 0;
  virtual int64_t n_vocab() const = 0;
  // Every sequence receives `prompt`; returns the logits (n_vocab) after its last token (the same
  // for every sequence).
  virtual std::span<const float> prefill(std::span<const int32_t> prompt) = 0;
  // One token per sequence (n_seq of them); returns n_seq rows of n_vocab logits.
  virtual std::span<const float> decode(std::span<const int32_t> tokens) = 0;
};

}  // namespace infertrace::engine
