// libFuzzer target for the engine's tokenizers (src/engine/tokenizer) on arbitrary text, invalid
// UTF-8 included. Three vocabularies are built here, the way the tests build theirs:
//   - the synthetic SentencePiece vocabulary of synthetic models (every byte has a <0xXX> token),
//   - a byte-level BPE vocabulary (the 256 byte characters plus a few merges), under each
//     pre-tokenizer (gpt2, llama3, qwen2, default),
//   - a vocabulary read from the input itself (tokens, types, merges), which promises nothing but
//     must not crash.
// The input is the text; it is also read as token ids to decode. Round trips are checked where the
// tokenizer promises them: BPE for any bytes, SentencePiece for any text without U+2581 (the
// encoder's own space marker) when control tokens are not parsed; detokenize (llama.cpp's text,
// which cleans up spaces) only must not fail. Errors must be infertrace::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/synthetic_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"
#include "util/error.h"

namespace {

using namespace infertrace;
using namespace infertrace::engine;

const Tokenizer& spm() {
  static const Tokenizer t(make_synthetic_vocab(512));
  return t;
}

Tokenizer make_bpe(const char* pre) {
  Vocab v;
  v.model = Vocab::Model::Bpe;
  v.pre = pre;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(unicode::encode_utf8(unicode::byte_to_cp(static_cast<uint8_t>(b))));
  const std::string G = "\xc4\xa0";  // Ġ: the space byte
  // "t he" and "a b c"-style merges; "x y" merges into a token that is missing (an inconsistent
  // merges list, which the encoder must survive by emitting characters).
  for (const char* t : {"he", "the", "ab", "abc", "12", "\xc3\xa9"}) v.tokens.push_back(t);
  v.tokens.push_back(G + "t");
  v.tokens.push_back(G + "the");
  v.merges = {"h e", "t he", G + " t", G + "t he", "a b", "ab c", "x y", "1 2"};
  v.add_bos = false;
  v.add_space_prefix = false;
  return Tokenizer(std::move(v));
}

const Tokenizer& bpe(int which) {
  static const Tokenizer t[4] = {make_bpe("gpt2"), make_bpe("llama-bpe"), make_bpe("qwen2"), make_bpe("default")};
  return t[which];
}

std::vector<int32_t> as_ids(const uint8_t* data, size_t size) {
  std::vector<int32_t> ids(size / 4);
  if (!ids.empty()) std::memcpy(ids.data(), data, ids.size() * 4);
  return ids;
}

// Decodes ids, some of which may be out of range: that is an Error, nothing else.
void decode_any(const Tokenizer& t, const std::vector<int32_t>& ids, bool special) {
  try {
    (void)t.decode(ids, special);
  } catch (const Error&) {
  }
  try {
    (void)t.detokenize(ids, special);
  } catch (const Error&) {
  }
  // Small ids, folded into the vocabulary, must decode.
  std::vector<int32_t> in_range(ids);
  for (int32_t& id : in_range) id = static_cast<int32_t>(static_cast<uint32_t>(id) % static_cast<uint32_t>(t.n_vocab()));
  (void)t.decode(in_range, special);
  (void)t.detokenize(in_range, special);
}

// A vocabulary from the input: "\n"-separated tokens after a first line of type bytes; a line
// starting with "#" is a merge. Exercises Byte/Control/UserDefined/Unknown tokens of any text.
void fuzzed_vocab(std::string_view in) {
  if (in.size() < 2) return;
  Vocab v;
  v.model = (in[0] & 1) ? Vocab::Model::Bpe : Vocab::Model::SentencePiece;
  static const char* const kPre[] = {"gpt2", "llama3", "qwen2", "default"};
  v.pre = kPre[(in[0] >> 1) & 3];
  v.add_space_prefix = in[0] & 8;
  const size_t eol = in.find('\n');
  const std::string_view types = in.substr(1, eol == std::string_view::npos ? 0 : eol - 1);
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  const size_t text_at = rest.find('\0');
  const std::string_view text = text_at == std::string_view::npos ? rest : rest.substr(text_at + 1);
  rest = rest.substr(0, text_at);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (!line.empty() && line[0] == '#') {
      v.merges.emplace_back(line.substr(1));
    } else {
      v.tokens.emplace_back(line);
      const unsigned char t = v.tokens.size() <= types.size() ? static_cast<unsigned char>(types[v.tokens.size() - 1]) : '1';
      v.types.push_back(static_cast<TokenType>((t - '0') % 7));
    }
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  if (v.tokens.empty()) return;
  v.unk = 0;
  v.bos = v.tokens.size() > 1 ? 1 : -1;
  v.eos = v.tokens.size() > 2 ? 2 : -1;
  try {
    const Tokenizer t(std::move(v));
    for (bool special : {false, true}) {
      const std::vector<int32_t> ids = t.encode(text, true, special);
      for (int32_t id : ids)
        if (id < 0 || id >= t.n_vocab()) std::abort();
      (void)t.decode(ids, special);
      (void)t.detokenize(ids, special);
    }
    decode_any(t, as_ids(reinterpret_cast<const uint8_t*>(text.data()), text.size()), true);
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<int32_t> ids = as_ids(data, size);

  // SentencePiece, synthetic vocabulary.
  const Tokenizer& s = spm();
  for (bool special : {false, true}) {
    const std::vector<int32_t> enc = s.encode(text, true, special);
    for (int32_t id : enc)
      // Every byte has a token, so <unk> only comes from "<unk>" written in the text (parse_special).
      if (id < 0 || id >= s.n_vocab() || (id == s.vocab().unk && !special)) std::abort();
    if (!special && text.find("\xe2\x96\x81") == std::string_view::npos && s.decode(enc) != text) std::abort();
  }
  decode_any(s, ids, false);
  decode_any(s, ids, true);

  // Byte-level BPE: lossless for any bytes.
  for (int k = 0; k < 4; ++k) {
    const Tokenizer& b = bpe(k);
    const std::vector<int32_t> enc = b.encode(text, false);
    for (int32_t id : enc)
      if (id < 0 || id >= b.n_vocab()) std::abort();
    if (b.decode(enc) != text) std::abort();
    decode_any(b, ids, false);
  }

  fuzzed_vocab(text);
  return 0;
}
