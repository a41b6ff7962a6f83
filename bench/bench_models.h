// Model shapes the engine benches share (batch_decode_bench, chunked_prefill_bench).
#pragma once

#include <string>

#include "engine/gguf/ggml_type.h"
#include "engine/model/presets.h"
#include "engine/model/quant_mix.h"
#include "engine/model/synth.h"
#include "util/error.h"

namespace infertrace::bench_models {

// "mid": Qwen3-style shapes scaled down so that its weights are tens of MB (8 layers, d=512, 8/4
// heads x 64, ff 1536, vocab 32000, tied; 42 M parameters, 83 MB in F16): large enough that
// reading the weights dominates a decode step, small enough to synthesize in seconds.
inline engine::ModelPreset mid_preset() {
  using engine::ModelConfig;
  using engine::ModelPreset;
  using engine::find_preset;
  ModelPreset p = find_preset("qwen3-0.6b");  // architecture, RoPE base, eps; shapes below
  ModelConfig& c = p.config;
  c.n_layer = 8;
  c.n_embd = 512;
  c.n_head = 8;
  c.n_head_kv = 4;
  c.head_dim = c.head_dim_v = c.rope_dim = 64;
  c.n_ff = 1536;
  c.n_vocab = 32000;
  c.n_ctx_train = 4096;
  c.tied_output = true;
  p.name = "mid";
  p.description = "benchmark model (8 layers, d=512, 8/4 heads x 64, ff 1536, vocab 32000, tied)";
  c.name = "infertrace synthetic mid";
  return p;
}

// --dtype NAME of a synthesized bench model: what `model synth --dtype` takes (f32, f16, bf16,
// q8_0, q4_k_m, q5_k_m, q6_k), set in the synth options.
inline void set_dtype(engine::SynthOptions& so, const std::string& name) {
  const engine::WeightScheme s = engine::parse_weight_scheme(name);
  so.dtype = s.base;
  so.k_mix = s.k_mix;
}

}  // namespace infertrace::bench_models
