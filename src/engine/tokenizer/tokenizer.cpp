#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <queue>
#include <unordered_map>
#include <utility>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/pretokenize.h"
#include "engine/tokenizer/unicode.h"
#include "util/error.h"
#include "util/text_clean.h"

namespace infertrace::engine {

namespace {

constexpr std::string_view kSpaceMarker = "\xe2\x96\x81";  // U+2581 "▁"

// A linked list of symbols (byte ranges of the text being encoded) merged pairwise; a merged-away
// symbol keeps len 0 so stale queue entries can be recognised.
struct Symbol {
  int prev, next;
  size_t start, len;
};

struct Candidate {
  int left, right;
  double priority;  // larger merges first
  size_t len;       // combined length when queued; a mismatch later means the entry is stale
};
struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.left > b.left;  // ties: leftmost first
  }
};

}  // namespace

struct Tokenizer::Impl {
  std::unordered_map<std::string, int32_t> ids;
  std::unordered_map<std::string, int32_t> merge_rank;  // "left right" -> rank
  int32_t byte_ids[256];
  PreTokenizer pre = PreTokenizer::Gpt2;
  bool ignore_merges = false;  // a pre-tokenized word that is a token is that token (Llama 3)
  // Tokens matched verbatim in the text: user-defined always, control and unknown (<unk>) ones
  // with parse_special (llama.cpp's rule).
  std::vector<int32_t> specials;  // longest first
  std::vector<int32_t> eog;
};

