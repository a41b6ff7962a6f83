// One decode step of the continuous-batching scheduler: the next token of every active sequence
// in, one row of logits per sequence out. The scheduler calls only this, so a batched decoder
// (weights read once per step for all sequences; engine::BatchDecoder::step has this signature)
// replaces the body without touching the scheduler.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/forward.h"

namespace infertrace::serve {

class DecodeStep {
 public:
  explicit DecodeStep(int64_t n_vocab) : n_vocab_(n_vocab) {}

  // Appends tokens[i] to sessions[i] (sessions.size() == tokens.size()) and returns
  // sessions.size() rows of n_vocab logits, row i for sessions[i]; valid until the next call.
  // Throws what Session::eval throws (a token outside the vocabulary, a full context).
  std::span<const float> step(std::span<engine::Session* const> sessions, std::span<const int32_t> tokens);

 private:
  int64_t n_vocab_;
  std::vector<float> rows_;
};

}  // namespace infertrace::serve
