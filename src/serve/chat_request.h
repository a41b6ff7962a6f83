// A POST /v1/chat/completions body checked and turned into what the scheduler runs: the messages
// rendered with the model's chat template (serve/chat_template.h), encoded as a /v1/completions
// text prompt is, and every other field parsed by the same code as /v1/completions
// (serve/request_fields.h), so both endpoints refuse the same things the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/chat_template.h"
#include "serve/request.h"

namespace infertrace::serve {

// What the server knows about chatting with its model.
struct ChatSetup {
  std::optional<ChatTemplate> tmpl;  // nullopt: every chat request is refused with `refusal`
  std::string refusal;
  std::string bos;  // ChatRenderOptions::bos: the BOS text when the tokenizer does not add BOS itself
  std::string bos_token, eos_token;  // ChatRenderOptions: the BOS and EOS tokens' texts
  std::string today;  // ChatRenderOptions::today (tests); "" = the date at each request
};

// Throws RequestError (400, or 404 for another model's name). `prompt_text`, when given, receives
// the rendered prompt.
CompletionRequest parse_chat_request(std::string_view body, const ModelLimits& limits, const ChatSetup& chat,
                                     const std::function<std::vector<int32_t>(const std::string&)>& encode,
                                     uint64_t seed, std::string* prompt_text = nullptr);

}  // namespace infertrace::serve
