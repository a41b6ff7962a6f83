// Pre-tokenizer splits and UTF-8 decoding at the edges the broader tokenizer tests pass by
// (tests/mutants/gguf_tokenizer.tsv): every expected split is the pattern of pretokenize.h worked
// by hand, every expected code point the UTF-8 definition (RFC 3629) applied to the bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/tokenizer/pretokenize.h"
#include "engine/tokenizer/unicode.h"

using namespace infertrace::engine;

namespace {

std::vector<std::string> split(const std::string& s, PreTokenizer k) {
  std::vector<std::string> out;
  for (std::string_view p : pretokenize(s, k)) out.emplace_back(p);
  return out;
}

// The code points decode_utf8 gives, without offsets.
std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> out;
  for (const unicode::CodePoint& c : unicode::decode_utf8(s)) out.push_back(c.cp);
  return out;
}

constexpr uint32_t kBad = 0xFFFD;

}  // namespace

// '(?:[sdmt]|ll|ve|re): "'ll" is one piece like "'s"; GPT-2's is case-sensitive, so "'LL" is not.
TEST(PreTokenizerRules, EveryContractionIsOnePiece) {
  EXPECT_EQ(split("we'll they've you're", PreTokenizer::Gpt2),
            (std::vector<std::string>{"we", "'ll", " they", "'ve", " you", "'re"}));
  EXPECT_EQ(split("WE'LL", PreTokenizer::Gpt2), (std::vector<std::string>{"WE", "'", "LL"}));
  EXPECT_EQ(split("WE'LL", PreTokenizer::Llama3), (std::vector<std::string>{"WE", "'LL"}));
}

// Llama 3's [^\r\n\p{L}\p{N}]?\p{L}+ takes one non-letter before a word, but never a newline:
// "a\nb" is a, \n (from \s*[\r\n]+), b.
TEST(PreTokenizerRules, Llama3WordsDoNotTakeANewlineBeforeThem) {
  for (PreTokenizer k : {PreTokenizer::Llama3, PreTokenizer::Qwen2}) {
    EXPECT_EQ(split("a\nb", k), (std::vector<std::string>{"a", "\n", "b"}));
    EXPECT_EQ(split("a\r\nb", k), (std::vector<std::string>{"a", "\r\n", "b"}));
    EXPECT_EQ(split("a-b", k), (std::vector<std::string>{"a", "-b"}));  // any other non-letter is taken
  }
}

// \s*[\r\n]+ ends at the last newline of a whitespace run; the spaces after it follow \s+(?!\S):
// "\n  x" is \n, " " (the run less its last space), " x".
TEST(PreTokenizerRules, Llama3SpacesAfterTheLastNewlineAreNotPartOfIt) {
  EXPECT_EQ(split("\n  x", PreTokenizer::Llama3), (std::vector<std::string>{"\n", " ", " x"}));
  EXPECT_EQ(split("a \n \n  b", PreTokenizer::Llama3), (std::vector<std::string>{"a", " \n \n", " ", " b"}));
}

// The default chain's last pattern, [0-9][0-9][0-9], finds a triple at the end of a number piece
// that starts with another script's digit: \p{N}+ keeps "١123" whole, the triple splits it.
TEST(PreTokenizerRules, DefaultChainFindsATripleAtThePiecesEnd) {
  EXPECT_EQ(split("\xd9\xa1" "123", PreTokenizer::Default), (std::vector<std::string>{"\xd9\xa1", "123"}));
  EXPECT_EQ(split("\xd9\xa1\xd9\xa2" "1234", PreTokenizer::Default),
            (std::vector<std::string>{"\xd9\xa1\xd9\xa2", "123", "4"}));
}

