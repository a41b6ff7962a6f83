// model synth + ModelConfig + ModelWeights: synthetic files have the preset's exact shapes and
// metadata, sane weight statistics, are reproducible, and bad models give errors naming the tensor.
#include <gtest/gtest.h>

#include <map>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>

#include "engine/gguf/dtype.h"
#include "engine/gguf/gguf.h"
#include "engine/model/model_config.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/model/weights.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("infertrace_model_" + std::to_string(getpid()) + "_" + name + ".gguf")).string();
}

std::string synth(const std::string& preset, GgmlType dtype, uint64_t seed = 42, int threads = 0) {
  const std::string path =
      temp_path(preset + "_" + gguf::type_name(static_cast<uint32_t>(dtype)) + "_" + std::to_string(seed) + "_" + std::to_string(threads));
  SynthOptions o;
  o.dtype = dtype;
  o.seed = seed;
  o.threads = threads;
  synth_model(find_preset(preset), o, path);
  return path;
}

std::vector<uint8_t> read_all(const std::string& path) {
  const gguf::File f = gguf::File::open(path);
  return std::vector<uint8_t>(f.bytes(), f.bytes() + f.file_size());
}

// Rewrites a file through the Writer, letting `edit` change a tensor's name/shape/type first.
using Edit = std::function<void(std::string& name, std::vector<int64_t>& ne, GgmlType& type, std::vector<uint8_t>& data)>;
std::vector<uint8_t> rewrite(const gguf::File& f, const Edit& edit = {}, const std::string& drop_key = "") {
  gguf::Writer w;
  for (const auto& kv : f.metadata())
    if (kv.key != drop_key) w.set(kv.key, kv.value);
  for (const auto& t : f.tensors()) {
    std::string name(t.name);
    std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
    GgmlType type = t.type;
    std::vector<uint8_t> data(t.data, t.data + t.n_bytes);
    if (edit) edit(name, ne, type, data);
    if (!name.empty()) w.add_tensor(name, ne, type, data);
  }
  return w.to_bytes();
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    const gguf::File f = gguf::File::from_memory(bytes, "edited.gguf");
    const ModelConfig c = ModelConfig::from_gguf(f);
    ModelWeights::bind(f, c);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelPresets, RealPresetsCopyThePublishedConfigs) {
  const ModelConfig& q = find_preset("qwen3-0.6b").config;
  EXPECT_EQ(q.arch, Arch::Qwen3);
  EXPECT_EQ(q.n_layer, 28);
  EXPECT_EQ(q.n_embd, 1024);
  EXPECT_EQ(q.n_head, 16);
  EXPECT_EQ(q.n_head_kv, 8);
  EXPECT_EQ(q.head_dim, 128);
  EXPECT_EQ(q.n_ff, 3072);
  EXPECT_EQ(q.n_vocab, 151936);
  EXPECT_EQ(q.rope_freq_base, 1e6f);
  EXPECT_TRUE(q.tied_output);
  const ModelConfig& l = find_preset("llama-3.2-1b").config;
  EXPECT_EQ(l.arch, Arch::Llama);
  EXPECT_EQ(l.n_layer, 16);
  EXPECT_EQ(l.n_embd, 2048);
  EXPECT_EQ(l.n_head, 32);
  EXPECT_EQ(l.n_head_kv, 8);
  EXPECT_EQ(l.head_dim, 64);
  EXPECT_EQ(l.n_ff, 8192);
  EXPECT_EQ(l.n_vocab, 128256);
  EXPECT_EQ(l.rope_freq_base, 500000.0f);
  EXPECT_TRUE(l.tied_output);
  const ModelConfig& sm = find_preset("smollm2-135m").config;  // SmolLM2-135M's config.json
  EXPECT_EQ(sm.arch, Arch::Llama);
  EXPECT_EQ(sm.n_layer, 30);
  EXPECT_EQ(sm.n_embd, 576);
  EXPECT_EQ(sm.n_head, 9);
  EXPECT_EQ(sm.n_head_kv, 3);
  EXPECT_EQ(sm.head_dim, 64);
  EXPECT_EQ(sm.n_ff, 1536);
  EXPECT_EQ(sm.n_vocab, 49152);
  EXPECT_EQ(sm.rope_freq_base, 100000.0f);
  EXPECT_EQ(sm.rms_eps, 1e-5f);
  EXPECT_TRUE(sm.tied_output);
  const ModelConfig& q2 = find_preset("qwen2.5-0.5b").config;  // Qwen2.5-0.5B's config.json
  EXPECT_EQ(q2.arch, Arch::Qwen2);
  EXPECT_EQ(q2.n_layer, 24);
  EXPECT_EQ(q2.n_embd, 896);
  EXPECT_EQ(q2.n_head, 14);
  EXPECT_EQ(q2.n_head_kv, 2);
  EXPECT_EQ(q2.head_dim, 64);
  EXPECT_EQ(q2.n_ff, 4864);
  EXPECT_EQ(q2.n_vocab, 151936);
  EXPECT_EQ(q2.n_ctx_train, 32768);
  EXPECT_EQ(q2.rope_freq_base, 1e6f);
  EXPECT_EQ(q2.rope_type, RopeType::Neox);
  EXPECT_EQ(q2.rms_eps, 1e-6f);
  EXPECT_TRUE(q2.tied_output);
  EXPECT_TRUE(q2.has_qkv_bias());
  EXPECT_FALSE(q2.has_qk_norm());
  EXPECT_EQ(&find_preset("tiny"), &find_preset("tiny-qwen3"));
  EXPECT_THROW(find_preset("gpt-5"), UsageError);
}

