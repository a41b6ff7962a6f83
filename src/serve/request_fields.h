// The request parsing /v1/completions and /v1/chat/completions share (serve/request.cpp): the
// body checks, every sampling and stopping field, and a text prompt's length and context checks.
// Each endpoint handles its own fields (prompt; messages, ...) through `own_field`, then sets the
// prompt. Internal to serve/: the public entry points are in request.h and chat_request.h.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "serve/request.h"

namespace infertrace::serve {

// A 400 for a bad field: its param (OpenAI's error member) is the field the message opens with,
// quoted ("'max_tokens' must be >= 1": max_tokens; "'messages[0].role' ...": messages[0].role),
// none for a message that opens otherwise.
[[noreturn]] void bad_request(const std::string& message);

// An integer field's value, read as vLLM's request models (pydantic, lax mode) read one: a JSON
// integer, or a number with no fractional part (2.0, 1e3: a client computing max_tokens in
// JavaScript sends 2.0). kNot for anything else (2.5, "2", true, null); kTooLarge and kTooSmall for
// a whole number outside int64 (`out` then untouched).
enum class WholeNumber { kOk, kNot, kTooLarge, kTooSmall };
WholeNumber whole_number(const nlohmann::json& v, int64_t& out);
// Such a field's value; throws RequestError 400 "'NAME' must be an integer" (or "is too large",
// "is too small") otherwise.
int64_t integer(const nlohmann::json& v, const std::string& name);

// The body as a JSON object; throws RequestError 400 when it is not one and 404 when it names
// another model.
nlohmann::json parse_request_object(std::string_view body, const ModelLimits& limits);

// Every shared field of `j` (max_tokens, sampling, stream, stop, the refused extras, ...); a key
// for which `own_field(key, value)` returns true is left to the endpoint (null values are skipped
// before either sees them).
CompletionRequest parse_request_options(
    const nlohmann::json& j, const ModelLimits& limits, uint64_t seed,
    const std::function<bool(const std::string&, const nlohmann::json&)>& own_field);

// r.prompt from a prompt value (a string to encode, or token ids), refused when it cannot fit the
// context with r.max_tokens. rest_of_context (chat without max_tokens, as OpenAI's chat API and
// vLLM default): r.max_tokens becomes the context left after the prompt, which must leave one.
void set_prompt(CompletionRequest& r, const nlohmann::json& prompt, const ModelLimits& limits,
                const std::function<std::vector<int32_t>(const std::string&)>& encode,
                bool rest_of_context = false);

}  // namespace infertrace::serve
