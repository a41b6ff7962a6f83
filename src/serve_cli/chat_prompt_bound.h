// How many tokens a `bench serve --endpoint chat` prompt takes on the servers, at most: the
// message of --prompt-tokens words is rendered with the model's chat template and encoded, which
// adds the template's tokens (role headers, BOS, the generation prompt) and may split a word into
// several tokens. Sizing the servers' context by --prompt-tokens alone had every request refused.
#pragma once

#include <cstdint>
#include <string>

#include "engine/gguf/gguf.h"

namespace infertrace::serve_cli {

struct ChatPromptBound {
  int64_t tokens = 0;   // the most prompt tokens any chat request of `words` words can take
  std::string refusal;  // non-empty: the servers refuse every chat request for this model, and why
};

// Renders and encodes as `infertrace serve` does (chat_setup, parse_chat_request with the
// tokenizer's encode_prompt). The bound: the costliest first word (with the template around it)
// plus words - 1 times the costliest further word, a word's cost measured as the tokens it adds
// after itself (" w"). Exact when the tokenizer splits text at spaces before merging (GPT-2
// pre-tokenisation, SentencePiece pieces start at a space), as the prompt words are chosen for.
ChatPromptBound chat_prompt_bound(const gguf::File& file, int64_t words);

}  // namespace infertrace::serve_cli
