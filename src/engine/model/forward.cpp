#include "engine/model/forward.h"

#include <algorithm>
#include <cstring>

#include "engine/runtime/thread_pool.h"
#include "util/error.h"

namespace infertrace::engine {

namespace {

// Points every tensor of `w` at the same offset inside `copy` as it had in the file's data section.
void rebase(ModelWeights& w, const uint8_t* data_section, uint8_t* copy) {
  auto move = [&](WeightTensor& t) {
    if (t.data) t.data = copy + (static_cast<const uint8_t*>(t.data) - data_section);
  };
  const bool tied = w.output.data == w.token_embd.data;
  move(w.token_embd);
  move(w.output_norm);
  if (tied) w.output.data = w.token_embd.data;
  else move(w.output);
  move(w.rope_freqs);
  for (LayerWeights& l : w.layers)
    for (WeightTensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.q_norm, &l.k_norm, &l.bq, &l.bk, &l.bv,
                            &l.ffn_norm, &l.w_gate, &l.w_down, &l.w_up})
      move(*t);
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& path, const PlacementOptions& placement) {
  return from_file(gguf::File::open(path), placement);
}

std::unique_ptr<Model> Model::from_file(gguf::File file, const PlacementOptions& placement) {
  std::unique_ptr<Model> m(new Model(std::move(file)));
  m->config_ = ModelConfig::from_gguf(m->file_);
  m->weights_ = ModelWeights::bind(m->file_, m->config_);
  if (placement.copy_weights || placement.numa) {
    const uint8_t* section = m->file_.bytes() + m->file_.data_offset();
    const size_t bytes = m->file_.file_size() - m->file_.data_offset();
    PlacementOptions p = placement;
    m->weight_copy_ = Buffer(bytes, p, &m->placement_note_);
    std::memcpy(m->weight_copy_.data(), section, bytes);
    rebase(m->weights_, section, static_cast<uint8_t*>(m->weight_copy_.data()));
    m->placement_note_ = "weights copied to anonymous memory (" + m->placement_note_ + ")";
  } else {
    m->file_.prefault();  // every page mapped now, not on the first timed eval
    m->placement_note_ = "weights used in place from the file mapping (prefaulted at load)";
  }
  return m;
}

Session::Session(const Model& model, ThreadPool& pool, int64_t n_ctx, int64_t n_batch,
                 const PlacementOptions& placement)
    : model_(model), pool_(pool), n_ctx_(n_ctx), n_batch_(std::max<int64_t>(1, n_batch)) {
  const ModelConfig& c = model.config();
  if (n_ctx_ <= 0) n_ctx_ = std::min<int64_t>(c.n_ctx_train > 0 ? c.n_ctx_train : 4096, 4096);
  if (c.n_ctx_train > 0 && n_ctx_ > c.n_ctx_train)
    throw Error("context of " + std::to_string(n_ctx_) + " tokens exceeds the model's training context of " +
                std::to_string(c.n_ctx_train));
  n_batch_ = std::min(n_batch_, n_ctx_);
  PlacementOptions p = placement;
  p.copy_weights = false;
  kv_ = Buffer(static_cast<size_t>(kv_bytes_per_token()) * n_ctx_, p, nullptr);
  act_.resize(c, n_batch_);
  scores_.resize(static_cast<size_t>(pool.size()) * n_ctx_);
  logits_.resize(c.n_vocab);
}

Session::~Session() = default;

int64_t Session::kv_bytes_per_token(const ModelConfig& c) {
  return c.n_layer * (c.k_dim() + c.v_dim()) * static_cast<int64_t>(sizeof(float));
}

uint64_t Session::context_bytes(const ModelConfig& config, int64_t n_ctx, int threads) {
  // As the constructor sizes kv_ and scores_.
  const uint64_t per_token = static_cast<uint64_t>(kv_bytes_per_token(config)) +
                             static_cast<uint64_t>(std::max(threads, 1)) * sizeof(float);
  uint64_t bytes = 0;
  if (n_ctx < 0 || __builtin_mul_overflow(per_token, static_cast<uint64_t>(n_ctx), &bytes)) return UINT64_MAX;
  return bytes;
}

std::span<const float> Session::eval(std::span<const int32_t> tokens) {
  // Generated tokens come one at a time (the F32 decode kernels); many tokens at once take the
  // measured prefill choice (cpu/matmul.h, Auto).
  return eval_with(tokens, cpu::PrefillPath::Auto);
}

std::span<const float> Session::eval_prompt(std::span<const int32_t> tokens) {
  return eval_with(tokens, cpu::PrefillPath::Prompt);
}

std::span<const float> Session::eval_with(std::span<const int32_t> tokens, cpu::PrefillPath path) {
  const ModelConfig& c = model_.config();
  if (tokens.empty()) throw Error("eval: no tokens");
  if (n_past_ + static_cast<int64_t>(tokens.size()) > n_ctx_)
    throw Error("context overflow: " + std::to_string(n_past_) + " tokens in the cache + " +
                std::to_string(tokens.size()) + " new exceed the context of " + std::to_string(n_ctx_) +
                " tokens (raise --ctx, up to the model's " + std::to_string(c.n_ctx_train) + ")");
  for (int32_t id : tokens)
    if (id < 0 || id >= c.n_vocab)
      throw Error("token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(c.n_vocab));
  for (size_t i = 0; i < tokens.size(); i += n_batch_) {
    const int64_t n = std::min<int64_t>(n_batch_, tokens.size() - i);
    eval_chunk(tokens.data() + i, n, path);
  }
  return logits_;
}

void Session::attention(int layer, int tid, int64_t task0, int64_t task1) {
  const ModelConfig& c = model_.config();
  const float* K = stages::layer_keys(static_cast<float*>(kv_.data()), c, n_ctx_, layer);
  const float* V = stages::layer_values(K, c, n_ctx_);
  float* scores = scores_.data() + static_cast<int64_t>(tid) * n_ctx_;
  for (int64_t task = task0; task < task1; ++task) {
    const int64_t t = task / c.n_head, h = task % c.n_head;
    // causal: this token and every earlier one
    stages::attend(c, model_.weights().layers[layer], act_, t, h, K, V, n_past_ + t + 1, scores);
  }
}

// `path`: Auto for eval (int8 activations for 3 or more tokens where measured faster, the F32
// decode kernels for one or two), Prompt for eval_prompt (the int8 choice for any count).
void Session::eval_chunk(const int32_t* tokens, int64_t n, cpu::PrefillPath path) {
  const ModelConfig& c = model_.config();
  const ModelWeights& W = model_.weights();
  const int nt = static_cast<int>(n);

  for (int64_t t = 0; t < n; ++t) stages::embed_row(c, W, act_, t, tokens[t], n_past_ + t);

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = W.layers[l];
    stages::attention_inputs(pool_, c, L, act_, nt, path);
    // New keys (normed, rotated) and values into the cache at their positions.
    float* K = stages::layer_keys(static_cast<float*>(kv_.data()), c, n_ctx_, l);
    float* V = stages::layer_values(K, c, n_ctx_);
    for (int64_t t = 0; t < n; ++t) stages::store_kv(c, L, act_, t, K, V, n_past_ + t);
    const int64_t tasks = n * c.n_head;
    const int64_t att_chunks = stages::attention_chunks(pool_, tasks);
    pool_.run_chunks(att_chunks, [&](int tid, int64_t ch) {
      attention(static_cast<int>(l), tid, tasks * ch / att_chunks, tasks * (ch + 1) / att_chunks);
    });
    stages::finish_layer(pool_, c, L, act_, nt, path);
  }

  // Logits of the last token only (what sampling needs): always one row, whatever the cut, so the
  // one-token kernels (Auto) here: the prompt path would only read the largest matrix through the
  // slower int8 one-row tile (review BQ M1).
  stages::output_logits(pool_, c, W, act_.x.data() + (n - 1) * c.n_embd, 1, act_.xn.data(), logits_.data(),
                        cpu::PrefillPath::Auto);
  n_past_ += n;
}

}  // namespace infertrace::engine
