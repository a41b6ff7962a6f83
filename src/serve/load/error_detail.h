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

// The detail of a `read` error (cpp-httplib's Error::Read, whose own text is just "Read"): whether
// the answer's head had come (http_status, 0 when no status line came), how many token events the
// stream had brought, and errno as cpp-httplib leaves it after a failed read. cpp-httplib shuts the
// socket down after the failure: on a connection the server reset, that fails with ENOTCONN (the
// read's ECONNRESET overwritten); after an orderly close it succeeds, and errno is whatever an
// earlier call left (EINPROGRESS from the connect). So ENOTCONN, ECONNRESET, ECONNABORTED and EPIPE
// read as a reset, named by their errno's symbol (ENOTCONN with where it comes from), anything else
// as a close by the server.
std::string read_error_detail(int http_status, size_t events, int err);

// Why a connection to host:port failed, for cpp-httplib's Error::Connection (whose own text is just
// "Connection"; review DJ L2): the client does not keep the socket's error, so this tries once more,
// itself, within timeout_s, and says what that attempt met: "cannot resolve HOST: ..." (getaddrinfo),
// "connection refused (ECONNREFUSED)", "no answer within X s (...)" or another errno's text and
// symbol; "the connection failed, though a second attempt connected" when it then succeeds.
std::string connect_error_detail(const std::string& host, int port, double timeout_s);

// The detail of cpp-httplib's Error::ConnectionTimeout (its own text: "ConnectionTimeout"): no
// answer to the connect within connect_s seconds, the request's --timeout or, when cut_by_window,
// what was left of the --duration window (do_request bounds the connect by it).
std::string connect_timeout_detail(double connect_s, bool cut_by_window);

}  // namespace infertrace::serve::load
