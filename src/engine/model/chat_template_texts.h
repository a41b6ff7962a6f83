// The chat templates (tokenizer.chat_template) that `model synth` writes into its files, so a
// synthetic model is served through the same template code path as the published model it copies
// the shapes of. The texts are the published models' own Jinja templates (model metadata, as their
// GGUF conversions carry it), not something this project renders with a Jinja engine: the server
// recognises their family (serve/chat_template.h).
#pragma once

#include <string_view>

namespace infertrace::engine {

// Qwen3's template (Qwen/Qwen3-0.6B .. Qwen3-8B tokenizer_config.json): ChatML, thinking blocks
// kept only after the last user query, `enable_thinking=false` pre-fills an empty think block.
std::string_view qwen3_chat_template();
// Llama 3.2 Instruct's template (meta-llama/Llama-3.2-1B-Instruct): a system header with the
// knowledge cut-off and today's date (strftime_now), then one header per message.
std::string_view llama32_chat_template();

}  // namespace infertrace::engine
