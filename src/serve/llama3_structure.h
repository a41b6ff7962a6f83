// The whole of a Llama 3 template (`<|start_header_id|>ROLE<|end_header_id|>` headers), read tag
// by tag, so that what the server renders is what jinja2 writes: the literals around each message
// (its header, the white space after it, the closing `<|eot_id|>`), whether its content is trimmed,
// the generation prompt, and for the 3.1+ shape the system header's text, its date and the default
// system message are read from the template, not assumed. Review CT M1.
//
// Accepted, in this order: `bos_token` written; for 3.1+ the date (`set date_string = 'D'`, either
// bare, under `if not date_string is defined`, or as the else branch of `if strftime_now is
// defined` setting `strftime_now('%d %b %Y')`) and the system message (`if messages[0].role ==
// 'system'`: `set system_message = messages[0].content | trim`, `set messages = messages[1:]`;
// else `set system_message = 'S'`), in either order, then the system header written as
// text + date_string + text + system_message + text; one `for message in messages` loop writing
// text + message.role + text + message.content (trimmed or not) + text; one `if
// add_generation_prompt` writing text. Meta's 3.0 spelling (`set loop_messages`, the content built
// in `set content` and bos_token added on loop.index0 == 0) is read as the same loop. Meta's tool
// parts are passed over where they write nothing for a conversation of system, user and assistant
// messages without tools: an `if` on `custom_tools`/`builtin_tools`/`tools is not none` (no else),
// `if not tools is defined` / `if not tools_in_user_message is defined` setting that name to a
// literal, and in the loop the branches after `if not (message.role == 'ipython' or message.role ==
// 'tool' or 'tool_calls' in message)` (roles and fields the server refuses). Anything else (another
// statement, a filter on the role, a test in the loop, text elsewhere) is refused and named.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace infertrace::serve {

struct Llama3Structure {
  // 3.1+: a system header before the messages, written as
  // system_before + date + system_between + system message + system_after.
  bool dated = false;
  std::string system_before, system_between, system_after;
  std::string fixed_date;      // the template's date literal; "" when it takes strftime_now's
  std::string default_system;  // system_message when the conversation has no system message first
  // Each message: before_role + role + before_content + content (trimmed when trim) + after.
  std::string before_role, before_content, after;
  bool trim = true;
  std::string prompt;  // the generation prompt
};

// The template's structure, or nullopt with *why set to a clause following "the model's chat
// template is Llama 3, but".
std::optional<Llama3Structure> read_llama3_structure(std::string_view text, std::string* why);

}  // namespace infertrace::serve