TEST(ModelSynth, TinyFilesHaveThePresetShapesForEveryArchitectureAndType) {
  for (const char* preset : {"tiny-qwen3", "tiny-qwen2", "tiny-llama"}) {
    const ModelConfig& want = find_preset(preset).config;
    for (GgmlType dtype : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                           GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1}) {
      SCOPED_TRACE(std::string(preset) + " " + gguf::type_name(static_cast<uint32_t>(dtype)));
      const std::string path = synth(preset, dtype);
      const gguf::File f = gguf::File::open(path);
      const ModelConfig c = ModelConfig::from_gguf(f);
      EXPECT_EQ(c.arch, want.arch);
      EXPECT_EQ(c.n_layer, want.n_layer);
      EXPECT_EQ(c.n_embd, want.n_embd);
      EXPECT_EQ(c.n_head, want.n_head);
      EXPECT_EQ(c.n_head_kv, want.n_head_kv);
      EXPECT_EQ(c.head_dim, want.head_dim);
      EXPECT_EQ(c.n_ff, want.n_ff);
      EXPECT_EQ(c.n_vocab, want.n_vocab);
      EXPECT_EQ(c.n_ctx_train, want.n_ctx_train);
      EXPECT_EQ(c.rope_freq_base, want.rope_freq_base);
      EXPECT_EQ(c.rms_eps, want.rms_eps);
      EXPECT_EQ(c.tied_output, want.tied_output);
      EXPECT_EQ(c.rope_type, want.arch == Arch::Llama ? RopeType::Norm : RopeType::Neox);
      // llama.cpp's LLAMA_FTYPE values: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q4_1 3,
      // MOSTLY_Q8_0 7, MOSTLY_Q5_0 8, MOSTLY_Q5_1 9, MOSTLY_BF16 32.
      const std::map<GgmlType, int64_t> ftypes = {{GgmlType::F32, 0},  {GgmlType::F16, 1},  {GgmlType::Q4_0, 2},
                                                  {GgmlType::Q4_1, 3}, {GgmlType::Q8_0, 7}, {GgmlType::Q5_0, 8},
                                                  {GgmlType::Q5_1, 9}, {GgmlType::BF16, 32}};
      const int64_t ftype = ftypes.at(dtype);
      EXPECT_EQ(f.get_int("general.file_type"), ftype);
      EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "llama");
      EXPECT_EQ(static_cast<int64_t>(f.get_array("tokenizer.ggml.tokens").items.size()), want.n_vocab);

      const ModelWeights w = ModelWeights::bind(f, c);
      ASSERT_EQ(w.layers.size(), static_cast<size_t>(want.n_layer));
      // Count every tensor the architecture needs, by hand: 2 + 9 per llama layer (+2 for
      // qwen3's q/k norms, +3 for qwen2's q/k/v biases), +1 for a separate output matrix.
      const size_t per_layer = want.arch == Arch::Qwen3 ? 11 : want.arch == Arch::Qwen2 ? 12 : 9;
      EXPECT_EQ(f.tensors().size(), 2 + per_layer * static_cast<size_t>(want.n_layer) + (want.tied_output ? 0 : 1));
      EXPECT_EQ(w.output.data == w.token_embd.data, want.tied_output);
      const LayerWeights& l = w.layers[1];
      EXPECT_EQ(l.wq.cols, want.n_embd);
      EXPECT_EQ(l.wq.rows, want.n_head * want.head_dim);
      EXPECT_EQ(l.wk.rows, want.n_head_kv * want.head_dim);
      EXPECT_EQ(l.wv.rows, want.n_head_kv * want.head_dim);
      EXPECT_EQ(l.wo.cols, want.n_head * want.head_dim);
      EXPECT_EQ(l.wo.rows, want.n_embd);
      EXPECT_EQ(l.w_gate.rows, want.n_ff);
      EXPECT_EQ(l.w_up.rows, want.n_ff);
      EXPECT_EQ(l.w_down.cols, want.n_ff);
      EXPECT_EQ(l.w_down.rows, want.n_embd);
      EXPECT_EQ(l.q_norm.present(), want.arch == Arch::Qwen3);
      EXPECT_EQ(l.bq.present(), want.arch == Arch::Qwen2);
      if (want.arch == Arch::Qwen2) {
        // Biases: F32 vectors of the products' widths, random (stddev 0.5), never all zero.
        EXPECT_EQ(l.bq.type, GgmlType::F32);
        EXPECT_EQ(l.bq.cols, want.n_head * want.head_dim);
        EXPECT_EQ(l.bk.cols, want.n_head_kv * want.head_dim);
        EXPECT_EQ(l.bv.cols, want.n_head_kv * want.head_dim);
        double bsq = 0;
        for (int64_t i = 0; i < l.bk.cols; ++i) bsq += static_cast<double>(l.bk.f32()[i]) * l.bk.f32()[i];
        EXPECT_NEAR(std::sqrt(bsq / static_cast<double>(l.bk.cols)), 0.5, 0.1);
      }
      EXPECT_EQ(l.wq.type, dtype);
      EXPECT_EQ(l.attn_norm.type, GgmlType::F32);
      EXPECT_EQ(l.wq.row_bytes, static_cast<uint64_t>(gguf::bytes_for(dtype, want.n_embd)));
      // Sum of the bytes of every tensor equals what bind() says decode streams.
      uint64_t total = 0;
      for (const auto& t : f.tensors()) total += t.n_bytes;
      EXPECT_EQ(w.total_bytes, total);
      for (const auto& t : f.tensors()) EXPECT_EQ(t.file_offset % 64, 0u) << t.name;

      // Norms are exactly 1; matrices have mean ~0 and standard deviation 1/sqrt(fan_in).
      for (int64_t i = 0; i < want.n_embd; ++i) ASSERT_EQ(l.ffn_norm.f32()[i], 1.0f);
      std::vector<float> row(static_cast<size_t>(l.w_down.cols));
      double sum = 0, sq = 0;
      int64_t n = 0;
      for (int64_t r = 0; r < l.w_down.rows; ++r) {
        gguf::dequantize_row(l.w_down.type, l.w_down.row(r), row.data(), l.w_down.cols);
        for (float v : row) {
          ASSERT_TRUE(std::isfinite(v));
          sum += v;
          sq += static_cast<double>(v) * v;
          ++n;
        }
      }
      const double mean = sum / static_cast<double>(n);
      const double sd = std::sqrt(sq / static_cast<double>(n) - mean * mean);
      const double want_sd = 1.0 / std::sqrt(static_cast<double>(want.n_ff));
      EXPECT_NEAR(mean, 0.0, 5.0 * want_sd / std::sqrt(static_cast<double>(n)));
      EXPECT_NEAR(sd, want_sd, 0.03 * want_sd);
      std::filesystem::remove(path);
    }
  }
}

