// Tokenizers: hand-checked merges on small vocabularies built here, byte fallback, special tokens,
// the BPE pre-tokenizers, and encode/decode round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/pretokenize.h"
#include "engine/tokenizer/synthetic_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

const std::string S = "\xe2\x96\x81";  // "▁"

// A SentencePiece vocabulary of (piece, score) after <unk> <s> </s>.
Tokenizer spm(const std::vector<std::pair<std::string, float>>& pieces) {
  Vocab v;
  v.model = Vocab::Model::SentencePiece;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control};
  v.scores = {0, 0, 0};
  for (const auto& [p, s] : pieces) {
    v.tokens.push_back(p);
    v.scores.push_back(s);
    v.types.push_back(p.size() == 6 && p.rfind("<0x", 0) == 0 ? TokenType::Byte : TokenType::Normal);
  }
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  return Tokenizer(std::move(v));
}

std::vector<std::string> pieces(const Tokenizer& t, const std::vector<int32_t>& ids) {
  std::vector<std::string> out;
  for (int32_t id : ids) out.push_back(t.vocab().tokens[static_cast<size_t>(id)]);
  return out;
}

// A byte-level BPE vocabulary: the 256 byte characters (id = byte), then `extra` tokens.
Tokenizer bpe(const std::vector<std::string>& merges, const std::vector<std::string>& extra, const std::string& pre = "gpt2") {
  Vocab v;
  v.model = Vocab::Model::Bpe;
  v.pre = pre;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(unicode::encode_utf8(unicode::byte_to_cp(static_cast<uint8_t>(b))));
  for (const std::string& e : extra) v.tokens.push_back(e);
  v.merges = merges;
  v.add_bos = false;
  v.add_space_prefix = false;
  return Tokenizer(std::move(v));
}

std::vector<std::string> split(const std::string& s, PreTokenizer k) {
  std::vector<std::string> out;
  for (std::string_view p : pretokenize(s, k)) out.emplace_back(p);
  return out;
}

}  // namespace

TEST(SentencePiece, MergesTheHighestScoringPairFirst) {
  // "abc" -> "▁abc" -> symbols ▁ a b c. Pairs: ▁a (-5), ab (-3), bc (-1). bc merges first; then
  // a+bc = abc (-4) beats ▁a (-5) (ab is stale); then ▁+abc = ▁abc (-2).
  const Tokenizer t = spm({{S, -1}, {"a", -1}, {"b", -1}, {"c", -1}, {S + "a", -5}, {"ab", -3}, {"bc", -1},
                           {"abc", -4}, {S + "abc", -2}});
  EXPECT_EQ(pieces(t, t.encode("abc", false)), (std::vector<std::string>{S + "abc"}));
  EXPECT_EQ(pieces(t, t.encode("abc", true)), (std::vector<std::string>{"<s>", S + "abc"}));
  // With "ab" scoring above "bc" (and ▁a lowest), ab merges first and no piece joins ab + c.
  const Tokenizer t2 = spm({{S, -1}, {"a", -1}, {"b", -1}, {"c", -1}, {S + "a", -5}, {"ab", -1}, {"bc", -3}});
  EXPECT_EQ(pieces(t2, t2.encode("abc", false)), (std::vector<std::string>{S, "ab", "c"}));
}

TEST(SentencePiece, EqualScoresMergeLeftmostFirst) {
  const Tokenizer t = spm({{S, -1}, {"a", -1}, {"aa", -2}});
  EXPECT_EQ(pieces(t, t.encode("aaa", false)), (std::vector<std::string>{S, "aa", "a"}));
  EXPECT_EQ(pieces(t, t.encode("a aaaa", false)), (std::vector<std::string>{S, "a", S, "aa", "aa"}));
}

TEST(SentencePiece, ByteFallbackThenUnknown) {
  const Tokenizer t = spm({{S, -1}, {"a", -1}, {"<0xC3>", 0}, {"<0xA9>", 0}});
  // é = C3 A9 has no piece: two byte tokens. ü = C3 BC: <0xBC> is missing too, so <unk>.
  EXPECT_EQ(pieces(t, t.encode("aé", false)), (std::vector<std::string>{S, "a", "<0xC3>", "<0xA9>"}));
  EXPECT_EQ(pieces(t, t.encode("ü", false)), (std::vector<std::string>{S, "<0xC3>", "<unk>"}));
  EXPECT_EQ(t.decode(t.encode("aé", true)), "aé");
  EXPECT_EQ(t.token_to_piece(t.find("<0xA9>")), "\xa9");
}

