// The parts of a Qwen3-marked chat template that decide what the Qwen3 renderer writes, read tag by
// tag (serve/jinja_lex.h), so that a template carrying Qwen3's markers but rendering otherwise
// (Qwen3.5-VL's generation prompt that writes an empty think block unless thinking is enabled,
// a training variant writing a think block into every assistant turn) is refused instead of
// rendered as Qwen3. Read:
//   - the generation prompt: exactly one `if add_generation_prompt`, at the top level, no other
//     branch, writing '<|im_start|>assistant\n' and at most one `if enable_thinking is defined and
//     enable_thinking is false` (no other branch) writing '<think>\n\n</think>\n\n' after it;
//     `enable_thinking` read nowhere else;
//   - exactly one expression writing a string literal holding '<think>' outside it: inside the one
//     `for M in messages` loop, in branches that are each the first branch of an `if` or an `elif
//     M.role == 'assistant'`, whose conditions, split at `and`, are exactly
//     `loop.index0 > NS.last_query_index`, `loop.last or (not loop.last and R)` (or
//     `loop.last or R`) and optionally `M.role == 'assistant'`; the expression itself
//     ['<|im_start|>' + M.role + '\n'] + '<think>\n' + R.strip('\n') + '\n</think>\n\n' +
//     C.lstrip('\n'), alone in its branch;
//   - no template data jinja2 writes, anywhere (Qwen3's template writes only from expressions, the
//     white space around its tags stripped);
//   - what could transform a message's content unseen: statements other than if/elif/else/for/set
//     (a macro, call, filter block, include, break/continue...) and a block `set`, any filter but
//     `length` and `tojson`, any method call but split/startswith/endswith and
//     strip/lstrip/rstrip of '\n', any function call but namespace and range (raise_exception would
//     refuse conversations the renderer renders);
//   - where it writes and which messages it reads (review DA): expressions only in the message
//     loop, the generation prompt and a first `if tools` block (its else: Qwen3's system message
//     write only); one top-level `for M in messages` after one top-level `for M in messages[::-1]`
//     that writes nothing; no `set` of messages or a loop variable; Qwen3's namespace, its
//     last_query_index set only in the reverse loop's test, which the think condition must read and
//     from which the tool-response rule is taken;
//   - what could compute text unseen: `%`, `*`, `/`, `//`, `**`, slices but messages[::-1], calls on
//     brackets or literals, fields and `['...']` keys not Qwen3's, messages[...] but [0] and the tool
//     branch's guarded neighbours, a `set` holding '<think>', a `set` in the message loop to
//     other than '' or a (split/stripped) field, a think block whose content is its reasoning.
//   - what the message loop writes for each message the server sends, branch by branch, and the
//     reasoning split's sets: serve/qwen3_loop_writes.h (review CT55 M1).
// Not read: how a variable is computed through the other allowed `set`s (data flow), the tool
// branches (no message sent here reaches them).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace infertrace::serve {

struct Qwen3Structure {
  bool enable_thinking = false;  // the generation prompt has the enable_thinking test
  // The reverse loop's test takes a user message that starts with '<tool_response>' and ends with
  // '</tool_response>' as a tool response (Qwen3's first release); false: one holding both.
  bool tool_response_by_ends = false;
};

// The structure, or nullopt with *why set to what was found ("it has {% if ... %} (line 40) ..."),
// a clause to follow "the model's chat template is Qwen3, but".
std::optional<Qwen3Structure> read_qwen3_structure(std::string_view text, std::string* why);

}  // namespace infertrace::serve
