// The whole of a ChatML template, read tag by tag: the server renders a ChatML template as
// llama.cpp renders ChatML (with the template's default system message in front when it has one,
// serve/chatml_default_system.h), and that is what jinja2 writes only when the template is made of
// nothing but the parts that rendering stands for. At its top level, in any order that keeps the
// loop before the generation prompt:
//   - template data jinja2 writes nothing of (white space its whitespace control and Hugging
//     Face's trim_blocks / lstrip_blocks strip), comments, and `set NAME = LITERAL` (a string,
//     number, true, false or none) of a name other than messages, tools, add_generation_prompt;
//   - axolotl's prelude `if not add_generation_prompt is defined` (or `is not defined`) holding
//     only `set add_generation_prompt = true|false`, before the loop: it never runs, as the
//     server always passes add_generation_prompt (these two checks: serve/jinja_prelude.h, which
//     the Zephyr reader shares);
//   - at most one system block before the loop, Qwen2.5's `if messages[0]['role'] == 'system'`
//     writing that message, with no other branch or an `else` writing the default, alone or as
//     the whole else branch of an `if tools` (whose first branch never runs: "tools" is absent or
//     []); the loop must then skip the first system message (Qwen2.5's condition below);
//   - one `for M in messages` loop whose body writes '<|im_start|>' + M.role + '\n' + M.content +
//     '<|im_end|>\n' (expressions joining string literals and those fields with + or ~, and
//     template data, in any split), either alone, or after Qwen1.5's `if loop.first and
//     messages[0]['role'] != 'system'` writing the default, or as the first branch of Qwen2.5's
//     `if (M.role == "user") or (M.role == "system" and not loop.first) or (M.role ==
//     "assistant" ...)`, whose elif branches test only roles that never reach them (tool, and
//     assistant when the first branch takes it);
//   - one `if add_generation_prompt` writing '<|im_start|>assistant\n', after the loop.
// Anything else (text, an expression, a `set`, a second loop, a macro, another condition) is
// refused and named; so is a template jinja2 would not compile (serve/jinja_syntax.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace infertrace::serve {

struct ChatMlStructure {
  std::optional<std::string> default_system;  // the text its default system block writes, if any
};

// The template's structure, or nullopt with *why set to what in it is none of those parts ("it
// writes {{ 'X' }} (line 3) outside ..."), a clause to follow "the template is ChatML, but".
std::optional<ChatMlStructure> read_chatml_structure(std::string_view text, std::string* why);

}  // namespace infertrace::serve
