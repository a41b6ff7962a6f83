#include "serve/chat_request.h"

#include <stdexcept>

#include "serve/request_fields.h"

namespace infertrace::serve {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& message) { bad_request(message); }

// A message's content: a string, or an array of {"type": "text", "text": ...} parts joined with
// "\n" (as vLLM joins the text parts of a message for a template that takes string content).
std::string content_text(const json& c, const std::string& where) {
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) bad("'" + where + ".content' must be a string or an array of text parts");
  std::string text;
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string part = where + ".content[" + std::to_string(i) + "]";
    const json& p = c[i];
    if (!p.is_object() || !p.contains("type") || !p["type"].is_string())
      bad("'" + part + "' must be an object with a 'type'");
    const std::string type = p["type"].get<std::string>();
    if (type != "text") bad("'" + part + "' is of type '" + type + "': only text parts are supported");
    if (!p.contains("text") || !p["text"].is_string()) bad("'" + part + ".text' must be a string");
    if (i > 0) text += "\n";
    text += p["text"].get<std::string>();
  }
  return text;
}

std::vector<ChatMessage> messages_of(const json& v) {
  if (!v.is_array()) bad("'messages' must be an array of messages");
  if (v.empty()) bad("'messages' is empty");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]";
    const json& m = v[i];
    if (!m.is_object()) bad("'" + where + "' must be an object");
    if (!m.contains("role") || !m["role"].is_string()) bad("'" + where + ".role' must be a string");
    const std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant")
      bad("'" + where + ".role' is '" + role + "': only system, user and assistant messages are supported");
    // Tool calls and reasoning would be dropped by the rendering, not sent to the model. null is
    // taken as absent (as vLLM drops a null tool_calls; OpenAI's SDKs send nulls when they echo an
    // assistant message back); anything else is refused, `[]` too: a template testing
    // `'tool_calls' in message` (Llama 3.1's) takes its tool-call branch for it (review CT L1).
    for (const char* key : {"tool_calls", "tool_call_id", "function_call", "reasoning_content", "audio"}) {
      if (m.contains(key) && !m[key].is_null()) bad("'" + where + "." + key + "' is not supported");
    }
    if (!m.contains("content") || m["content"].is_null()) bad("'" + where + ".content' is required");
    out.push_back({role, content_text(m["content"], where)});
  }
  return out;
}

}  // namespace

CompletionRequest parse_chat_request(std::string_view body, const ModelLimits& limits, const ChatSetup& chat,
                                     const std::function<std::vector<int32_t>(const std::string&)>& encode,
                                     uint64_t seed, std::string* prompt_text) {
  const json j = parse_request_object(body, limits);
  // The way round named with it (review CT55 L3): the completions endpoint takes a prompt rendered
  // by the client.
  if (!chat.tmpl)
    bad("this server cannot render chat prompts for its model: " + chat.refusal +
        "; /v1/completions takes a prompt the client rendered");
  if (!j.contains("messages") || j["messages"].is_null()) bad("'messages' is required");
  std::optional<int64_t> max_completion_tokens, max_tokens;
  ChatRenderOptions render;
  render.bos = chat.bos;
  render.bos_token = chat.bos_token;
  render.eos_token = chat.eos_token;
  render.today = chat.today;
  CompletionRequest r = parse_request_options(j, limits, seed, [&](const std::string& key, const json& v) {
    if (key == "messages") return true;  // after the options: its errors come with a known max_tokens
    if (key == "max_completion_tokens") {  // OpenAI's newer name for max_tokens; it wins when both are given
      const int64_t n = integer(v, "max_completion_tokens");
      if (n < 1) bad("'max_completion_tokens' must be >= 1");
      max_completion_tokens = n;
    } else if (key == "max_tokens") {  // its range is checked below, unless max_completion_tokens wins
      max_tokens = integer(v, "max_tokens");
    } else if (key == "tools" || key == "functions") {
      if (!(v.is_array() && v.empty())) bad("'" + key + "' is not supported (no tool calling)");
      if (key == "tools") render.tools_listed = true;
    } else if (key == "tool_choice" || key == "function_call") {
      if (!(v.is_string() && (v.get<std::string>() == "none" || v.get<std::string>() == "auto")))
        bad("'" + key + "' is not supported (only \"none\" or \"auto\", with no tools)");
    } else if (key == "response_format") {
      if (!(v.is_object() && v.contains("type") && v["type"] == "text"))
        bad("'response_format' is not supported (only {\"type\": \"text\"})");
    } else if (key == "top_logprobs") {
      int64_t n = -1;
      if (whole_number(v, n) != WholeNumber::kOk || n != 0) bad("'top_logprobs' is not supported (only 0)");
    } else if (key == "add_generation_prompt") {
      if (!(v.is_boolean() && v.get<bool>())) bad("'add_generation_prompt' is not supported (only true)");
    } else if (key == "continue_final_message") {
      if (!(v.is_boolean() && !v.get<bool>())) bad("'continue_final_message' is not supported (only false)");
    } else if (key == "chat_template") {
      bad("'chat_template' is not supported (the model's own template is used)");
    } else if (key == "chat_template_kwargs") {
      // vLLM's extension: extra variables for the template. Of those a template reads, only Qwen3's
      // enable_thinking changes these renderings; one the template never names is ignored, as
      // jinja2 ignores it (clients send enable_thinking to every model: review CT55 L4); any other
      // it names would change the prompt in a way not rendered here, so it is refused.
      if (!v.is_object()) bad("'chat_template_kwargs' must be an object");
      for (const auto& [k2, v2] : v.items()) {
        if (k2 == "enable_thinking" && chat.tmpl->has_enable_thinking()) {
          if (!v2.is_boolean()) bad("'chat_template_kwargs.enable_thinking' must be true or false");
          render.enable_thinking = v2.get<bool>();
        } else if (chat.tmpl->names(k2)) {
          bad("'chat_template_kwargs." + k2 + "' is not supported by this model's template (" + chat.tmpl->name() + ")");
        }
      }
    } else {
      return false;
    }
    return true;
  });
  // Neither given: the rest of the context once the prompt is known (OpenAI's chat API has no
  // default of 16, which is /v1/completions' legacy one; vLLM gives the rest of max_model_len).
  // max_completion_tokens wins over max_tokens, whose value is then not used (vLLM takes either,
  // checking only the one it uses), so a max_tokens of 0 beside it is no error.
  if (max_completion_tokens) r.max_tokens = *max_completion_tokens;
  else if (max_tokens && *max_tokens < 1) bad("'max_tokens' must be >= 1");
  else if (max_tokens) r.max_tokens = *max_tokens;
  const std::vector<ChatMessage> messages = messages_of(j["messages"]);
  std::string text;
  try {
    text = chat.tmpl->render(messages, render);
  } catch (const std::invalid_argument& e) {
    bad(std::string("cannot render the chat template: ") + e.what());
  }
  // Named by the chat request's own field (set_prompt's message names 'prompt'; review CT L5).
  if (text.empty()) bad("'messages' renders to an empty prompt with this model's chat template (" + chat.tmpl->name() + ")");
  set_prompt(r, json(text), limits, encode, /*rest_of_context=*/!max_completion_tokens && !max_tokens);
  if (prompt_text) *prompt_text = std::move(text);
  return r;
}

}  // namespace infertrace::serve
