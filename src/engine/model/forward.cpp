#include "engine/model/forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/cpu/matmul.h"
#include "engine/cpu/ops.h"
#include "engine/gguf/dtype.h"
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
    for (WeightTensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.q_norm, &l.k_norm, &l.ffn_norm, &l.w_gate,
                            &l.w_down, &l.w_up})
      move(*t);
}

// Matrix products run as chunks claimed by whichever thread is free (ThreadPool::run_chunks):
// a few per thread, so a thread descheduled on a shared machine delays a product by one chunk;
// not below 64 rows each, so every chunk's four weight streams (cpu/matmul.cpp) stay long.
int64_t product_chunks(const ThreadPool& pool, int64_t rows) {
  constexpr int64_t kChunksPerThread = 4, kMinChunkRows = 64;
  if (pool.size() == 1) return 1;
  return std::max<int64_t>(1, std::min<int64_t>(kChunksPerThread * pool.size(), rows / kMinChunkRows));
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
    m->placement_note_ = "weights used in place from the file mapping";
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
  const int64_t B = n_batch_;
  x_.resize(B * c.n_embd);
  xn_.resize(B * c.n_embd);
  tmp_.resize(B * c.n_embd);
  q_.resize(B * c.q_dim());
  k_.resize(B * c.k_dim());
  v_.resize(B * c.v_dim());
  att_.resize(B * c.n_head * c.head_dim_v);
  gate_.resize(B * c.n_ff);
  up_.resize(B * c.n_ff);
  rope_.resize(B * c.rope_dim);
  scores_.resize(static_cast<size_t>(pool.size()) * n_ctx_);
  logits_.resize(c.n_vocab);
}

Session::~Session() = default;

int64_t Session::kv_bytes_per_token() const {
  const ModelConfig& c = model_.config();
  return c.n_layer * (c.k_dim() + c.v_dim()) * static_cast<int64_t>(sizeof(float));
}

std::span<const float> Session::eval(std::span<const int32_t> tokens) {
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
    eval_chunk(tokens.data() + i, n);
  }
  return logits_;
}

void Session::attention(int layer, int tid, int64_t task0, int64_t task1) {
  const ModelConfig& c = model_.config();
  const LayerWeights& L = model_.weights().layers[layer];
  const int64_t hd = c.head_dim, hdv = c.head_dim_v, kvd = c.k_dim(), vvd = c.v_dim();
  const float* K = static_cast<const float*>(kv_.data()) + static_cast<int64_t>(layer) * n_ctx_ * (kvd + vvd);
  const float* V = K + n_ctx_ * kvd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  float* scores = scores_.data() + static_cast<int64_t>(tid) * n_ctx_;
  for (int64_t task = task0; task < task1; ++task) {
    const int64_t t = task / c.n_head, h = task % c.n_head, kvh = h / c.gqa_ratio();
    float* q = q_.data() + t * c.q_dim() + h * hd;
    if (c.has_qk_norm()) cpu::rms_norm(q, L.q_norm.f32(), q, hd, c.rms_eps);
    cpu::rope_apply(q, c.rope_dim, rope_.data() + t * c.rope_dim, c.rope_type == RopeType::Neox);
    const int64_t n_keys = n_past_ + t + 1;  // causal: this token and every earlier one
    for (int64_t j = 0; j < n_keys; j += 4) {
      const int nr = static_cast<int>(std::min<int64_t>(4, n_keys - j));
      cpu::dot_f32_rows(K + j * kvd + kvh * hd, kvd, nr, q, hd, scores + j);
    }
    for (int64_t j = 0; j < n_keys; ++j) scores[j] *= scale;
    cpu::softmax(scores, n_keys);
    float* out = att_.data() + t * c.n_head * hdv + h * hdv;
    std::fill(out, out + hdv, 0.0f);
    for (int64_t j = 0; j < n_keys; ++j) cpu::axpy(scores[j], V + j * vvd + kvh * hdv, out, hdv);
  }
}

