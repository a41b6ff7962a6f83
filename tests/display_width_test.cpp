// Display widths (util/display_width.h) and the text tables that pad and cut by them: a kernel or
// operator name with CJK characters, emoji or combining marks must not shift the columns after it.
// Every expected width below is read from the Unicode 15.0 data files by hand (the line quoted), not
// from the code under test: UnicodeData.txt for the general category (Mn, Me, Cf: 0 columns),
// EastAsianWidth.txt for W and F (2 columns).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "report/kernel_display_names.h"
#include "report/text_table.h"
#include "util/display_width.h"

using infertrace::codepoint_width;
using infertrace::display_pad_right;
using infertrace::display_prefix_bytes;
using infertrace::display_shorten;
using infertrace::display_width;

namespace {

// Invisible characters, spelled out.
const std::string kAcute = "\xCC\x81";     // U+0301 COMBINING ACUTE ACCENT (Mn)
const std::string kZwj = "\xE2\x80\x8D";   // U+200D ZERO WIDTH JOINER (Cf)
const std::string kVs16 = "\xEF\xB8\x8F";  // U+FE0F VARIATION SELECTOR-16 (Mn)

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST(DisplayWidth, CodePointsAsTheUnicodeDataSays) {
  EXPECT_EQ(codepoint_width('a'), 1);
  EXPECT_EQ(codepoint_width(0x6F22), 2);   // 漢: 4E00..9FFF;W
  EXPECT_EQ(codepoint_width(0x30AB), 2);   // カ: 30A1..30FA;W
  EXPECT_EQ(codepoint_width(0xAC00), 2);   // 가: AC00..D7A3;W
  EXPECT_EQ(codepoint_width(0x3000), 2);   // IDEOGRAPHIC SPACE: 3000;F
  EXPECT_EQ(codepoint_width(0xFF21), 2);   // FULLWIDTH LATIN CAPITAL LETTER A: FF21..FF3A;F
  EXPECT_EQ(codepoint_width(0xFF71), 1);   // HALFWIDTH KATAKANA LETTER A: FF71..FF9D;H
  EXPECT_EQ(codepoint_width(0x1F44D), 2);  // THUMBS UP SIGN: 1F442..1F4FC;W
  EXPECT_EQ(codepoint_width(0x1F1EF), 1);  // REGIONAL INDICATOR SYMBOL LETTER J: 1F1E6..1F1FF;N
  EXPECT_EQ(codepoint_width(0x00E9), 1);   // é: 00E8..00EA;A (ambiguous reads narrow)
  EXPECT_EQ(codepoint_width(0x20AC), 1);   // EURO SIGN: 20AC;A
  EXPECT_EQ(codepoint_width(0x0301), 0);   // COMBINING ACUTE ACCENT: Mn
  EXPECT_EQ(codepoint_width(0x20DD), 0);   // COMBINING ENCLOSING CIRCLE: Me
  EXPECT_EQ(codepoint_width(0x200D), 0);   // ZERO WIDTH JOINER: Cf
  EXPECT_EQ(codepoint_width(0xFEFF), 0);   // ZERO WIDTH NO-BREAK SPACE: Cf
  EXPECT_EQ(codepoint_width(0xFE0F), 0);   // VARIATION SELECTOR-16: Mn
  EXPECT_EQ(codepoint_width(0x302A), 0);   // IDEOGRAPHIC LEVEL TONE MARK: Mn, though 302A..302D;W
  EXPECT_EQ(codepoint_width(0x2A6E0), 2);  // reserved, 2A6E0..2A6FF;W
  EXPECT_EQ(codepoint_width(0x3FFFD), 2);  // plane 3 defaults to W (@missing 30000..3FFFD)
  EXPECT_EQ(codepoint_width(0x3FFFE), 1);  // past it: N
}

TEST(DisplayWidth, TextWidthsInColumns) {
  EXPECT_EQ(display_width(""), 0u);
  EXPECT_EQ(display_width("gemm_f16"), 8u);
  EXPECT_EQ(display_width("漢字"), 4u);
  EXPECT_EQ(display_width("カーネル"), 8u);           // 30FC;W too
  EXPECT_EQ(display_width("한국어"), 6u);
  EXPECT_EQ(display_width("e" + kAcute), 1u);
  EXPECT_EQ(display_width("caf" + std::string("e") + kAcute + "_op"), 7u);
  EXPECT_EQ(display_width("\xC3\xA9"), 1u);         // precomposed é
  EXPECT_EQ(display_width("👍"), 2u);
  EXPECT_EQ(display_width("👍" + kVs16), 2u);
  EXPECT_EQ(display_width(kZwj), 0u);
  EXPECT_EQ(display_width("👨" + kZwj + "👩" + kZwj + "👧"), 6u);  // a ZWJ sequence: the sum of its parts
  EXPECT_EQ(display_width("🇯🇵"), 2u);
  EXPECT_EQ(display_width("ＡＢ"), 4u);
  EXPECT_EQ(display_width("ｱｲ"), 2u);
}

// Bytes that are not valid UTF-8 never reach a table (util/text_clean.h), but if they did each
// malformed sequence is one column.
TEST(DisplayWidth, MalformedSequenceIsOneColumn) {
  EXPECT_EQ(display_width("\xE6\xBC"), 1u);           // 漢 without its last byte
  EXPECT_EQ(display_width("\xC0\x80"), 1u);           // overlong NUL
  EXPECT_EQ(display_width("\xED\xA0\x80"), 1u);       // a surrogate
  EXPECT_EQ(display_width("a\x80\x80" "b"), 3u);      // stray continuation bytes after 'a'
}

// A cut keeps a combining mark with its base and never takes half of a wide character.
TEST(DisplayWidth, PrefixKeepsMarksWithTheirBaseAndWideCharactersWhole) {
  size_t cols = 99;
  const std::string e_acute = "e" + kAcute;                        // 3 bytes, 1 column
  EXPECT_EQ(display_prefix_bytes(e_acute + "x", 1, &cols), 3u);    // the mark goes with its e
  EXPECT_EQ(cols, 1u);
  EXPECT_EQ(display_prefix_bytes("a漢字", 2, &cols), 1u);         // 漢 would straddle column 2
  EXPECT_EQ(cols, 1u);
  EXPECT_EQ(display_prefix_bytes("a漢字", 3, &cols), 4u);
  EXPECT_EQ(cols, 3u);
  EXPECT_EQ(display_prefix_bytes("漢字", 10, &cols), 6u);          // fits whole
  EXPECT_EQ(cols, 4u);
  // A joiner whose next character does not fit is left out with it.
  EXPECT_EQ(display_prefix_bytes("👨" + kZwj + "👩", 3, &cols), 4u);
  EXPECT_EQ(cols, 2u);
  EXPECT_EQ(display_prefix_bytes("👨" + kZwj + "👩", 4, &cols), 11u);
  EXPECT_EQ(cols, 4u);
}

TEST(DisplayWidth, ShortenFillsTheColumnAWideCharacterLeaves) {
  EXPECT_EQ(display_shorten("漢字", 4), "漢字");                   // fits: unchanged
  EXPECT_EQ(display_shorten("漢字漢字", 3), "漢字漢字");           // no room for "...": unchanged
  EXPECT_EQ(display_shorten("a漢字漢", 5), "a ...");             // 漢 would straddle column 2
  EXPECT_EQ(display_shorten("ab漢字漢", 7), "ab漢...");
  EXPECT_EQ(display_shorten(repeat("e" + kAcute, 10), 6), repeat("e" + kAcute, 3) + "...");
  EXPECT_EQ(display_shorten("👨" + kZwj + "👩" + kZwj + "👧xyz", 6), "👨 ...");
  EXPECT_EQ(display_pad_right("漢字", 6), "漢字  ");
  EXPECT_EQ(display_pad_right("e" + kAcute, 3), "e" + kAcute + "  ");
  EXPECT_EQ(display_pad_right("abcd", 3), "abcd");
}

// Every line of a table has the same width on a terminal: the expected text is written out by
// hand. The name column is 12 columns wide (カーネル漢字: six wide characters), "calls" 5.
TEST(TextTable, ColumnsAlignByDisplayWidth) {
  infertrace::TextTable t({"name", "calls"});
  t.add_row({"カーネル漢字", "7"});
  t.add_row({"cafe" + kAcute + "_op", "12"});
  t.add_row({"👍 ok", "300"});
  t.add_row({"a" + kZwj + "b", "4"});
  t.add_row({"gemm", "5"});
  std::ostringstream os;
  t.print(os);
  // Each line: the name, spaces up to column 12, two spaces, the count right-aligned in 5.
  const auto sp = [](size_t n) { return std::string(n, ' '); };
  const std::string expected = "name" + sp(8 + 2) + "calls\n" +
                               std::string(12 + 2 + 5, '-') + "\n" +
                               "カーネル漢字" + sp(0 + 2 + 4) + "7\n" +        // 12 columns
                               "cafe" + kAcute + "_op" + sp(5 + 2 + 3) + "12\n" +  // 7
                               "👍 ok" + sp(7 + 2 + 2) + "300\n" +               // 5
                               "a" + kZwj + "b" + sp(10 + 2 + 4) + "4\n" +        // 2
                               "gemm" + sp(8 + 2 + 4) + "5\n";                   // 4
  EXPECT_EQ(os.str(), expected);
}

// A thread named "é" or with a line separator (U+2028, which a terminal prints as nothing) in
// `sched`'s thread table: the columns after the name stay aligned (review HR, in passing).
TEST(TextTable, CommWithLineSeparatorAligns) {
  EXPECT_EQ(infertrace::display_width("a\u2028b"), 2u);
  EXPECT_EQ(infertrace::display_width("a\u2029b"), 2u);
  EXPECT_EQ(infertrace::display_width("<b>\"\u00e9&x'"), 8u);
  infertrace::TextTable t({"tid", "comm", "launches"});
  t.add_row({"1", "?<s>?(\u2028", "0"});  // 6 columns
  t.add_row({"2", "<b>\"\u00e9&x'", "2,019"});  // 8
  t.add_row({"3", "exe", "10"});
  std::ostringstream os;
  t.print(os);
  const auto sp = [](size_t n) { return std::string(n, ' '); };
  // tid 3 wide, comm 8 (right-aligned), launches 8.
  const std::string expected = "tid" + sp(2 + 4) + "comm  launches\n" + std::string(3 + 2 + 8 + 2 + 8, '-') + "\n" +
                               "1" + sp(2 + 2 + 2) + "?<s>?(\u2028" + sp(2 + 8 - 1) + "0\n" +
                               "2" + sp(2 + 2) + "<b>\"\u00e9&x'" + sp(2 + 3) + "2,019\n" +
                               "3" + sp(2 + 2 + 5) + "exe" + sp(2 + 6) + "10\n";
  EXPECT_EQ(os.str(), expected);
}

// A name longer than its column is cut to the column's width in terminal columns: 40 x 漢 (80
// columns) in 60 is "ns::" (4), 26 of them (52), a space where the 27th would straddle, "...".
TEST(TextTable, ShortKernelNameCutToColumns) {
  const std::string kan40 = repeat("漢", 40);
  EXPECT_EQ(infertrace::short_kernel_name("void ns::" + kan40 + "<int>(float)"), "ns::" + repeat("漢", 26) + " ...");
  // 40 x e + U+0301 (40 columns, 80 code points) in 20: 17 of them, each with its mark, and "...".
  const std::string e40 = repeat("e" + kAcute, 40);
  EXPECT_EQ(infertrace::short_kernel_name(e40, 20), repeat("e" + kAcute, 17) + "...");
}

// The kernel display names cut the base, never the tag, in columns: 30 x 漢 (60 columns) with
// " [MulFunctor]" (13) in 40 keeps 40 - 13 - 3 = 24 columns, 12 of them.
TEST(KernelDisplayNames, WideNameCutToColumns) {
  const std::string kan30 = repeat("漢", 30);
  const std::string mul = "void " + kan30 + "<8, MulFunctor<float> >(int)", add = "void " + kan30 + "<8, AddFunctor<float> >(int)";
  const infertrace::KernelDisplayNames group({mul, add}, 40);
  EXPECT_EQ(group(mul), repeat("漢", 12) + "... [MulFunctor]");
  EXPECT_EQ(group(add), repeat("漢", 12) + "... [AddFunctor]");
  const infertrace::KernelDisplayNames alone({kan30}, 20);
  EXPECT_EQ(alone(kan30), repeat("漢", 8) + " ...");  // 17 columns: 8 of them and a space
}
