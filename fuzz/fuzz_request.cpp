// libFuzzer target for the POST /v1/completions body of `infertrace serve` (src/serve/request.*),
// which comes from the network. Every input is either a request that satisfies what the scheduler
// relies on, or a RequestError with status 400/404 whose error body is valid JSON; anything else
// (crash, sanitizer report, another exception, a request outside its limits) is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/synthetic_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/request.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A small context, so prompt + max_tokens limits are reachable from short inputs.
  const serve::ModelLimits limits{"m", 64, tokenizer().n_vocab()};
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    const serve::CompletionRequest r = serve::parse_completion_request(
        body, limits, [](const std::string& text) { return tokenizer().encode(text, true); }, 7);
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
  } catch (const serve::RequestError& e) {
    if (e.status() != 400 && e.status() != 404) std::abort();
    check_error_body(e.status(), e.what());
  }
  return 0;
}