Tokenizer::Tokenizer(Vocab v) : vocab_(std::move(v)), impl_(std::make_unique<Impl>()) {
  const size_t n = vocab_.tokens.size();
  if (n == 0) throw Error("tokenizer: empty vocabulary");
  if (!vocab_.scores.empty() && vocab_.scores.size() != n)
    throw Error("tokenizer: " + std::to_string(vocab_.scores.size()) + " scores for " + std::to_string(n) + " tokens");
  if (!vocab_.types.empty() && vocab_.types.size() != n)
    throw Error("tokenizer: " + std::to_string(vocab_.types.size()) + " token types for " + std::to_string(n) + " tokens");
  if (vocab_.types.empty()) vocab_.types.assign(n, TokenType::Normal);
  if (vocab_.scores.empty()) vocab_.scores.assign(n, 0.0f);
  for (int32_t* id : {&vocab_.bos, &vocab_.eos, &vocab_.unk, &vocab_.pad})
    if (*id >= static_cast<int32_t>(n)) throw Error("tokenizer: special token id " + std::to_string(*id) + " out of range");

  Impl& m = *impl_;
  m.ids.reserve(n);
  for (size_t i = 0; i < n; ++i) m.ids.emplace(vocab_.tokens[i], static_cast<int32_t>(i));  // first wins on duplicates
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto it = m.ids.find(name);
    m.byte_ids[b] = it == m.ids.end() ? -1 : it->second;
  }
  for (size_t r = 0; r < vocab_.merges.size(); ++r) m.merge_rank.emplace(vocab_.merges[r], static_cast<int32_t>(r));
  m.pre = pretokenizer_for(vocab_.pre);
  m.ignore_merges = is_llama3_vocab(vocab_.pre);
  for (size_t i = 0; i < n; ++i) {
    const TokenType t = vocab_.types[i];
    if ((t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown) && !vocab_.tokens[i].empty())
      m.specials.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(m.specials.begin(), m.specials.end(), [&](int32_t a, int32_t b) {
    return vocab_.tokens[static_cast<size_t>(a)].size() > vocab_.tokens[static_cast<size_t>(b)].size();
  });
  if (vocab_.eos >= 0) m.eog.push_back(vocab_.eos);
  // Chat models end a turn with these control tokens rather than eos (llama.cpp does the same).
  for (const char* name : {"<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|end|>", "<|eom_id|>"}) {
    auto it = m.ids.find(name);
    if (it != m.ids.end() && vocab_.types[static_cast<size_t>(it->second)] == TokenType::Control) m.eog.push_back(it->second);
  }
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::from_gguf(const gguf::File& f) {
  Vocab v;
  const std::string_view model = f.get_string("tokenizer.ggml.model");
  if (model == "llama") {
    v.model = Vocab::Model::SentencePiece;
  } else if (model == "gpt2") {
    v.model = Vocab::Model::Bpe;
  } else {
    throw InputError(f.path(), -1, "tokenizer.ggml.model '" + escaped_text(model) +
                                       "' is not supported (llama = SentencePiece, gpt2 = BPE are)");
  }
  v.pre = std::string(f.get_string("tokenizer.ggml.pre", "default"));
  auto array_of = [&](const char* key, gguf::ValueType want) -> const gguf::Value* {
    const gguf::Value* a = f.find(key);
    if (!a) return nullptr;
    if (a->type != gguf::ValueType::ARRAY || a->elem_type != want)
      throw InputError(f.path(), -1, std::string(key) + ": expected an array of " + gguf::value_type_name(want));
    return a;
  };
  const gguf::Value* tokens = array_of("tokenizer.ggml.tokens", gguf::ValueType::STRING);
  if (!tokens) throw InputError(f.path(), -1, "missing metadata key tokenizer.ggml.tokens (the vocabulary)");
  const size_t n = tokens->items.size();
  v.tokens.reserve(n);
  for (const gguf::Value& t : tokens->items) v.tokens.emplace_back(t.str);
  if (const gguf::Value* s = array_of("tokenizer.ggml.scores", gguf::ValueType::FLOAT32)) {
    if (s->items.size() != n) throw InputError(f.path(), -1, "tokenizer.ggml.scores: length differs from tokens");
    v.scores.reserve(n);
    for (const gguf::Value& x : s->items) v.scores.push_back(static_cast<float>(x.num.f));
  }
  if (const gguf::Value* t = array_of("tokenizer.ggml.token_type", gguf::ValueType::INT32)) {
    if (t->items.size() != n) throw InputError(f.path(), -1, "tokenizer.ggml.token_type: length differs from tokens");
    v.types.reserve(n);
    for (const gguf::Value& x : t->items) {
      if (x.num.i < 0 || x.num.i > 6) throw InputError(f.path(), -1, "tokenizer.ggml.token_type: invalid value " + std::to_string(x.num.i));
      v.types.push_back(static_cast<TokenType>(x.num.i));
    }
  }
  if (const gguf::Value* mg = array_of("tokenizer.ggml.merges", gguf::ValueType::STRING)) {
    v.merges.reserve(mg->items.size());
    for (const gguf::Value& x : mg->items) v.merges.emplace_back(x.str);
  }
  if (v.model == Vocab::Model::Bpe && v.merges.empty())
    throw InputError(f.path(), -1, "BPE vocabulary without tokenizer.ggml.merges");
  auto id_key = [&](const char* key, int32_t fallback) {
    const int64_t id = f.get_int(key, fallback);
    if (id >= static_cast<int64_t>(n) || id < -1)
      throw InputError(f.path(), -1, std::string(key) + " = " + std::to_string(id) + " is not a token id (vocabulary of " +
                                         std::to_string(n) + ")");
    return static_cast<int32_t>(id);
  };
  const bool spm = v.model == Vocab::Model::SentencePiece;
  v.bos = id_key("tokenizer.ggml.bos_token_id", spm ? 1 : -1);
  v.eos = id_key("tokenizer.ggml.eos_token_id", spm ? 2 : -1);
  v.unk = id_key("tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
  v.pad = id_key("tokenizer.ggml.padding_token_id", -1);
  v.add_bos = f.get_bool("tokenizer.ggml.add_bos_token", spm || is_llama3_vocab(v.pre)) && v.bos >= 0;
  v.add_eos = f.get_bool("tokenizer.ggml.add_eos_token", false) && v.eos >= 0;
  v.add_space_prefix = f.get_bool("tokenizer.ggml.add_space_prefix", spm);
  try {
    return Tokenizer(std::move(v));
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(f.path(), -1, e.what());
  }
}

int32_t Tokenizer::find(std::string_view text) const {
  auto it = impl_->ids.find(std::string(text));
  return it == impl_->ids.end() ? -1 : it->second;
}

bool Tokenizer::is_eog(int32_t id) const {
  return std::find(impl_->eog.begin(), impl_->eog.end(), id) != impl_->eog.end();
}

namespace {

// Score-ordered (SentencePiece) or rank-ordered (BPE) pair merging over `text`, starting from the
// given initial symbol boundaries. `priority(merged)` returns nullopt-like -inf when the pair
// cannot merge. Returns the surviving symbols as (start, len).
template <class PriorityFn>
std::vector<std::pair<size_t, size_t>> merge_pairs(std::string_view text, const std::vector<size_t>& lens,
                                                   PriorityFn&& priority) {
  std::vector<Symbol> sym;
  sym.reserve(lens.size());
  size_t pos = 0;
  for (size_t i = 0; i < lens.size(); ++i) {
    sym.push_back({static_cast<int>(i) - 1, i + 1 < lens.size() ? static_cast<int>(i) + 1 : -1, pos, lens[i]});
    pos += lens[i];
  }
  std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = sym[static_cast<size_t>(left)];
    const Symbol& r = sym[static_cast<size_t>(right)];
    double p;
    if (!priority(text.substr(l.start, l.len), text.substr(r.start, r.len), p)) return;
    queue.push({left, right, p, l.len + r.len});
  };
  for (size_t i = 1; i < sym.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& l = sym[static_cast<size_t>(c.left)];
    Symbol& r = sym[static_cast<size_t>(c.right)];
    if (l.len == 0 || r.len == 0 || l.len + r.len != c.len || l.next != c.right) continue;  // stale
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[static_cast<size_t>(r.next)].prev = c.left;
    try_add(l.prev, c.left);
    try_add(c.left, l.next);
  }
  std::vector<std::pair<size_t, size_t>> out;
  for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[static_cast<size_t>(i)].next)
    out.emplace_back(sym[static_cast<size_t>(i)].start, sym[static_cast<size_t>(i)].len);
  return out;
}

}  // namespace

