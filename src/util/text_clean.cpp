#include "util/text_clean.h"

#include <cstdint>

namespace infertrace {

namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF), or 0 when the bytes there do not start one.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c == 0xC2 && i + 1 < s.size() && b(i + 1) <= 0x9F) return 0;  // U+0080-U+009F: C1 controls (0x9B is CSI)
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c == 0xED) n = 3, hi = 0x9F;  // U+D800-U+DFFF are surrogates
  else if (c >= 0xE1 && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c == 0xF4) n = 4, hi = 0x8F;  // not past U+10FFFF
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

std::string clean_text_prefix(std::string_view in, size_t max_chars, bool& changed) {
  changed = false;
  std::string out;
  out.reserve(in.size() < max_chars * 4 ? in.size() : max_chars * 4);
  size_t chars = 0;
  for (size_t i = 0; i < in.size() && chars < max_chars; ++chars) {
    const uint8_t c = static_cast<uint8_t>(in[i]);
    if (c < 0x20 || c == 0x7F) {
      out += '?', changed = true, ++i;
      continue;
    }
    const size_t n = utf8_sequence(in, i);
    if (n == 0) {
      out += '?', changed = true, ++i;
      continue;
    }
    out.append(in.substr(i, n));
    i += n;
  }
  return out;
}

namespace {

// Every byte clean_text would replace as \xNN; `keep_newlines`: a line feed stays one (a message's
// own line breaks); `double_backslashes`: a backslash becomes \\, so a quote is unambiguous.
std::string escape_bytes(std::string_view in, bool keep_newlines, bool double_backslashes) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    const uint8_t c = static_cast<uint8_t>(in[i]);
    if (keep_newlines && c == '\n') {
      out += '\n';
      ++i;
      continue;
    }
    const size_t n = c < 0x20 || c == 0x7F ? 0 : utf8_sequence(in, i);
    if (n == 0) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
      continue;
    }
    if (c == '\\' && double_backslashes) out += '\\';
    out.append(in.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

std::string escaped_text(std::string_view in) { return escape_bytes(in, false, true); }

std::string terminal_safe_message(std::string_view in) { return escape_bytes(in, true, false); }

std::string clean_text(std::string_view in, bool& changed) {
  return clean_text_prefix(in, in.size(), changed);
}

}  // namespace infertrace