TEST(ModelSynth, ReproducibleAndIndependentOfThreadCount) {
  const std::string a = synth("tiny-llama", GgmlType::Q8_0, 7, 1);
  const std::string b = synth("tiny-llama", GgmlType::Q8_0, 7, 2);
  const std::string c = synth("tiny-llama", GgmlType::Q8_0, 8, 2);
  const auto ba = read_all(a), bb = read_all(b), bc = read_all(c);
  EXPECT_EQ(ba, bb);
  ASSERT_EQ(ba.size(), bc.size());  // same layout, different weights
  EXPECT_NE(ba, bc);
  // Rewriting every key and tensor through the Writer reproduces the file byte for byte.
  EXPECT_EQ(rewrite(gguf::File::open(a)), ba);
  for (const auto& p : {a, b, c}) std::filesystem::remove(p);
}

TEST(ModelSynth, RejectsUnsupportedWeightTypes) {
  SynthOptions o;
  o.dtype = GgmlType::Q2_K;  // no llama.cpp file type of ours
  EXPECT_THROW(synth_model(find_preset("tiny"), o, temp_path("q2")), UsageError);
}

TEST(ModelWeights, BadModelsNameTheTensorOrKey) {
  const std::string path = synth("tiny-qwen3", GgmlType::F16);
  const gguf::File f = gguf::File::open(path);
  EXPECT_EQ(error_of(rewrite(f)), "");

  std::string e = error_of(rewrite(f, [](std::string& name, std::vector<int64_t>& ne, GgmlType&, std::vector<uint8_t>& d) {
    if (name == "blk.1.attn_q.weight") {
      ne = {128, 128};  // should be [128, 256]
      d.resize(d.size() / 2);
    }
  }));
  EXPECT_NE(e.find("tensor blk.1.attn_q.weight: shape [128, 128], expected [128, 256]"), std::string::npos) << e;
  EXPECT_EQ(e.rfind("edited.gguf: byte ", 0), 0u) << e;  // the tensor info's offset

  e = error_of(rewrite(f, [](std::string& name, std::vector<int64_t>&, GgmlType&, std::vector<uint8_t>&) {
    if (name == "blk.0.ffn_up.weight") name.clear();  // drop it
  }));
  EXPECT_NE(e.find("missing tensor blk.0.ffn_up.weight"), std::string::npos) << e;

  e = error_of(rewrite(f, [](std::string& name, std::vector<int64_t>& ne, GgmlType& t, std::vector<uint8_t>& d) {
    if (name == "blk.0.ffn_gate.weight") {
      t = GgmlType::Q8_1;  // a block type the engine does not compute with
      d.assign(static_cast<size_t>(gguf::bytes_for(t, ne[0] * ne[1])), 0);
    }
  }));
  EXPECT_NE(e.find("blk.0.ffn_gate.weight: weight type q8_1 is not supported"), std::string::npos) << e;

  e = error_of(rewrite(f, [](std::string& name, std::vector<int64_t>&, GgmlType& t, std::vector<uint8_t>& d) {
    if (name == "output_norm.weight") {
      t = GgmlType::F16;
      d.resize(d.size() / 2);
    }
  }));
  EXPECT_NE(e.find("output_norm.weight: type f16, vectors (norms, biases) must be f32"), std::string::npos) << e;

  e = error_of(rewrite(f, {}, "qwen3.block_count"));
  EXPECT_NE(e.find("missing metadata key qwen3.block_count"), std::string::npos) << e;

  {
    gguf::Writer w;
    for (const auto& kv : f.metadata()) w.set(kv.key, kv.value);
    w.set_string("general.architecture", "mamba");
    e = error_of(w.to_bytes());
    EXPECT_NE(e.find("unsupported architecture 'mamba'"), std::string::npos) << e;
  }
  {
    gguf::Writer w;
    for (const auto& kv : f.metadata()) w.set(kv.key, kv.value);
    w.set_u32("qwen3.attention.head_count_kv", 3);
    e = error_of(w.to_bytes());
    EXPECT_NE(e.find("not a multiple of head_count_kv 3"), std::string::npos) << e;
  }
  std::filesystem::remove(path);
}

