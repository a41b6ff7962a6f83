// Which ggml type each weight of a synthetic model gets, named as llama.cpp names its file types
// (`llama-quantize` ... Q4_K_M): f32, f16, bf16 and q8_0 store every matrix in that type;
// q4_k_m, q5_k_m and q6_k follow llama.cpp's rules (llama-quant.cpp, llama_tensor_get_type) for
// the tensors a llama/qwen3 model has:
//   - output.weight, or token_embd.weight when the model is tied (it is the output): Q6_K;
//   - _M mixes only: attn_v and ffn_down of the layers where use_more_bits(i, n) holds
//     (i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2): Q6_K;
//   - every other matrix (token_embd of an untied model included): the base type;
//   - a matrix whose rows are not a multiple of 256 values cannot be a K-quant: Q8_0. llama.cpp
//     falls back to Q5_0 (Q4_K), Q5_1 (Q5_K) and Q8_0 (Q6_K); this engine has no Q5_0/Q5_1
//     kernels, so Q8_0 stands in for all three (the tiny presets' 128-wide rows; the real-model
//     presets have none).
// Norm vectors are F32 in every scheme, as llama.cpp keeps 1-D tensors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/gguf/ggml_type.h"

namespace infertrace::engine {

struct WeightScheme {
  gguf::GgmlType base = gguf::GgmlType::F16;
  bool k_mix = false;  // llama.cpp's "_M" rules (Q4_K_M, Q5_K_M)
};

// "f32", "f16", "bf16", "q8_0", "q4_k_m", "q5_k_m", "q6_k"; throws UsageError otherwise.
WeightScheme parse_weight_scheme(std::string_view name);
std::string weight_scheme_name(const WeightScheme& s);

// llama.cpp's general.file_type (LLAMA_FTYPE_*): 0 F32, 1 F16, 7 Q8_0, 15 Q4_K_M, 17 Q5_K_M,
// 18 Q6_K, 32 BF16. Throws UsageError for a scheme llama.cpp has no file type for.
uint32_t llama_file_type(const WeightScheme& s);

// The type of matrix `name` ("token_embd.weight", "blk.3.attn_v.weight", ...) with rows of
// `cols` values, in a model of n_layer layers; tied: the model has no output.weight.
gguf::GgmlType matrix_type(const WeightScheme& s, const std::string& name, int64_t cols, int64_t n_layer, bool tied);

// llama.cpp's use_more_bits: the layers the _M mixes give more bits.
bool use_more_bits(int64_t layer, int64_t n_layer);

}  // namespace infertrace::engine
