// utf8_cut (util/utf8_cut.h): display cuts never end inside a UTF-8 character (review CX M1).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "util/utf8_cut.h"

using infertrace::utf8_prefix_bytes;

namespace {

// The text as a list of its characters, written out one by one (the expectation is built from
// these, not from the functions under test).
const std::vector<std::string> kChars = {"a", "\xC3\xA9", "\xE6\xA8\xA1", "\xF0\x9F\x98\x80", "b", "\xE2\x82\xAC",
                                         "\xC3\xA9", "\xF0\x9F\x98\x80", "c", "\xE5\x9E\x8B"};

std::string join(size_t n) {
  std::string s;
  for (size_t i = 0; i < n && i < kChars.size(); ++i) s += kChars[i];
  return s;
}

}  // namespace

TEST(Utf8Cut, PrefixEndsOnACharacterBoundary) {
  const std::string all = join(kChars.size());
  for (size_t n = 0; n <= kChars.size() + 2; ++n) EXPECT_EQ(all.substr(0, utf8_prefix_bytes(all, n)), join(n)) << n;
}

// The one UTF-8 encoder (the JSON reader's \u escapes, the tokenizer's byte alphabet): each length's
// first and last code points, against the bytes RFC 3629's table gives.
TEST(Utf8Cut, AppendUtf8EncodesEachLength) {
  const std::pair<uint32_t, std::string> cases[] = {
      {0x24, "\x24"},          {0x7F, "\x7F"},          {0x80, "\xC2\x80"},         {0xE9, "\xC3\xA9"},
      {0x7FF, "\xDF\xBF"},     {0x800, "\xE0\xA0\x80"}, {0x20AC, "\xE2\x82\xAC"},   {0xFFFD, "\xEF\xBF\xBD"},
      {0xFFFF, "\xEF\xBF\xBF"}, {0x10000, "\xF0\x90\x80\x80"}, {0x1F600, "\xF0\x9F\x98\x80"},
      {0x10FFFF, "\xF4\x8F\xBF\xBF"}};
  for (const auto& [cp, bytes] : cases) {
    std::string out = "x";
    infertrace::append_utf8(cp, out);
    EXPECT_EQ(out, "x" + bytes) << std::hex << cp;
  }
}
