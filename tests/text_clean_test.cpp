// clean_text (util/text_clean.h): what a binary input's names look like on a terminal or in JSON.
#include <gtest/gtest.h>
#include <string>
#include <vector>
#include <algorithm>

#include "util/natural_order.h"
#include "util/text_clean.h"

using infertrace::clean_text;

namespace {

std::string clean(std::string_view s, bool* changed_out = nullptr) {
  bool changed = true;
  std::string out = clean_text(s, changed);
  if (changed_out) *changed_out = changed;
  return out;
}

}  // namespace

TEST(TextClean, KeepsValidUtf8) {
  bool changed = true;
  // ASCII, 2-, 3- and 4-byte characters (é, €, U+10FFFF and an emoji), the largest of each length.
  const std::string s = "worker-1 \xC3\xA9 \xE2\x82\xAC \xF4\x8F\xBF\xBF \xF0\x9F\x98\x80 \xDF\xBF \xEF\xBF\xBF";
  EXPECT_EQ(clean(s, &changed), s);
  EXPECT_FALSE(changed);
}

TEST(TextClean, ReplacesControlCharacters) {
  bool changed = false;
  EXPECT_EQ(clean(std::string("gemm_0\x07\x1b[2J\x7f\t\n", 14), &changed), "gemm_0??[2J???");
  EXPECT_TRUE(changed);
  EXPECT_EQ(clean(std::string("a\0b", 3)), "a?b");
  EXPECT_EQ(clean("x\xC2\x9B" "2Jy\xC2\xA0"), "x??2Jy\xC2\xA0");  // C1 CSI replaced; U+00A0 kept
}

TEST(TextClean, ReplacesEveryByteOfInvalidSequences) {
  EXPECT_EQ(clean("\xFF"), "?");
  EXPECT_EQ(clean("\xC0\xAF"), "??");          // overlong '/'
  EXPECT_EQ(clean("\xE0\x80\xAF"), "???");     // overlong 3-byte
  EXPECT_EQ(clean("\xED\xA0\x80"), "???");     // a UTF-16 surrogate
  EXPECT_EQ(clean("\xF4\x90\x80\x80"), "????");  // past U+10FFFF
  EXPECT_EQ(clean("ab\xE2\x82"), "ab??");      // cut short at the end
  EXPECT_EQ(clean("\x80x"), "?x");             // a lone continuation byte
  EXPECT_EQ(clean("\xC3\xA9\xC3"), "\xC3\xA9?");
}

// A prefix counts characters, not bytes: it never ends inside a multi-byte character, and a
// replaced byte is one character.
TEST(TextClean, PrefixEndsOnACharacterBoundary) {
  using infertrace::clean_text_prefix;
  bool changed = true;
  const std::string s = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // é € 😀 z: 2+3+4+1 bytes
  EXPECT_EQ(clean_text_prefix(s, 0, changed), "");
  EXPECT_EQ(clean_text_prefix(s, 1, changed), "\xC3\xA9");
  EXPECT_EQ(clean_text_prefix(s, 2, changed), "\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(clean_text_prefix(s, 3, changed), s.substr(0, 9));
  EXPECT_FALSE(changed);
  EXPECT_EQ(clean_text_prefix(s, 4, changed), s);
  EXPECT_EQ(clean_text_prefix(s, 99, changed), s);
  // Each byte of a broken sequence counts as one replaced character.
  EXPECT_EQ(clean_text_prefix("\xE2\x82x\x01yz", 4, changed), "??x?");
  EXPECT_TRUE(changed);
  // The whole-text form is the prefix of every character.
  bool whole_changed = false;
  EXPECT_EQ(infertrace::clean_text("\xE2\x82x\x01yz", whole_changed), clean_text_prefix("\xE2\x82x\x01yz", 6, changed));
  EXPECT_EQ(whole_changed, changed);
}

// ingest's metadata keys in natural order (review UX L11): numbers by value, the rest by byte.
// escaped_text: the bytes clean_text replaces, written \xNN; a backslash doubled. The expected
// strings are spelled out by hand from the input bytes.
TEST(TextClean, EscapedTextKeepsEveryByteVisible) {
  using infertrace::escaped_text;
  EXPECT_EQ(escaped_text(std::string("gpt2\0", 5)), "gpt2\\x00");
  EXPECT_EQ(escaped_text(std::string("a\0b\x1b[\x7f\n", 7)), "a\\x00b\\x1b[\\x7f\\x0a");
  EXPECT_EQ(escaped_text("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");  // valid UTF-8 kept
  EXPECT_EQ(escaped_text("\xFF\xC3"), "\\xff\\xc3");           // invalid bytes, each escaped
  EXPECT_EQ(escaped_text("x\xC2\x9By"), "x\\xc2\\x9by");       // a C1 control (CSI), both bytes
  EXPECT_EQ(escaped_text("a\\x00"), "a\\\\x00");              // a literal backslash stays distinct
  EXPECT_EQ(escaped_text(""), "");
}

// terminal_safe_message: the same bytes escaped, but a line feed kept and a backslash left alone,
// so a part already escaped (a numeric option's quoted value) reads as it did.
TEST(TextClean, TerminalSafeMessageEscapesControlsOnly) {
  using infertrace::terminal_safe_message;
  EXPECT_EQ(terminal_safe_message("\x1b[2J: cannot open"), "\\x1b[2J: cannot open");
  EXPECT_EQ(terminal_safe_message("line one\nline two\t"), "line one\nline two\\x09");
  EXPECT_EQ(terminal_safe_message("got '\\xff' \xFF x\xC2\x9By"), "got '\\xff' \\xff x\\xc2\\x9by");
  EXPECT_EQ(terminal_safe_message("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(terminal_safe_message(std::string("a\0b", 3)), "a\\x00b");
}

TEST(NaturalOrder, NumbersCompareByValue) {
  using infertrace::natural_less;
  std::vector<std::string> keys = {"api.10", "api.2", "api.0", "api.1", "events", "api.11", "api.", "apix", "cupti.ring"};
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  EXPECT_EQ(keys, (std::vector<std::string>{"api.", "api.0", "api.1", "api.2", "api.10", "api.11", "apix", "cupti.ring",
                                            "events"}));
  EXPECT_FALSE(natural_less("api.2", "api.2"));
  EXPECT_TRUE(natural_less("a7", "a07"));  // equal values: the shorter run first, still a strict order
  EXPECT_FALSE(natural_less("a07", "a7"));
  EXPECT_TRUE(natural_less("a9b", "a10a"));
  EXPECT_TRUE(natural_less("a99999999999999999999999", "a100000000000000000000000"));  // beyond 64 bits
}
