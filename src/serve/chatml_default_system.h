// The default system message of a ChatML template, read from the template text when it is written
// in one of the two shapes the server can reproduce exactly (chat_template.h):
//   Qwen2.5's: `if messages[0]['role'] == 'system'` writes `'<|im_start|>system\n' +
//     messages[0]['content'] + '<|im_end|>\n'`, `else` the literal
//     `'<|im_start|>system\nDEFAULT<|im_end|>\n'`, and the message loop skips the first system
//     message (`message.role == "system" and not loop.first`) and writes user and assistant ones;
//   Qwen1.5's and Qwen2's: the loop opens with `if loop.first and messages[0]['role'] != 'system'`
//     writing that literal, then writes every message.
// Either way the prompt is llama.cpp's ChatML rendering with "<|im_start|>system\nDEFAULT<|im_end|>\n"
// in front when the conversation does not start with a system message, because the block runs
// first: Qwen2.5's if/else block at the top level, or in the else branch of `if tools` (taken by
// every conversation the server renders); Qwen1.5's loop at the top level; either with nothing
// written and no loop before it (but in the never-run first branch of `if tools`). Placed anywhere
// else (after or inside the loop, under another condition, in a comment or raw block, after text
// the template writes) the same text renders otherwise and is refused (serve/jinja_tags.h); so is
// a loop whose skip of the first system message is only in a comment. The literal's newlines may
// be Jinja escapes (\n) or real ones (as a "\n" in tokenizer_config.json decodes); DEFAULT holds no
// single quote (the literal's own; a double quote is written as it is), backslash, brace, newline or
// carriage return (Jinja reads it as a newline). White space between the tags must be one Jinja
// strips (a `-` on the next tag), or the match is refused: the template would write it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace infertrace::serve {

struct ChatMlDefaultSystem {
  std::string message;  // DEFAULT
  std::string rest;     // the template without the default's `{{ ... }}`: checked for other defaults
};

// The default and the rest of the template, or nullopt when no default of either shape is found
// exactly once (or both shapes are).
std::optional<ChatMlDefaultSystem> find_chatml_default_system(std::string_view text);

}  // namespace infertrace::serve
