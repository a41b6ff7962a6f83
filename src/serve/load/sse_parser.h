// Incremental parser for an OpenAI completions or chat completions SSE stream (docs/serve.md "bench serve"). Bytes
// arrive in arbitrary pieces (an event may be split across reads, lines may end in \r\n, \n or a lone \r), so the
// parser buffers until a blank line ends an event and only then classifies it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace infertrace::serve::load {

enum class SseKind {
  kToken,      // an event whose first choice carries text (chat: delta.content, completions:
               // text, a non-empty string): one or more generated tokens
  kNoToken,    // a choice without text: "", null or absent (the chat role announcement, text held
               // back, a last chunk holding only finish_reason)
  kUsage,      // "choices": [] with "usage": the final accounting event
  kDone,       // data: [DONE]
  kError,      // a JSON object with an "error" member
  kMalformed,  // data that is not JSON, or JSON of neither shape
};

struct SseEvent {
  SseKind kind = SseKind::kMalformed;
  int64_t completion_tokens = -1;  // from "usage" (kUsage, or a token event that carries usage)
  int64_t prompt_tokens = -1;      // usage.prompt_tokens: the server's count of the prompt, template included
  std::string message;             // kError: the error message; kMalformed: what was wrong
};

class SseParser {
 public:
  using Sink = std::function<void(const SseEvent&)>;
  explicit SseParser(Sink sink) : sink_(std::move(sink)) {}
  // Feeds the next bytes of the body; calls the sink once per complete event.
  void feed(std::string_view bytes);
  // End of stream: an unterminated last event is still delivered (servers may omit the blank line).
  void finish();

 private:
  void line(std::string_view l);
  void dispatch();
  Sink sink_;
  std::string pending_;  // bytes of an incomplete line
  bool skip_lf_ = false;  // the last read ended with \r: a \n opening the next one belongs to it
  std::string data_;     // the data: lines of the current event, joined with \n
  bool have_data_ = false;
};

// Classifies one event's data payload (exposed for tests).
SseEvent classify_sse_data(std::string_view data);

}  // namespace infertrace::serve::load
