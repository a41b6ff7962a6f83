// libFuzzer target for the chat side of `infertrace serve` (src/serve/chat_*): the model's
// template text, which comes with the GGUF file, and the /v1/chat/completions body, which comes
// from the network. The first byte chooses what the rest is:
// - odd: a template text, through family detection (ChatTemplate::detect, and the [INST] code
//   comparison against a table holding that very text's shape, so every variant's renderer is
//   reached), then a few fixed conversations rendered with what was detected;
// - even: a request body, parsed with one of 14 chat setups (byte >> 1): Qwen3's, Llama 3.2's and
//   the qwen2 presets' (ChatML with a default system message) templates, a ChatML and a Llama 3.0
//   template written here, and each [INST] variant.
// Detection either recognises a family or says why not; rendering gives a prompt or throws
// std::invalid_argument; a request is either one within its limits whose prompt ends with the
// family's generation prompt, or a RequestError 400/404 with a JSON error body. Anything else
// (crash, sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model/chat_template_texts.h"
#include "engine/tokenizer/synthetic_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/chat_inst.h"
#include "serve/chat_request.h"
#include "serve/chat_template.h"
#include "serve/request.h"

namespace {

using namespace infertrace;
using namespace infertrace::serve;

const engine::Tokenizer& tokenizer() {
  static const engine::Tokenizer t(engine::make_synthetic_vocab(512));
  return t;
}

constexpr InstVariant kVariants[] = {InstVariant::kLlama2,       InstVariant::kMistralV01, InstVariant::kMistralV01Eos,
                                     InstVariant::kMistralV1,    InstVariant::kMistralV3,  InstVariant::kMistralV3Tools,
                                     InstVariant::kMistralV3Tekken, InstVariant::kMistralV7, InstVariant::kMistralV7Tekken};
constexpr size_t kNumVariants = sizeof(kVariants) / sizeof(kVariants[0]);

// Templates written here for the families whose published texts the repository does not hold;
// detection takes them for their family (checked once, at start).
constexpr std::string_view kChatMl =
    R"({% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %})";
constexpr std::string_view kLlama30 =
    R"({{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %})";
constexpr std::string_view kInst =
    R"({{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %})";

ChatTemplate detected(std::string_view text) {
  std::string why;
  std::optional<ChatTemplate> t = ChatTemplate::detect(text, &why);
  if (!t) std::abort();
  return *t;
}

ChatTemplate detected_inst(InstVariant v) {
  ScopedInstShapes table({inst_shape(v, kInst)});
  return detected(kInst);
}

struct Setup {
  ChatSetup chat;
  std::string_view generation_prompt;  // how every prompt ends ("" : [INST], which writes none)
};

const std::vector<Setup>& setups() {
  static const std::vector<Setup> s = [] {
    std::vector<Setup> out;
    auto add = [&](ChatTemplate t, std::string_view prompt) {
      Setup x;
      x.chat.tmpl = std::move(t);
      x.chat.bos_token = "<s>";
      x.chat.eos_token = "</s>";
      x.chat.today = "01 Dec 2026";
      x.generation_prompt = prompt;
      out.push_back(std::move(x));
    };
    add(detected(engine::qwen3_chat_template()), "");  // "<think>" blocks may follow: checked apart
    add(detected(engine::llama32_chat_template()), "<|start_header_id|>assistant<|end_header_id|>\n\n");
    add(detected(engine::qwen25_chat_template()), "<|im_start|>assistant\n");
    add(detected(kChatMl), "<|im_start|>assistant\n");
    add(detected(kLlama30), "<|start_header_id|>assistant<|end_header_id|>\n\n");
    for (InstVariant v : kVariants) add(detected_inst(v), "");
    return out;
  }();
  return s;
}

// Conversations of every shape the renderers branch on: roles alternating or not, a leading or
// late system message, think blocks, contents with surrounding spaces.
const std::vector<std::vector<ChatMessage>>& conversations() {
  static const std::vector<std::vector<ChatMessage>> c = {
      {{"user", "Hi"}},
      {{"system", " Be brief. "}, {"user", "Hi"}},
      {{"system", "S"}, {"user", "a"}, {"assistant", "<think>x</think>\n\nb"}, {"user", " c "}},
      {{"user", "a"}, {"assistant", "b"}},
      {{"assistant", "b"}},
      {{"user", "a"}, {"user", "b"}, {"system", "late"}},
      {{"tool", "t"}},
      {},
  };
  return c;
}

void render_all(const ChatTemplate& t) {
  if (t.name().empty()) std::abort();
  for (const auto& messages : conversations()) {
    for (int k = 0; k < 4; ++k) {
      ChatRenderOptions o;
      o.bos = k & 1 ? "<s>" : "";
      o.bos_token = "<s>";
      o.eos_token = "</s>";
      o.tools_listed = k & 2;
      if (t.has_enable_thinking()) o.enable_thinking = k & 1;
      o.today = "01 Dec 2026";
      try {
        (void)t.render(messages, o);
      } catch (const std::invalid_argument&) {
      }
    }
  }
}

void fuzz_template(std::string_view text, uint8_t selector) {
  std::string why;
  const std::optional<ChatTemplate> t = ChatTemplate::detect(text, &why);
  if (!t && why.empty()) std::abort();
  if (t) render_all(*t);
  (void)jinja_code(text);
  (void)inst_code(text);
  if (text.find("[INST]") == std::string_view::npos) return;
  // The text's own shape in the table: reaches each variant's renderer from arbitrary code.
  ScopedInstShapes table({inst_shape(kVariants[selector % kNumVariants], text)});
  why.clear();
  const std::optional<ChatTemplate> inst = ChatTemplate::detect(text, &why);
  if (!inst && why.empty()) std::abort();
  if (inst) render_all(*inst);
}

void fuzz_request(std::string_view body, uint8_t selector) {
  const Setup& s = setups()[selector % setups().size()];
  const ModelLimits limits{"m", 256, tokenizer().n_vocab(), tokenizer().max_text_bytes_per_token()};
  // As the server encodes a rendered prompt (http_server.cpp): control tokens written in it are tokens.
  const auto encode = [](const std::string& text) { return tokenizer().encode_prompt(text, /*parse_special=*/true); };
  try {
    std::string prompt;
    const CompletionRequest r = parse_chat_request(body, limits, s.chat, encode, 7, &prompt);
    const int64_t n = static_cast<int64_t>(r.prompt.size());
    if (n < 1 || r.max_tokens < 1 || n + r.max_tokens > limits.ctx) std::abort();
    for (int32_t id : r.prompt)
      if (id < 0 || id >= limits.n_vocab) std::abort();
    if (!prompt.ends_with(s.generation_prompt)) std::abort();
    if (s.chat.tmpl->family() == ChatFamily::kQwen3 && !prompt.ends_with("<|im_start|>assistant\n") &&
        !prompt.ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\n"))
      std::abort();
  } catch (const RequestError& e) {
    if (e.status() != 400 && e.status() != 404 && e.status() != 413) std::abort();
    const nlohmann::json j = nlohmann::json::parse(error_body(e.status(), e.what()), nullptr, false);
    if (j.is_discarded() || !j["error"]["message"].is_string()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) fuzz_template(rest, static_cast<uint8_t>(data[0] >> 1));
  else fuzz_request(rest, static_cast<uint8_t>(data[0] >> 1));
  return 0;
}