TEST(SentencePiece, TruncatedUtf8BeforeASpaceKeepsTheSpace) {
  // "\xe2 a": a lone 3-byte lead, then a space. The text becomes ▁ E2 ▁ a; the lead byte is a
  // symbol of its own (byte fallback), and the space that follows is still the ▁ of "▁a".
  // (Found by fuzz_tokenizer: the lead used to swallow two bytes of the next ▁, which then decoded
  // as the bytes E2 96 81 instead of a space.)
  const Tokenizer t = spm({{S, -1}, {"a", -1}, {S + "a", -1}, {"<0xE2>", 0}, {"<0xC3>", 0}});
  EXPECT_EQ(pieces(t, t.encode("\xe2 a", false)), (std::vector<std::string>{S, "<0xE2>", S + "a"}));
  EXPECT_EQ(t.decode(t.encode("\xe2 a", true)), "\xe2 a");
  // A 2-byte lead followed by an ASCII letter: two symbols, not one.
  EXPECT_EQ(pieces(t, t.encode("\xc3" "a", false)), (std::vector<std::string>{S, "<0xC3>", "a"}));
  const Tokenizer synth(make_synthetic_vocab(512));
  for (const std::string s : {"\xe2 x", "\xf0\x9f \xc3", "a\xe2\x96 b", "\xc3\n\r\n"})
    EXPECT_EQ(synth.decode(synth.encode(s, true)), s) << s;
}

// Found by fuzz_tokenizer: a byte-typed token whose text is not "<0x" two hex digits ">" (a
// malformed GGUF) made token_to_piece throw std::invalid_argument out of std::stoi, or gave a
// wrong byte ("<0x-1>" -> 0xFF). Such a token now decodes to its own text.
TEST(SentencePiece, MalformedByteTokensDecodeToTheirText) {
  Vocab v;
  v.tokens = {"<unk>", "<0xZZ>", "<0x-1>", "<0x F>", "<0x+F>", "<0x4a>", "<0xC3>", "<0xs>>", "<0x1>"};
  v.types.assign(v.tokens.size(), TokenType::Byte);
  v.types[0] = TokenType::Unknown;
  v.unk = 0;
  const Tokenizer t(std::move(v));
  for (int32_t id : {1, 2, 3, 4, 7, 8}) EXPECT_EQ(t.token_to_piece(id), t.vocab().tokens[static_cast<size_t>(id)]);
  EXPECT_EQ(t.token_to_piece(5), "\x4a");  // lower-case hex digits are a byte
  EXPECT_EQ(t.token_to_piece(6), "\xc3");
  EXPECT_EQ(t.decode(std::vector<int32_t>{1, 6}), "<0xZZ>\xc3");
}

TEST(SentencePiece, ControlTokensOnlyWithParseSpecial) {
  const Tokenizer t = spm({{S, -1}, {"a", -1}, {"<", -1}, {">", -1}, {"s", -1}, {"/", -1}});
  EXPECT_EQ(pieces(t, t.encode("a</s>a", false, true)), (std::vector<std::string>{S, "a", "</s>", S, "a"}));
  EXPECT_EQ(pieces(t, t.encode("a</s>", false, false)), (std::vector<std::string>{S, "a", "<", "/", "s", ">"}));
  EXPECT_EQ(t.token_to_piece(2), "");
  EXPECT_EQ(t.token_to_piece(2, true), "</s>");
  EXPECT_TRUE(t.is_eog(2));
  EXPECT_FALSE(t.is_eog(1));
}

TEST(SentencePiece, SyntheticVocabularyRoundTripsAnyText) {
  const Tokenizer t(make_synthetic_vocab(4096));
  for (const std::string s : {"Hello world", "the model is fast", "  two  spaces ", "line\nbreak\ttab\r\n",
                              "ünïcödé 日本語 🙂", "", " ", "a", "\x01\x7f", "The THE tHe 1234567890 !@#$%^&*()"}) {
    const std::vector<int32_t> ids = t.encode(s, true);
    EXPECT_EQ(t.decode(ids), s) << s;
    for (int32_t id : ids) EXPECT_NE(id, t.vocab().unk) << s;  // every byte has a token
  }
  // Common words are single tokens.
  EXPECT_EQ(pieces(t, t.encode("the model", false)), (std::vector<std::string>{S + "the", S + "model"}));
}

