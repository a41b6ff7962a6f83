// Tokenizer rules read from a GGUF file written here: a SentencePiece ("llama") vocabulary adds
// BOS to a prompt unless the file says not to (llama.cpp's default for that model), and its ids
// default to <unk> 0, <s> 1, </s> 2.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

const std::string S = "\xe2\x96\x81";  // "▁"

Tokenizer spm_from_gguf(const std::function<void(gguf::Writer&)>& extra = {}) {
  gguf::Writer w;
  w.set_string("general.architecture", "llama");
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", S + "a"});
  w.set_f32_array("tokenizer.ggml.scores", {0, 0, 0, -1});
  w.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 1});  // unknown, control, control, normal
  if (extra) extra(w);
  const std::vector<uint8_t> bytes = w.to_bytes();
  return Tokenizer::from_gguf(gguf::File::from_memory(bytes, "spm.gguf"));
}

}  // namespace

TEST(TokenizerRules, SentencePieceAddsBosUnlessTheFileSaysNot) {
  const Tokenizer t = spm_from_gguf();
  EXPECT_TRUE(t.vocab().add_bos);
  EXPECT_EQ(t.vocab().bos, 1);
  EXPECT_EQ(t.vocab().eos, 2);
  // "a" -> "▁a" (the space prefix), id 3, after <s>; BOS exactly once.
  EXPECT_EQ(t.encode_prompt("a"), (std::vector<int32_t>{1, 3}));
  const Tokenizer no = spm_from_gguf([](gguf::Writer& w) { w.set_bool("tokenizer.ggml.add_bos_token", false); });
  EXPECT_FALSE(no.vocab().add_bos);
  EXPECT_EQ(no.encode_prompt("a"), (std::vector<int32_t>{3}));
}

// Byte fallback covers the whole byte range, 0xFF (the last <0xXX> name) included: a character
// with no piece becomes its byte tokens, and only a byte without one becomes <unk>.
TEST(TokenizerRules, ByteFallbackReachesByteFF) {
  Vocab v;
  v.model = Vocab::Model::SentencePiece;
  v.tokens = {"<unk>", "<s>", "</s>", S, "<0xFF>", "<0x00>"};
  v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control, TokenType::Normal, TokenType::Byte,
             TokenType::Byte};
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  const Tokenizer t(std::move(v));
  // "\xff" -> "▁" "\xff": the marker is a piece (3), the byte falls back to <0xFF> (4).
  EXPECT_EQ(t.encode("\xff", false), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(t.encode(std::string("\x00\xfe", 2), false), (std::vector<int32_t>{3, 5, 0}));  // 0xFE has no token
  EXPECT_EQ(t.token_to_piece(4), "\xff");
}

// A turn ends at eos and at the chat end markers llama.cpp knows, but only where the vocabulary
// marks such a marker as a control token: written as normal text it is just text.
TEST(TokenizerRules, ChatEndMarkersEndGenerationOnlyAsControlTokens) {
  auto vocab = [](TokenType marker) {
    Vocab v;
    v.model = Vocab::Model::SentencePiece;
    v.tokens = {"<unk>", "<s>", "</s>", "<|im_end|>", "<|eot_id|>"};
    v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control, marker, marker};
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    return Tokenizer(std::move(v));
  };
  const Tokenizer control = vocab(TokenType::Control);
  EXPECT_TRUE(control.is_eog(2));
  EXPECT_TRUE(control.is_eog(3));
  EXPECT_TRUE(control.is_eog(4));
  EXPECT_FALSE(control.is_eog(1));
  const Tokenizer text = vocab(TokenType::Normal);
  EXPECT_TRUE(text.is_eog(2));
  EXPECT_FALSE(text.is_eog(3));
  EXPECT_FALSE(text.is_eog(4));
}
