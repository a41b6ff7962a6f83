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
  RequestError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// `encode` turns a text prompt into ids (the model's tokenizer, BOS as the model asks); `seed` is
// used when the request names none.
CompletionRequest parse_completion_request(std::string_view body, const ModelLimits& limits,
                                           const std::function<std::vector<int32_t>(const std::string&)>& encode,
                                           uint64_t seed);

// The JSON error body of the spec: {"error":{"message","type","code"}}; type is
// invalid_request_error for 4xx, server_error otherwise.
std::string error_body(int status, const std::string& message);

}  // namespace infertrace::serve
