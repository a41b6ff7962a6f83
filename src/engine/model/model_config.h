// The hyper-parameters of a transformer, read from a GGUF's metadata with llama.cpp's key names
// ("<arch>.block_count", "<arch>.attention.head_count", ...). Two architectures:
//   llama  (Llama 2/3): RoPE applied to adjacent pairs (llama.cpp's LLAMA_ROPE_TYPE_NORM).
//   qwen2  (Qwen2, Qwen2.5, the DeepSeek-R1 distills built on them): llama's layer with biases
//          added to the q, k and v products (before RoPE); RoPE as qwen3 (NEOX); no q/k norm.
//   qwen3  (Qwen3): per-head RMSNorm of q and k before RoPE; RoPE on the two halves of each head
//          (LLAMA_ROPE_TYPE_NEOX); head_dim from attention.key_length, independent of n_embd.
// All: GQA (n_head_kv divides n_head), SwiGLU FFN, RMSNorm, output weights tied to the token
// embedding when the file has no output.weight.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace::gguf {
class File;
}

namespace infertrace::engine {

enum class Arch { Llama, Qwen2, Qwen3 };
enum class RopeType {
  Norm,  // rotate pairs (x[2i], x[2i+1])
  Neox,  // rotate pairs (x[i], x[i + rope_dim/2])
};

const char* arch_name(Arch a);  // "llama" / "qwen2" / "qwen3"
const char* rope_type_name(RopeType r);

struct ModelConfig {
  Arch arch = Arch::Llama;
  std::string name;      // general.name (may be empty)
  int64_t n_layer = 0;
  int64_t n_embd = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;    // per-head size of q and k (key_length)
  int64_t head_dim_v = 0;  // per-head size of v (value_length)
  int64_t n_ff = 0;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;  // context_length
  float rope_freq_base = 10000.0f;
  int64_t rope_dim = 0;     // dimensions rotated per head (rope.dimension_count, default head_dim)
  RopeType rope_type = RopeType::Norm;
  float rms_eps = 1e-5f;
  bool tied_output = false;  // no output.weight: logits use token_embd.weight

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t k_dim() const { return n_head_kv * head_dim; }
  int64_t v_dim() const { return n_head_kv * head_dim_v; }
  int64_t gqa_ratio() const { return n_head / n_head_kv; }
  bool has_qk_norm() const { return arch == Arch::Qwen3; }
  bool has_qkv_bias() const { return arch == Arch::Qwen2; }

  // Reads and checks the metadata (and whether output.weight exists). Throws InputError naming
  // the file and key for a missing key, an unknown architecture or inconsistent values.
  static ModelConfig from_gguf(const gguf::File& file);
  // One line for logs: "qwen3, 28 layers, d=1024, heads 16/8 x 128, ff 3072, vocab 151936".
  std::string summary() const;
};

}  // namespace infertrace::engine
