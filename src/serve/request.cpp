#include "serve/request.h"

#include "serve/request_fields.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace infertrace::serve {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& message) { bad_request(message); }

// Counts a body's JSON values without building any (nlohmann's SAX interface), and stops the parse
// at the first one past `limit`.
class ValueCounter {
 public:
  explicit ValueCounter(uint64_t limit) : limit_(limit) {}
  bool null() { return count(); }
  bool boolean(bool) { return count(); }
  bool number_integer(json::number_integer_t) { return count(); }
  bool number_unsigned(json::number_unsigned_t) { return count(); }
  bool number_float(json::number_float_t, const json::string_t&) { return count(); }
  bool string(json::string_t&) { return count(); }
  bool binary(json::binary_t&) { return count(); }
  bool start_object(std::size_t) { return count(); }
  bool key(json::string_t&) { return true; }  // each key comes with a value, counted
  bool end_object() { return true; }
  bool start_array(std::size_t) { return count(); }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
  bool over() const { return over_; }

 private:
  bool count() {
    over_ = ++n_ > limit_;
    return !over_;
  }
  const uint64_t limit_;
  uint64_t n_ = 0;
  bool over_ = false;
};

}  // namespace

void bad_request(const std::string& message) {
  std::string param;
  if (message.size() > 2 && message[0] == '\'') {
    const size_t end = message.find('\'', 1);
    if (end != std::string::npos) param = message.substr(1, end - 1);
  }
  throw RequestError(400, message, param);
}

WholeNumber whole_number(const json& v, int64_t& out) {
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return WholeNumber::kTooLarge;
    out = static_cast<int64_t>(v.get<uint64_t>());
    return WholeNumber::kOk;
  }
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return WholeNumber::kOk;
  }
  if (!v.is_number_float()) return WholeNumber::kNot;
  const double d = v.get<double>();
  if (!std::isfinite(d) || std::trunc(d) != d) return WholeNumber::kNot;
  // [-2^63, 2^63): every double in it converts exactly (a double this large is a whole number).
  if (d >= 0x1p63) return WholeNumber::kTooLarge;
  if (d < -0x1p63) return WholeNumber::kTooSmall;
  out = static_cast<int64_t>(d);
  return WholeNumber::kOk;
}

int64_t integer(const json& v, const std::string& name) {
  int64_t out = 0;
  switch (whole_number(v, out)) {
    case WholeNumber::kOk:
      return out;
    case WholeNumber::kTooLarge:
      bad("'" + name + "' is too large");
    case WholeNumber::kTooSmall:
      bad("'" + name + "' is too small");
    case WholeNumber::kNot:
      break;
  }
  bad("'" + name + "' must be an integer");
}