std::string Tokenizer::approximation_warning() const {
  if (vocab_.model != Vocab::Model::Bpe || pretokenizer_implemented(vocab_.pre)) return "";
  return "pre-tokenizer '" + vocab_.pre + "' (tokenizer.ggml.pre) is not implemented here: text is split with GPT-2's "
         "pattern, so token ids may differ from llama.cpp's";
}

std::vector<int32_t> Tokenizer::encode_prompt(std::string_view text, bool parse_special) const {
  std::vector<int32_t> out = encode(text, vocab_.add_bos, parse_special);
  if (vocab_.add_eos) out.push_back(vocab_.eos);
  return out;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  const Impl& m = *impl_;
  std::vector<int32_t> out;
  if (add_bos && vocab_.bos >= 0) out.push_back(vocab_.bos);

  // 1. Split off special tokens written in the text, as llama.cpp does: each special token in turn,
  // longest first, is cut out of every stretch of plain text left by the ones before it (leftmost
  // occurrences first). A longer token thus wins over a shorter one overlapping it even when the
  // shorter one starts earlier.
  struct Fragment {
    std::string_view text;
    int32_t token;  // >= 0: a special token
  };
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({text, -1});
  for (int32_t id : m.specials) {
    const TokenType type = vocab_.types[static_cast<size_t>(id)];
    if (type != TokenType::UserDefined && !parse_special) continue;
    const std::string& t = vocab_.tokens[static_cast<size_t>(id)];
    // Most special tokens do not occur in a given text: the fragments are rebuilt only for those that do.
    const bool occurs = std::any_of(frags.begin(), frags.end(), [&](const Fragment& f) {
      return f.token < 0 && f.text.find(t) != std::string_view::npos;
    });
    if (!occurs) continue;
    std::vector<Fragment> next;
    next.reserve(frags.size());
    for (const Fragment& f : frags) {
      if (f.token >= 0 || f.text.size() < t.size()) {
        next.push_back(f);
        continue;
      }
      size_t from = 0;
      for (size_t at = f.text.find(t); at != std::string_view::npos; at = f.text.find(t, from)) {
        if (at > from) next.push_back({f.text.substr(from, at - from), -1});
        next.push_back({{}, id});
        from = at + t.size();
      }
      if (from < f.text.size()) next.push_back({f.text.substr(from), -1});
    }
    frags = std::move(next);
  }

  // 2. Encode each plain fragment.
  bool prev_special = true;  // SentencePiece prefixes a space to text that starts the input or follows a special token
  for (const Fragment& f : frags) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    if (vocab_.model == Vocab::Model::SentencePiece) {
      std::string s;
      s.reserve(f.text.size() + 8);
      if (vocab_.add_space_prefix && prev_special) s += kSpaceMarker;
      for (char c : f.text) {
        if (c == ' ') {
          s += kSpaceMarker;
        } else {
          s += c;
        }
      }
      // One symbol per UTF-8 character. A lead byte whose continuation bytes are missing is a
      // symbol of its own: taking utf8_len bytes regardless would swallow the start of the next
      // character (e.g. the "▁" a space became), and that character would come back from decode
      // as the bytes of the marker instead of a space.
      std::vector<size_t> lens;
      for (size_t i = 0; i < s.size();) {
        size_t n = std::min(unicode::utf8_len(static_cast<unsigned char>(s[i])), s.size() - i);
        for (size_t k = 1; k < n; ++k)
          if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) n = 1;
        lens.push_back(n);
        i += n;
      }
      auto priority = [&](std::string_view a, std::string_view b, double& p) {
        std::string joined;
        joined.reserve(a.size() + b.size());
        joined.append(a).append(b);
        auto it = m.ids.find(joined);
        if (it == m.ids.end()) return false;
        p = vocab_.scores[static_cast<size_t>(it->second)];
        return true;
      };
      for (auto [b, n] : merge_pairs(s, lens, priority)) {
        const std::string_view piece(s.data() + b, n);
        auto it = m.ids.find(std::string(piece));
        if (it != m.ids.end()) {
          out.push_back(it->second);
          continue;
        }
        // Byte fallback: one <0xXX> token per byte, <unk> where even that is missing.
        for (unsigned char c : piece) {
          const int32_t id = m.byte_ids[c] >= 0 ? m.byte_ids[c] : vocab_.unk;
          if (id >= 0) out.push_back(id);
        }
      }
    } else {
      for (std::string_view word : pretokenize(f.text, m.pre)) {
        // Map bytes to GPT-2's printable code points; each becomes one initial symbol.
        std::string mapped;
        std::vector<size_t> lens;
        for (unsigned char c : word) {
          const std::string u = unicode::encode_utf8(unicode::byte_to_cp(c));
          mapped += u;
          lens.push_back(u.size());
        }
        if (m.ignore_merges) {
          auto whole = m.ids.find(mapped);
          if (whole != m.ids.end()) {
            out.push_back(whole->second);
            continue;
          }
        }
        auto priority = [&](std::string_view a, std::string_view b, double& p) {
          std::string key;
          key.reserve(a.size() + b.size() + 1);
          key.append(a).append(" ").append(b);
          auto it = m.merge_rank.find(key);
          if (it == m.merge_rank.end()) return false;
          p = -static_cast<double>(it->second);  // lower rank merges first
          return true;
        };
        for (auto [b, n] : merge_pairs(mapped, lens, priority)) {
          const std::string piece = mapped.substr(b, n);
          auto it = m.ids.find(piece);
          if (it != m.ids.end()) {
            out.push_back(it->second);
            continue;
          }
          // Not in the vocabulary (an inconsistent merges list): emit its characters one by one.
          for (size_t k = 0; k < piece.size();) {
            const size_t len = std::min(unicode::utf8_len(static_cast<unsigned char>(piece[k])), piece.size() - k);
            auto one = m.ids.find(piece.substr(k, len));
            if (one != m.ids.end()) {
              out.push_back(one->second);
            } else if (vocab_.unk >= 0) {
              out.push_back(vocab_.unk);
            }
            k += len;
          }
        }
      }
    }
    prev_special = false;
  }
  return out;
}

