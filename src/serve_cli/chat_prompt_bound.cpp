#include "serve_cli/chat_prompt_bound.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "serve/chat_request.h"
#include "serve/load/load_runner.h"
#include "serve/request.h"
#include "serve_cli/chat_setup.h"

namespace infertrace::serve_cli {

ChatPromptBound chat_prompt_bound(const gguf::File& file, int64_t words) {
  ChatPromptBound out;
  const engine::Tokenizer tok = engine::Tokenizer::from_gguf(file);
  const serve::ChatSetup chat = chat_setup(file, tok);
  if (!chat.tmpl) {
    out.refusal = chat.refusal;
    return out;
  }
  // No context limit here: the point is to learn how much context the prompt needs.
  serve::ModelLimits limits;
  limits.ctx = std::numeric_limits<int32_t>::max();
  limits.n_vocab = std::numeric_limits<int32_t>::max();
  const auto encode = [&](const std::string& text) { return tok.encode_prompt(text, /*parse_special=*/true); };
  const auto prompt_tokens = [&](const std::string& content) {
    const nlohmann::json body = {{"messages", nlohmann::json::array({{{"role", "user"}, {"content", content}}})},
                                 {"max_tokens", 1}};
    return static_cast<int64_t>(serve::parse_chat_request(body.dump(), limits, chat, encode, 0).prompt.size());
  };
  int64_t first = 0, further = 0;
  try {
    for (const std::string& w : serve::load::chat_prompt_words()) {
      const int64_t one = prompt_tokens(w);
      first = std::max(first, one);
      further = std::max(further, prompt_tokens(w + " " + w) - one);
    }
  } catch (const serve::RequestError& e) {  // what the servers would answer every chat request
    out.refusal = e.what();
    return out;
  }
  out.tokens = first + (words - 1) * std::max<int64_t>(further, 0);
  return out;
}

}  // namespace infertrace::serve_cli
