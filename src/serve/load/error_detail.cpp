#include "serve/load/error_detail.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/text_clean.h"

namespace infertrace::serve::load {

namespace {

// Whether `v` nests more than `limit` levels, looking no deeper than that: json::dump recurses
// once per level, so a deeply nested value from a server must not be dumped (stack overflow).
bool nests_deeper_than(const nlohmann::json& v, int limit) {
  if (!v.is_structured()) return false;
  if (limit == 0) return true;
  for (const auto& child : v)
    if (nests_deeper_than(child, limit - 1)) return true;
  return false;
}

}  // namespace

std::string short_detail(std::string_view text) {
  std::string one_line;
  bool blank = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      blank = !one_line.empty();
      continue;
    }
    if (blank) one_line += ' ';
    blank = false;
    one_line += c;
    if (one_line.size() > kMaxDetail) break;
  }
  const bool cut = one_line.size() > kMaxDetail;
  if (cut) one_line.resize(kMaxDetail);
  bool changed = false;
  std::string out = clean_text(one_line, changed);  // a multi-byte character cut in two becomes '?'
  return cut ? out + "..." : out;
}

std::string error_detail_of_body(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_object()) {
    // A detail nested too deep to dump safely is shown as the body's own text (cut the same way).
    auto text_of = [&](const nlohmann::json& v) {
      return v.is_string() ? v.get<std::string>() : nests_deeper_than(v, 64) ? std::string(body) : v.dump();
    };
    const auto e = j.find("error");
    if (e != j.end() && e->is_object()) {
      const auto m = e->find("message");
      if (m != e->end() && m->is_string()) return short_detail(m->get<std::string>());
    }
    if (e != j.end() && e->is_string()) return short_detail(e->get<std::string>());
    const auto m = j.find("message");
    if (m != j.end() && m->is_string()) return short_detail(m->get<std::string>());
    const auto d = j.find("detail");
    if (d != j.end()) return short_detail(text_of(*d));
  }
  return short_detail(body);
}

std::string read_error_detail(int http_status, size_t events, int err) {
  const bool reset = err == ENOTCONN || err == ECONNRESET || err == ECONNABORTED || err == EPIPE;
  std::string what = reset ? "the connection was reset" : "the server closed the connection";
  if (http_status <= 0) {
    what += " before its answer (no status line came)";
  } else {
    what += " after the answer's head (HTTP " + std::to_string(http_status) + ") and " + std::to_string(events) +
            (events == 1 ? " token event" : " token events") + ", before its end";
  }
  // The errno by its symbolic name: strerror(ENOTCONN), "Transport endpoint is not connected", read
  // as if the reset had not been seen; say where that ENOTCONN comes from instead.
  if (err == ENOTCONN) what += " (errno ENOTCONN, left by the HTTP client's shutdown of the reset socket)";
  if (err == ECONNRESET) what += " (errno ECONNRESET)";
  if (err == ECONNABORTED) what += " (errno ECONNABORTED)";
  if (err == EPIPE) what += " (errno EPIPE)";
  return what;
}

namespace {

// An errno in words with its symbol ("connection refused (ECONNREFUSED)"), for the errors a
// connect meets; strerror's text and the number for any other.
std::string errno_words(int e) {
  switch (e) {
    case ECONNREFUSED: return "connection refused (ECONNREFUSED: nothing listens on that port)";
    case ENETUNREACH: return "network unreachable (ENETUNREACH)";
    case EHOSTUNREACH: return "host unreachable (EHOSTUNREACH)";
    case ETIMEDOUT: return "connection timed out (ETIMEDOUT)";
    case EADDRNOTAVAIL: return "address not available (EADDRNOTAVAIL)";
    case EACCES: return "permission denied (EACCES)";
    case EPERM: return "operation not permitted (EPERM: a firewall rule?)";
    default: return std::string(std::strerror(e)) + " (errno " + std::to_string(e) + ")";
  }
}

// One non-blocking connect to `ai` waited for up to timeout_ms: 0 when it connected, else the errno
// (ETIMEDOUT when no answer came in time).
int try_connect(const addrinfo& ai, int timeout_ms) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return errno;
  int err = 0;
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int n = ::poll(&p, 1, timeout_ms);
      if (n == 0) {
        err = ETIMEDOUT;
      } else if (n < 0) {
        err = errno;
      } else {
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
  }
  ::close(fd);
  return err;
}

}  // namespace

std::string connect_timeout_detail(double connect_s, bool cut_by_window) {
  char text[160];
  std::snprintf(text, sizeof text, "no answer to the connection within %.3g s (%s)", connect_s,
                cut_by_window ? "what was left of the --duration window" : "--timeout");
  return text;
}

std::string connect_error_detail(const std::string& host, int port, double timeout_s) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int g = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); g != 0)
    return short_detail("cannot resolve " + host + ": " + (g == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(g)));
  const int timeout_ms = static_cast<int>(std::clamp(timeout_s, 0.001, 60.0) * 1000.0);
  int err = 0;
  for (addrinfo* a = res; a; a = a->ai_next) {  // as the client tries them: the first that connects wins
    err = try_connect(*a, timeout_ms);
    if (err == 0) break;
  }
  ::freeaddrinfo(res);
  if (err == 0) return "the connection failed, though a second attempt connected (the server may have just started)";
  if (err == ETIMEDOUT) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", timeout_s);
    return std::string("no answer to the connection within ") + secs + " s (ETIMEDOUT)";
  }
  return errno_words(err);
}

}  // namespace infertrace::serve::load
