// libFuzzer target for the POST /v1/completions and /v1/chat/completions bodies of `infertrace
// serve` (src/serve/request.*, src/serve/chat_request.*), which come from the network. Each input
// goes through both parsers (chat with Qwen3's template, whose rendering has the most branches);
// each answer is either a request that satisfies what the scheduler relies on, or a RequestError
// with status 400/404/413 whose error body is valid JSON; anything else (crash, sanitizer report,
// another exception, a request outside its limits) is a bug.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/model/chat_template_texts.h"
#include "engine/tokenizer/synthetic_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/chat_request.h"
#include "serve/request.h"
#include "serve/stop_matcher.h"

namespace {

using namespace infertrace;

const engine::Tokenizer& tokenizer() {
  static const engine::Tokenizer t(engine::make_synthetic_vocab(512));
  return t;
}

void check_error_body(int status, const std::string& message) {
  const nlohmann::json j = nlohmann::json::parse(serve::error_body(status, message), nullptr, false);
  if (j.is_discarded() || !j["error"]["message"].is_string() || j["error"]["code"] != status) std::abort();
}

// The parsed stop strings over the prompt's pieces (byte tokens included, so UTF-8 characters and
// stop strings split across tokens come up): nothing released is taken back, and the result is the
// text up to the earliest stop string in the first token prefix that holds one (brute force).
void check_stop_matcher(const serve::CompletionRequest& r) {
  serve::StopMatcher m(r.stop);
  std::string released, text, expected;
  bool stopped = false;
  for (int32_t id : r.prompt) {
    const std::string piece = tokenizer().token_to_piece(id);
    text += piece;
    released += m.feed(piece);
    if (!stopped) {
      size_t cut = std::string::npos;
      for (const std::string& s : r.stop) cut = std::min(cut, text.find(s));
      if (cut != std::string::npos) {
        stopped = true;
        expected = text.substr(0, cut);
      }
    }
    if (m.stopped() != stopped || released.size() > text.size() || text.compare(0, released.size(), released) != 0)
      std::abort();
    if (stopped) break;
  }
  if (!stopped) {
    released += m.flush();
    expected = text;
  }
  if (released != expected) std::abort();
}

// What the scheduler relies on, whichever endpoint parsed the request.
void check_request(const serve::CompletionRequest& r, const serve::ModelLimits& limits) {
  const int64_t n = static_cast<int64_t>(r.prompt.size());
  if (n < 1 || r.max_tokens < 1 || n + r.max_tokens > limits.ctx) std::abort();
  for (int32_t id : r.prompt)
    if (id < 0 || id >= limits.n_vocab) std::abort();
  const auto& s = r.sampling;
  if (!std::isfinite(s.temperature) || s.temperature < 0) std::abort();
  // A top_p below float's range rounds to 0; the sampler then keeps one candidate, as it would for it.
  if (!(s.top_p >= 0 && s.top_p <= 1)) std::abort();
  if (s.top_k < 0 || s.top_k > limits.n_vocab) std::abort();
  if (r.include_usage && !r.stream) std::abort();
  // Stop strings: at most kMaxStops, each non-empty and within kMaxStopBytes (the matcher's
  // hold-back relies on the bound; an empty one would stop every request at once).
  if (r.stop.size() > serve::CompletionRequest::kMaxStops) std::abort();
  for (const std::string& st : r.stop)
    if (st.empty() || st.size() > serve::CompletionRequest::kMaxStopBytes) std::abort();
  // Stop token ids: within the vocabulary, sorted and unique (the scheduler binary-searches them).
  if (r.stop_token_ids.size() > serve::CompletionRequest::kMaxStopTokenIds) std::abort();
  for (size_t i = 0; i < r.stop_token_ids.size(); ++i) {
    const int32_t id = r.stop_token_ids[i];
    if (id < 0 || id >= limits.n_vocab || (i > 0 && r.stop_token_ids[i - 1] >= id)) std::abort();
  }
  check_stop_matcher(r);
}

const serve::ChatSetup& chat() {
  static const serve::ChatSetup s = [] {
    serve::ChatSetup c;
    c.tmpl = serve::ChatTemplate::detect(engine::qwen3_chat_template(), &c.refusal);
    if (!c.tmpl) std::abort();
    return c;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A small context, so prompt + max_tokens limits are reachable from short inputs.
  const serve::ModelLimits limits{"m", 64, tokenizer().n_vocab(), tokenizer().max_text_bytes_per_token()};
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto encode = [](const std::string& text) { return tokenizer().encode(text, true); };
  for (const bool is_chat : {false, true}) {
    try {
      check_request(is_chat ? serve::parse_chat_request(body, limits, chat(), encode, 7)
                            : serve::parse_completion_request(body, limits, encode, 7),
                    limits);
    } catch (const serve::RequestError& e) {
      if (e.status() != 400 && e.status() != 404 && e.status() != 413) std::abort();
      check_error_body(e.status(), e.what());
    }
  }
  return 0;
}
