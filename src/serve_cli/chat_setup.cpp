#include "serve_cli/chat_setup.h"

#include <string>
#include <string_view>

namespace infertrace::serve_cli {

serve::ChatSetup chat_setup(const gguf::File& file, const engine::Tokenizer& tok) {
  serve::ChatSetup chat;
  // A template that is not a string makes chat refused, not the server fail: /v1/completions
  // does not need it.
  const gguf::Value* t = file.find("tokenizer.chat_template");
  if (t && t->type != gguf::ValueType::STRING)
    chat.refusal = std::string("the model's tokenizer.chat_template is ") + gguf::value_type_name(t->type) +
                   ", not a string";
  else
    chat.tmpl = serve::ChatTemplate::detect(t ? t->as_string() : std::string_view(), &chat.refusal);
  // A template writes bos_token first; a tokenizer that adds BOS itself already puts it there.
  if (!tok.vocab().add_bos && tok.bos() >= 0) chat.bos = tok.vocab().tokens[static_cast<size_t>(tok.bos())];
  if (tok.bos() >= 0) chat.bos_token = tok.vocab().tokens[static_cast<size_t>(tok.bos())];
  if (tok.eos() >= 0) chat.eos_token = tok.vocab().tokens[static_cast<size_t>(tok.eos())];
  // [INST] templates write both tokens' texts; without them the prompt would lack them.
  if (chat.tmpl && chat.tmpl->family() == serve::ChatFamily::kInst && (tok.bos() < 0 || tok.eos() < 0)) {
    chat.tmpl.reset();
    chat.refusal = "the model's [INST] chat template writes BOS and EOS, and its vocabulary lacks one of them";
  }
  // Zephyr templates end every message with EOS.
  if (chat.tmpl && chat.tmpl->family() == serve::ChatFamily::kZephyr && tok.eos() < 0) {
    chat.tmpl.reset();
    chat.refusal = "the model's Zephyr chat template writes EOS after every message, and its vocabulary has none";
  }
  return chat;
}

}  // namespace infertrace::serve_cli
