// A SentencePiece-style vocabulary for synthetic models: <unk> <s> </s>, the 256 byte tokens
// <0x00>..<0xFF>, every printable ASCII character and "▁", common English words with and without
// "▁", then filler pieces ("▁ab", "abc", ...) until n_vocab entries. The set is prefix-closed (each
// piece minus its last character is a piece), so score-ordered pair merging can reach every piece,
// and shorter pieces score higher. Deterministic: depends only on n_vocab.
#pragma once

#include <cstdint>

#include "engine/tokenizer/tokenizer.h"

namespace infertrace::engine {

// n_vocab >= 512. Ids: 0 <unk>, 1 <s> (bos), 2 </s> (eos), 3..258 bytes.
Vocab make_synthetic_vocab(int64_t n_vocab);

}  // namespace infertrace::engine
