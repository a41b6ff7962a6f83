// chat_render TEMPLATES.json CONVERSATIONS.json [EOS]: detects the chat template of each text in the
// JSON list TEMPLATES as the server does (serve/chat_template.h) and renders each conversation of
// the JSON file CONVERSATIONS (a list of lists of {"role", "content"}) with the generation prompt, no
// BOS, and EOS's text (default "") where a template writes eos_token (ChatRenderOptions::eos_token,
// which the server takes from its vocabulary's EOS token). Prints one JSON list, one object per
// template in order: {"refused": why} when the template is refused, else {"family": name,
// "prompts": [...]}, each prompt a string or {"error": what} where rendering that conversation
// throws. All templates go through one process because the differential test has hundreds of them
// and one process start costs ~0.15 s under ASan (93 s of the CI's ASan stage when each template
// had its own run).
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/chat_template.h"

namespace {

using infertrace::serve::ChatMessage;
using infertrace::serve::ChatTemplate;

std::string read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(std::string("cannot read ") + path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

nlohmann::json render_one(const std::string& text, const nlohmann::json& conversations, const std::string& eos) {
  nlohmann::json out;
  std::string why;
  const std::optional<ChatTemplate> t = ChatTemplate::detect(text, &why);
  if (!t) {
    out["refused"] = why;
    return out;
  }
  out["family"] = t->name();
  out["prompts"] = nlohmann::json::array();
  for (const nlohmann::json& conv : conversations) {
    std::vector<ChatMessage> messages;
    for (const nlohmann::json& m : conv) messages.push_back({m.at("role"), m.at("content")});
    try {
      infertrace::serve::ChatRenderOptions options;
      options.eos_token = eos;
      out["prompts"].push_back(t->render(messages, options));
    } catch (const std::invalid_argument& e) {
      out["prompts"].push_back({{"error", e.what()}});
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: chat_render TEMPLATES.json CONVERSATIONS.json [EOS]\n";
    return 2;
  }
  try {
    const nlohmann::json templates = nlohmann::json::parse(read_file(argv[1]));
    const nlohmann::json conversations = nlohmann::json::parse(read_file(argv[2]));
    if (!templates.is_array()) throw std::runtime_error("TEMPLATES is not a JSON list");
    nlohmann::json out = nlohmann::json::array();
    const std::string eos = argc == 4 ? argv[3] : "";
    for (const nlohmann::json& text : templates)
      out.push_back(render_one(text.get<std::string>(), conversations, eos));
    // As the server does: a template's bytes that are no UTF-8 (a refusal may quote them) become
    // U+FFFD, instead of a type_error that would end the tool with nothing printed.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "chat_render: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