TEST(SyntheticVocab, IsPrefixClosedUniqueAndSized) {
  for (int64_t n : {512, 1024, 151936}) {
    const Vocab v = make_synthetic_vocab(n);
    ASSERT_EQ(static_cast<int64_t>(v.tokens.size()), n);
    ASSERT_EQ(v.scores.size(), v.tokens.size());
    ASSERT_EQ(v.types.size(), v.tokens.size());
    EXPECT_EQ(v.tokens[1], "<s>");
    EXPECT_EQ(v.tokens[2], "</s>");
    EXPECT_EQ(v.tokens[3], "<0x00>");
    EXPECT_EQ(v.tokens[258], "<0xFF>");
    const std::set<std::string> all(v.tokens.begin(), v.tokens.end());
    EXPECT_EQ(all.size(), v.tokens.size());
    for (size_t i = 259; i < v.tokens.size(); ++i) {
      const std::string& p = v.tokens[i];
      // Drop the last UTF-8 character: what remains must be a piece too (or empty).
      size_t cut = p.size() - 1;
      while (cut > 0 && (static_cast<unsigned char>(p[cut]) & 0xc0) == 0x80) --cut;
      if (cut > 0) {
        ASSERT_TRUE(all.count(p.substr(0, cut))) << p;
      }
    }
  }
  EXPECT_THROW(make_synthetic_vocab(100), Error);
}

TEST(Bpe, MergesByRankAcrossPreTokenizedWords) {
  // "the the" -> "the", " the" (Ġ = U+0120 stands for the space byte).
  const std::string G = "\xc4\xa0";
  const Tokenizer t = bpe({G + " t", "h e", "t he", G + "t he"}, {G + "t", "he", "the", G + "the"});
  EXPECT_EQ(pieces(t, t.encode("the the", false)), (std::vector<std::string>{"the", G + "the"}));
  EXPECT_EQ(t.decode(t.encode("the the", false)), "the the");
  // Rank decides between overlapping pairs.
  const Tokenizer ab = bpe({"a b", "b c"}, {"ab", "bc"});
  const Tokenizer bc = bpe({"b c", "a b"}, {"ab", "bc"});
  EXPECT_EQ(pieces(ab, ab.encode("abc", false)), (std::vector<std::string>{"ab", "c"}));
  EXPECT_EQ(pieces(bc, bc.encode("abc", false)), (std::vector<std::string>{"a", "bc"}));
}

TEST(Bpe, EveryByteStringRoundTrips) {
  const Tokenizer t = bpe({"a b"}, {"ab"});
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (const std::string& s : {all, std::string("\xff\xfe invalid \xc3"), std::string("ab ab\n\nab")})
    EXPECT_EQ(t.decode(t.encode(s, false)), s);
}

