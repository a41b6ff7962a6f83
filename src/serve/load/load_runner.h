// Runs one load point (a profile at one concurrency or rate) against a target: a list of base URLs
// of OpenAI-compatible completions servers. With several URLs each request goes to the one with the
// fewest requests in flight (ties round-robin), so a data-parallel topology is one target.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "serve/load/load_metrics.h"

namespace infertrace::serve::load {

enum class Profile { kSynchronous, kConcurrent, kConstant, kPoisson };

// Which API the requests use: /v1/completions, or /v1/chat/completions with the prompt as one
// user message (as vLLM's benchmark's openai-chat backend sends it).
enum class Endpoint { kCompletions, kChat };
const char* endpoint_name(Endpoint e);  // "completions", "chat"

struct Target {
  std::vector<std::string> base_urls;  // "http://host:port", no trailing slash
};

struct ModelInfo {
  std::string id;       // empty when /v1/models gave none (then the request names no model)
  int64_t n_vocab = 0;  // 0: absent, prompts are text
};

// PointSpec::warmup value for bench serve's default: one unmeasured request per server.
constexpr int64_t kWarmupPerServer = -1;

struct PointSpec {
  Profile profile = Profile::kSynchronous;
  int concurrency = 1;      // kConcurrent (kSynchronous is 1)
  double rate = 0;          // kConstant / kPoisson, requests per second
  int64_t requests = 0;     // > 0: this many measured requests ...
  double duration_s = 0;    // ... or > 0: send for this long
  int64_t warmup = 0;       // sent one at a time before the point, not measured (kWarmupPerServer: one per server)
  double timeout_s = 600;   // per request, from its send
  uint64_t seed = 0;
  int64_t prompt_tokens = 256;
  int64_t output_tokens = 128;
  Endpoint endpoint = Endpoint::kCompletions;
  // The point's position in its sweep (0, 1, ...): mixed into every prompt's seed, so no point
  // sends a prompt an earlier point (or its warm-up) sent; the same point of every topology of a
  // study has the same position, hence the same prompts (review BS M3).
  uint64_t point_index = 0;
  // With `--repeat N`: which run of its load this point is (1..N) and N. The repetitions of a load
  // have their own point_index, hence their own prompts: each run samples the load anew.
  int repetition = 1;
  int repetitions = 1;
  // With duration_s: the requests still in flight when the window closes finish (each bounded by
  // timeout_s, a timeout counted as one) and enter every latency, as vLLM's benchmark waits for
  // every request; false (--no-drain) stops them at the close, counted as incomplete (review SV58 M1).
  bool drain{true};
};

struct PointResult {
  PointSpec spec;
  std::vector<RequestSample> requests;  // measured requests, in send order
  PointMetrics metrics;
};

// "http://host:port" -> host and port; throws UsageError for anything else.
void parse_base_url(const std::string& url, std::string* host, int* port);

// GET /v1/models on every URL (each must answer 200: a dead one would otherwise take most of the
// load, failing fast; review BS M4); the first URL's first model's id and n_vocab (0 when absent).
// Throws Error naming the URL that cannot be reached or refuses.
ModelInfo fetch_model_info(const Target& target, double timeout_s);

// The point's --warmup requests, one at a time, unmeasured (run_point runs them first; a caller
// that measures something around the point itself, like energy, runs them before with this and
// passes warmup = 0 to run_point).
void run_warmup(const Target& target, const ModelInfo& model, const PointSpec& spec);
// The number of warm-up requests `spec` asks for: spec.warmup, or one per base URL for
// kWarmupPerServer (the balancer's round-robin sends one to each: none of them measures its first,
// cold request).
int64_t warmup_requests(const Target& target, const PointSpec& spec);

// Runs the warmup and then the point; never throws for a failing request (errors are counted).
// Throws Error when a request's thread cannot be started (one per request in flight), after the
// started ones ended.
PointResult run_point(const Target& target, const ModelInfo& model, const PointSpec& spec);

// The JSON body of request number `index` (seeded by the seed, the point's position and the index:
// the same three give the same prompt, any other differs). A chat message, and a text prompt (no
// n_vocab), holds prompt_tokens seeded common English words (about a token each in the usual
// tokenizers; the server's count is what it reports).
std::string request_body(const ModelInfo& model, const PointSpec& spec, uint64_t index);
// The words a chat prompt (Endpoint::kChat) is drawn from, prompt_tokens of them joined by single
// spaces: what bench serve -m sizes the servers' context for (serve_cli/chat_prompt_bound.h).
std::vector<std::string> chat_prompt_words();

}  // namespace infertrace::serve::load
