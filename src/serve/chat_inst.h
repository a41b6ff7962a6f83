// The "[INST]" chat family (Llama-2-chat and Mistral-Instruct GGUFs, architecture llama): which of
// its variants a template is, and the prompt that variant renders (docs/serve.md "Chat").
// The variants differ in where BOS, spaces and the system message go and in what they refuse, so
// a template is taken for a variant only when every text it writes is that variant's and it writes
// nothing else (see jinja_code); any other [INST] template is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infertrace::serve {

struct ChatMessage;
struct ChatRenderOptions;

enum class InstVariant {
  kLlama2,        // Llama-2-chat: BOS before every [INST], <<SYS>> block in the first, contents stripped
  kMistralV01,    // Mistral-7B-Instruct-v0.1: no system role, "</s> " after an answer
  kMistralV01Eos,    // the same with "</s>" alone (Mixtral-8x7B-Instruct-v0.1's first template, ollama's llava:7b)
  kMistralV1,     // " [INST] ": the system message in the first user turn (Mixtral-8x7B-Instruct-v0.1 later)
  kMistralV3,     // "[INST] ...[/INST]": the system message in the last user turn when it is last (Mixtral-8x22B)
  kMistralV7,     // [SYSTEM_PROMPT] blocks where the system messages are (Mistral-Large-2411)
  kMistralV7Tekken,  // the same without spaces (Mistral-Small-24B-2501)
};

// The template's code as the markers below match it: in {{ }} and {% %} tags, white space outside
// string literals and whitespace-control dashes dropped, every string literal written with double
// quotes and its escapes normalised; comments dropped. `outputs` counts the {{ }} tags;
// `writes_raw_text` is set when text outside the tags survives Jinja's whitespace handling (with
// Hugging Face's trim_blocks and lstrip_blocks).
struct JinjaCode {
  std::string code;
  int outputs = 0;
  bool writes_raw_text = false;
};
JinjaCode jinja_code(std::string_view template_text);

// The variant of a template holding "[INST]", or nullopt with *why set.
std::optional<InstVariant> detect_inst(std::string_view template_text, std::string* why);

std::string inst_variant_name(InstVariant v);

// What the variant's templates render for `messages` (they write no generation prompt: a prompt
// ending with a user turn ends with its [/INST]). Throws std::invalid_argument where they raise an
// exception (roles that do not alternate, a system message they do not take).
std::string render_inst(InstVariant v, const std::vector<ChatMessage>& messages, const ChatRenderOptions& o);

}  // namespace infertrace::serve