namespace {

double number(const json& v, const char* name) {
  if (!v.is_number()) bad(std::string("'") + name + "' must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) bad(std::string("'") + name + "' must be finite");
  return d;
}

bool boolean(const json& v, const char* name) {
  if (!v.is_boolean()) bad(std::string("'") + name + "' must be true or false");
  return v.get<bool>();
}

// "1 token", "2 tokens".
std::string count_of(uint64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

// `prompt` says how long the prompt is ("the request has N prompt tokens"); max_tokens 0: not
// given, the rest of the context (chat), of which at least one token is needed.
std::string context_message(const ModelLimits& limits, const std::string& prompt, int64_t max_tokens) {
  return "this model's maximum context length is " + count_of(static_cast<uint64_t>(limits.ctx), "token") + "; " +
         prompt +
         (max_tokens > 0 ? " and asks for " + count_of(static_cast<uint64_t>(max_tokens), "completion token") +
                               " (max_tokens)"
                         : ", which leaves no room for a completion token (max_tokens not given: the rest of the "
                           "context)");
}

// One token id of a prompt or stop list, `where` naming it as the errors quote it: an integer (a
// whole float too, as whole_number reads one) in [0, n_vocab).
int32_t token_id(const json& v, const std::string& where, const ModelLimits& limits) {
  int64_t id = -1;
  const WholeNumber w = whole_number(v, id);
  if (w == WholeNumber::kNot) bad(where + " is not an integer token id");
  if (w != WholeNumber::kOk || id < 0 || id >= limits.n_vocab)
    bad("token id " + v.dump() + " at " + where + " is outside the vocabulary [0, " + std::to_string(limits.n_vocab) +
        ")");
  return static_cast<int32_t>(id);
}

// `where`: the prompt as the errors name it ("'prompt'", or "'prompt'[0]" inside a batch of one).
std::vector<int32_t> prompt_ids(const json& p, const ModelLimits& limits, int64_t max_tokens,
                                const std::function<std::vector<int32_t>(const std::string&)>& encode,
                                const std::string& where = "'prompt'") {
  std::vector<int32_t> ids;
  if (p.is_string()) {
    const std::string& text = p.get_ref<const std::string&>();
    if (text.empty()) bad(where + " is empty");
    if (const size_t per_token = limits.max_text_bytes_per_token; per_token > 0) {
      // At least this many tokens, whatever the text: refused as the count itself would be.
      const uint64_t at_least = (static_cast<uint64_t>(text.size()) + per_token - 1) / per_token;
      if (at_least > static_cast<uint64_t>(limits.ctx) ||
          std::max<int64_t>(max_tokens, 1) > limits.ctx - static_cast<int64_t>(at_least))
        bad(context_message(limits,
                            "the request's prompt of " + count_of(text.size(), "byte") + " is at least " +
                                count_of(at_least, "token") + " (no token of this tokenizer stands for more than " +
                                count_of(per_token, "byte") + ")",
                            max_tokens));
    }
    try {
      ids = encode(text);
    } catch (const std::exception& e) {
      bad("cannot tokenize " + where + ": " + e.what());
    }
    if (ids.empty()) bad(where + " encodes to no tokens");
    return ids;
  }
  if (!p.is_array()) bad(where + " must be a string or an array of token ids");
  if (p.empty()) bad(where + " is empty");
  // A batch, OpenAI's array of prompts: one of one prompt (lm-eval's local-completions and SDK
  // wrappers send a single prompt so) is that prompt; more are refused, each request generating
  // one completion (review HS L6).
  if (where == "'prompt'" && (p[0].is_string() || p[0].is_array())) {
    if (p.size() != 1)
      bad("'prompt' is a batch of " + std::to_string(p.size()) +
          " prompts: batches of more than one prompt are not supported (send one request per prompt, or a "
          "batch of one)");
    return prompt_ids(p[0], limits, max_tokens, encode, "'prompt'[0]");
  }
  ids.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    const json& v = p[i];
    if (v.is_string() || v.is_array())
      bad(where + " must be one string or one array of token ids (or a batch of one of them; batches of more than "
                  "one prompt are not supported)");
    ids.push_back(token_id(v, where + "[" + std::to_string(i) + "]", limits));
  }
  return ids;
}

// `stop`: one string or an array of them (OpenAI). A lone "" or [] asks for nothing, as before
// stop strings were supported; inside an array an empty string is refused (it would match at once).
std::vector<std::string> stop_strings(const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    if (!v.get<std::string>().empty()) out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    if (v.size() > CompletionRequest::kMaxStops)
      bad("'stop' has " + std::to_string(v.size()) + " strings; at most " +
          std::to_string(CompletionRequest::kMaxStops) + " are allowed");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) bad("'stop'[" + std::to_string(i) + "] must be a string");
      if (v[i].get<std::string>().empty()) bad("'stop'[" + std::to_string(i) + "] is empty");
      out.push_back(v[i].get<std::string>());
    }
  } else {
    bad("'stop' must be a string or an array of strings");
  }
  for (const std::string& s : out)
    if (s.size() > CompletionRequest::kMaxStopBytes)
      bad("a 'stop' string has " + std::to_string(s.size()) + " bytes; at most " +
          std::to_string(CompletionRequest::kMaxStopBytes) + " are allowed");
  return out;
}

