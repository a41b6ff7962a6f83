// One decode step of the continuous-batching scheduler: the next token of every active sequence
// in, one row of logits per sequence out. The scheduler calls only this; it runs
// engine::BatchDecoder, so a step reads the weights once for all active sequences (docs/engine.md
// "Batched decode step") instead of once per sequence.
#pragma once

#include <cstdint>
#include <span>

#include "engine/model/batch_decode.h"
#include "engine/model/forward.h"

namespace infertrace::serve {

class DecodeStep {
 public:
  // Up to max_batch sequences per step, every product on `pool`.
  DecodeStep(const engine::Model& model, engine::ThreadPool& pool, int64_t max_batch) : batch_(model, pool, max_batch) {}

  // Appends tokens[i] to sessions[i] (sessions.size() == tokens.size()) and returns
  // sessions.size() rows of n_vocab logits, row i for sessions[i]; valid until the next call.
  // Throws Error, with every session unchanged, on a token outside the vocabulary or a full context.
  std::span<const float> step(std::span<engine::Session* const> sessions, std::span<const int32_t> tokens) {
    return batch_.step(sessions, tokens);
  }

 private:
  engine::BatchDecoder batch_;
};

}  // namespace infertrace::serve
