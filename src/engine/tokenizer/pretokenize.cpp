#include "engine/tokenizer/pretokenize.h"

#include "engine/tokenizer/unicode.h"

namespace infertrace::engine {

namespace {

using unicode::CodePoint;

class Matcher {
 public:
  Matcher(const std::vector<CodePoint>& cps, PreTokenizer kind) : c_(cps), n_(cps.size()), kind_(kind) {}

  // Code points matched at position i (at least 1).
  size_t match(size_t i) const {
    if (size_t k = contraction(i)) return k;
    return kind_ == PreTokenizer::Gpt2 ? match_gpt2(i) : match_llama3(i);
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
    return kind_ != PreTokenizer::Gpt2 && x >= 'A' && x <= 'Z' ? x + 32 : x;
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

PreTokenizer pretokenizer_for(std::string_view pre) {
  if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "smaug-bpe") return PreTokenizer::Llama3;
  if (pre == "qwen2" || pre == "deepseek-r1-qwen") return PreTokenizer::Qwen2;
  return PreTokenizer::Gpt2;
}

std::vector<std::string_view> pretokenize(std::string_view text, PreTokenizer kind) {
  const std::vector<CodePoint> cps = unicode::decode_utf8(text);
  const Matcher m(cps, kind);
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < cps.size()) {
    const size_t k = m.match(i);
    const size_t begin = cps[i].offset;
    const size_t end = i + k < cps.size() ? cps[i + k].offset : text.size();
    out.push_back(text.substr(begin, end - begin));
    i += k;
  }
  return out;
}

}  // namespace infertrace::engine