TEST(Bpe, ByteToUnicodeTableIsGpt2s) {
  EXPECT_EQ(unicode::byte_to_cp('A'), static_cast<uint32_t>('A'));
  EXPECT_EQ(unicode::byte_to_cp(' '), 0x120u);   // Ġ
  EXPECT_EQ(unicode::byte_to_cp('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(unicode::byte_to_cp(0xad), 0x143u);  // the last of the remapped bytes
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = unicode::byte_to_cp(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second);
    EXPECT_EQ(unicode::cp_to_byte(cp), b);
  }
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(split("Hello world's  test 123!!", PreTokenizer::Gpt2),
            (std::vector<std::string>{"Hello", " world", "'s", " ", " test", " 123", "!!"}));
  EXPECT_EQ(split("I'M (ok)  ", PreTokenizer::Gpt2),
            (std::vector<std::string>{"I", "'", "M", " (", "ok", ")", "  "}));
}

TEST(PreTokenizer, Llama3AndQwen2) {
  EXPECT_EQ(split("12345 abc\n\nxyz", PreTokenizer::Llama3),
            (std::vector<std::string>{"123", "45", " abc", "\n\n", "xyz"}));
  EXPECT_EQ(split("12345", PreTokenizer::Qwen2), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(split("I'M (hello)!\n x", PreTokenizer::Llama3),
            (std::vector<std::string>{"I", "'M", " (", "hello", ")!\n", " x"}));
  EXPECT_EQ(split("héllo wörld", PreTokenizer::Llama3), (std::vector<std::string>{"héllo", " wörld"}));
  EXPECT_EQ(split("日本語 text", PreTokenizer::Qwen2), (std::vector<std::string>{"日本語", " text"}));
  EXPECT_EQ(pretokenizer_for("llama-bpe"), PreTokenizer::Llama3);
  EXPECT_EQ(pretokenizer_for("qwen2"), PreTokenizer::Qwen2);
  EXPECT_EQ(pretokenizer_for("gpt-2"), PreTokenizer::Gpt2);
  EXPECT_EQ(pretokenizer_for("default"), PreTokenizer::Default);
  // Names llama.cpp gives the same patterns (found by comparing with it).
  for (const char* name : {"llama3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "smaug-bpe", "dbrx"})
    EXPECT_EQ(pretokenizer_for(name), PreTokenizer::Llama3) << name;
  for (const char* name : {"deepseek-r1-qwen", "megrez"}) EXPECT_EQ(pretokenizer_for(name), PreTokenizer::Qwen2) << name;
  EXPECT_TRUE(is_llama3_vocab("pixtral"));
  EXPECT_FALSE(is_llama3_vocab("smaug-bpe"));
  EXPECT_FALSE(is_llama3_vocab("dbrx"));
}

TEST(PreTokenizer, PiecesCoverTheTextExactly) {
  for (PreTokenizer k : {PreTokenizer::Gpt2, PreTokenizer::Llama3, PreTokenizer::Qwen2, PreTokenizer::Default})
    for (const std::string s : {"", " ", "a\xff b\xc3", "  \n\t x  y\r\n\r\n", "don't 42x  "}) {
      std::string joined;
      for (std::string_view p : pretokenize(s, k)) {
        EXPECT_FALSE(p.empty());
        joined += p;
      }
      EXPECT_EQ(joined, s);
    }
}

// Found by comparing with llama.cpp (bench/tokenizer_compare.sh): \p{L} and \p{N} were hand-made
// range tables missing whole scripts (Bengali, Tamil, Georgian, Ethiopic, mathematical
// alphanumerics, ...), so text in them split differently. They are now the Unicode categories.
// The expected pieces are what Python's `regex` module gives for the patterns in pretokenize.h.
TEST(PreTokenizer, UnicodeCategoriesOfEveryScript) {
  // Bengali: vowel signs and the virama are marks (neither L nor N): they start "other" pieces.
  EXPECT_EQ(split("বাংলা ভাষা ১২৩৪৫", PreTokenizer::Llama3),
            (std::vector<std::string>{"ব", "াং", "ল", "া", " ভ", "াষ", "া", " ", "১২৩", "৪৫"}));
  EXPECT_EQ(split("বাংলা ভাষা ১২৩৪৫", PreTokenizer::Gpt2),
            (std::vector<std::string>{"ব", "াং", "ল", "া", " ভ", "া", "ষ", "া", " ১২৩৪৫"}));
  // Ethiopic letters, wordspace and full stop (punctuation), numbers (category No).
  EXPECT_EQ(split("ሰላም፡ዓለም። ፩፪፫፬", PreTokenizer::Llama3),
            (std::vector<std::string>{"ሰላም", "፡ዓለም", "።", " ", "፩፪፫", "፬"}));
  EXPECT_EQ(split("ሰላም፡ዓለም። ፩፪፫፬", PreTokenizer::Qwen2),
            (std::vector<std::string>{"ሰላም", "፡ዓለም", "።", " ", "፩", "፪", "፫", "፬"}));
  EXPECT_EQ(split("ሰላም፡ዓለም። ፩፪፫፬", PreTokenizer::Gpt2),
            (std::vector<std::string>{"ሰላም", "፡", "ዓለም", "።", " ፩፪፫፬"}));
  // Mathematical bold letters and digits (outside the BMP).
  EXPECT_EQ(split("𝐀𝐁𝐂 𝟏𝟐𝟑𝟒", PreTokenizer::Llama3), (std::vector<std::string>{"𝐀𝐁𝐂", " ", "𝟏𝟐𝟑", "𝟒"}));
  EXPECT_EQ(split("ქართული ენა!", PreTokenizer::Qwen2), (std::vector<std::string>{"ქართული", " ენა", "!"}));
  EXPECT_EQ(split("கணினி அறிவியல்", PreTokenizer::Llama3),
            (std::vector<std::string>{"கண", "ின", "ி", " அற", "ிவ", "ியல", "்"}));
  // Roman numerals are numbers (Nl), the middle dot is punctuation.
  EXPECT_EQ(split("Ⅻ·x ⅻ", PreTokenizer::Gpt2), (std::vector<std::string>{"Ⅻ", "·", "x", " ⅻ"}));
  EXPECT_TRUE(unicode::is_letter(0x0995));        // BENGALI LETTER KA (Lo)
  EXPECT_FALSE(unicode::is_letter(0x09BE));       // BENGALI VOWEL SIGN AA (Mc)
  EXPECT_TRUE(unicode::is_number(0x09E6));        // BENGALI DIGIT ZERO (Nd)
  EXPECT_TRUE(unicode::is_number(0x1369));        // ETHIOPIC DIGIT ONE (No)
  EXPECT_TRUE(unicode::is_letter(0x2F800));       // CJK COMPATIBILITY IDEOGRAPH (Lo)
  EXPECT_FALSE(unicode::is_letter(0x0301));       // COMBINING ACUTE ACCENT (Mn)
  EXPECT_TRUE(unicode::is_punctuation(0x00B7));   // MIDDLE DOT (Po)
  EXPECT_TRUE(unicode::is_punctuation(0x2E3A));   // TWO-EM DASH (Pd)
  EXPECT_FALSE(unicode::is_punctuation(0x20AC));  // EURO SIGN (Sc)
  EXPECT_TRUE(unicode::is_letter(0x2EBF0));       // CJK EXTENSION I, Unicode 15.1 (as llama.cpp)
  EXPECT_TRUE(unicode::is_letter(0x2EE5D));
  EXPECT_FALSE(unicode::is_letter(0x2EE5E));
  EXPECT_FALSE(unicode::is_letter(0x0378));       // unassigned
  EXPECT_FALSE(unicode::is_letter(0x10FFFF));
  EXPECT_TRUE(unicode::is_space(0x3000));
  EXPECT_FALSE(unicode::is_space(0x200B));        // ZERO WIDTH SPACE is not White_Space
}

// Found by comparing with llama.cpp: a file without tokenizer.ggml.pre ("default") is split by a
// chain of four patterns in llama.cpp, not by the GPT-2 pattern alone. Expected pieces: Python's
// `regex` module applying the chain (each pattern's matches and the text between them).
TEST(PreTokenizer, DefaultChain) {
  EXPECT_EQ(split("1234567", PreTokenizer::Default), (std::vector<std::string>{"123", "456", "7"}));
  EXPECT_EQ(split("a+b=c; $5 x", PreTokenizer::Default),
            (std::vector<std::string>{"a", "+", "b", "=", "c", ";", " ", "$", "5", " x"}));
  EXPECT_EQ(split(" 0  # TODO: «fix»—now 12345.678", PreTokenizer::Default),
            (std::vector<std::string>{" ", "0", "  ", "#", " TODO", ":", " ", "«", "fix", "»—", "now", " ", "123", "45",
                                      ".", "678"}));
  EXPECT_EQ(split("x^2|y~z <tag> ١٢٣٤ 𝟏𝟐𝟑𝟒", PreTokenizer::Default),
            (std::vector<std::string>{"x", "^", "2", "|", "y", "~", "z", " ", "<", "tag", ">", " ", "١٢٣٤", " ",
                                      "𝟏𝟐𝟑𝟒"}));
  EXPECT_EQ(split("it's  ok!!\n\n 99 bottles", PreTokenizer::Default),
            (std::vector<std::string>{"it", "'", "s", " ", " ok", "!!", "\n\n", " ", "99", " bottles"}));
}

namespace {
// A byte-level vocabulary (id = byte) followed by the given special tokens.
Tokenizer bpe_with_specials(const std::vector<std::pair<std::string, TokenType>>& specials) {
  Vocab v;
  v.model = Vocab::Model::Bpe;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(unicode::encode_utf8(unicode::byte_to_cp(static_cast<uint8_t>(b))));
  v.types.assign(256, TokenType::Normal);
  for (const auto& [text, type] : specials) {
    v.tokens.push_back(text);
    v.types.push_back(type);
  }
  v.merges = {"a b"};
  v.add_bos = false;
  return Tokenizer(std::move(v));
}
}  // namespace

// Found by comparing with llama.cpp: special tokens are cut out of the text longest first over
// the whole text (so a longer one wins over a shorter one that overlaps it, even starting earlier),
// and an unknown-typed token (<unk>) written in the text is that token with parse_special.
TEST(SpecialTokens, LongestFirstAcrossTheTextAndUnknownWithParseSpecial) {
  const Tokenizer t = bpe_with_specials({{"xa", TokenType::UserDefined}, {"abc", TokenType::UserDefined},
                                         {"<unk>", TokenType::Unknown}, {"<c>", TokenType::Control}});
  // "xabc": "abc" (longer) is cut first, leaving "x": ['x', abc]. Leftmost-first scanning would
  // have given [xa, 'b', 'c'].
  EXPECT_EQ(t.encode("xabc", false), (std::vector<int32_t>{'x', 257}));
  EXPECT_EQ(t.encode("xab", false), (std::vector<int32_t>{256, 'b'}));
  EXPECT_EQ(t.encode("<unk>", false, true), (std::vector<int32_t>{258}));
  EXPECT_EQ(t.encode("<unk>", false, false), (std::vector<int32_t>{'<', 'u', 'n', 'k', '>'}));
  EXPECT_EQ(t.encode("<c><unk>", false, true), (std::vector<int32_t>{259, 258}));
  const Tokenizer s = spm({{S, -1}, {"a", -1}, {"<", -1}, {">", -1}, {"u", -1}, {"n", -1}, {"k", -1}});
  EXPECT_EQ(pieces(s, s.encode("a<unk>a", false, true)), (std::vector<std::string>{S, "a", "<unk>", S, "a"}));
}

// Found by comparing with llama.cpp: for Llama 3 vocabularies (tokenizer.ggml.pre "llama-bpe"),
// a pre-tokenized word that is itself a token is emitted whole, whatever the merges would give
// (Hugging Face's "ignore_merges"). "smaug-bpe" uses the same pattern but merges.
TEST(Bpe, Llama3EmitsWholeWordTokensWithoutMerging) {
  // Merges: "b c" first, then nothing joins a + bc, so merging "abc" gives a, bc.
  for (const std::string pre : {"llama-bpe", "pixtral", "smaug-bpe", "dbrx", "qwen2", "gpt-2"}) {
    const Tokenizer t = bpe({"b c"}, {"bc", "abc"}, pre);
    const std::vector<int32_t> want =
        pre == "llama-bpe" || pre == "pixtral" ? std::vector<int32_t>{257} : std::vector<int32_t>{'a', 256};
    EXPECT_EQ(t.encode("abc", false), want) << pre;
    EXPECT_EQ(t.encode("abcd", false), (std::vector<int32_t>{'a', 256, 'd'})) << pre;  // "abcd" is no token
  }
}

namespace {
// A GGUF holding only a byte-level vocabulary (id = byte, then <|begin_of_text|> = 256).
Tokenizer bpe_from_gguf(const std::string& pre, int add_bos /* -1: key absent */, int add_eos = -1) {
  gguf::Writer w;
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(unicode::encode_utf8(unicode::byte_to_cp(static_cast<uint8_t>(b))));
  tokens.push_back("<|begin_of_text|>");
  tokens.push_back("<|end_of_text|>");
  std::vector<int32_t> types(256, static_cast<int32_t>(TokenType::Normal));
  types.push_back(static_cast<int32_t>(TokenType::Control));
  types.push_back(static_cast<int32_t>(TokenType::Control));
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", pre);
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_string_array("tokenizer.ggml.merges", {"a b"});
  w.set_u32("tokenizer.ggml.bos_token_id", 256);
  w.set_u32("tokenizer.ggml.eos_token_id", 257);
  if (add_bos >= 0) w.set_bool("tokenizer.ggml.add_bos_token", add_bos == 1);
  if (add_eos >= 0) w.set_bool("tokenizer.ggml.add_eos_token", add_eos == 1);
  const std::vector<uint8_t> bytes = w.to_bytes();
  return Tokenizer::from_gguf(gguf::File::from_memory(bytes));
}
}  // namespace

// Found by comparing with llama.cpp: a Llama 3 file without tokenizer.ggml.add_bos_token still
// gets BOS (llama.cpp's default for that pre-tokenizer); others do not; the key wins when present.
TEST(Bpe, Llama3AddsBosUnlessTheFileSaysNot) {
  EXPECT_TRUE(bpe_from_gguf("llama-bpe", -1).vocab().add_bos);
  EXPECT_FALSE(bpe_from_gguf("llama-bpe", 0).vocab().add_bos);
  EXPECT_FALSE(bpe_from_gguf("qwen2", -1).vocab().add_bos);
  EXPECT_FALSE(bpe_from_gguf("smaug-bpe", -1).vocab().add_bos);
  EXPECT_TRUE(bpe_from_gguf("qwen2", 1).vocab().add_bos);
}

// A prompt is tokenized as llama.cpp's llama_tokenize(add_special = true) does: BOS first when the
// vocabulary adds it, EOS last only when tokenizer.ggml.add_eos_token says so (absent: no EOS).
TEST(Bpe, PromptEndsWithEosOnlyWhenTheFileSaysSo) {
  const std::vector<int32_t> ab = {'a', 'b'};  // byte tokens: id = byte; "a b" merges nothing here
  auto with = [&](std::vector<int32_t> pre, std::vector<int32_t> post) {
    std::vector<int32_t> v = pre;
    v.insert(v.end(), ab.begin(), ab.end());
    v.insert(v.end(), post.begin(), post.end());
    return v;
  };
  EXPECT_EQ(bpe_from_gguf("llama-bpe", -1).encode_prompt("ab"), with({256}, {}));
  EXPECT_EQ(bpe_from_gguf("llama-bpe", -1, 0).encode_prompt("ab"), with({256}, {}));
  EXPECT_EQ(bpe_from_gguf("llama-bpe", -1, 1).encode_prompt("ab"), with({256}, {257}));
  EXPECT_EQ(bpe_from_gguf("qwen2", -1, 1).encode_prompt("ab"), with({}, {257}));
  EXPECT_FALSE(bpe_from_gguf("qwen2", -1).vocab().add_eos);
}

// Pre-tokenizer names split with GPT-2's pattern only as a fallback say so; implemented ones do not.
TEST(Bpe, UnimplementedPreTokenizerIsNamedInAWarning) {
  for (const char* name : {"llama-bpe", "qwen2", "default", "gpt-2", "smaug-bpe", "dbrx", "megrez", "jina-es", "mellum"})
    EXPECT_EQ(bpe_from_gguf(name, -1).approximation_warning(), "") << name;
  for (const char* name : {"tekken", "gpt-4o", "seed-coder", "gpt2"}) {  // "gpt2" is no llama.cpp name
    const std::string w = bpe_from_gguf(name, -1).approximation_warning();
    EXPECT_NE(w.find(std::string("'") + name + "'"), std::string::npos) << w;
    EXPECT_NE(w.find("may differ from llama.cpp"), std::string::npos) << w;
  }
}

// Found by comparing with llama.cpp's llama_detokenize: Hugging Face's clean-up of spaces for
// byte-level vocabularies except Qwen2's, <unk> shown like a control token, and the SentencePiece
// prefix space kept after BOS. decode() stays the exact inverse of encode().
TEST(Detokenize, MatchesLlamaCppRules) {
  const Tokenizer l3 = bpe({"a b"}, {"ab"}, "llama-bpe");
  const Tokenizer q2 = bpe({"a b"}, {"ab"}, "qwen2");
  const Tokenizer megrez = bpe({"a b"}, {"ab"}, "megrez");  // Qwen2's pattern, but cleaned up
  for (const auto& [text, cleaned] : std::vector<std::pair<std::string, std::string>>{
           {"a  .", "a ."}, {" ' ", "'"}, {"x ' s", "x's"}, {"a ?b !c ,d", "a?b!c,d"}, {"x 'S", "x 'S"},
           {" 's 've 're 'm", "'s've're'm"}, {"x n't", "x n't"}, {"a 'll 'd", "a 'll 'd"}, {"a\n.", "a\n."}}) {
    const std::vector<int32_t> ids = l3.encode(text, false);
    EXPECT_EQ(l3.detokenize(ids), cleaned) << text;
    EXPECT_EQ(l3.decode(ids), text) << text;
    EXPECT_EQ(q2.detokenize(q2.encode(text, false)), text) << text;
    EXPECT_EQ(megrez.detokenize(megrez.encode(text, false)), cleaned) << text;
  }
  const Tokenizer t = spm({{S, -1}, {"a", -1}, {S + "a", -1}});
  const int32_t a = t.find(S + "a");
  EXPECT_EQ(t.detokenize(std::vector<int32_t>{a}), "a");
  EXPECT_EQ(t.detokenize(std::vector<int32_t>{1, a}), " a");
  EXPECT_EQ(t.detokenize(std::vector<int32_t>{1, a}, true), "<s> a");
  EXPECT_EQ(t.decode(std::vector<int32_t>{1, a}), "a");
  EXPECT_EQ(t.detokenize(std::vector<int32_t>{a, 0, a}), "a a");
  EXPECT_EQ(t.detokenize(std::vector<int32_t>{a, 0, a}, true), "a<unk> a");
  EXPECT_EQ(t.token_to_piece(0), "");
}

// The serve path refuses a text prompt whose byte count over this bound is beyond the context
// before encoding it, so the bound must hold for every text: a text of B bytes never encodes to
// fewer than B / bound tokens. Random texts mix spaces (stored as 3-byte "▁" or 2-byte "Ġ"),
// merged words, multi-byte and invalid UTF-8 and special tokens written in the text.
TEST(Tokenizer, TextBytesPerTokenBoundHoldsForEveryText) {
  const Tokenizer synth(make_synthetic_vocab(4096));
  const Tokenizer unk_only = spm({{S, -1}, {"a", -1}, {"ab", -2}, {"abab", -3}});  // no byte tokens: <unk>
  const Tokenizer byte_bpe = bpe({"a b", "ab ab", "c d"}, {"ab", "abab", "cd"});
  const Tokenizer specials = bpe_with_specials({{"xa", TokenType::UserDefined}, {"<|long special|>", TokenType::Control},
                                                {"<unk>", TokenType::Unknown}});
  const std::vector<std::string> alphabet = {" ", "  ", "a", "b", "ab", "abab", "the", " the", "cd", "\n",
                                             "\xc3\xa9", "\xe2\x96\x81", "\xff", "\xc3", "xa", "<|long special|>", "<unk>"};
  uint64_t state = 7;
  auto next = [&] { return (state = state * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  for (const Tokenizer* t : {&synth, &unk_only, &byte_bpe, &specials}) {
    size_t longest = 1;  // computed here, not by the code under test
    for (const std::string& s : t->vocab().tokens) longest = std::max(longest, s.size());
    const size_t bound = t->max_text_bytes_per_token();
    ASSERT_EQ(bound, longest);
    for (int trial = 0; trial < 300; ++trial) {
      std::string text;
      const size_t pieces_n = 1 + next() % 40;
      for (size_t i = 0; i < pieces_n; ++i) text += alphabet[next() % alphabet.size()];
      for (bool special : {false, true}) {
        const size_t n = t->encode(text, false, special).size();
        EXPECT_GE(n * bound, text.size()) << "'" << text << "' special " << special;
      }
    }
  }
}

TEST(Tokenizer, NoTextBytesBoundWhenABytesCanBeDropped) {
  // SentencePiece without byte tokens nor <unk>: a character with no piece is dropped, so a long
  // text can encode to nothing.
  Vocab v;
  v.model = Vocab::Model::SentencePiece;
  v.tokens = {"<s>", S, "a"};
  v.types = {TokenType::Control, TokenType::Normal, TokenType::Normal};
  v.bos = 0;
  const Tokenizer spm_no_fallback(v);
  EXPECT_EQ(spm_no_fallback.encode("zzzzzzzz", false), (std::vector<int32_t>{1}));  // only the "▁" prefix
  EXPECT_EQ(spm_no_fallback.max_text_bytes_per_token(), 0u);
  // Byte-level BPE missing one byte's character (and no <unk>).
  Vocab b;
  b.model = Vocab::Model::Bpe;
  for (int c = 0; c < 256; ++c)
    if (c != 'z') b.tokens.push_back(unicode::encode_utf8(unicode::byte_to_cp(static_cast<uint8_t>(c))));
  b.add_bos = false;
  const Tokenizer bpe_missing(b);
  EXPECT_TRUE(bpe_missing.encode("zzzz", false).empty());
  EXPECT_EQ(bpe_missing.max_text_bytes_per_token(), 0u);
  b.tokens.push_back("<unk>");
  b.unk = static_cast<int32_t>(b.tokens.size() - 1);
  EXPECT_EQ(Tokenizer(b).max_text_bytes_per_token(), 5u);  // <unk> stands for the byte
}
