// What a failing server said, in one short printable line for the bench serve report: servers put
// the reason in different places (OpenAI and infertrace: {"error":{"message":...}}; vLLM's older
// releases: {"object":"error","message":...}; FastAPI's validation errors: {"detail":...}; proxies:
// plain text or HTML), and the body is untrusted bytes.
#pragma once

#include <string>
#include <string_view>

namespace infertrace::serve::load {

// The message of an error body: the first of error.message, message or detail that is a string
// (detail of another type as compact JSON), else the body itself; newlines and runs of blanks
// become one space, invalid UTF-8 and control characters '?', and anything past kMaxDetail bytes
// is cut with "...".
std::string error_detail_of_body(std::string_view body);

// The same cleaning and cut for a message that is already text (an SSE error event's, httplib's).
std::string short_detail(std::string_view text);

constexpr size_t kMaxDetail = 200;

}  // namespace infertrace::serve::load
