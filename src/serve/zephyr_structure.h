// The whole of a Zephyr template (zephyr-7b-beta's and TinyLlama-1.1B-Chat's shape), read tag by
// tag: each message written as `<|ROLE|>\n` + its content + eos_token (and white space after it,
// as the template's own layout leaves there), then `<|assistant|>` (and white space) as the
// generation prompt. What the template writes is read from it, not assumed, so its white space
// (the newline jinja2 keeps after a `}}`, which trim_blocks does not strip) is the template's own.
// Accepted, at the top level: template data jinja2 writes nothing of and comments, `set NAME =
// LITERAL` of a name other than messages, add_generation_prompt, eos_token and raise_exception,
// and axolotl's `if not add_generation_prompt is defined` prelude before the loop (as ChatML's
// reader takes them: serve/jinja_prelude.h), one `for M in messages` loop and, when the loop does
// not write the generation prompt itself, one `if add_generation_prompt` (no other branch) after
// it. The loop's body, in order: template data
// and expressions written for every message, at most one if-chain on the role (`if M.role == 'X'`,
// `elif M.role == 'Y'`, ..., `M['role']` too, either side of `==`; an `else` taking the roles not
// tested, or never reached when all three were), more data and expressions, and optionally
// `if loop.last and add_generation_prompt` (either order; no other branch) with nothing written
// after it in the loop. Expressions join string literals, M.role, M.content and eos_token with + or
// ~. Every role (system, user, assistant) must then be written in the Zephyr shape above and the
// generation prompt be `<|assistant|>` and white space. A system message may instead write nothing
// (or white space only: a template with no system branch), or take a branch that is only
// `raise_exception('...')`, when jinja2 renders no conversation holding one and neither does the
// server. Anything else (bos_token, a filter, another statement, text outside the loop, a user or
// assistant message not written, or raising) is refused and named.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infertrace::serve {

// What the template writes for one message.
struct ZephyrPiece {
  enum class Kind { kText, kContent, kEos } kind = Kind::kText;
  std::string text;  // kText
  bool operator==(const ZephyrPiece&) const = default;
};

struct ZephyrStructure {
  std::vector<ZephyrPiece> system, user, assistant;  // what a message of each role writes
  std::string prompt;                                // the generation prompt
  // Set when the branch a system message takes is only `raise_exception('...')` (the message):
  // jinja2 renders no conversation holding one, and the server refuses it.
  std::optional<std::string> system_raises;
};

// The template's structure, or nullopt with *why set to what in it is none of those parts, a
// clause to follow "the template is Zephyr, but".
std::optional<ZephyrStructure> read_zephyr_structure(std::string_view text, std::string* why);

}  // namespace infertrace::serve
