#include "serve/load/sse_parser.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/text_clean.h"

namespace infertrace::serve::load {

namespace {

// A quote of the server's bytes in a message: cut by whole characters, with invalid UTF-8 and
// control characters replaced, so an error line never ends inside a character (review EA).
std::string quote(std::string_view data, size_t max_chars) {
  bool changed = false;
  return clean_text_prefix(data, max_chars, changed);
}

}  // namespace

SseEvent classify_sse_data(std::string_view data) {
  SseEvent ev;
  if (data == "[DONE]") {
    ev.kind = SseKind::kDone;
    return ev;
  }
  nlohmann::json j = nlohmann::json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    ev.message = "data is not a JSON object: " + quote(data, 80);
    return ev;
  }
  if (j.contains("error")) {
    ev.kind = SseKind::kError;
    const auto& e = j["error"];
    // Any other shape is reported as the event's own text, cut short: dumping the parsed value
    // instead would recurse once per nesting level, and a server can nest deep enough to overflow
    // the stack.
    if (e.is_object() && e.contains("message") && e["message"].is_string())
      ev.message = e["message"].get<std::string>();
    else if (e.is_string())
      ev.message = e.get<std::string>();
    else
      ev.message = quote(data, 200);
    return ev;
  }
  if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("completion_tokens") &&
      j["usage"]["completion_tokens"].is_number_integer())
    ev.completion_tokens = j["usage"]["completion_tokens"].get<int64_t>();
  if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("prompt_tokens") &&
      j["usage"]["prompt_tokens"].is_number_integer())
    ev.prompt_tokens = j["usage"]["prompt_tokens"].get<int64_t>();
  if (!j.contains("choices") || !j["choices"].is_array()) {
    ev.message = "event has no choices array";
    return ev;
  }
  ev.kind = j["choices"].empty() ? SseKind::kUsage : SseKind::kToken;
  if (ev.kind == SseKind::kToken) {
    // One rule for both endpoints: an event is a token when it carries text, a non-empty string
    // in the chat delta's "content" or the completion choice's "text". Chat: whatever "role"
    // holds (SGLang sends "role": null in every chunk and TGI may repeat "role": "assistant", so
    // the role key says nothing); content "" (vLLM's and OpenAI's opening role chunk, text held
    // back), null or absent (llama.cpp's finish_reason-only last chunk) is no token, as vLLM's
    // chat benchmark counts only chunks with text. Completions: "text": "" (ours while UTF-8
    // bytes or a possible stop string are held back, a finish_reason-only last event), null or
    // absent is no token either, so TTFT and ITL mean the same on both endpoints (review SB M3).
    const auto& c = j["choices"][0];
    const bool chat = c.is_object() && c.contains("delta");
    const nlohmann::json* holder = chat ? &c["delta"] : &c;
    const char* key = chat ? "content" : "text";
    const bool text = holder->is_object() && holder->contains(key) && (*holder)[key].is_string() &&
                      !(*holder)[key].get_ref<const std::string&>().empty();
    if (!text) ev.kind = SseKind::kNoToken;
  }
  if (ev.kind == SseKind::kUsage && ev.completion_tokens < 0) {
    ev.kind = SseKind::kMalformed;
    ev.message = "empty choices without usage";
  }
  return ev;
}

void SseParser::feed(std::string_view bytes) {
  // Lines end at \r\n, \n or a lone \r (the SSE specification allows all three). A \r that ends
  // one read ends its line at once; a \n opening the next read is then the rest of that \r\n.
  if (skip_lf_ && !bytes.empty()) {
    if (bytes[0] == '\n') bytes.remove_prefix(1);
    skip_lf_ = false;
  }
  // The bytes held from earlier calls hold no line end (every complete line was taken), so only
  // the new ones are searched: searching from the start made a long line arriving in many reads
  // quadratic (a 32 MB line in 4 KB reads took 25 s).
  const size_t scanned = pending_.size();
  pending_.append(bytes);
  size_t start = 0;
  for (;;) {
    const size_t eol = pending_.find_first_of("\r\n", std::max(start, scanned));
    if (eol == std::string::npos) break;
    line(std::string_view(pending_).substr(start, eol - start));
    start = eol + 1;
    if (pending_[eol] == '\r') {
      if (start == pending_.size())
        skip_lf_ = true;
      else if (pending_[start] == '\n')
        ++start;
    }
  }
  pending_.erase(0, start);
}

void SseParser::finish() {
  if (!pending_.empty()) {
    std::string rest;
    rest.swap(pending_);
    line(rest);
  }
  skip_lf_ = false;
  dispatch();
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {  // a blank line ends the event
    dispatch();
    return;
  }
  if (l[0] == ':') return;  // comment / keep-alive
  auto colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : l.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  if (field != "data") return;  // event:, id:, retry: carry nothing we measure
  if (have_data_) data_.push_back('\n');
  data_.append(value);
  have_data_ = true;
}

void SseParser::dispatch() {
  if (!have_data_) return;
  SseEvent ev = classify_sse_data(data_);
  data_.clear();
  have_data_ = false;
  sink_(ev);
}

}  // namespace infertrace::serve::load
