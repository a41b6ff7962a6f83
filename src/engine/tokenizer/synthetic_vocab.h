// A SentencePiece-style vocabulary for synthetic models: <unk> <s> </s>, the 256 byte tokens
// <0x00>..<0xFF>, every printable ASCII character and "▁", common English words with and without
// "▁", then filler pieces ("▁ab", "abc", ...) until n_vocab entries. The set is prefix-closed (each
// piece minus its last character is a piece), so score-ordered pair merging can reach every piece,
// and shorter pieces score higher. Deterministic: depends only on n_vocab.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace infertrace::engine {

// A token a model family's chat template writes (<|im_start|>, <|eot_id|>, ...), with its type.
struct ExtraToken {
  std::string text;
  TokenType type = TokenType::Control;
};

// n_vocab >= 512. Ids: 0 <unk>, 1 <s> (bos), 2 </s> (eos), 3..258 bytes. `extra` tokens take the
// last ids, in order, in place of the last filler pieces (which no other piece extends, so the
// set stays prefix-closed), so the other ids do not depend on them.
Vocab make_synthetic_vocab(int64_t n_vocab, const std::vector<ExtraToken>& extra = {});

}  // namespace infertrace::engine