void Session::eval_chunk(const int32_t* tokens, int64_t n) {
  const ModelConfig& c = model_.config();
  const ModelWeights& W = model_.weights();
  const int64_t d = c.n_embd, qd = c.q_dim(), kvd = c.k_dim(), vvd = c.v_dim(), ff = c.n_ff;
  const int nt = static_cast<int>(n);

  for (int64_t t = 0; t < n; ++t)
    gguf::dequantize_row(W.token_embd.type, W.token_embd.row(tokens[t]), x_.data() + t * d, d);
  for (int64_t t = 0; t < n; ++t)
    cpu::rope_angles(c.rope_dim, n_past_ + t, c.rope_freq_base, W.rope_freqs.present() ? W.rope_freqs.f32() : nullptr,
                     rope_.data() + t * c.rope_dim);

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = W.layers[l];
    for (int64_t t = 0; t < n; ++t) cpu::rms_norm(x_.data() + t * d, L.attn_norm.f32(), xn_.data() + t * d, d, c.rms_eps);
    const int64_t qkv_chunks = product_chunks(pool_, qd);
    pool_.run_chunks(qkv_chunks, [&](int, int64_t ch) {
      const int part = static_cast<int>(ch), nth = static_cast<int>(qkv_chunks);
      int64_t r0, r1;
      cpu::split_rows(qd, part, nth, &r0, &r1);
      cpu::matmul_rows(L.wq, xn_.data(), d, nt, q_.data(), qd, r0, r1);
      cpu::split_rows(kvd, part, nth, &r0, &r1);
      cpu::matmul_rows(L.wk, xn_.data(), d, nt, k_.data(), kvd, r0, r1);
      cpu::split_rows(vvd, part, nth, &r0, &r1);
      cpu::matmul_rows(L.wv, xn_.data(), d, nt, v_.data(), vvd, r0, r1);
    });
    // New keys (normed, rotated) and values into the cache at their positions.
    float* K = static_cast<float*>(kv_.data()) + l * n_ctx_ * (kvd + vvd);
    float* V = K + n_ctx_ * kvd;
    for (int64_t t = 0; t < n; ++t) {
      float* kt = k_.data() + t * kvd;
      for (int64_t h = 0; h < c.n_head_kv; ++h) {
        float* kh = kt + h * c.head_dim;
        if (c.has_qk_norm()) cpu::rms_norm(kh, L.k_norm.f32(), kh, c.head_dim, c.rms_eps);
        cpu::rope_apply(kh, c.rope_dim, rope_.data() + t * c.rope_dim, c.rope_type == RopeType::Neox);
      }
      std::memcpy(K + (n_past_ + t) * kvd, kt, kvd * sizeof(float));
      std::memcpy(V + (n_past_ + t) * vvd, v_.data() + t * vvd, vvd * sizeof(float));
    }
    const int64_t tasks = n * c.n_head;
    const int64_t att_chunks = pool_.size() == 1 ? 1 : std::min<int64_t>(tasks, 4 * pool_.size());
    pool_.run_chunks(att_chunks, [&](int tid, int64_t ch) {
      attention(static_cast<int>(l), tid, tasks * ch / att_chunks, tasks * (ch + 1) / att_chunks);
    });
    const int64_t ad = c.n_head * c.head_dim_v;
    const int64_t d_chunks = product_chunks(pool_, d);
    pool_.run_chunks(d_chunks, [&](int, int64_t ch) {
      int64_t r0, r1;
      cpu::split_rows(d, static_cast<int>(ch), static_cast<int>(d_chunks), &r0, &r1);
      cpu::matmul_rows(L.wo, att_.data(), ad, nt, tmp_.data(), d, r0, r1);
    });
    for (int64_t i = 0; i < n * d; ++i) x_[i] += tmp_[i];

    for (int64_t t = 0; t < n; ++t) cpu::rms_norm(x_.data() + t * d, L.ffn_norm.f32(), xn_.data() + t * d, d, c.rms_eps);
    const int64_t ff_chunks = product_chunks(pool_, ff);
    pool_.run_chunks(ff_chunks, [&](int, int64_t ch) {
      int64_t r0, r1;
      cpu::split_rows(ff, static_cast<int>(ch), static_cast<int>(ff_chunks), &r0, &r1);
      cpu::matmul_rows(L.w_gate, xn_.data(), d, nt, gate_.data(), ff, r0, r1);
      cpu::matmul_rows(L.w_up, xn_.data(), d, nt, up_.data(), ff, r0, r1);
      for (int64_t t = 0; t < n; ++t) cpu::silu_mul(gate_.data() + t * ff + r0, up_.data() + t * ff + r0, r1 - r0);
    });
    pool_.run_chunks(d_chunks, [&](int, int64_t ch) {
      int64_t r0, r1;
      cpu::split_rows(d, static_cast<int>(ch), static_cast<int>(d_chunks), &r0, &r1);
      cpu::matmul_rows(L.w_down, gate_.data(), ff, nt, tmp_.data(), d, r0, r1);
    });
    for (int64_t i = 0; i < n * d; ++i) x_[i] += tmp_[i];
  }

  // Logits of the last token only (what sampling needs).
  float* last = xn_.data();
  cpu::rms_norm(x_.data() + (n - 1) * d, W.output_norm.f32(), last, d, c.rms_eps);
  const int64_t vocab_chunks = product_chunks(pool_, c.n_vocab);
  pool_.run_chunks(vocab_chunks, [&](int, int64_t ch) {
    int64_t r0, r1;
    cpu::split_rows(c.n_vocab, static_cast<int>(ch), static_cast<int>(vocab_chunks), &r0, &r1);
    cpu::matmul_rows(W.output, last, d, 1, logits_.data(), c.n_vocab, r0, r1);
  });
  n_past_ += n;
}

}  // namespace infertrace::engine
