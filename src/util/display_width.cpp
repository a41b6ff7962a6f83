#include "util/display_width.h"

#include <algorithm>
#include <iterator>

#include "util/display_width_table.h"

namespace infertrace {

namespace {

bool continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

constexpr uint32_t kZeroWidthJoiner = 0x200D;
constexpr uint32_t kNotACodePoint = 0xFFFFFFFF;

struct Character {
  size_t end;    // the byte after it
  uint32_t cp;   // kNotACodePoint for a malformed sequence
};

// The character at s[i] (a byte of 0x80 or more): that byte and the continuation bytes after it,
// decoded when they are one well-formed UTF-8 sequence (shortest form, no surrogate, at most U+10FFFF).
Character character_at(std::string_view s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  size_t end = i + 1;
  while (end < s.size() && continuation(static_cast<unsigned char>(s[end]))) ++end;
  const size_t len = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
  if (len == 0 || end - i != len) return {end, kNotACodePoint};
  uint32_t cp = lead & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (size_t k = i + 1; k < end; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[k]) & 0x3F);
  const uint32_t shortest = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < shortest || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return {end, kNotACodePoint};
  return {end, cp};
}

int width_of(const Character& c) { return c.cp == kNotACodePoint ? 1 : codepoint_width(c.cp); }

}  // namespace

int codepoint_width(uint32_t cp) {
  using display_width_table::kWidthRanges;
  // Below the first range (U+00AD) every code point is one column.
  if (cp < kWidthRanges[0].lo) return 1;
  // The line and paragraph separators (general category Zl, Zp: the only two) advance no column in a
  // terminal, which prints nothing for them (wcwidth says they are not printable): 0, as a format
  // character, so a thread named with U+2028 does not shift the columns after it (review HR).
  if (cp == 0x2028 || cp == 0x2029) return 0;
  // The last range starting at or below cp.
  const auto* after = std::upper_bound(std::begin(kWidthRanges), std::end(kWidthRanges), cp,
                                       [](uint32_t v, const display_width_table::WidthRange& r) { return v < r.lo; });
  const auto& r = *(after - 1);
  return cp <= r.hi ? r.width : 1;
}

size_t display_width(std::string_view s) {
  size_t cols = 0;
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++cols, ++i;
      continue;
    }
    const Character c = character_at(s, i);
    cols += static_cast<size_t>(width_of(c));
    i = c.end;
  }
  return cols;
}

size_t display_prefix_bytes(std::string_view s, size_t max_cols, size_t* cols) {
  size_t used = 0, keep = 0, i = 0;
  while (i < s.size()) {
    Character c{i + 1, static_cast<unsigned char>(s[i])};
    if (c.cp >= 0x80) c = character_at(s, i);
    const size_t w = static_cast<size_t>(width_of(c));
    if (used + w > max_cols) break;
    used += w;
    i = c.end;
    // A zero-width character stays with the character before it (a combining mark with its base),
    // but a joiner only with a next character that fits too.
    if (c.cp != kZeroWidthJoiner) keep = i;
  }
  if (i == s.size()) keep = i;
  if (cols) *cols = used;
  return keep;
}

std::string display_shorten(std::string_view s, size_t max_cols) {
  if (max_cols <= 3 || display_width(s) <= max_cols) return std::string(s);
  size_t cols = 0;
  const size_t keep = display_prefix_bytes(s, max_cols - 3, &cols);
  return std::string(s.substr(0, keep)) + std::string(max_cols - 3 - cols, ' ') + "...";
}

std::string display_pad_right(std::string_view s, size_t cols) {
  const size_t w = display_width(s);
  return std::string(s) + std::string(w < cols ? cols - w : 0, ' ');
}

}  // namespace infertrace
