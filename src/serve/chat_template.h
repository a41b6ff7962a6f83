// The prompt of a /v1/chat/completions request, from the model's own chat template
// (tokenizer.chat_template) without a Jinja engine: as llama.cpp's llm_chat_detect_template does,
// the template's family is recognised by substrings only that family's templates contain, and
// the messages are rendered as that family's templates render them (docs/serve.md "Chat").
// A family is listed here only when its rendering reproduces its templates' output byte for byte
// for plain conversations (system, user and assistant messages with text content); anything else
// the server refuses rather than guess.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/chat_inst.h"
#include "serve/llama3_structure.h"
#include "serve/zephyr_structure.h"

namespace infertrace::serve {

// Python's str.strip() (Jinja's trim): every character str.isspace() holds for, Unicode spaces too.
std::string python_strip(std::string_view s);

struct ChatMessage {
  std::string role;     // "system", "user" or "assistant"
  std::string content;  // text
};

enum class ChatFamily {
  kChatMl,   // <|im_start|>role\n...<|im_end|>\n (llama.cpp's rendering of "chatml")
  kQwen3,    // ChatML with Qwen3's think-block handling and enable_thinking
  kLlama3,   // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|> (Llama 3.0)
  kLlama31,  // Llama 3.1+: the same, after a system header with the knowledge date and today's date
  kInst,     // [INST] ... [/INST]: Llama 2 and Mistral variants (serve/chat_inst.h)
  kZephyr,   // <|ROLE|>\n...EOS per message, then <|assistant|> (serve/zephyr_structure.h)
};

struct ChatRenderOptions {
  // The BOS text to write where the template writes bos_token; empty when the tokenizer adds BOS
  // itself when encoding (then the template's BOS would be a second one).
  std::string bos;
  // The BOS and EOS tokens' texts, for [INST] templates: Llama 2's writes BOS before every user turn
  // (the first is `bos`), and they end each assistant turn with EOS. Zephyr's end every message
  // with EOS.
  std::string bos_token, eos_token;
  bool tools_listed = false;  // the request has "tools": [] (a template may test `tools is not none`)
  std::optional<bool> enable_thinking;  // Qwen3: false pre-fills an empty think block
  std::string today;                    // Llama 3.1+: "%d %b %Y" for strftime_now; "" = now, local time
};

class ChatTemplate {
 public:
  // The family of a template text, or nullopt with *why set (what was recognised and why it is not
  // rendered, or that nothing was).
  static std::optional<ChatTemplate> detect(std::string_view text, std::string* why);

  ChatFamily family() const { return family_; }
  std::string name() const;  // "qwen3 (ChatML with think blocks)", ...
  // Qwen3's enable_thinking switch: only templates that test it (Qwen3-2507-Instruct's does not).
  bool has_enable_thinking() const { return enable_thinking_; }
  // Whether the template's text names `name` as a whole identifier anywhere: a variable it never
  // names is one jinja2 passes and the template ignores (vLLM's chat_template_kwargs).
  bool names(std::string_view name) const;

  // The prompt text for `messages` followed by the assistant's generation prompt. Throws
  // std::invalid_argument for a conversation the family's templates cannot render (empty, a role
  // other than system/user/assistant).
  std::string render(const std::vector<ChatMessage>& messages, const ChatRenderOptions& options) const;

 private:
  ChatFamily family_ = ChatFamily::kChatMl;
  InstVariant inst_ = InstVariant::kLlama2;  // kInst: which variant
  std::string fixed_date_;  // Llama 3.1: the template's own date when it has no strftime_now
  // Llama 3.1+: the template reads `tools` (Meta's test `tools is not none`); [INST]: a branch on
  // `tools is not none` was dropped as dead (InstMatch). Either way "tools": [] is refused.
  bool tests_tools_ = false;
  bool enable_thinking_ = false;
  // Qwen3's first release tells a tool response from a query by startswith/endswith; later ones
  // by containing both tags.
  bool tool_response_by_ends_ = false;
  // kChatMl: the system message the template writes when the conversation has none
  // (chatml_default_system.h); nullopt: it writes none.
  std::optional<std::string> default_system_;
  ZephyrStructure zephyr_;  // kZephyr: what each role's message and the generation prompt write
  Llama3Structure llama3_;  // kLlama3, kLlama31: what the template writes (serve/llama3_structure.h)
  std::string text_{};      // the template as the model gave it (names())
};

}  // namespace infertrace::serve
