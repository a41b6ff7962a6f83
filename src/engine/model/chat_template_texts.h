// The chat templates (tokenizer.chat_template) that `model synth` writes into its files, so a
// synthetic model is chatted with through a real Jinja template text of the family its shapes come
// from. They are this project's own templates, written to render what those families' templates
// render for system/user/assistant conversations (no tools); the server does not run Jinja but
// recognises the family (serve/chat_template.h), and the e2e tests check its prompts against jinja2
// rendering these texts.
#pragma once

#include <string_view>

namespace infertrace::engine {

// The Qwen3 family: ChatML, think blocks kept only after the last user query,
// `enable_thinking=false` pre-fills an empty think block.
std::string_view qwen3_chat_template();
// The Qwen2.5 shape of ChatML: a default system message of its own when the conversation has none
// (serve/chatml_default_system.h), written in a sentence of ours.
std::string_view qwen25_chat_template();
// The Llama 3.1+ family: a system header with the knowledge cut-off and today's date
// (strftime_now), then one header per message.
std::string_view llama32_chat_template();

}  // namespace infertrace::engine
