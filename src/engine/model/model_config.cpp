#include "engine/model/model_config.h"

#include <cstdio>
#include <limits>

#include "engine/gguf/gguf.h"
#include "util/error.h"
#include "util/text_clean.h"

namespace infertrace::engine {

const char* arch_name(Arch a) {
  switch (a) {
    case Arch::Qwen2: return "qwen2";
    case Arch::Qwen3: return "qwen3";
    case Arch::Llama: break;
  }
  return "llama";
}
const char* rope_type_name(RopeType r) { return r == RopeType::Neox ? "neox" : "norm"; }

namespace {

// A positive integer key; per-layer arrays (used by a few other architectures) are rejected by name.
int64_t positive(const gguf::File& f, const std::string& key, int64_t fallback = -1) {
  const gguf::Value* v = f.find(key);
  if (!v) {
    if (fallback > 0) return fallback;
    throw InputError(f.path(), -1, "missing metadata key " + key + " (required for this architecture)");
  }
  if (v->type == gguf::ValueType::ARRAY)
    throw InputError(f.path(), -1, "metadata key " + key + ": per-layer arrays are not supported");
  const int64_t x = f.get_int(key);
  if (x <= 0) throw InputError(f.path(), -1, "metadata key " + key + " = " + std::to_string(x) + ", must be positive");
  return x;
}

// A float key's value `x`, which must be finite and positive as a float: NaN, 0, negatives, inf and
// a float64 beyond the float range (inf once narrowed) or below it (0 once narrowed) are refused (review EB L2: an epsilon of
// inf passed `!(x > 0)` and made every run emit token 0).
float finite_positive_float(const gguf::File& f, const std::string& key, double x) {
  // The narrowed value is checked as well: a float64 below the float range (1e-50) becomes 0
  // (review S43 L1).
  const float narrowed = static_cast<float>(x);
  if (!(x > 0) || !(x <= static_cast<double>(std::numeric_limits<float>::max())) || !(narrowed > 0))
    throw InputError(f.path(), -1, key + " must be a finite positive number");
  return narrowed;
}

}  // namespace

ModelConfig ModelConfig::from_gguf(const gguf::File& f) {
  ModelConfig c;
  const std::string arch(f.get_string("general.architecture"));
  if (arch == "llama") {
    c.arch = Arch::Llama;
    c.rope_type = RopeType::Norm;
  } else if (arch == "qwen2") {
    c.arch = Arch::Qwen2;
    c.rope_type = RopeType::Neox;  // llama.cpp's LLAMA_ROPE_TYPE_NEOX for qwen2, as for qwen3
  } else if (arch == "qwen3") {
    c.arch = Arch::Qwen3;
    c.rope_type = RopeType::Neox;
  } else {
    throw InputError(f.path(), -1, "unsupported architecture '" + escaped_text(arch) + "' (supported: llama, qwen2, qwen3)");
  }
  c.name = std::string(f.get_string("general.name", ""));
  const std::string p = arch + ".";
  c.n_layer = positive(f, p + "block_count");
  c.n_embd = positive(f, p + "embedding_length");
  c.n_ff = positive(f, p + "feed_forward_length");
  c.n_head = positive(f, p + "attention.head_count");
  c.n_head_kv = positive(f, p + "attention.head_count_kv", c.n_head);
  c.n_ctx_train = positive(f, p + "context_length");
  if (c.n_head % c.n_head_kv != 0)
    throw InputError(f.path(), -1, p + "attention.head_count " + std::to_string(c.n_head) +
                                       " is not a multiple of head_count_kv " + std::to_string(c.n_head_kv));
  if (c.arch != Arch::Qwen3 && c.n_embd % c.n_head != 0 && !f.find(p + "attention.key_length"))
    throw InputError(f.path(), -1, p + "embedding_length " + std::to_string(c.n_embd) +
                                       " is not a multiple of head_count " + std::to_string(c.n_head));
  c.head_dim = positive(f, p + "attention.key_length", c.n_embd / c.n_head);
  c.head_dim_v = positive(f, p + "attention.value_length", c.head_dim);
  if (c.head_dim_v != c.head_dim)
    throw InputError(f.path(), -1, p + "attention.value_length " + std::to_string(c.head_dim_v) +
                                       " differs from key_length " + std::to_string(c.head_dim) + ": not supported");
  c.rope_dim = positive(f, p + "rope.dimension_count", c.head_dim);
  if (c.rope_dim > c.head_dim || c.rope_dim % 2 != 0)
    throw InputError(f.path(), -1, p + "rope.dimension_count " + std::to_string(c.rope_dim) +
                                       " must be even and at most the head size " + std::to_string(c.head_dim));
  c.rope_freq_base = finite_positive_float(f, p + "rope.freq_base", f.get_float(p + "rope.freq_base", 10000.0));
  if (f.find(p + "rope.scaling.type")) {
    const std::string_view s = f.get_string(p + "rope.scaling.type");
    if (s != "none" && !(s == "linear" && f.get_float(p + "rope.scaling.factor", 1.0) == 1.0))
      throw InputError(f.path(), -1, "RoPE scaling '" + escaped_text(s) + "' is not supported");
  }
  c.rms_eps = finite_positive_float(f, p + "attention.layer_norm_rms_epsilon",
                                    f.get_float(p + "attention.layer_norm_rms_epsilon"));

  // Vocabulary size: the explicit key, else the tokenizer's token list, else the embedding rows.
  if (f.find(p + "vocab_size")) {
    c.n_vocab = positive(f, p + "vocab_size");
  } else if (f.find("tokenizer.ggml.tokens")) {
    c.n_vocab = static_cast<int64_t>(f.get_array("tokenizer.ggml.tokens").items.size());
  } else if (const gguf::TensorInfo* t = f.find_tensor("token_embd.weight")) {
    c.n_vocab = t->ne[1];
  } else {
    throw InputError(f.path(), -1, "cannot tell the vocabulary size: no " + p +
                                       "vocab_size, tokenizer.ggml.tokens or token_embd.weight");
  }
  c.tied_output = f.find_tensor("output.weight") == nullptr;
  return c;
}

std::string ModelConfig::summary() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s, %lld layers, d=%lld, heads %lld/%lld x %lld, ff %lld, vocab %lld, rope %s base %g%s",
                arch_name(arch), static_cast<long long>(n_layer), static_cast<long long>(n_embd),
                static_cast<long long>(n_head), static_cast<long long>(n_head_kv), static_cast<long long>(head_dim),
                static_cast<long long>(n_ff), static_cast<long long>(n_vocab), rope_type_name(rope_type),
                static_cast<double>(rope_freq_base), tied_output ? ", tied output" : "");
  return buf;
}

}  // namespace infertrace::engine
