// What `infertrace serve` knows about chatting with its model (serve::ChatSetup), read from the
// GGUF file and its tokenizer. Shared with `bench serve -m`, which sizes the servers' context for
// the chat prompts it will send by rendering them exactly as the servers will.
#pragma once

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/chat_request.h"

namespace infertrace::serve_cli {

// The model's chat template, recognised once (serve/chat_template.h); a template that is missing,
// not a string or not rendered gives a setup without one, whose refusal says why.
serve::ChatSetup chat_setup(const gguf::File& file, const engine::Tokenizer& tok);

}  // namespace infertrace::serve_cli
