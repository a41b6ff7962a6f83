// Writes a synthetic GGUF: a preset's exact shapes, seeded random weights and a SentencePiece-style
// vocabulary, with the metadata llama.cpp needs to load and run it. The weights are meaningless,
// so is the generated text; speed does not depend on weight values.
//
// Weights: each matrix value = z / sqrt(fan_in) with z approximately standard normal (sum of four
// uniforms, rescaled to unit variance), so every projection keeps activations near unit scale; all
// norm weights are 1; qwen2's q/k/v biases are F32 with values z * 0.5. Random numbers come from a
// per-(tensor, row block) seeded xoshiro256+ stream, so a file depends only on (preset, dtype,
// seed), never on the thread count.
#pragma once

#include <cstdint>
#include <string>

#include "engine/gguf/ggml_type.h"
#include "engine/model/presets.h"
#include "engine/model/quant_mix.h"

namespace infertrace::engine {

struct SynthOptions {
  gguf::GgmlType dtype = gguf::GgmlType::F16;  // matrices; norms stay F32
  bool k_mix = false;  // llama.cpp's _M mix (quant_mix.h): required with Q4_K/Q5_K, not with Q6_K/Q4_0..Q5_1
  uint64_t seed = 42;
  int threads = 0;  // 0: all online CPUs
};

struct SynthResult {
  uint64_t file_bytes = 0;
  int64_t n_params = 0;
  int64_t n_tensors = 0;
  double seconds = 0;
};

SynthResult synth_model(const ModelPreset& preset, const SynthOptions& options,
                        const std::string& path);

}  // namespace infertrace::engine
