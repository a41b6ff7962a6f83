// What a stretch of a chat template writes, as the structure readers (chatml_structure.cpp,
// qwen3_loop_writes.cpp) compare it with what their renderer writes: literal text merged into one
// piece, and between the texts the message's parts each reader follows.
#pragma once

#include <string>
#include <vector>

namespace infertrace::serve::writes {

struct Piece {
  enum class Kind {
    kText,          // `text`
    kRole,          // the message's role (chatml_structure)
    kContent,       // the message's content (or a variable set from it)
    kFirstContent,  // messages[0]'s content (chatml_structure's system block)
    kThinkPart,     // the think block's reasoning or answer (qwen3_loop_writes)
  } kind;
  std::string text;
  bool operator==(const Piece&) const = default;
};
using Pieces = std::vector<Piece>;

// Appends text, merged into the last piece when that is text too (so that `'a' + 'b'` and `'ab'`
// compare equal).
inline void add_text(Pieces& p, const std::string& text) {
  if (text.empty()) return;
  if (!p.empty() && p.back().kind == Piece::Kind::kText) p.back().text += text;
  else p.push_back(Piece{Piece::Kind::kText, text});
}

}  // namespace infertrace::serve::writes