std::vector<int32_t> stop_token_ids(const json& v, const ModelLimits& limits) {
  if (!v.is_array()) bad("'stop_token_ids' must be an array of token ids");
  if (v.size() > CompletionRequest::kMaxStopTokenIds)
    bad("'stop_token_ids' has " + std::to_string(v.size()) + " ids; at most " +
        std::to_string(CompletionRequest::kMaxStopTokenIds) + " are allowed");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < v.size(); ++i) {
    ids.push_back(token_id(v[i], "'stop_token_ids[" + std::to_string(i) + "]'", limits));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// OpenAI's penalties and vLLM's common extra sampling controls, none applied here: the value
// that leaves sampling unchanged, or nullptr for another field.
const double* unimplemented_control(const std::string& key) {
  static const std::pair<const char*, double> kNeutral[] = {
      {"frequency_penalty", 0.0}, {"presence_penalty", 0.0}, {"repetition_penalty", 1.0},
      {"min_p", 0.0},             {"min_tokens", 0.0}};
  for (const auto& [name, value] : kNeutral)
    if (key == name) return &value;
  return nullptr;
}

// OpenAI's and vLLM's fields that would change the answer (echo, logprobs, beam search, banned or
// allowed tokens, guided/structured output, prompt truncation) and that this server does not
// implement: accepted only when they ask for nothing (false, "", []), refused otherwise. Fields
// that change nothing by themselves (guided_decoding_backend, length_penalty without beam search,
// user) are ignored like any unknown field.
bool asks_for_output_change(const std::string& key) {
  static const char* const kFields[] = {
      "echo",           "logprobs",       "suffix",        "include_stop_str_in_output", "use_beam_search",
      "bad_words",      "allowed_token_ids", "guided_json", "guided_regex",              "guided_choice",
      "guided_grammar", "structured_outputs", "truncate_prompt_tokens", "prompt_logprobs"};
  for (const char* name : kFields)
    if (key == name) return true;
  return false;
}

}  // namespace

