// The pieces of the CPU forward pass that Session (many tokens of one sequence) and BatchDecoder
// (one token of each of several sequences) share, so that both run exactly the same arithmetic
// and a fix in one cannot miss the other. Internal to engine/model.
//
// A step works on `nt` token rows. Everything that does not look at a KV cache (embedding,
// norms, the q/k/v, output and FFN products, the logits) treats rows alike, whatever sequence
// they belong to. Only two things need a row's own sequence: where its new K/V go (store_kv) and
// which keys its attention reads (attend); both take the layer's cache base and the row's
// position explicitly, so a caller decides which cache and which position a row has.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/cpu/matmul.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"

namespace infertrace::engine {

class ThreadPool;

namespace stages {

// Activation buffers for up to `rows` token rows (row t of a buffer at t * its row length).
struct Activations {
  std::vector<float> x, xn, q, k, v, att, gate, up, tmp, rope;
  cpu::Int8Input int8_in;  // the input of the current product, quantized once for its chunks
  void resize(const ModelConfig& c, int64_t rows);
};

// Chunks of a product with `rows` weight rows (see layer_stages.cpp for the sizing).
int64_t product_chunks(const ThreadPool& pool, int64_t rows);
// Chunks of an attention round of `tasks` (row, head) tasks.
int64_t attention_chunks(const ThreadPool& pool, int64_t tasks);

// Row t's embedding into a.x and its RoPE angles (position `pos`) into a.rope.
void embed_row(const ModelConfig& c, const ModelWeights& W, Activations& a, int64_t t, int32_t token, int64_t pos);

// RMSNorm of rows [0, nt) of a.x, then the q, k, v products (one pool round for the three),
// with qwen2's biases added to them.
// `path`: how products of 3+ rows multiply (cpu/matmul.h): Session's prefill passes Auto,
// BatchDecoder F32 (a batched decode step must give what one-token decode gives).
void attention_inputs(ThreadPool& pool, const ModelConfig& c, const LayerWeights& L, Activations& a, int nt,
                      cpu::PrefillPath path);

// The cache of one layer: K is [n_ctx][k_dim], V (right after it) [n_ctx][v_dim].
float* layer_keys(float* kv, const ModelConfig& c, int64_t n_ctx, int64_t layer);
inline float* layer_values(float* K, const ModelConfig& c, int64_t n_ctx) { return K + n_ctx * c.k_dim(); }
inline const float* layer_values(const float* K, const ModelConfig& c, int64_t n_ctx) { return K + n_ctx * c.k_dim(); }

// Row t's keys (qk-normed, rotated) and values into the layer's cache K, V at position `pos`.
void store_kv(const ModelConfig& c, const LayerWeights& L, Activations& a, int64_t t, float* K, float* V, int64_t pos);

// Attention of row t, query head h, over the first n_keys cache rows of K, V (causal: the row's
// own position + 1): qk-norm and RoPE of the query in place, scores (n_keys floats of scratch),
// softmax, the weighted sum of values into a.att.
void attend(const ModelConfig& c, const LayerWeights& L, Activations& a, int64_t t, int64_t h, const float* K,
            const float* V, int64_t n_keys, float* scores);

// The rest of the layer for rows [0, nt): output projection and residual, RMSNorm, gate/up with
// silu(gate) * up, down projection and residual.
void finish_layer(ThreadPool& pool, const ModelConfig& c, const LayerWeights& L, Activations& a, int nt,
                  cpu::PrefillPath path);

// Logits of nt consecutive hidden-state rows starting at x: final RMSNorm into `normed` (nt rows
// of n_embd scratch), then the output product into logits (nt rows of n_vocab).
void output_logits(ThreadPool& pool, const ModelConfig& c, const ModelWeights& W, const float* x, int nt,
                   float* normed, float* logits, cpu::PrefillPath path);

}  // namespace stages
}  // namespace infertrace::engine