// qwen2's q/k/v biases are required, of the products' widths and F32: each fault names the tensor.
TEST(ModelWeights, Qwen2BiasesAreRequiredWithTheirShapes) {
  const std::string path = synth("tiny-qwen2", GgmlType::Q8_0);
  const gguf::File f = gguf::File::open(path);
  EXPECT_EQ(error_of(rewrite(f)), "");
  for (const char* which : {"attn_q", "attn_k", "attn_v"}) {
    const std::string name = std::string("blk.1.") + which + ".bias";
    std::string e = error_of(rewrite(f, [&](std::string& n, std::vector<int64_t>&, GgmlType&, std::vector<uint8_t>&) {
      if (n == name) n.clear();
    }));
    EXPECT_NE(e.find("missing tensor " + name), std::string::npos) << e;
  }
  // k_dim is 128 here: a k bias as wide as q (256), as a converter mixing them up would write.
  std::string e = error_of(rewrite(f, [](std::string& n, std::vector<int64_t>& ne, GgmlType&, std::vector<uint8_t>& d) {
    if (n == "blk.0.attn_k.bias") {
      ne = {256};
      d.resize(256 * 4);
    }
  }));
  EXPECT_NE(e.find("tensor blk.0.attn_k.bias: shape [256], expected [128]"), std::string::npos) << e;
  e = error_of(rewrite(f, [](std::string& n, std::vector<int64_t>& ne, GgmlType&, std::vector<uint8_t>&) {
    if (n == "blk.0.attn_v.bias") ne = {64, 2};  // right element count, a matrix
  }));
  EXPECT_NE(e.find("tensor blk.0.attn_v.bias: shape [64, 2], expected [128]"), std::string::npos) << e;
  e = error_of(rewrite(f, [](std::string& n, std::vector<int64_t>&, GgmlType& t, std::vector<uint8_t>& d) {
    if (n == "blk.1.attn_q.bias") {
      t = GgmlType::F16;
      d.resize(d.size() / 2);
    }
  }));
  EXPECT_NE(e.find("blk.1.attn_q.bias: type f16, vectors (norms, biases) must be f32"), std::string::npos) << e;
  // The same tensors in a llama file: llama has no biases, so the file is refused rather than run
  // without them as another model (review EB M3; until then it ran, biases ignored).
  {
    gguf::Writer w;
    for (const auto& kv : f.metadata()) {
      std::string key(kv.key);
      if (key.rfind("qwen2.", 0) == 0) key = "llama." + key.substr(6);
      w.set(key, kv.value);
    }
    w.set_string("general.architecture", "llama");
    for (const auto& t : f.tensors())
      w.add_tensor(std::string(t.name), std::vector<int64_t>(t.ne, t.ne + t.n_dims), t.type,
                   std::vector<uint8_t>(t.data, t.data + t.n_bytes));
    const std::string e = error_of(w.to_bytes());
    EXPECT_NE(e.find("6 tensors of the file (blk.0.attn_q.bias, blk.0.attn_k.bias, blk.0.attn_v.bias, "
                     "blk.1.attn_q.bias, ...) unused by the llama architecture"),
              std::string::npos)
        << e;
  }
  std::filesystem::remove(path);
}