json parse_request_object(std::string_view body, const ModelLimits& limits) {
  // Counted before anything is built: the DOM of a 32 MiB body of tiny values takes gigabytes.
  const uint64_t most = max_json_values(limits.ctx);
  ValueCounter counter(most);
  if (!json::sax_parse(body, &counter)) {
    if (counter.over())
      throw RequestError(413, "the body holds more than " + std::to_string(most) +
                                  " JSON values, more than any request that fits this server's context of " +
                                  std::to_string(limits.ctx) + " tokens (--ctx) can hold");
    bad("the body is not valid JSON");
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad("the body is not valid JSON");
  if (!j.is_object()) bad("the body must be a JSON object");
  // The model first: a request for another model is 404 whatever else it holds.
  if (j.contains("model") && !j["model"].is_null()) {
    if (!j["model"].is_string()) bad("'model' must be a string");
    if (j["model"].get<std::string>() != limits.name)
      throw RequestError(404, "the model '" + j["model"].get<std::string>() + "' does not exist (this server has '" +
                                  limits.name + "')");
  }
  return j;
}

CompletionRequest parse_request_options(const json& j, const ModelLimits& limits, uint64_t seed,
                                        const std::function<bool(const std::string&, const json&)>& own_field) {
  CompletionRequest r;
  // OpenAI's defaults (temperature 1, top_p 1, no top-k), so a client that sends only a prompt
  // samples as it would elsewhere.
  r.sampling.temperature = 1.0f;
  r.sampling.top_p = 1.0f;
  r.sampling.top_k = 0;
  r.sampling.seed = seed;
  for (const auto& [key, v] : j.items()) {
    if (v.is_null() || key == "model") continue;
    if (own_field && own_field(key, v)) continue;  // the endpoint's own fields (prompt, messages, ...)
    if (key == "max_tokens") {
      r.max_tokens = integer(v, "max_tokens");
      if (r.max_tokens < 1) bad("'max_tokens' must be >= 1");
    } else if (key == "temperature") {
      const double t = number(v, "temperature");
      if (t < 0) bad("'temperature' must be >= 0");
      // The sampler holds a float: a larger value would become inf (and inf / inf is NaN).
      if (t > std::numeric_limits<float>::max()) bad("'temperature' is too large for a float");
      r.sampling.temperature = static_cast<float>(t);
    } else if (key == "top_p") {
      const double p = number(v, "top_p");
      if (!(p > 0 && p <= 1)) bad("'top_p' must be in (0, 1]");
      r.sampling.top_p = static_cast<float>(p);
    } else if (key == "top_k") {
      const int64_t k = integer(v, "top_k");
      if (k < -1) bad("'top_k' must be -1 or 0 (off) or a positive count");
      r.sampling.top_k = k <= 0 ? 0 : static_cast<int>(std::min<int64_t>(k, limits.n_vocab));
    } else if (key == "seed") {
      r.sampling.seed = static_cast<uint64_t>(integer(v, "seed"));
    } else if (key == "stream") {
      r.stream = boolean(v, "stream");
    } else if (key == "stream_options") {
      if (!v.is_object()) bad("'stream_options' must be an object");
      for (const auto& [k2, v2] : v.items()) {
        if (k2 != "include_usage") bad("'stream_options." + k2 + "' is not supported");
        if (!v2.is_null()) r.include_usage = boolean(v2, "stream_options.include_usage");
      }
    } else if (key == "ignore_eos") {
      r.ignore_eos = boolean(v, "ignore_eos");
    } else if (key == "return_token_ids") {
      r.return_token_ids = boolean(v, "return_token_ids");
    } else if (key == "n" || key == "best_of") {
      if (integer(v, key) != 1) bad("'" + key + "' other than 1 is not supported");
    } else if (key == "stop") {
      r.stop = stop_strings(v);
    } else if (key == "stop_token_ids") {
      r.stop_token_ids = stop_token_ids(v, limits);
    } else if (const double* neutral = unimplemented_control(key)) {
      // Sampling controls this server does not apply: their neutral value changes nothing (vLLM's
      // benchmark client sends repetition_penalty 1.0), anything else would be silently dropped.
      if (!v.is_number() || v.get<double>() != *neutral)
        bad("'" + key + "' is not supported (only " + json(*neutral).dump() + ", which changes nothing)");
    } else if (key == "logit_bias") {
      if (!(v.is_object() && v.empty())) bad("'logit_bias' is not supported (only {} or null)");
    } else if (key == "response_format") {
      // OpenAI's structured output: only plain text, what this server answers anyway.
      if (!(v.is_object() && v.size() == 1 && v.contains("type") && v["type"] == "text"))
        bad("'response_format' is not supported (only {\"type\": \"text\"})");
    } else if (asks_for_output_change(key)) {
      // Accepted only when they ask for nothing, so a client never silently gets less than it asked.
      const bool nothing = (v.is_boolean() && !v.get<bool>()) || (v.is_array() && v.empty()) ||
                           (v.is_string() && v.get<std::string>().empty());
      if (!nothing) bad("'" + key + "' is not supported");
    }
    // Other fields (user, ...) are ignored, as vLLM ignores unknown fields.
  }
  if (j.contains("stream_options") && !j["stream_options"].is_null() && !r.stream)
    bad("'stream_options' is only allowed when 'stream' is true");
  return r;
}

void set_prompt(CompletionRequest& r, const json& prompt, const ModelLimits& limits,
                const std::function<std::vector<int32_t>(const std::string&)>& encode, bool rest_of_context) {
  // rest_of_context: 0 stands for "not given" in the checks and messages; at least 1 must fit.
  const int64_t asked = rest_of_context ? 0 : r.max_tokens;
  r.prompt = prompt_ids(prompt, limits, asked, encode);
  const int64_t n_prompt = static_cast<int64_t>(r.prompt.size());
  // Written so that a huge max_tokens cannot overflow into a pass.
  if (n_prompt > limits.ctx || std::max<int64_t>(asked, 1) > limits.ctx - n_prompt)
    bad(context_message(limits, "the request has " + count_of(static_cast<uint64_t>(n_prompt), "prompt token"),
                        asked));
  if (rest_of_context) r.max_tokens = limits.ctx - n_prompt;
}

CompletionRequest parse_completion_request(std::string_view body, const ModelLimits& limits,
                                           const std::function<std::vector<int32_t>(const std::string&)>& encode,
                                           uint64_t seed) {
  const json j = parse_request_object(body, limits);
  if (!j.contains("prompt")) bad("'prompt' is required");
  CompletionRequest r =
      parse_request_options(j, limits, seed, [](const std::string& key, const json&) { return key == "prompt"; });
  set_prompt(r, j["prompt"], limits, encode);
  return r;
}

std::string error_body(int status, const std::string& message, const std::string& param) {
  const json j = {{"error",
                   {{"message", message},
                    {"type", status >= 400 && status < 500 ? "invalid_request_error" : "server_error"},
                    {"param", param.empty() ? json(nullptr) : json(param)},
                    {"code", status}}}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace infertrace::serve
