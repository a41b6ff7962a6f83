#include "engine/model/weights.h"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "engine/gguf/gguf.h"
#include "util/error.h"

namespace infertrace::engine {

namespace {

class Binder {
 public:
  explicit Binder(const gguf::File& f) : f_(f) {}

  // A matrix of `rows` rows of `cols` values (ggml ne = {cols, rows}) or, with rows == 0, a vector.
  WeightTensor bind(const std::string& name, int64_t cols, int64_t rows, bool vector_f32, bool optional = false) {
    const gguf::TensorInfo* t = f_.find_tensor(name);
    if (!t) {
      if (optional) return {};
      throw InputError(f_.path(), -1, "missing tensor " + name);
    }
    const int want_dims = rows == 0 ? 1 : 2;
    const std::string expected = "[" + std::to_string(cols) + (rows == 0 ? "" : ", " + std::to_string(rows)) + "]";
    if (t->n_dims != want_dims || t->ne[0] != cols || (rows != 0 && t->ne[1] != rows))
      throw InputError(f_.path(), t->info_offset,
                       "tensor " + name + ": shape " + t->shape_string() + ", expected " + expected);
    const std::string tname = gguf::type_name(static_cast<uint32_t>(t->type));
    if (vector_f32 && t->type != gguf::GgmlType::F32)
      throw InputError(f_.path(), t->info_offset,
                       "tensor " + name + ": type " + tname + ", vectors (norms, biases) must be f32");
    if (!gguf::is_engine_weight_type(t->type))
      throw InputError(f_.path(), t->info_offset,
                       "tensor " + name + ": weight type " + tname +
                           " is not supported (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q5_K, q6_K are)");
    WeightTensor w;
    w.data = t->data;
    w.type = t->type;
    w.cols = t->ne[0];
    w.rows = rows == 0 ? 1 : t->ne[1];
    w.row_bytes = t->row_bytes();
    w.name = t->name;
    total += t->n_bytes;
    used.insert(t);
    return w;
  }
  uint64_t total = 0;
  std::unordered_set<const gguf::TensorInfo*> used;

 private:
  const gguf::File& f_;
};

}  // namespace

ModelWeights ModelWeights::bind(const gguf::File& file, const ModelConfig& c) {
  Binder b(file);
  ModelWeights w;
  w.token_embd = b.bind("token_embd.weight", c.n_embd, c.n_vocab, false);
  w.output_norm = b.bind("output_norm.weight", c.n_embd, 0, true);
  if (c.tied_output) {
    w.output = w.token_embd;
  } else {
    w.output = b.bind("output.weight", c.n_embd, c.n_vocab, false);
  }
  w.rope_freqs = b.bind("rope_freqs.weight", c.rope_dim / 2, 0, true, /*optional=*/true);
  // Layers are appended one by one: block_count comes from the file, so a corrupt value must hit
  // "missing tensor" before it can drive a huge allocation.
  w.layers.reserve(std::min<size_t>(static_cast<size_t>(c.n_layer), file.tensors().size()));
  for (int64_t i = 0; i < c.n_layer; ++i) {
    LayerWeights& l = w.layers.emplace_back();
    const std::string p = "blk." + std::to_string(i) + ".";
    l.attn_norm = b.bind(p + "attn_norm.weight", c.n_embd, 0, true);
    l.wq = b.bind(p + "attn_q.weight", c.n_embd, c.q_dim(), false);
    l.wk = b.bind(p + "attn_k.weight", c.n_embd, c.k_dim(), false);
    l.wv = b.bind(p + "attn_v.weight", c.n_embd, c.v_dim(), false);
    l.wo = b.bind(p + "attn_output.weight", c.n_head * c.head_dim_v, c.n_embd, false);
    if (c.has_qk_norm()) {
      l.q_norm = b.bind(p + "attn_q_norm.weight", c.head_dim, 0, true);
      l.k_norm = b.bind(p + "attn_k_norm.weight", c.head_dim, 0, true);
    }
    if (c.has_qkv_bias()) {
      l.bq = b.bind(p + "attn_q.bias", c.q_dim(), 0, true);
      l.bk = b.bind(p + "attn_k.bias", c.k_dim(), 0, true);
      l.bv = b.bind(p + "attn_v.bias", c.v_dim(), 0, true);
    }
    l.ffn_norm = b.bind(p + "ffn_norm.weight", c.n_embd, 0, true);
    l.w_gate = b.bind(p + "ffn_gate.weight", c.n_embd, c.n_ff, false);
    l.w_up = b.bind(p + "ffn_up.weight", c.n_embd, c.n_ff, false);
    l.w_down = b.bind(p + "ffn_down.weight", c.n_ff, c.n_embd, false);
  }
  // Every tensor of the file must be one this architecture computes with. A file that holds others
  // (a qwen3 file relabelled llama: its q/k norms; a qwen2 one: its q/k/v biases; a llama with
  // attention biases the engine does not apply) would otherwise run silently as a different model.
  // llama.cpp refuses unknown extras ("wrong number of tensors") but applies a llama file's
  // optional attention biases, which this engine does not: such a real file is refused too, and the
  // message names both causes (review S43 L4). The optional extras the engine knows (output.weight,
  // rope_freqs.weight) are bound above.
  if (b.used.size() < file.tensors().size()) {
    std::string names;
    size_t n_unused = 0;
    for (const gguf::TensorInfo& t : file.tensors()) {
      if (b.used.count(&t)) continue;
      if (++n_unused <= 4) names += (n_unused > 1 ? ", " : "") + std::string(t.name);
    }
    if (n_unused > 4) names += ", ...";
    throw InputError(file.path(), -1,
                     std::to_string(n_unused) + " tensor" + (n_unused == 1 ? "" : "s") + " of the file (" + names +
                         ") unused by the " + arch_name(c.arch) + " architecture (block_count " +
                         std::to_string(c.n_layer) + "): a wrong general.architecture, or tensors this engine does not "
                         "apply (such as a llama file's attention biases); refusing to run a different model "
                         "than the file holds");
  }
  // Tensors whose bytes overlap would alias one another's weights: a damaged or edited file (every
  // writer, ours and llama.cpp's, gives each tensor its own range; tied output is a missing
  // output.weight, not a shared range). llama.cpp does not check and runs it; the engine refuses,
  // as it refuses unused tensors above, rather than compute with weights that are not the model's.
  const gguf::DataOverlaps overlaps = gguf::find_data_overlaps(file.tensors());
  if (overlaps.n_tensors > 0)
    throw InputError(file.path(), -1, "tensor data overlaps: " + gguf::describe_data_overlaps(file.tensors(), overlaps) +
                                          ": their weights would alias one another. Refusing to run a damaged file");
  w.total_bytes = b.total;
  return w;
}

}  // namespace infertrace::engine
