#include "engine/tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "engine/tokenizer/unicode_tables.h"
#include "util/utf8_cut.h"

namespace infertrace::engine::unicode {

size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) return 2;
  if ((c & 0xf0) == 0xe0) return 3;
  if ((c & 0xf8) == 0xf0) return 4;
  return 1;
}

std::vector<CodePoint> decode_utf8(std::string_view s) {
  std::vector<CodePoint> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = utf8_len(c);
    uint32_t cp = 0xFFFD;
    bool ok = n == 1 ? c < 0x80 : i + n <= s.size();
    if (n == 1 && ok) cp = c;
    if (n > 1 && ok) {
      cp = c & (0x7f >> n);
      for (size_t k = 1; k < n && ok; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80) ok = false;
        cp = (cp << 6) | (cc & 0x3f);
      }
      // Reject overlong forms, surrogates and values past U+10FFFF.
      static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
      if (ok && (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    }
    if (!ok) {
      out.push_back({0xFFFD, static_cast<uint32_t>(i), 1});
      ++i;
      continue;
    }
    out.push_back({cp, static_cast<uint32_t>(i), static_cast<uint32_t>(n)});
    i += n;
  }
  return out;
}

std::string encode_utf8(uint32_t cp) {
  std::string s;
  append_utf8(cp, s);
  return s;
}

namespace {
// The general category flags of `cp` (tables::kCategoryRanges), 0 when it is none of L, N, P.
uint8_t category(uint32_t cp) {
  const auto* begin = std::begin(tables::kCategoryRanges);
  const auto* end = std::end(tables::kCategoryRanges);
  const auto* it = std::upper_bound(begin, end, cp, [](uint32_t c, const tables::CategoryRange& r) { return c < r.lo; });
  if (it == begin) return 0;
  --it;
  return cp <= it->hi ? it->flags : 0;
}
constexpr uint8_t kLetter = 1, kNumber = 2, kPunctuation = 4;
}  // namespace

bool is_letter(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  return category(cp) == kLetter;
}
bool is_number(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return category(cp) == kNumber;
}
bool is_punctuation(uint32_t cp) { return category(cp) == kPunctuation; }
bool is_space(uint32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0d);
  for (const tables::SpaceRange& r : tables::kWhiteSpaceRanges)
    if (cp >= r.lo && cp <= r.hi) return true;
  return false;
}

namespace {
struct ByteTable {
  std::array<uint32_t, 256> to_cp{};
  std::array<uint8_t, 68> from_extra{};  // U+0100 + k -> byte
  ByteTable() {
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
      if (printable) {
        to_cp[b] = b;
      } else {
        from_extra[extra] = static_cast<uint8_t>(b);
        to_cp[b] = 0x100 + extra++;
      }
    }
  }
};
const ByteTable& table() {
  static const ByteTable t;
  return t;
}
}  // namespace

uint32_t byte_to_cp(uint8_t b) { return table().to_cp[b]; }

int cp_to_byte(uint32_t cp) {
  if ((cp >= 0x21 && cp <= 0x7e) || (cp >= 0xa1 && cp <= 0xac) || (cp >= 0xae && cp <= 0xff))
    return static_cast<int>(cp);
  if (cp >= 0x100 && cp < 0x100 + 68) return table().from_extra[cp - 0x100];
  return -1;
}

}  // namespace infertrace::engine::unicode
