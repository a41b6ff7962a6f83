// Token patterns of Qwen3's chat template, for the tag-by-tag check of serve/qwen3_structure.h:
// each tells whether a tag's tokens (serve/jinja_lex.h), or a stretch of them, are written the way
// Qwen3's template writes that part. Pure functions of the tokens; what a pattern's place in the
// template must be is the reader's business.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "serve/jinja_lex.h"

namespace infertrace::serve::qwen3_tokens {

using Tokens = std::vector<JinjaToken>;

// One operand of a `+`-joined write: a string literal, M.role, or NAME optionally followed by
// .strip('\n') / .lstrip('\n').
struct Operand {
  enum class Kind { kText, kRole, kName } kind;
  std::string text;    // kText: the literal; kName: the name
  std::string method;  // kName: "strip", "lstrip" or ""
};

bool is_op(const Tokens& t, size_t i, std::string_view o);

bool is_name(const Tokens& t, size_t i, std::string_view n);

// `messages[::-1]` starting at t[i] (the name).
bool reversed_messages(const Tokens& t, size_t i);

// Where t[i] sits inside messages[::-1] (the name at t[i - back]).
bool in_reversed_messages(const Tokens& t, size_t i);

// Qwen3's tool-message tests: `if loop.first or (messages[loop.index0 - 1]...` and
// `if loop.last or (messages[loop.index0 + 1]...`, the neighbour read only when it exists.
bool neighbour_message(const Tokens& t, size_t i);

// What Qwen3's message loop sets a variable to, from t[i] to the end: '' or a name followed by
// fields, `[N]`/`[-N]` and split/strip/lstrip/rstrip of one string literal
// (`content.split('</think>')[0].rstrip('\n')...`). Joining (`content + '!'`) or another literal
// (`'R'`) would change what the renderer writes unseen (review DA 07, 09).
bool plain_value(const Tokens& t, size_t i);

// `(messages|length - 1) - loop.index0` from t[i] to the end: the reverse loop's message index.
bool reverse_index(const Tokens& t, size_t i);

// Whether an expression writes a think tag: its string literals joined, so that one split across
// literals ('<thi' + 'nk>') is seen too.
bool writes_think(const Tokens& t);

// A condition's conjuncts: its tokens split at `and` outside brackets, each without brackets
// around it whole.
std::vector<Tokens> conjuncts(const Tokens& cond);

// Whether the first bracket of c closes at its last token.
bool wrapped(const Tokens& c);

bool is_role_test(const Tokens& c, const std::string& var, std::string_view role);

bool is_after_last_query(const Tokens& c, std::string* ns);

// `loop.last or (not loop.last and R)` or `loop.last or R`: R.
bool is_last_or_reasoning(const Tokens& c, std::string* r);

bool holds(const std::vector<std::string>& v, const std::string& x);

// A write's operands joined by + (adjacent literals merged).
bool operands(const Tokens& t, const std::string& var, std::vector<Operand>& out);

// A write of string literals only (joined by + or ~): its text.
bool literal(const Tokens& t, std::string* out);

}  // namespace infertrace::serve::qwen3_tokens