size_t Tokenizer::max_text_bytes_per_token() const {
  const Impl& m = *impl_;
  if (vocab_.unk < 0) {
    for (int b = 0; b < 256; ++b) {
      // The last fallback of each model: SentencePiece's byte token, byte-level BPE's one-byte
      // character.
      const bool kept = vocab_.model == Vocab::Model::SentencePiece
                            ? m.byte_ids[b] >= 0
                            : m.ids.count(unicode::encode_utf8(unicode::byte_to_cp(static_cast<uint8_t>(b)))) > 0;
      if (!kept) return 0;
    }
  }
  size_t longest = 1;
  for (const std::string& t : vocab_.tokens) longest = std::max(longest, t.size());
  return longest;
}

std::string Tokenizer::token_to_piece(int32_t id, bool special) const {
  if (id < 0 || id >= n_vocab()) throw Error("token id " + std::to_string(id) + " out of range (vocabulary of " +
                                             std::to_string(n_vocab()) + ")");
  const std::string& t = vocab_.tokens[static_cast<size_t>(id)];
  switch (vocab_.types[static_cast<size_t>(id)]) {
    // <unk> is shown like a control token (llama.cpp's token_to_piece does the same).
    case TokenType::Control:
    case TokenType::Unknown: return special ? t : "";
    case TokenType::Unused:
    case TokenType::UserDefined: return t;
    case TokenType::Byte: {
      // "<0xXX>" with two hex digits is that byte; any other text (a malformed file) is itself.
      // Parsed by hand: std::stoi throws on "<0xZZ>" and accepts "<0x-1>" or "<0x F>".
      auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
      };
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && hex(t[3]) >= 0 && hex(t[4]) >= 0)
        return std::string(1, static_cast<char>(hex(t[3]) * 16 + hex(t[4])));
      return t;
    }
    default: break;
  }
  if (vocab_.model == Vocab::Model::SentencePiece) {
    std::string s;
    for (size_t i = 0; i < t.size();) {
      if (t.compare(i, kSpaceMarker.size(), kSpaceMarker) == 0) {
        s += ' ';
        i += kSpaceMarker.size();
      } else {
        s += t[i++];
      }
    }
    return s;
  }
  // Byte-level BPE: each code point stands for one byte.
  std::string s;
  for (const unicode::CodePoint& cp : unicode::decode_utf8(t)) {
    const int b = unicode::cp_to_byte(cp.cp);
    if (b >= 0) {
      s += static_cast<char>(b);
    } else {
      s.append(t, cp.offset, cp.len);
    }
  }
  return s;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool special) const {
  std::string out;
  bool first = true;
  for (int32_t id : ids) {
    std::string piece = token_to_piece(id, special);
    if (piece.empty()) continue;
    // The encoder prefixed a space to the text: drop it from the first piece.
    if (first && vocab_.model == Vocab::Model::SentencePiece && vocab_.add_space_prefix && piece[0] == ' ')
      piece.erase(0, 1);
    first = false;
    out += piece;
  }
  return out;
}

