#include "engine/tokenizer/synthetic_vocab.h"

#include <cstdio>
#include <string>
#include <unordered_set>

#include "util/error.h"

namespace infertrace::engine {

namespace {

constexpr const char* kSpace = "\xe2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's space

// Frequent English words, so ordinary prompts encode to word-sized tokens rather than characters.
constexpr const char* kWords[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
    "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
    "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when",
    "will", "would", "who", "so", "no", "she", "other", "its", "may", "these", "what", "them", "than",
    "some", "him", "time", "into", "only", "do", "my", "new", "about", "out", "also", "two", "any", "up",
    "first", "could", "our", "then", "most", "see", "me", "should", "after", "said", "your", "very",
    "between", "many", "years", "where", "much", "made", "make", "like", "model", "models", "token",
    "tokens", "language", "large", "inference", "memory", "compute", "kernel", "kernels", "thread",
    "threads", "cache", "attention", "layer", "layers", "weight", "weights", "input", "output", "text",
    "world", "hello", "once", "upon", "story", "day", "little", "how", "why", "way", "because", "each",
    "over", "such", "through", "well", "just", "use", "used", "using", "work", "good", "know", "people",
    "number", "long", "here", "there", "write", "program", "data", "system", "performance", "speed",
    "fast", "slow", "question", "answer", "name", "tell", "explain", "what", "is", "are", "does",
};

void add_unique(Vocab& v, std::unordered_set<std::string>& seen, std::string piece, TokenType type,
                size_t limit) {
  if (v.tokens.size() >= limit || !seen.insert(piece).second) return;
  v.tokens.push_back(std::move(piece));
  v.types.push_back(type);
}

// Adds every prefix of `piece` (whole UTF-8 characters), shortest first, keeping the set prefix-closed.
void add_with_prefixes(Vocab& v, std::unordered_set<std::string>& seen, const std::string& piece, size_t limit) {
  for (size_t end = 1; end <= piece.size(); ++end) {
    if (end < piece.size() && (static_cast<unsigned char>(piece[end]) & 0xc0) == 0x80) continue;
    add_unique(v, seen, piece.substr(0, end), TokenType::Normal, limit);
  }
}

}  // namespace

Vocab make_synthetic_vocab(int64_t n_vocab, const std::vector<ExtraToken>& extra) {
  if (n_vocab < 512) throw Error("synthetic vocabulary needs at least 512 tokens, asked for " + std::to_string(n_vocab));
  if (extra.size() > 64) throw Error("synthetic vocabulary: at most 64 extra tokens");
  const size_t limit = static_cast<size_t>(n_vocab);
  Vocab v;
  v.model = Vocab::Model::SentencePiece;
  v.pre = "default";
  std::unordered_set<std::string> seen;
  add_unique(v, seen, "<unk>", TokenType::Unknown, limit);
  add_unique(v, seen, "<s>", TokenType::Control, limit);
  add_unique(v, seen, "</s>", TokenType::Control, limit);
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    add_unique(v, seen, name, TokenType::Byte, limit);
  }
  add_unique(v, seen, kSpace, TokenType::Normal, limit);
  for (char c = 0x21; c < 0x7f; ++c) add_unique(v, seen, std::string(1, c), TokenType::Normal, limit);
  for (const char* w : kWords) {
    std::string word(w);
    add_with_prefixes(v, seen, kSpace + word, limit);
    add_with_prefixes(v, seen, word, limit);
    word[0] = static_cast<char>(word[0] - 'a' + 'A');
    add_with_prefixes(v, seen, kSpace + word, limit);
  }
  // Filler: letter strings of growing length, with and without the space marker; breadth-first,
  // so every prefix is already present when a longer piece is added.
  std::vector<std::string> level = {""};
  while (v.tokens.size() < limit) {
    std::vector<std::string> next;
    for (const std::string& s : level)
      for (char c = 'a'; c <= 'z'; ++c) next.push_back(s + c);
    for (const std::string& s : next) {
      add_unique(v, seen, kSpace + s, TokenType::Normal, limit);
      add_unique(v, seen, s, TokenType::Normal, limit);
      if (v.tokens.size() >= limit) break;
    }
    level = std::move(next);
  }
  // The extra tokens replace the last filler pieces: the latest level's, which nothing extends.
  for (size_t i = 0; i < extra.size(); ++i) {
    const size_t id = limit - extra.size() + i;
    if (!seen.insert(extra[i].text).second) throw Error("synthetic vocabulary: extra token '" + extra[i].text + "' is already a piece");
    v.tokens[id] = extra[i].text;
    v.types[id] = extra[i].type;
  }
  // Earlier (shorter, more common) pieces merge first: the score falls with the id.
  v.scores.resize(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i)
    v.scores[i] = v.types[i] == TokenType::Normal ? -static_cast<float>(i) : 0.0f;
  return v;
}

}  // namespace infertrace::engine