// Each row of a matrix has its own random stream (seeded from seed, tensor and row): no two rows of
// the embedding are equal. n_params counts every element of every tensor, vectors included.
TEST(ModelSynth, RowsDifferAndEveryElementIsCounted) {
  const std::string path = temp_path("rows");
  SynthOptions o;
  o.dtype = GgmlType::F32;
  o.seed = 5;
  const SynthResult res = synth_model(find_preset("tiny-llama"), o, path);
  const gguf::File f = gguf::File::open(path);
  int64_t elements = 0;
  for (const auto& t : f.tensors()) {
    int64_t n = 1;
    for (int d = 0; d < t.n_dims; ++d) n *= t.ne[d];
    elements += n;
  }
  EXPECT_EQ(res.n_params, elements);
  EXPECT_EQ(res.n_tensors, static_cast<int64_t>(f.tensors().size()));
  EXPECT_EQ(res.file_bytes, f.file_size());
  const gguf::TensorInfo* embd = nullptr;
  for (const auto& t : f.tensors())
    if (t.name == "token_embd.weight") embd = &t;
  ASSERT_NE(embd, nullptr);
  const int64_t cols = embd->ne[0];
  std::vector<std::vector<float>> rows;
  for (int64_t r = 0; r < 4; ++r) {
    std::vector<float> row(static_cast<size_t>(cols));
    std::memcpy(row.data(), embd->data + r * cols * 4, static_cast<size_t>(cols) * 4);
    rows.push_back(row);
  }
  for (size_t a = 0; a < rows.size(); ++a)
    for (size_t b = a + 1; b < rows.size(); ++b) EXPECT_NE(rows[a], rows[b]) << "rows " << a << " and " << b;
  std::filesystem::remove(path);
}

