#include "engine/model/batch_decode.h"

#include <algorithm>
#include <string>

#include "engine/runtime/thread_pool.h"
#include "util/error.h"

namespace infertrace::engine {

BatchDecoder::BatchDecoder(const Model& model, ThreadPool& pool, int64_t max_batch)
    : model_(model), pool_(pool), max_batch_(max_batch) {
  if (max_batch_ < 1) throw Error("batch decode: the batch must hold at least one row, not " + std::to_string(max_batch));
  const ModelConfig& c = model.config();
  act_.resize(c, max_batch_);
  logits_.resize(max_batch_ * c.n_vocab);
}

void BatchDecoder::validate(std::span<Session* const> sessions, std::span<const int32_t> tokens) const {
  const ModelConfig& c = model_.config();
  const int64_t n = static_cast<int64_t>(sessions.size());
  if (n == 0) throw Error("batch decode: no sessions");
  if (tokens.size() != sessions.size())
    throw Error("batch decode: " + std::to_string(n) + " sessions but " + std::to_string(tokens.size()) + " tokens");
  if (n > max_batch_)
    throw Error("batch decode: " + std::to_string(n) + " sessions exceed the batch of " + std::to_string(max_batch_) +
                " rows");
  for (int64_t i = 0; i < n; ++i) {
    const std::string row = "batch decode: row " + std::to_string(i) + ": ";
    const Session* s = sessions[i];
    if (!s) throw Error(row + "no session (null)");
    // Two rows of one session would both write the KV row at the same position.
    for (int64_t j = 0; j < i; ++j)
      if (sessions[j] == s) throw Error(row + "the same session as row " + std::to_string(j));
    // The activations and the step's products are sized and computed with this model's weights.
    if (&s->model_ != &model_) throw Error(row + "the session belongs to another model");
    if (tokens[i] < 0 || tokens[i] >= c.n_vocab)
      throw Error(row + "token id " + std::to_string(tokens[i]) + " is outside the vocabulary of " +
                  std::to_string(c.n_vocab));
    if (s->n_past_ >= s->n_ctx_)
      throw Error(row + "context full: the session holds " + std::to_string(s->n_past_) + " of " +
                  std::to_string(s->n_ctx_) + " tokens");
  }
}

void BatchDecoder::attention(int64_t l, int tid, int64_t task0, int64_t task1) {
  const ModelConfig& c = model_.config();
  const LayerWeights& L = model_.weights().layers[l];
  float* scores = scores_.data() + static_cast<int64_t>(tid) * scores_stride_;
  for (int64_t task = task0; task < task1; ++task) {
    const int64_t i = task / c.n_head, h = task % c.n_head;
    Session& s = *rows_[i];
    const float* K = stages::layer_keys(static_cast<float*>(s.kv_.data()), c, s.n_ctx_, l);
    const float* V = stages::layer_values(K, c, s.n_ctx_);
    // Causal within the row's own sequence: its earlier tokens and the one just stored.
    stages::attend(c, L, act_, i, h, K, V, s.n_past_ + 1, scores);
  }
}

std::span<const float> BatchDecoder::step(std::span<Session* const> sessions, std::span<const int32_t> tokens) {
  validate(sessions, tokens);
  const ModelConfig& c = model_.config();
  const ModelWeights& W = model_.weights();
  const int64_t n = static_cast<int64_t>(sessions.size());
  const int nt = static_cast<int>(n);

  int64_t most_keys = 0;
  for (int64_t i = 0; i < n; ++i) {
    stages::embed_row(c, W, act_, i, tokens[i], sessions[i]->n_past_);
    most_keys = std::max(most_keys, sessions[i]->n_past_ + 1);
  }
  // Score scratch grows with the longest sequence seen, not with every session's context size.
  scores_stride_ = most_keys;
  const size_t scores_need = static_cast<size_t>(pool_.size()) * most_keys;
  if (scores_.size() < scores_need) scores_.resize(scores_need);
  rows_ = sessions;

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = W.layers[l];
    stages::attention_inputs(pool_, c, L, act_, nt, cpu::PrefillPath::F32);
    for (int64_t i = 0; i < n; ++i) {
      Session& s = *sessions[i];
      float* K = stages::layer_keys(static_cast<float*>(s.kv_.data()), c, s.n_ctx_, l);
      stages::store_kv(c, L, act_, i, K, stages::layer_values(K, c, s.n_ctx_), s.n_past_);
    }
    const int64_t tasks = n * c.n_head;
    const int64_t att_chunks = stages::attention_chunks(pool_, tasks);
    pool_.run_chunks(att_chunks, [&](int tid, int64_t ch) {
      attention(l, tid, tasks * ch / att_chunks, tasks * (ch + 1) / att_chunks);
    });
    stages::finish_layer(pool_, c, L, act_, nt, cpu::PrefillPath::F32);
  }

  stages::output_logits(pool_, c, W, act_.x.data(), nt, act_.xn.data(), logits_.data(), cpu::PrefillPath::F32);
  // Positions advance only once the step is complete: the new K/V rows lie past n_past until then.
  for (Session* s : sessions) ++s->n_past_;
  rows_ = {};
  return std::span<const float>(logits_.data(), n * c.n_vocab);
}

}  // namespace infertrace::engine
