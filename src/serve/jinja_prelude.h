// Top-level statements of a chat template that write nothing and change nothing a family's
// rendering reads, so a tag-by-tag reader (serve/chatml_structure.h, serve/zephyr_structure.h) may
// pass over them: `set NAME = LITERAL` of a name the rendering does not read, and axolotl's
// add_generation_prompt prelude.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "serve/jinja_cursor.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_template.h"

namespace infertrace::serve {

// A `set`'s tokens after its keyword: `NAME = LITERAL` (a string, a number, true/false/none) of a
// NAME not in `read` (the names the family's parts read). It writes nothing and cannot raise; any
// other value could (`raise_exception(...)`, a method of the messages), and a name in `read` would
// change what those parts write.
bool jinja_sets_a_literal(const std::vector<JinjaToken>& args, std::initializer_list<std::string_view> read);

// `not add_generation_prompt is defined` or `add_generation_prompt is not defined`: the whole of
// the tokens from c.i on (c.i moves past them), or false with c.i unchanged.
bool jinja_is_prompt_default(JinjaCursor& c);

// axolotl's prelude at t.tags()[k], whose condition jinja_is_prompt_default took: an `if` with no
// other branch whose only content is `set add_generation_prompt = true|false` (comments aside, no
// written text). It never runs: the server (as transformers and llama.cpp do) always passes
// add_generation_prompt. "" when it is that, else what it does instead, a clause for
// JinjaTemplate::tag_reason(k, ...).
std::string jinja_prompt_default_problem(const JinjaTemplate& t, size_t k);

}  // namespace infertrace::serve
