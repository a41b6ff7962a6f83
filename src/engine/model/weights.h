// Pointers to every weight of a model inside a mapped GGUF, with llama.cpp's tensor names and
// shapes (ggml order, ne[0] = row length):
//   token_embd.weight      [n_embd, n_vocab]      output_norm.weight [n_embd]
//   output.weight          [n_embd, n_vocab]      (absent when tied: token_embd is used)
//   blk.N.attn_norm.weight [n_embd]               blk.N.ffn_norm.weight [n_embd]
//   blk.N.attn_q.weight    [n_embd, q_dim]        blk.N.attn_k.weight  [n_embd, k_dim]
//   blk.N.attn_v.weight    [n_embd, v_dim]        blk.N.attn_output.weight [q_dim_v, n_embd]
//   blk.N.attn_q_norm.weight / attn_k_norm.weight [head_dim]   (qwen3 only)
//   blk.N.attn_q.bias [q_dim]  attn_k.bias [k_dim]  attn_v.bias [v_dim]  (qwen2 only)
//   blk.N.ffn_gate.weight  [n_embd, n_ff]         blk.N.ffn_up.weight  [n_embd, n_ff]
//   blk.N.ffn_down.weight  [n_ff, n_embd]
//   rope_freqs.weight      [rope_dim/2]           (optional, Llama 3.1+ frequency factors)
// A matrix with ne = {cols, rows} computes y[rows] = W x[cols]: each row is contiguous.
// Vectors (norms, biases) must be F32 (as every converter writes them); matrices may be F32/F16/BF16/Q8_0,
// Q4_0/Q4_1/Q5_0/Q5_1 or the K-quants Q4_K/Q5_K/Q6_K.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/gguf/ggml_type.h"
#include "engine/model/model_config.h"

namespace infertrace::gguf {
class File;
struct TensorInfo;
}  // namespace infertrace::gguf

namespace infertrace::engine {

struct WeightTensor {
  const void* data = nullptr;  // nullptr: absent (optional tensors only)
  gguf::GgmlType type = gguf::GgmlType::F32;
  int64_t cols = 0;  // ne[0]: values per row
  int64_t rows = 0;  // ne[1] (1 for vectors)
  uint64_t row_bytes = 0;
  std::string_view name;

  bool present() const { return data != nullptr; }
  const uint8_t* row(int64_t r) const { return static_cast<const uint8_t*>(data) + r * row_bytes; }
  const float* f32() const { return static_cast<const float*>(data); }  // for F32 vectors
};

struct LayerWeights {
  WeightTensor attn_norm, wq, wk, wv, wo;
  WeightTensor q_norm, k_norm;  // qwen3 only
  WeightTensor bq, bk, bv;      // qwen2 only: added to the q, k, v products
  WeightTensor ffn_norm, w_gate, w_down, w_up;
};

struct ModelWeights {
  WeightTensor token_embd, output_norm;
  WeightTensor output;      // equals token_embd when the model is tied
  WeightTensor rope_freqs;  // optional
  std::vector<LayerWeights> layers;
  uint64_t total_bytes = 0;  // bytes of all distinct weights (what decode streams per token)

  // Binds every tensor the config needs; throws InputError naming the tensor (and its info's byte
  // offset) for one missing, of the wrong shape or of a type the engine cannot compute with, and
  // for a file holding tensors the config's architecture does not use (a wrong architecture key).
  static ModelWeights bind(const gguf::File& file, const ModelConfig& config);
};

}  // namespace infertrace::engine
