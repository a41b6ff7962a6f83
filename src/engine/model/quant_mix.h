// Which ggml type each weight of a synthetic model gets, named as llama.cpp names its file types
// (`llama-quantize` ... Q4_K_M): f32, f16, bf16 and q8_0 store every matrix in that type;
// q4_0, q4_1, q5_0, q5_1, q4_k_m, q5_k_m and q6_k follow llama.cpp's rules (llama-quant.cpp,
// llama_tensor_get_type, without an importance matrix) for the tensors a llama/qwen3 model has:
//   - output.weight, or token_embd.weight when the model is tied (it is the output): Q6_K;
//   - _M mixes only: attn_v and ffn_down of the layers where use_more_bits(i, n) holds
//     (i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2): Q6_K;
//   - every other matrix (token_embd of an untied model included): the base type;
//   - a matrix whose rows are not a multiple of 256 values cannot be a K-quant: llama.cpp's
//     fallback (tensor_type_fallback) gives Q5_0 for Q4_K, Q5_1 for Q5_K and Q8_0 for Q6_K (so
//     the output is Q8_0); F16 if even those blocks of 32 do not fit. SmolLM2's 576- and
//     960-wide rows and the tiny presets' 128-wide ones take this path.
// Vectors (norms, qwen2's q/k/v biases) are F32 in every scheme, as llama.cpp keeps 1-D tensors.
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

// "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m", "q6_k";
// throws UsageError otherwise.
WeightScheme parse_weight_scheme(std::string_view name);
std::string weight_scheme_name(const WeightScheme& s);

// llama.cpp's general.file_type (LLAMA_FTYPE_*): 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 7 Q8_0, 8 Q5_0,
// 9 Q5_1, 15 Q4_K_M, 17 Q5_K_M, 18 Q6_K, 32 BF16. Throws UsageError for a scheme llama.cpp has no file type for.
uint32_t llama_file_type(const WeightScheme& s);

// The type of matrix `name` ("token_embd.weight", "blk.3.attn_v.weight", ...) with rows of
// `cols` values, in a model of n_layer layers; tied: the model has no output.weight.
gguf::GgmlType matrix_type(const WeightScheme& s, const std::string& name, int64_t cols, int64_t n_layer, bool tied);

// llama.cpp's use_more_bits: the layers the _M mixes give more bits.
bool use_more_bits(int64_t layer, int64_t n_layer);

// llama.cpp's tensor_type_fallback for a matrix with rows of `cols` values: `type` itself when the
// rows are whole blocks of it, else Q5_0 (for Q4_K), Q5_1 (Q5_K), Q8_0 (Q6_K), or F16 when the
// rows are not whole blocks of 32 either. Throws UsageError for other types whose blocks do not fit
// (llama.cpp defines no fallback for them).
gguf::GgmlType fallback_type(gguf::GgmlType type, int64_t cols);

}  // namespace infertrace::engine
