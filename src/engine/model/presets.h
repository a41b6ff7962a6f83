// Shapes of the synthetic models `infertrace model synth` writes. The real-model presets copy the
// published configurations exactly (Qwen3-0.6B, Qwen2.5-0.5B, Llama-3.2-1B, SmolLM2-135M); the tiny ones are small enough for
// unit tests and keep every dimension a multiple of 32 so every weight type (Q8_0 included) applies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/model_config.h"

namespace infertrace::engine {

// The chat template a synthetic file carries (engine/model/chat_template_texts.h), with the
// control tokens it writes added to the vocabulary.
enum class ChatKind { kNone, kQwen3, kQwen25, kLlama32 };

struct ModelPreset {
  std::string name;         // "qwen3-0.6b"
  std::string description;  // one line for --help and docs
  ModelConfig config;       // tied_output etc. as the file will declare them
  ChatKind chat = ChatKind::kNone;
};

const std::vector<ModelPreset>& model_presets();
// Throws UsageError listing the valid names.
const ModelPreset& find_preset(std::string_view name);

}  // namespace infertrace::engine
