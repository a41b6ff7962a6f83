// --prompt-math auto|f32|int8: how a prompt's Q8_0, K-quant and Q4_0..Q5_1 products are computed on the CPU
// (engine/cpu/matmul.h, PrefillPath). One option for every verb that runs the CPU engine on
// prompts (engine run, bench threads, serve), so the values, the usage error for another value and
// the JSON key ("prompt_math", the value as given) are the same everywhere.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "engine/cpu/matmul.h"

namespace infertrace::cli {

// The default, as the JSON key and the help show it.
inline constexpr const char* kDefaultPromptMath = "auto";

// Adds --prompt-math to `cmd`, read into `value` (which holds the default, kDefaultPromptMath). A value
// other than auto, f32 or int8 is a usage error (exit 2) naming the option.
CLI::Option* add_prompt_math_option(CLI::App* cmd, std::string& value);

// The prefill path a value stands for. Throws UsageError for a value the option refuses, in the
// option's own words (for a caller that did not read it through add_prompt_math_option).
engine::cpu::PrefillPath parse_prompt_math(const std::string& value);

// Makes `value` the process-wide choice (engine::cpu::set_prefill_path), before any prompt is evaluated.
void apply_prompt_math(const std::string& value);

// The integer prefill variant that a prompt's products taking the int8 path run at the active ISA
// under `value` (engine::cpu::int8_variant_name: "avx-vnni" or "avx2" at `--isa avx2`, ...), or
// null for f32, where none does. `--isa` alone does not say it: cpuid picks the variant within a
// level (review EN L4). The JSON's "int8_kernels" and the text lines' "int8 NAME".
const char* prompt_int8_kernels(const std::string& value);

}  // namespace infertrace::cli