// [\p{P}\$\+<=>\^~\|]+ comes first: each of these symbols (none is punctuation, \p{P}) is cut
// from the space before it, which GPT-2's " ?[^\s\p{L}\p{N}]+" would otherwise take along.
TEST(PreTokenizerRules, DefaultChainSplitsEverySymbolOfItsClass) {
  EXPECT_EQ(split("a $b +c <d =e >f ^g ~h |i", PreTokenizer::Default),
            (std::vector<std::string>{"a", " ", "$", "b", " ", "+", "c", " ", "<", "d", " ", "=", "e", " ", ">",
                                      "f", " ", "^", "g", " ", "~", "h", " ", "|", "i"}));
  EXPECT_EQ(split("a %b", PreTokenizer::Default), (std::vector<std::string>{"a", " ", "%", "b"}));  // % is Po
  EXPECT_EQ(split("a &b", PreTokenizer::Gpt2), (std::vector<std::string>{"a", " &", "b"}));          // not in GPT-2
}

// \s is Unicode White_Space: tab to carriage return (U+0009-U+000D) and the space.
TEST(PreTokenizerRules, CarriageReturnIsWhitespace) {
  for (uint32_t c : {0x09u, 0x0au, 0x0bu, 0x0cu, 0x0du, 0x20u}) EXPECT_TRUE(unicode::is_space(c)) << c;
  EXPECT_FALSE(unicode::is_space(0x0e));
  EXPECT_FALSE(unicode::is_space(0x08));
  // GPT-2: the whitespace run "\r\n " leaves its last space to " b".
  EXPECT_EQ(split("a\r\n b", PreTokenizer::Gpt2), (std::vector<std::string>{"a", "\r\n", " b"}));
}

// Four-byte sequences: lead bytes F0-F4 only (F5-FF never start one), values U+10000-U+10FFFF.
TEST(Utf8Rules, FourByteSequences) {
  EXPECT_EQ(code_points("\xf0\x90\x80\x80"), (std::vector<uint32_t>{0x10000}));
  EXPECT_EQ(code_points("\xf4\x8f\xbf\xbf"), (std::vector<uint32_t>{0x10FFFF}));
  EXPECT_EQ(code_points("\xf0\x9f\x98\x80"), (std::vector<uint32_t>{0x1F600}));
  // Past U+10FFFF: F4 90 80 80 would be U+110000.
  EXPECT_EQ(code_points("\xf4\x90\x80\x80"), (std::vector<uint32_t>(4, kBad)));
  // Overlong: F0 8F BF BF would be U+FFFF in four bytes.
  EXPECT_EQ(code_points("\xf0\x8f\xbf\xbf"), (std::vector<uint32_t>(4, kBad)));
  // F8 (a five-byte lead in the old definition) followed by what would be U+10000's tail.
  EXPECT_EQ(code_points("\xf8\x90\x80\x80"), (std::vector<uint32_t>(4, kBad)));
  EXPECT_EQ(code_points("\xfc\x90\x80\x80" "a"), (std::vector<uint32_t>{kBad, kBad, kBad, kBad, 'a'}));
  // Each invalid byte is one U+FFFD of length 1 at its own offset.
  const auto cps = unicode::decode_utf8("\xf8\x90" "b");
  ASSERT_EQ(cps.size(), 3u);
  EXPECT_EQ(cps[1].offset, 1u);
  EXPECT_EQ(cps[1].len, 1u);
  EXPECT_EQ(cps[2].cp, 'b');
}

// encode_utf8 written out from the bit layout: 11110xxx 10xxxxxx 10xxxxxx 10xxxxxx.
TEST(Utf8Rules, EncodesFourByteSequences) {
  EXPECT_EQ(unicode::encode_utf8(0x1F600), "\xf0\x9f\x98\x80");
  EXPECT_EQ(unicode::encode_utf8(0x10000), "\xf0\x90\x80\x80");
  EXPECT_EQ(unicode::encode_utf8(0x10FFFF), "\xf4\x8f\xbf\xbf");
  EXPECT_EQ(unicode::encode_utf8(0xFFFF), "\xef\xbf\xbf");
}
