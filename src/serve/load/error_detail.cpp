#include "serve/load/error_detail.h"

#include <cerrno>
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

}  // namespace infertrace::serve::load
