#include "engine/model/quant_mix.h"

#include <cctype>
#include <string>

#include "util/error.h"

namespace infertrace::engine {

namespace {

using gguf::GgmlType;

bool is_k_quant(GgmlType t) { return t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K; }
bool is_legacy(GgmlType t) {
  return t == GgmlType::Q4_0 || t == GgmlType::Q4_1 || t == GgmlType::Q5_0 || t == GgmlType::Q5_1;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// N of "blk.N.", -1 for tensors outside the layers.
int64_t layer_of(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  return std::stoll(name.substr(4));
}

}  // namespace

WeightScheme parse_weight_scheme(std::string_view name) {
  std::string n(name);  // llama.cpp writes the names in capitals (Q4_K_M): either spelling
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "f32") return {GgmlType::F32, false};
  if (n == "f16") return {GgmlType::F16, false};
  if (n == "bf16") return {GgmlType::BF16, false};
  if (n == "q8_0") return {GgmlType::Q8_0, false};
  if (n == "q4_0") return {GgmlType::Q4_0, false};
  if (n == "q4_1") return {GgmlType::Q4_1, false};
  if (n == "q5_0") return {GgmlType::Q5_0, false};
  if (n == "q5_1") return {GgmlType::Q5_1, false};
  if (n == "q4_k_m") return {GgmlType::Q4_K, true};
  if (n == "q5_k_m") return {GgmlType::Q5_K, true};
  if (n == "q6_k") return {GgmlType::Q6_K, false};
  throw UsageError("--dtype " + std::string(name) +
                   ": expected f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m, q5_k_m or q6_k");
}

std::string weight_scheme_name(const WeightScheme& s) {
  std::string n = gguf::type_name(static_cast<uint32_t>(s.base));
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s.k_mix ? n + "_m" : n;
}

uint32_t llama_file_type(const WeightScheme& s) {
  switch (s.base) {
    case GgmlType::F32: if (!s.k_mix) return 0; break;
    case GgmlType::F16: if (!s.k_mix) return 1; break;
    case GgmlType::Q8_0: if (!s.k_mix) return 7; break;
    case GgmlType::Q4_0: if (!s.k_mix) return 2; break;
    case GgmlType::Q4_1: if (!s.k_mix) return 3; break;
    case GgmlType::Q5_0: if (!s.k_mix) return 8; break;
    case GgmlType::Q5_1: if (!s.k_mix) return 9; break;
    case GgmlType::BF16: if (!s.k_mix) return 32; break;
    case GgmlType::Q4_K: if (s.k_mix) return 15; break;  // Q4_K_M (Q4_K_S, 14, has other rules)
    case GgmlType::Q5_K: if (s.k_mix) return 17; break;  // Q5_K_M
    case GgmlType::Q6_K: if (!s.k_mix) return 18; break;
    default: break;
  }
  throw UsageError("model synth: weight scheme " + weight_scheme_name(s) +
                   " is not supported (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m, q5_k_m, q6_k)");
}

bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

GgmlType fallback_type(GgmlType type, int64_t cols) {
  if (cols % gguf::type_traits(type).block_size == 0) return type;
  GgmlType f;
  switch (type) {
    case GgmlType::Q4_K: f = GgmlType::Q5_0; break;
    case GgmlType::Q5_K: f = GgmlType::Q5_1; break;
    case GgmlType::Q6_K: f = GgmlType::Q8_0; break;
    default:
      throw UsageError("rows of " + std::to_string(cols) + " values are not whole " +
                       gguf::type_name(static_cast<uint32_t>(type)) + " blocks");
  }
  return cols % gguf::type_traits(f).block_size == 0 ? f : GgmlType::F16;
}

GgmlType matrix_type(const WeightScheme& s, const std::string& name, int64_t cols, int64_t n_layer, bool tied) {
  // llama.cpp leaves F32/F16/BF16 files alone and gives Q8_0 files no special tensors.
  if (!is_k_quant(s.base) && !is_legacy(s.base)) return s.base;
  GgmlType t = s.base;
  if (name == "output.weight" || (tied && name == "token_embd.weight")) {
    // Every quantized file type but Q8_0 (and the IQ types). llama.cpp picks Q8_0 itself for an
    // output whose rows are not whole super-blocks, and Q8_0 has no fallback of its own: rows that
    // are not even blocks of 32 are refused (fallback_type throws), as llama-quantize fails on them.
    t = cols % gguf::type_traits(GgmlType::Q6_K).block_size == 0 ? GgmlType::Q6_K : GgmlType::Q8_0;
  } else if (s.k_mix && (ends_with(name, ".attn_v.weight") || ends_with(name, ".ffn_down.weight")) &&
             use_more_bits(layer_of(name), n_layer)) {
    t = GgmlType::Q6_K;
  }
  return fallback_type(t, cols);
}

}  // namespace infertrace::engine
