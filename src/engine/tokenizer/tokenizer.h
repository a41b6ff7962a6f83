// Text <-> token ids with the vocabulary stored in a GGUF (tokenizer.ggml.*), as llama.cpp does:
//   "llama" (SentencePiece): spaces become U+2581 "▁" (and one is prefixed to the text), the text is
//          split into UTF-8 characters, then the adjacent pair whose concatenation is a token with
//          the highest score is merged until none is; characters with no token fall back to
//          byte tokens "<0xXX>".
//   "gpt2"  (byte-level BPE, Llama 3 / Qwen2 / GPT-2): the text is pre-split with the model's
//          pre-tokenizer pattern (tokenizer.ggml.pre; hand-written, see pretokenize.h), each
//          piece's bytes are mapped to printable characters (GPT-2's bytes_to_unicode), then the
//          pair with the lowest rank in tokenizer.ggml.merges is merged until none is.
// Control tokens (<s>, <|im_start|>, ...) in the text are recognised only with parse_special.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace infertrace::gguf {
class File;
}

namespace infertrace::engine {

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

struct Vocab {
  enum class Model { SentencePiece, Bpe };
  Model model = Model::SentencePiece;
  std::string pre = "default";           // tokenizer.ggml.pre (BPE pre-tokenizer)
  std::vector<std::string> tokens;        // id -> text
  std::vector<float> scores;              // SentencePiece merge priority (empty for BPE)
  std::vector<TokenType> types;           // empty: all Normal
  std::vector<std::string> merges;        // BPE: "left right", rank = index
  int32_t bos = -1, eos = -1, unk = -1, pad = -1;
  bool add_bos = true;
  bool add_eos = false;                   // tokenizer.ggml.add_eos_token: EOS ends a prompt
  bool add_space_prefix = true;           // SentencePiece: prefix "▁" to the text
};

class Tokenizer {
 public:
  explicit Tokenizer(Vocab vocab);  // throws Error on an inconsistent vocabulary
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Reads tokenizer.ggml.* from the file; throws InputError naming the key when missing/invalid.
  static Tokenizer from_gguf(const gguf::File& file);

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special = false) const;
  // A prompt as llama.cpp tokenizes one (llama_tokenize with add_special): BOS first when the
  // vocabulary adds it, EOS last when it adds that (tokenizer.ggml.add_eos_token).
  std::vector<int32_t> encode_prompt(std::string_view text, bool parse_special = false) const;
  // "" when text is split as llama.cpp splits it; else a warning naming the pre-tokenizer that is
  // approximated by GPT-2's pattern (the front ends print it once before encoding text).
  std::string approximation_warning() const;
  // The bytes a token stands for (may be part of a UTF-8 character; concatenate before printing).
  // Control tokens give "" unless `special`.
  std::string token_to_piece(int32_t id, bool special = false) const;
  // Joins the pieces; for SentencePiece drops the space the encoder prefixed (from the first
  // non-empty piece), so decode(encode(text, add_bos)) == text.
  std::string decode(std::span<const int32_t> ids, bool special = false) const;
  // The text llama.cpp's llama_detokenize gives: like decode, but a SentencePiece prefix space is
  // dropped only when the first token carries it (not after BOS), and byte-level BPE vocabularies
  // other than Qwen2's get Hugging Face's clean-up of spaces before punctuation and contractions
  // (" ." -> ".", " 's" -> "'s", ...), so it does not round-trip such text.
  std::string detokenize(std::span<const int32_t> ids, bool special = false) const;

  // A bound for refusing a text as too long before encoding it (encoding costs time and memory
  // per byte): no token encode() emits stands for more bytes of the text than this (the longest
  // token's stored text: spaces are stored longer, as "▁" or GPT-2's mapped characters, and a
  // byte token or <unk> stands for one byte), so a text of B bytes encodes to at least
  // ceil(B / bound) tokens. 0 when there is no such bound: a vocabulary where some byte has neither
  // a token nor <unk> to fall back on, which encode() then drops.
  size_t max_text_bytes_per_token() const;

  const Vocab& vocab() const { return vocab_; }
  int32_t n_vocab() const { return static_cast<int32_t>(vocab_.tokens.size()); }
  int32_t bos() const { return vocab_.bos; }
  int32_t eos() const { return vocab_.eos; }
  bool is_eog(int32_t id) const;  // eos or a control token marking end of generation
  int32_t find(std::string_view text) const;  // -1 when not a token

 private:
  struct Impl;
  Vocab vocab_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infertrace::engine
