// What a Qwen3-marked template's message loop writes for each message this server sends (a user
// message, a system message first or later, an assistant message without tool calls), read by
// following the loop's branches tag by tag (review CT55 M1: writes in the user, system and
// assistant branches were accepted unread, so an edited `+ ' /no_think<|im_end|>'` or a system
// branch without `not loop.first` rendered otherwise than jinja2). A condition is decided where it
// reads only what the server fixes (M.role == / != 'x', loop.first, `M.content is string`,
// M.tool_calls: never sent); any other condition is followed both ways, and every way must write
// what the Qwen3 renderer writes. Used by serve/qwen3_structure.h after its own checks (which
// already read the think block's write and condition and the sets' values).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "serve/jinja_template.h"

namespace infertrace::serve {

struct Qwen3Loop {
  size_t loop = 0;                        // the `for M in messages` tag
  std::string var;                        // M
  size_t think = 0;                       // the think block's write (checked by the caller)
  std::vector<std::string> content_vars;  // the variables the loop sets from M.content
  bool system_block_writes_first = false;  // the top `if tools` block's else writes messages[0]
};

// "" when each message is written as the renderer writes it; otherwise the clause naming what
// differs ("it has {%- for ... %} (line N) writing ...").
std::string qwen3_loop_writes_problem(const JinjaTemplate& t, const Qwen3Loop& loop);

}  // namespace infertrace::serve
