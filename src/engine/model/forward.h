// The forward pass of a Llama/Qwen2/Qwen3 transformer on the CPU, with a KV cache.
//   Model   : a GGUF opened, its configuration and weights bound (optionally copied to placed
//             memory, runtime/memory.h). Read-only; several sessions may share it.
//   Session : one sequence: the KV cache (F32, one [n_ctx][kv_dim] matrix per layer for K and
//             for V) and the activation buffers. eval() appends tokens: a batch of many tokens
//             (prefill) runs matrix-matrix products, one token (decode) matrix-vector products.
// Per layer: x += Wo attn(rope(norm_q(Wq n(x) + bq)), rope(norm_k(Wk n(x) + bk)), Wv n(x) + bv)
// with a causal mask and GQA (query head h reads kv head h / (n_head / n_head_kv)); then
// x += Wdown (silu(Wgate n(x)) * Wup n(x)); logits = Wout rmsnorm(x). norm_q/norm_k: qwen3's
// per-head RMSNorm (absent for llama and qwen2); bq/bk/bv: qwen2's biases (absent for the
// others). Every product is split by rows over the thread pool.
// The per-layer stages are in layer_stages.h, shared with BatchDecoder (batch_decode.h), which
// decodes one token for each of several Sessions in one step (continuous batching).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/model/layer_stages.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "engine/runtime/evaluator.h"
#include "engine/runtime/memory.h"

namespace infertrace::engine {

class ThreadPool;
class BatchDecoder;

class Model {
 public:
  // Opens and validates the file (InputError naming file/offset/tensor on bad input).
  static std::unique_ptr<Model> load(const std::string& path, const PlacementOptions& placement = {});
  // For tests: a file already parsed (e.g. from memory).
  static std::unique_ptr<Model> from_file(gguf::File file, const PlacementOptions& placement = {});

  const gguf::File& file() const { return file_; }
  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const std::string& placement_note() const { return placement_note_; }

 private:
  explicit Model(gguf::File file) : file_(std::move(file)) {}
  gguf::File file_;
  ModelConfig config_;
  ModelWeights weights_;
  Buffer weight_copy_;
  std::string placement_note_;
};

class Session final : public Evaluator {
 public:
  // n_ctx: tokens the KV cache holds (0: the model's training context, capped at 4096).
  // n_batch: most tokens per prefill step (longer prompts are split).
  Session(const Model& model, ThreadPool& pool, int64_t n_ctx = 0, int64_t n_batch = 256,
          const PlacementOptions& placement = {});
  ~Session() override;

  // Appends `tokens` at positions n_past()..; returns the logits (n_vocab) after the last one.
  // Throws Error on a token id outside the vocabulary or when the context would overflow.
  std::span<const float> eval(std::span<const int32_t> tokens) override;
  // A prompt's tokens (evaluator.h): the int8 products (cpu/matmul.h, PrefillPath::Prompt) for
  // every piece, one token or many, so the result does not depend on how the prompt is cut.
  std::span<const float> eval_prompt(std::span<const int32_t> tokens) override;

  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return n_ctx_; }
  void reset() { n_past_ = 0; }
  // Bytes the KV cache holds per token (all layers, K and V).
  int64_t kv_bytes_per_token() const { return kv_bytes_per_token(model_.config()); }
  static int64_t kv_bytes_per_token(const ModelConfig& config);
  // Bytes a session of n_ctx tokens allocates that grow with its context: the KV cache and each
  // thread's attention scores (saturated at UINT64_MAX). Known before the session is made, so a
  // context no machine could hold is refused before anything is built (review CA M3).
  static uint64_t context_bytes(const ModelConfig& config, int64_t n_ctx, int threads);

 private:
  // BatchDecoder (batch_decode.h) appends one token to several sessions in one step: it reads
  // and writes their KV caches and positions directly, with the same stages as eval_chunk.
  friend class BatchDecoder;

  std::span<const float> eval_with(std::span<const int32_t> tokens, cpu::PrefillPath path);
  void eval_chunk(const int32_t* tokens, int64_t n, cpu::PrefillPath path);
  // Attention of tasks (token, head) [task0, task1) of this chunk; tid picks the score scratch.
  void attention(int layer, int tid, int64_t task0, int64_t task1);

  const Model& model_;
  ThreadPool& pool_;
  int64_t n_ctx_, n_batch_, n_past_ = 0;
  Buffer kv_;  // K then V for every layer
  stages::Activations act_;  // n_batch rows
  std::vector<float> scores_, logits_;
};

}  // namespace infertrace::engine
