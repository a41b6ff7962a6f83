#include "engine/model/layer_stages.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/cpu/matmul.h"
#include "engine/cpu/ops.h"
#include "engine/gguf/dtype.h"
#include "engine/runtime/thread_pool.h"

namespace infertrace::engine::stages {

void Activations::resize(const ModelConfig& c, int64_t rows) {
  x.resize(rows * c.n_embd);
  xn.resize(rows * c.n_embd);
  tmp.resize(rows * c.n_embd);
  q.resize(rows * c.q_dim());
  k.resize(rows * c.k_dim());
  v.resize(rows * c.v_dim());
  att.resize(rows * c.n_head * c.head_dim_v);
  gate.resize(rows * c.n_ff);
  up.resize(rows * c.n_ff);
  rope.resize(rows * c.rope_dim);
}

// Matrix products run as chunks claimed by whichever thread is free (ThreadPool::run_chunks):
// a few per thread, so a thread descheduled on a shared machine delays a product by one chunk;
// not below 64 rows each, so every chunk's four weight streams (cpu/matmul.cpp) stay long.
int64_t product_chunks(const ThreadPool& pool, int64_t rows) {
  constexpr int64_t kChunksPerThread = 4, kMinChunkRows = 64;
  if (pool.size() == 1) return 1;
  return std::max<int64_t>(1, std::min<int64_t>(kChunksPerThread * pool.size(), rows / kMinChunkRows));
}

int64_t attention_chunks(const ThreadPool& pool, int64_t tasks) {
  return pool.size() == 1 ? 1 : std::min<int64_t>(tasks, 4 * pool.size());
}

void embed_row(const ModelConfig& c, const ModelWeights& W, Activations& a, int64_t t, int32_t token, int64_t pos) {
  gguf::dequantize_row(W.token_embd.type, W.token_embd.row(token), a.x.data() + t * c.n_embd, c.n_embd);
  cpu::rope_angles(c.rope_dim, pos, c.rope_freq_base, W.rope_freqs.present() ? W.rope_freqs.f32() : nullptr,
                   a.rope.data() + t * c.rope_dim);
}

namespace {

// y[t][r] += bias[r] for the nt rows of y (each `width` long), outputs r in [r0, r1).
void add_bias_rows(const WeightTensor& bias, float* y, int64_t width, int64_t nt, int64_t r0, int64_t r1) {
  const float* b = bias.f32();
  for (int64_t t = 0; t < nt; ++t) {
    float* yt = y + t * width;
    for (int64_t r = r0; r < r1; ++r) yt[r] += b[r];
  }
}

}  // namespace

void attention_inputs(ThreadPool& pool, const ModelConfig& c, const LayerWeights& L, Activations& a, int nt,
                      cpu::PrefillPath path) {
  const int64_t d = c.n_embd, qd = c.q_dim(), kvd = c.k_dim(), vvd = c.v_dim();
  for (int64_t t = 0; t < nt; ++t) cpu::rms_norm(a.x.data() + t * d, L.attn_norm.f32(), a.xn.data() + t * d, d, c.rms_eps);
  const int64_t chunks = product_chunks(pool, qd);
  // Quantized once for the round (int8 prefill): wk and wv reuse it when their type's block matches.
  cpu::prepare_int8_input(L.wq, a.xn.data(), d, nt, path, &a.int8_in);
  const cpu::Int8Input* in = &a.int8_in;
  pool.run_chunks(chunks, [&](int, int64_t ch) {
    const int part = static_cast<int>(ch), nth = static_cast<int>(chunks);
    int64_t r0, r1;
    cpu::split_rows(qd, part, nth, &r0, &r1);
    cpu::matmul_rows(L.wq, a.xn.data(), d, nt, a.q.data(), qd, r0, r1, path, in);
    cpu::split_rows(kvd, part, nth, &r0, &r1);
    cpu::matmul_rows(L.wk, a.xn.data(), d, nt, a.k.data(), kvd, r0, r1, path, in);
    cpu::split_rows(vvd, part, nth, &r0, &r1);
    cpu::matmul_rows(L.wv, a.xn.data(), d, nt, a.v.data(), vvd, r0, r1, path, in);
    if (c.has_qkv_bias()) {
      // qwen2: each bias joins the rows this chunk just computed (still in this thread's cache),
      // before store_kv / attend rotate q and k.
      cpu::split_rows(qd, part, nth, &r0, &r1);
      add_bias_rows(L.bq, a.q.data(), qd, nt, r0, r1);
      cpu::split_rows(kvd, part, nth, &r0, &r1);
      add_bias_rows(L.bk, a.k.data(), kvd, nt, r0, r1);
      cpu::split_rows(vvd, part, nth, &r0, &r1);
      add_bias_rows(L.bv, a.v.data(), vvd, nt, r0, r1);
    }
  });
}

float* layer_keys(float* kv, const ModelConfig& c, int64_t n_ctx, int64_t layer) {
  return kv + layer * n_ctx * (c.k_dim() + c.v_dim());
}

void store_kv(const ModelConfig& c, const LayerWeights& L, Activations& a, int64_t t, float* K, float* V, int64_t pos) {
  const int64_t kvd = c.k_dim(), vvd = c.v_dim();
  float* kt = a.k.data() + t * kvd;
  for (int64_t h = 0; h < c.n_head_kv; ++h) {
    float* kh = kt + h * c.head_dim;
    if (c.has_qk_norm()) cpu::rms_norm(kh, L.k_norm.f32(), kh, c.head_dim, c.rms_eps);
    cpu::rope_apply(kh, c.rope_dim, a.rope.data() + t * c.rope_dim, c.rope_type == RopeType::Neox);
  }
  std::memcpy(K + pos * kvd, kt, kvd * sizeof(float));
  std::memcpy(V + pos * vvd, a.v.data() + t * vvd, vvd * sizeof(float));
}

void attend(const ModelConfig& c, const LayerWeights& L, Activations& a, int64_t t, int64_t h, const float* K,
            const float* V, int64_t n_keys, float* scores) {
  const int64_t hd = c.head_dim, hdv = c.head_dim_v, kvd = c.k_dim(), vvd = c.v_dim(), kvh = h / c.gqa_ratio();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  float* q = a.q.data() + t * c.q_dim() + h * hd;
  if (c.has_qk_norm()) cpu::rms_norm(q, L.q_norm.f32(), q, hd, c.rms_eps);
  cpu::rope_apply(q, c.rope_dim, a.rope.data() + t * c.rope_dim, c.rope_type == RopeType::Neox);
  for (int64_t j = 0; j < n_keys; j += 4) {
    const int nr = static_cast<int>(std::min<int64_t>(4, n_keys - j));
    cpu::dot_f32_rows(K + j * kvd + kvh * hd, kvd, nr, q, hd, scores + j);
  }
  for (int64_t j = 0; j < n_keys; ++j) scores[j] *= scale;
  cpu::softmax(scores, n_keys);
  float* out = a.att.data() + t * c.n_head * hdv + h * hdv;
  std::fill(out, out + hdv, 0.0f);
  for (int64_t j = 0; j < n_keys; ++j) cpu::axpy(scores[j], V + j * vvd + kvh * hdv, out, hdv);
}

void finish_layer(ThreadPool& pool, const ModelConfig& c, const LayerWeights& L, Activations& a, int nt,
                  cpu::PrefillPath path) {
  const int64_t d = c.n_embd, ff = c.n_ff, ad = c.n_head * c.head_dim_v;
  const int64_t d_chunks = product_chunks(pool, d);
  const cpu::Int8Input* in = &a.int8_in;
  cpu::prepare_int8_input(L.wo, a.att.data(), ad, nt, path, &a.int8_in);
  pool.run_chunks(d_chunks, [&](int, int64_t ch) {
    int64_t r0, r1;
    cpu::split_rows(d, static_cast<int>(ch), static_cast<int>(d_chunks), &r0, &r1);
    cpu::matmul_rows(L.wo, a.att.data(), ad, nt, a.tmp.data(), d, r0, r1, path, in);
  });
  for (int64_t i = 0; i < nt * d; ++i) a.x[i] += a.tmp[i];

  for (int64_t t = 0; t < nt; ++t) cpu::rms_norm(a.x.data() + t * d, L.ffn_norm.f32(), a.xn.data() + t * d, d, c.rms_eps);
  const int64_t ff_chunks = product_chunks(pool, ff);
  cpu::prepare_int8_input(L.w_gate, a.xn.data(), d, nt, path, &a.int8_in);
  pool.run_chunks(ff_chunks, [&](int, int64_t ch) {
    int64_t r0, r1;
    cpu::split_rows(ff, static_cast<int>(ch), static_cast<int>(ff_chunks), &r0, &r1);
    cpu::matmul_rows(L.w_gate, a.xn.data(), d, nt, a.gate.data(), ff, r0, r1, path, in);
    cpu::matmul_rows(L.w_up, a.xn.data(), d, nt, a.up.data(), ff, r0, r1, path, in);
    // silu(gate) * up by the thread that just computed those rows (they are still in its cache).
    for (int64_t t = 0; t < nt; ++t) cpu::silu_mul(a.gate.data() + t * ff + r0, a.up.data() + t * ff + r0, r1 - r0);
  });
  cpu::prepare_int8_input(L.w_down, a.gate.data(), ff, nt, path, &a.int8_in);
  pool.run_chunks(d_chunks, [&](int, int64_t ch) {
    int64_t r0, r1;
    cpu::split_rows(d, static_cast<int>(ch), static_cast<int>(d_chunks), &r0, &r1);
    cpu::matmul_rows(L.w_down, a.gate.data(), ff, nt, a.tmp.data(), d, r0, r1, path, in);
  });
  for (int64_t i = 0; i < nt * d; ++i) a.x[i] += a.tmp[i];
}

void output_logits(ThreadPool& pool, const ModelConfig& c, const ModelWeights& W, const float* x, int nt,
                   float* normed, float* logits, cpu::PrefillPath path) {
  const int64_t d = c.n_embd;
  for (int64_t t = 0; t < nt; ++t) cpu::rms_norm(x + t * d, W.output_norm.f32(), normed + t * d, d, c.rms_eps);
  const int64_t chunks = product_chunks(pool, c.n_vocab);
  pool.run_chunks(chunks, [&](int, int64_t ch) {
    int64_t r0, r1;
    cpu::split_rows(c.n_vocab, static_cast<int>(ch), static_cast<int>(chunks), &r0, &r1);
    cpu::matmul_rows(W.output, normed, d, nt, logits, c.n_vocab, r0, r1, path);
  });
}

}  // namespace infertrace::engine::stages
