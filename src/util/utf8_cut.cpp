#include "util/utf8_cut.h"

namespace infertrace {

namespace {

bool continuation(char c) { return utf8_continuation_byte(c); }

}  // namespace

size_t utf8_prefix_bytes(std::string_view s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    // A character starts here (the first byte always starts one, even a stray continuation byte).
    if (i == 0 || !continuation(s[i])) {
      if (chars == max_chars) return i;
      ++chars;
    }
  }
  return s.size();
}

std::string middle_ellipsis(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes || max_bytes <= 3) return s;
  const size_t keep = max_bytes - 3;
  size_t head = keep - keep / 3;  // two thirds from the start, a third from the end
  while (head > 0 && continuation(s[head])) --head;
  size_t tail = s.size() - keep / 3;
  while (tail < s.size() && continuation(s[tail])) ++tail;
  return s.substr(0, head) + "..." + s.substr(tail);
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace infertrace
