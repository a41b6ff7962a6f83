// The pre-tokenizers of byte-level BPE vocabularies, written by hand instead of with a regex
// engine (std::regex has no \p{..} classes and backtracks badly). Each splits text into the pieces
// its regular expression would match, alternatives tried in order, as the regex would:
//   gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//           ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:  as llama3 with \p{N} (one digit per piece) instead of \p{N}{1,3}
//   default (llama.cpp's, for files without tokenizer.ggml.pre): [\p{P}\$\+<=>\^~\|]+, then gpt2,
//           then \p{N}+, then [0-9][0-9][0-9], each splitting the previous one's pieces (a match
//           and the text between two matches are pieces).
// The character classes are the Unicode categories (unicode.h).
#pragma once

#include <string_view>
#include <vector>

namespace infertrace::engine {

enum class PreTokenizer { Gpt2, Llama3, Qwen2, Default };

// From tokenizer.ggml.pre: Llama 3's names (below), "smaug-bpe", "dbrx" -> Llama3; "qwen2",
// "deepseek-r1-qwen", "megrez" -> Qwen2; "default" -> Default; anything else -> Gpt2 (where
// llama.cpp knows ~40 names, some with patterns of their own, and refuses others).
PreTokenizer pretokenizer_for(std::string_view pre);

// False for a name pretokenizer_for() only falls back on GPT-2's pattern for (llama.cpp gives many
// of those patterns of their own, e.g. "tekken", "gpt-4o"): token ids may then differ from llama.cpp's.
bool pretokenizer_implemented(std::string_view pre);

// The names llama.cpp treats as Llama 3 vocabularies ("llama-bpe", "llama3", "falcon3",
// "pixtral", ...): Llama3 pattern, a pre-tokenized word that is itself a token is emitted without
// merging (Hugging Face's "ignore_merges"), BOS added when the file does not say. Not "smaug-bpe"
// or "dbrx": same pattern, but they merge every word and add no BOS (checked against llama.cpp).
bool is_llama3_vocab(std::string_view pre);

// The pieces, as views into `text`, covering it exactly and in order.
std::vector<std::string_view> pretokenize(std::string_view text, PreTokenizer kind);

}  // namespace infertrace::engine
