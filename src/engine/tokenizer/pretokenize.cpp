#include "engine/tokenizer/pretokenize.h"

#include "engine/tokenizer/unicode.h"

#include <utility>

namespace infertrace::engine {

bool pretokenizer_implemented(std::string_view pre) {
  if (pretokenizer_for(pre) != PreTokenizer::Gpt2) return true;
  // The names llama.cpp splits with GPT-2's own pattern.
  for (std::string_view name : {"gpt-2", "phi-2", "roberta-bpe", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es",
                                "jina-v2-de", "jina-v2-code", "gigachat", "a.x-4.0", "mellum", "exaone4", "modern-bert"})
    if (pre == name) return true;
  return false;
}

namespace {

using unicode::CodePoint;

class Matcher {
 public:
  Matcher(const std::vector<CodePoint>& cps, PreTokenizer kind) : c_(cps), n_(cps.size()), kind_(kind) {}

  // Code points matched at position i (at least 1).
  size_t match(size_t i) const {
    if (size_t k = contraction(i)) return k;
    return kind_ == PreTokenizer::Gpt2 || kind_ == PreTokenizer::Default ? match_gpt2(i) : match_llama3(i);
  }

 private:
  uint32_t at(size_t i) const { return i < n_ ? c_[i].cp : 0; }
  bool L(size_t i) const { return i < n_ && unicode::is_letter(c_[i].cp); }
  bool N(size_t i) const { return i < n_ && unicode::is_number(c_[i].cp); }
  bool S(size_t i) const { return i < n_ && unicode::is_space(c_[i].cp); }
  bool other(size_t i) const { return i < n_ && !L(i) && !N(i) && !S(i); }
  bool newline(size_t i) const { return i < n_ && (c_[i].cp == '\r' || c_[i].cp == '\n'); }

