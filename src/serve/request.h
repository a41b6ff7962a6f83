// A POST /v1/completions body checked and turned into what the scheduler runs (docs/serve.md).
// Every bad input is a RequestError carrying the HTTP status (400, or 404 for another model's
// name) and a message; nothing here can crash on input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/runtime/sampler.h"

namespace infertrace::serve {

struct CompletionRequest {
  std::vector<int32_t> prompt;  // token ids: the text encoded, or the ids as given
  int64_t max_tokens = 16;
  engine::SamplerOptions sampling;  // temperature 0: greedy
  bool stream = false, include_usage = false, ignore_eos = false;
  bool return_token_ids = false;  // vLLM extension: choices carry prompt_token_ids and token_ids
  std::vector<std::string> stop;         // stop strings: non-empty, at most kMaxStops of kMaxStopBytes
  std::vector<int32_t> stop_token_ids;   // vLLM extension: sorted, unique, each below n_vocab

  static constexpr size_t kMaxStops = 4;          // OpenAI's "up to 4 sequences"
  static constexpr size_t kMaxStopBytes = 256;    // bounds the hold-back and the per-token search
  static constexpr size_t kMaxStopTokenIds = 1024;
};

// What a request is checked against.
struct ModelLimits {
  std::string name;     // the model id a request may name
  int64_t ctx = 0;      // tokens one sequence may hold (prompt + generated)
  int32_t n_vocab = 0;  // token ids must be below this
  // The tokenizer's Tokenizer::max_text_bytes_per_token (0: none): a text prompt of more than
  // ctx times this many bytes cannot fit and is refused before it is encoded, since encoding
  // costs time and memory per byte (a 64 MiB prompt took 38 s and 12 GB to be refused after).
  size_t max_text_bytes_per_token = 0;
};

class RequestError : public std::runtime_error {
 public:
  // param: the request field at fault, as OpenAI's error object names it ("" for none: null).
  RequestError(int status, const std::string& message, std::string param = {})
      : std::runtime_error(message), status_(status), param_(std::move(param)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }

 private:
  int status_;
  std::string param_;
};

// Most JSON values (objects, arrays, strings, numbers, true/false/null, each counted once however
// deep) a request body may hold for a context of `ctx` tokens: a body with more is refused (413)
// before any of it is built in memory (parse_completion_request, parse_chat_request). A parsed
// value costs 16+ bytes of a DOM node plus its own allocation, so a 32 MiB body of `{},` or of
// one-digit token ids took 0.5 to 2.4 GB to parse (review HS H1); counted first, it costs nothing.
// The bound holds every request that can fit the context: a prompt of token ids is at most ctx
// values (one per token); a chat message renders to at least 2 tokens in every template family
// (its role's header and end) and costs 3 values as {role, content} or 6 with one text part, so 4
// per token also covers messages of a few parts each; stop_token_ids are at most 1024 values and
// stop at most 5; the 4096 left cover those, the scalar fields and the unknown ones a client adds.
inline uint64_t max_json_values(int64_t ctx) {
  const uint64_t c = ctx > 0 ? static_cast<uint64_t>(ctx) : 0;
  return c > (UINT64_MAX - 4096) / 4 ? UINT64_MAX : 4 * c + 4096;  // saturating: no context bound, no limit
}

// `encode` turns a text prompt into ids (the model's tokenizer, BOS as the model asks); `seed` is
// used when the request names none.
CompletionRequest parse_completion_request(std::string_view body, const ModelLimits& limits,
                                           const std::function<std::vector<int32_t>(const std::string&)>& encode,
                                           uint64_t seed);

// The JSON error body of the spec: {"error":{"message","type","param","code"}}; type is
// invalid_request_error for 4xx, server_error otherwise; param the field at fault (OpenAI's
// member), null when none is named.
std::string error_body(int status, const std::string& message, const std::string& param = {});

}  // namespace infertrace::serve
