#include "cli/prompt_math_option.h"

#include "util/error.h"

namespace infertrace::cli {

CLI::Option* add_prompt_math_option(CLI::App* cmd, std::string& value) {
  return cmd->add_option("--prompt-math", value,
                         "cpu: a prompt's Q8_0/Q4_K/Q5_K/Q6_K products: auto (int8 activations where measured faster), f32, int8")
      ->check(CLI::IsMember({"auto", "f32", "int8"}))
      ->capture_default_str();
}

engine::cpu::PrefillPath parse_prompt_math(const std::string& value) {
  if (value == "auto") return engine::cpu::PrefillPath::Auto;
  if (value == "f32") return engine::cpu::PrefillPath::F32;
  if (value == "int8") return engine::cpu::PrefillPath::Int8;
  throw UsageError("--prompt-math: '" + value + "' is not one of auto, f32, int8");
}

// The int8 prompt path changes logits by the activations' quantization: f32 keeps a prompt in F32
// arithmetic (comparisons with an F32 reference, or with runs before the int8 path).
void apply_prompt_math(const std::string& value) { engine::cpu::set_prefill_path(parse_prompt_math(value)); }

}  // namespace infertrace::cli