  uint32_t lower(size_t i) const {
    const uint32_t x = at(i);
    return (kind_ == PreTokenizer::Llama3 || kind_ == PreTokenizer::Qwen2) && x >= 'A' && x <= 'Z' ? x + 32 : x;
  }
  // 's 't 'm 'd 're 've 'll (case-insensitive for llama3/qwen2).
  size_t contraction(size_t i) const {
    if (at(i) != '\'') return 0;
    const uint32_t a = lower(i + 1), b = lower(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    return 0;
  }
  size_t run(size_t j, bool (Matcher::*cls)(size_t) const) const {
    while ((this->*cls)(j)) ++j;
    return j;
  }
  // \s+(?!\S) then \s+ : a whitespace run, leaving its last space to the next piece when a
  // non-space follows (so " world" keeps its space).
  size_t whitespace(size_t i) const {
    const size_t k = run(i, &Matcher::S);
    if (k == n_ || k - i == 1) return k - i;
    return k - i - 1;
  }

  size_t match_gpt2(size_t i) const {
    const size_t j = at(i) == ' ' ? i + 1 : i;
    if (L(j)) return run(j, &Matcher::L) - i;
    if (N(j)) return run(j, &Matcher::N) - i;
    if (other(j)) return run(j, &Matcher::other) - i;
    if (S(i)) return whitespace(i);
    return 1;
  }

  size_t match_llama3(size_t i) const {
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (L(i)) return run(i, &Matcher::L) - i;
    if (i < n_ && !newline(i) && !N(i) && L(i + 1)) return run(i + 1, &Matcher::L) - i;
    // \p{N}{1,3} (qwen2: \p{N})
    if (N(i)) {
      const size_t max = kind_ == PreTokenizer::Qwen2 ? 1 : 3;
      size_t k = i;
      while (k < n_ && k - i < max && N(k)) ++k;
      return k - i;
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    const size_t j = at(i) == ' ' ? i + 1 : i;
    if (other(j)) return run(run(j, &Matcher::other), &Matcher::newline) - i;
    if (S(i)) {
      // \s*[\r\n]+ : the whitespace run up to and including its last newline.
      const size_t k = run(i, &Matcher::S);
      for (size_t p = k; p > i; --p)
        if (newline(p - 1)) return p - i;
      return whitespace(i);
    }
    return 1;
  }

  const std::vector<CodePoint>& c_;
  size_t n_;
  PreTokenizer kind_;
};

}  // namespace

bool is_llama3_vocab(std::string_view pre) {
  for (std::string_view name : {"llama-bpe", "llama3", "llama-v3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"})
    if (pre == name) return true;
  return false;
}

PreTokenizer pretokenizer_for(std::string_view pre) {
  if (is_llama3_vocab(pre) || pre == "smaug-bpe" || pre == "dbrx") return PreTokenizer::Llama3;
  if (pre == "qwen2" || pre == "deepseek-r1-qwen" || pre == "megrez") return PreTokenizer::Qwen2;
  // A file without tokenizer.ggml.pre reads as "default" (llama.cpp does the same).
  if (pre == "default") return PreTokenizer::Default;
  return PreTokenizer::Gpt2;
}

namespace {

// One pattern over the code points of one piece: alternatives tried in order at each position.
void split_pattern(std::string_view text, PreTokenizer kind, std::vector<std::string_view>& out) {
  const std::vector<CodePoint> cps = unicode::decode_utf8(text);
  const Matcher m(cps, kind);
  size_t i = 0;
  while (i < cps.size()) {
    const size_t k = m.match(i);
    const size_t begin = cps[i].offset;
    const size_t end = i + k < cps.size() ? cps[i + k].offset : text.size();
    out.push_back(text.substr(begin, end - begin));
    i += k;
  }
}

// A regex applied to pieces split earlier: every match and every stretch between matches becomes
// a piece of its own. `next(cps, i)` returns the [begin, end) of the first match at or after i
// (begin == cps.size() when there is none).
template <class NextMatch>
std::vector<std::string_view> split_matches(const std::vector<std::string_view>& pieces, NextMatch&& next) {
  std::vector<std::string_view> out;
  for (std::string_view piece : pieces) {
    const std::vector<CodePoint> cps = unicode::decode_utf8(piece);
    auto off = [&](size_t i) { return i < cps.size() ? cps[i].offset : piece.size(); };
    auto emit = [&](size_t a, size_t b) {
      if (b > a) out.push_back(piece.substr(off(a), off(b) - off(a)));
    };
    size_t i = 0;
    while (i < cps.size()) {
      const auto [b, e] = next(cps, i);
      emit(i, b);
      emit(b, e);
      i = e;
    }
  }
  return out;
}

// Maximal runs of code points satisfying `in`.
template <class Pred>
auto runs_of(Pred in) {
  return [in](const std::vector<CodePoint>& cps, size_t i) {
    while (i < cps.size() && !in(cps[i].cp)) ++i;
    size_t e = i;
    while (e < cps.size() && in(cps[e].cp)) ++e;
    return std::pair<size_t, size_t>(i, e);
  };
}

bool ascii_digit(uint32_t c) { return c >= '0' && c <= '9'; }

}  // namespace

std::vector<std::string_view> pretokenize(std::string_view text, PreTokenizer kind) {
  std::vector<std::string_view> out;
  if (kind != PreTokenizer::Default) {
    split_pattern(text, kind, out);
    return out;
  }
  // llama.cpp's "default" BPE pre-tokenizer is a chain of four patterns, each splitting the pieces
  // of the previous one: [\p{P}\$\+<=>\^~\|]+, then the GPT-2 pattern, then \p{N}+, then
  // [0-9][0-9][0-9] (so "1234567" ends as "123" "456" "7").
  std::vector<std::string_view> pieces = split_matches({text}, runs_of([](uint32_t c) {
    return unicode::is_punctuation(c) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
           c == '~' || c == '|';
  }));
  for (std::string_view p : pieces) split_pattern(p, PreTokenizer::Gpt2, out);
  out = split_matches(out, runs_of([](uint32_t c) { return unicode::is_number(c); }));
  return split_matches(out, [](const std::vector<CodePoint>& cps, size_t i) {
    for (; i + 3 <= cps.size(); ++i)
      if (ascii_digit(cps[i].cp) && ascii_digit(cps[i + 1].cp) && ascii_digit(cps[i + 2].cp)) return std::pair<size_t, size_t>(i, i + 3);
    return std::pair<size_t, size_t>(cps.size(), cps.size());
  });
}

}  // namespace infertrace::engine