// Every tensor of the file must be one the architecture computes with (review EB M3): an extra one
// (an output bias llama.cpp would apply, the engine not) or a layer beyond block_count is refused,
// naming it; rope_freqs.weight, the one optional extra, is bound and accepted.
TEST(ModelWeights, TensorsTheArchitectureDoesNotUseAreRefused) {
  const std::string path = synth("tiny-llama", GgmlType::F32);
  const gguf::File f = gguf::File::open(path);
  const auto with = [&](const std::string& extra, int64_t n, int64_t block_count) {
    gguf::Writer w;
    for (const auto& kv : f.metadata()) w.set(kv.key, kv.value);
    if (block_count > 0) w.set_u32("llama.block_count", static_cast<uint32_t>(block_count));
    for (const auto& t : f.tensors())
      w.add_tensor(std::string(t.name), std::vector<int64_t>(t.ne, t.ne + t.n_dims), t.type,
                   std::vector<uint8_t>(t.data, t.data + t.n_bytes));
    if (!extra.empty()) {
      std::vector<float> ones(static_cast<size_t>(n), 1.0f);
      std::vector<uint8_t> bytes(ones.size() * 4);
      std::memcpy(bytes.data(), ones.data(), bytes.size());
      w.add_tensor(extra, {n}, GgmlType::F32, bytes);
    }
    return error_of(w.to_bytes());
  };
  EXPECT_EQ(with("", 0, 0), "");
  // tiny-llama: 4 heads x 32, so rope_freqs holds 16 factors.
  EXPECT_EQ(with("rope_freqs.weight", 16, 0), "");
  std::string e = with("blk.0.attn_output.bias", 128, 0);
  EXPECT_NE(e.find("1 tensor of the file (blk.0.attn_output.bias) unused by the llama architecture (block_count 2)"),
            std::string::npos)
      << e;
  // One layer declared, two in the file: the 9 tensors of a llama layer (docs/engine.md) are left.
  e = with("", 0, 1);
  EXPECT_NE(e.find("9 tensors of the file (blk.1."), std::string::npos) << e;
  EXPECT_NE(e.find("llama architecture (block_count 1)"), std::string::npos) << e;
  std::filesystem::remove(path);
}
