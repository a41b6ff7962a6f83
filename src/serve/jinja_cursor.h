// Reading one Jinja tag's tokens (serve/jinja_lex.h) in order, for the checks that read a chat
// template tag by tag (serve/chatml_structure.h, serve/qwen3_structure.h), and quoting a tag in a
// refusal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "serve/jinja_lex.h"
#include "serve/stop_matcher.h"  // utf8_incomplete_tail

namespace infertrace::serve {

// A cursor over a tag's tokens: each test consumes the token(s) it matches, or nothing.
struct JinjaCursor {
  using Kind = JinjaToken::Kind;
  const std::vector<JinjaToken>& t;
  size_t i = 0;
  bool done() const { return i == t.size(); }
  bool name(std::string_view n) {
    if (done() || t[i].kind != Kind::kName || t[i].text != n) return false;
    ++i;
    return true;
  }
  bool op(std::string_view o) {
    if (done() || t[i].kind != Kind::kOperator || t[i].text != o) return false;
    ++i;
    return true;
  }
  // A string literal whose value jinja2 decodes as read here; its value in *out.
  bool string(std::string* out) {
    if (done() || t[i].kind != Kind::kString || !t[i].plain_string) return false;
    *out = t[i++].text;
    return true;
  }
  bool string_is(std::string_view v) {
    std::string s;
    const size_t at = i;
    if (string(&s) && s == v) return true;
    i = at;
    return false;
  }
  // Any name; it in *out.
  bool any_name(std::string* out) {
    if (done() || t[i].kind != Kind::kName) return false;
    *out = t[i++].text;
    return true;
  }
  // `.field` or `['field']` / `["field"]`.
  bool field(std::string_view f) {
    const size_t at = i;
    if ((op(".") && name(f)) || (op("[") && string_is(f) && op("]"))) return true;
    i = at;
    return false;
  }
  // `messages[0]`.
  bool first_message() {
    const size_t at = i;
    if (name("messages") && op("[") && !done() && t[i].kind == Kind::kNumber && t[i].text == "0") {
      ++i;
      if (op("]")) return true;
    }
    i = at;
    return false;
  }
};

// "line N" of the byte at `at` in `source`.
inline std::string jinja_line(std::string_view source, size_t at) {
  size_t n = 1;
  for (size_t i = 0; i < at && i < source.size(); ++i) n += source[i] == '\n' ? 1 : 0;
  return "line " + std::to_string(n);
}

// The first 60 bytes of v, less a character they would cut in two (a refusal is JSON in the
// server's reply: a cut UTF-8 character is no text; review CL L3), with the control characters
// shown as escapes: \n, \r, \t, and \xNN for the other bytes below 0x20 and DEL (a raw CR in a
// terminal's line overwrites the reason's start; review Z2 L4).
inline std::string jinja_quote(std::string_view v) {
  std::string_view head = v.substr(0, 60);
  if (head.size() < v.size()) head.remove_suffix(utf8_incomplete_tail(head));
  std::string out;
  for (char c : head) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x", out += kHex[u >> 4], out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return head.size() < v.size() ? out + "..." : out;
}

}  // namespace infertrace::serve
