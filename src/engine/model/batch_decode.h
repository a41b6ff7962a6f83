// One decode step for several sequences at once (continuous batching): a server keeps one
// Session per request and, at every scheduler step, appends one token to each active request.
// Calling Session::eval per request reads every weight once per request; BatchDecoder::step
// runs each weight product once for all of them (matrix-matrix over the n rows, as a prefill
// chunk does), so a step reads the weights once however many requests it serves. Attention stays
// per row: row i reads only sessions[i]'s KV cache, up to that session's own position.
//
// The arithmetic is the Session's own (engine/model/layer_stages.h, shared with eval_chunk), so
// a session can be stepped here and continued with eval() (or the reverse) seamlessly. Logits
// agree with a single-sequence eval() to float rounding: with 3 or more rows the products take
// the register-tiled path, whose sums run in another order than the one-token path's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/forward.h"
#include "engine/model/layer_stages.h"

namespace infertrace::engine {

class ThreadPool;

class BatchDecoder {
 public:
  // Buffers for up to max_batch rows (>= 1); `pool` runs every step's products and attention.
  BatchDecoder(const Model& model, ThreadPool& pool, int64_t max_batch);

  // Appends tokens[i] to sessions[i] at sessions[i]->n_past() for every i, as one step; returns
  // n = sessions.size() rows of n_vocab logits (row i: sessions[i]'s next-token logits), valid
  // until the next step. Afterwards every session's n_past() is one more and its KV cache holds
  // the new token, so Session::eval or another step continues from there.
  // Everything is checked before any state changes, so a bad row leaves every session as it
  // was: Error (naming the row) when sessions is empty or longer than max_batch, the sizes
  // differ, a session is null, repeated, or built on another Model, a token is outside the
  // vocabulary, or a session's context is full.
  std::span<const float> step(std::span<Session* const> sessions, std::span<const int32_t> tokens);

  int64_t max_batch() const { return max_batch_; }
  const Model& model() const { return model_; }

 private:
  void validate(std::span<Session* const> sessions, std::span<const int32_t> tokens) const;
  // Attention of tasks (row, head) [task0, task1) of layer l; tid picks the score scratch.
  void attention(int64_t l, int tid, int64_t task0, int64_t task1);

  const Model& model_;
  ThreadPool& pool_;
  int64_t max_batch_;
  stages::Activations act_;  // max_batch rows
  std::vector<float> logits_;  // max_batch rows of n_vocab
  std::vector<float> scores_;  // per thread: the most keys a row of the current step reads
  int64_t scores_stride_ = 0;
  std::span<Session* const> rows_;  // the sessions of the step in progress
};

}  // namespace infertrace::engine