std::string Tokenizer::detokenize(std::span<const int32_t> ids, bool special) const {
  std::string out;
  for (int32_t id : ids) out += token_to_piece(id, special);
  // SentencePiece: the space the encoder prefixed, only when the first token carries it (after a
  // BOS it stays, as in llama.cpp).
  if (vocab_.model == Vocab::Model::SentencePiece) {
    if (vocab_.add_space_prefix && !ids.empty() && !out.empty() && out[0] == ' ' &&
        token_to_piece(ids[0], special).starts_with(' '))
      out.erase(0, 1);
    return out;
  }
  // Hugging Face's clean_up_tokenization_spaces, which llama.cpp applies to byte-level
  // vocabularies except Qwen2's (to "megrez" too, though it has Qwen2's pattern), each
  // replacement one left-to-right pass over the result of the previous one; llama.cpp leaves
  // " n't" alone.
  if (vocab_.pre == "qwen2" || vocab_.pre == "deepseek-r1-qwen") return out;
  static constexpr std::pair<std::string_view, std::string_view> kCleanUp[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kCleanUp) {
    std::string next;
    next.reserve(out.size());
    size_t at = 0;
    for (size_t hit = out.find(from); hit != std::string::npos; hit = out.find(from, at)) {
      next.append(out, at, hit - at).append(to);
      at = hit + from.size();
    }
    next.append(out, at);
    out = std::move(next);
  }
  return out;
}

}  // namespace infertrace::engine
