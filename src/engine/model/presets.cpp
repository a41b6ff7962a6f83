#include "engine/model/presets.h"

#include "util/error.h"

namespace infertrace::engine {

namespace {

ModelConfig make(Arch arch, int64_t n_layer, int64_t n_embd, int64_t n_head, int64_t n_head_kv, int64_t head_dim,
                 int64_t n_ff, int64_t n_vocab, int64_t n_ctx, float rope_base, float rms_eps, bool tied) {
  ModelConfig c;
  c.arch = arch;
  c.n_layer = n_layer;
  c.n_embd = n_embd;
  c.n_head = n_head;
  c.n_head_kv = n_head_kv;
  c.head_dim = head_dim;
  c.head_dim_v = head_dim;
  c.n_ff = n_ff;
  c.n_vocab = n_vocab;
  c.n_ctx_train = n_ctx;
  c.rope_freq_base = rope_base;
  c.rope_dim = head_dim;
  c.rope_type = arch == Arch::Llama ? RopeType::Norm : RopeType::Neox;
  c.rms_eps = rms_eps;
  c.tied_output = tied;
  return c;
}

std::vector<ModelPreset> build() {
  std::vector<ModelPreset> p;
  // Qwen3-0.6B's published config.json: 28 layers, hidden 1024, 16 q / 8 kv heads of 128
  // (so q is 2048 wide, wider than the model), intermediate 3072, vocab 151936, tied embeddings.
  p.push_back({"qwen3-0.6b", "Qwen3-0.6B shapes (28 layers, d=1024, 16/8 heads x 128, ff 3072, vocab 151936, tied)",
               make(Arch::Qwen3, 28, 1024, 16, 8, 128, 3072, 151936, 40960, 1000000.0f, 1e-6f, true)});
  // Qwen2.5-0.5B's published config.json: 24 layers, hidden 896, 14 q / 2 kv heads of 64,
  // intermediate 4864, vocab 151936, rope theta 1e6, rms eps 1e-6, tied embeddings; biases on q/k/v.
  // 896- and 4864-wide rows are not whole 256-value super-blocks (quant_mix.h's fallbacks apply).
  p.push_back({"qwen2.5-0.5b", "Qwen2.5-0.5B shapes (24 layers, d=896, 14/2 heads x 64, ff 4864, vocab 151936, tied, "
                               "q/k/v biases)",
               make(Arch::Qwen2, 24, 896, 14, 2, 64, 4864, 151936, 32768, 1000000.0f, 1e-6f, true)});
  // Llama-3.2-1B: 16 layers, hidden 2048, 32 q / 8 kv heads of 64, intermediate 8192, vocab 128256, tied.
  p.push_back({"llama-3.2-1b", "Llama-3.2-1B shapes (16 layers, d=2048, 32/8 heads x 64, ff 8192, vocab 128256, tied)",
               make(Arch::Llama, 16, 2048, 32, 8, 64, 8192, 128256, 131072, 500000.0f, 1e-5f, true)});
  // SmolLM2-135M's published config.json: 30 layers, hidden 576, 9 q / 3 kv heads of 64,
  // intermediate 1536, vocab 49152, rope theta 100000, tied. Its 576-wide rows are not whole
  // 256-value super-blocks: llama.cpp's K-quant files of it hold Q5_0/Q5_1/Q8_0 tensors.
  p.push_back({"smollm2-135m", "SmolLM2-135M shapes (30 layers, d=576, 9/3 heads x 64, ff 1536, vocab 49152, tied)",
               make(Arch::Llama, 30, 576, 9, 3, 64, 1536, 49152, 8192, 100000.0f, 1e-5f, true)});
  // Tiny models for tests: every row length a multiple of 32 (Q8_0 blocks). The qwen3 one keeps
  // its q width (4 x 64 = 256) different from d=128 and has separate output weights, the llama one
  // is tied, so both code paths of each feature are exercised.
  p.push_back({"tiny-qwen3", "tiny qwen3 for tests (2 layers, d=128, 4/2 heads x 64, ff 384, vocab 1024)",
               make(Arch::Qwen3, 2, 128, 4, 2, 64, 384, 1024, 512, 1000000.0f, 1e-6f, false)});
  // The qwen2 one is tied (as Qwen2.5-0.5B..3B are), with a q width (256) unlike d=128.
  p.push_back({"tiny-qwen2", "tiny qwen2 for tests (2 layers, d=128, 4/2 heads x 64, ff 384, vocab 1024, tied, "
                             "q/k/v biases)",
               make(Arch::Qwen2, 2, 128, 4, 2, 64, 384, 1024, 512, 1000000.0f, 1e-6f, true)});
  p.push_back({"tiny-llama", "tiny llama for tests (2 layers, d=128, 4/2 heads x 32, ff 256, vocab 1024, tied)",
               make(Arch::Llama, 2, 128, 4, 2, 32, 256, 1024, 512, 10000.0f, 1e-5f, true)});
  // The tiny shapes again with every row a multiple of 256 values, so that the K-quants (256-value
  // super-blocks) apply to every matrix: the forward and kernel tests of q4_k_m/q5_k_m/q6_k.
  p.push_back({"tiny-qwen3-k", "tiny qwen3 with 256-multiple rows, for K-quant tests (2 layers, d=256, 4/2 heads x 128, "
                               "ff 768, vocab 1024)",
               make(Arch::Qwen3, 2, 256, 4, 2, 128, 768, 1024, 512, 1000000.0f, 1e-6f, false)});
  p.push_back({"tiny-llama-k", "tiny llama with 256-multiple rows, for K-quant tests (2 layers, d=256, 4/2 heads x 64, "
                               "ff 512, vocab 1024, tied)",
               make(Arch::Llama, 2, 256, 4, 2, 64, 512, 1024, 512, 10000.0f, 1e-5f, true)});
  for (ModelPreset& m : p) {
    m.config.name = "infertrace synthetic " + m.name;
    // A chat template of the published model's family (our own texts): Qwen3's family for qwen3,
    // Llama 3.1+'s for the Llama 3.2 shapes and the tiny llamas. The smollm2 preset carries none, so
    // its chat requests are refused: no ChatKind writes SmolLM2's template (Qwen1.5's shape with a
    // default system message, which the server does render from a real SmolLM2 file).
    // The qwen2 presets carry ChatML of Qwen2.5's shape, with a default system message of our own
    // (serve/chatml_default_system.h renders it).
    if (m.config.arch == Arch::Qwen3) m.chat = ChatKind::kQwen3;
    else if (m.config.arch == Arch::Qwen2) m.chat = ChatKind::kQwen25;
    else if (m.config.arch == Arch::Llama && m.name != "smollm2-135m") m.chat = ChatKind::kLlama32;
  }
  return p;
}

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  static const std::vector<ModelPreset> presets = build();
  return presets;
}

const ModelPreset& find_preset(std::string_view name) {
  if (name == "tiny") name = "tiny-qwen3";  // the short name the docs and issue use
  std::string names;
  for (const ModelPreset& p : model_presets()) {
    if (p.name == name) return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw UsageError("unknown model preset '" + std::string(name) + "' (presets: tiny, " + names + ")");
}

}  // namespace infertrace::engine
