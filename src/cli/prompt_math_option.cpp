#include "cli/prompt_math_option.h"

#include "engine/cpu/isa.h"
#include "util/error.h"

namespace infertrace::cli {

namespace {

// Why `value` is no prompt math, "" when it is one: the option's own check and parse_prompt_math
// refuse with these words (CLI11 puts "--prompt-math: " before them, as parse_prompt_math does).
std::string refusal(const std::string& value) {
  if (value == "auto" || value == "f32" || value == "int8") return "";
  return "'" + value + "' is not one of auto, f32, int8";
}

}  // namespace

CLI::Option* add_prompt_math_option(CLI::App* cmd, std::string& value) {
  return cmd->add_option("--prompt-math", value,
                         "cpu: a prompt's Q8_0, K-quant and Q4_0..Q5_1 products: auto (int8 activations where measured faster), f32, int8")
      ->check(CLI::Validator([](std::string& v) { return refusal(v); }, ""))  // (the text names the three)
      ->capture_default_str();
}

engine::cpu::PrefillPath parse_prompt_math(const std::string& value) {
  if (const std::string why = refusal(value); !why.empty()) throw UsageError("--prompt-math: " + why);
  if (value == "f32") return engine::cpu::PrefillPath::F32;
  if (value == "int8") return engine::cpu::PrefillPath::Int8;
  return engine::cpu::PrefillPath::Auto;
}

// The int8 prompt path changes logits by the activations' quantization: f32 keeps a prompt in F32
// arithmetic (comparisons with an F32 reference, or with runs before the int8 path).
void apply_prompt_math(const std::string& value) { engine::cpu::set_prefill_path(parse_prompt_math(value)); }

const char* prompt_int8_kernels(const std::string& value) {
  if (parse_prompt_math(value) == engine::cpu::PrefillPath::F32) return nullptr;
  return engine::cpu::int8_variant_name(static_cast<int>(engine::cpu::active_isa()));
}

}  // namespace infertrace::cli
