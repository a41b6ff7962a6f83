#include "cli/engine_common.h"

#include <iostream>

#include "engine/runtime/generate.h"
#include "util/error.h"

namespace infertrace::cli {

std::vector<int32_t> bench_prompt(const engine::Tokenizer& tok, int64_t n, uint64_t seed) {
  const auto& types = tok.vocab().types;
  return engine::synthetic_prompt(n, tok.n_vocab(), tok.bos(), seed, [&](int32_t id) {
    if (types.empty()) return false;
    const engine::TokenType t = types[id];
    return t == engine::TokenType::Control || t == engine::TokenType::Unused || t == engine::TokenType::Unknown;
  });
}

std::vector<int32_t> build_prompt(const engine::Tokenizer& tok, const std::string& text, int64_t prompt_tokens,
                                  uint64_t seed, bool text_given) {
  if ((text_given || !text.empty()) && prompt_tokens > 0)
    throw UsageError("give either -p TEXT or --prompt-tokens N, not both");  // (an empty -p is a prompt too)
  if (prompt_tokens > 0) return bench_prompt(tok, prompt_tokens, seed);
  if (text.empty() && !text_given) throw UsageError("give a prompt: -p TEXT or --prompt-tokens N");
  if (const std::string w = tok.approximation_warning(); !w.empty()) std::cerr << "warning: " << w << "\n";
  // Control tokens written in the text (<|im_start|>, <s>) are those tokens, as llama.cpp's
  // llama-cli and the serve API read a prompt, so a chat-formatted prompt means the same everywhere.
  std::vector<int32_t> ids = tok.encode_prompt(text, /*parse_special=*/true);
  if (ids.empty())
    throw UsageError(text.empty() ? "the prompt is empty and the model adds no BOS token: give -p TEXT or --prompt-tokens N"
                                  : "the prompt encodes to no tokens");
  if (ids.size() >= 2 && tok.vocab().add_bos && ids[0] == tok.bos() && ids[1] == tok.bos())
    std::cerr << "warning: the model adds a BOS token and the prompt starts with one too: the prompt now "
                 "starts with two BOS tokens\n";
  return ids;
}

}  // namespace infertrace::cli
