// Whether jinja2 would compile a chat template, as far as its tags show: a template it refuses
// (an unclosed tag, string or block, brackets that do not pair up, an end tag closing another
// block, an unknown statement, an else or elif outside its block, blocks nested deeper than
// Python compiles jinja2's output: more than 80 blocks or 16 `for` loops) is refused by the server too
// instead of rendered. Checked from the lexing only (serve/jinja_lex.h): an expression's grammar
// is not, so `{{ a + }}` passes here; the parts a family's renderer relies on are read token by
// token by that family's own check (serve/chatml_structure.h for ChatML).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/jinja_tags.h"

namespace infertrace::serve {

struct JinjaStructure {
  std::vector<JinjaTag> tags;
  // For a tag opening a block (if, for, ...) or continuing one (elif, else): the index of the next
  // tag of the same block (its elif, else or end tag). For any other tag: tags.size().
  std::vector<size_t> next;
};

// The tags of a normalised source (jinja_normalized) with their block structure, or nullopt with
// *why saying what jinja2 would refuse.
std::optional<JinjaStructure> jinja_structure(std::string_view source, std::string* why);

// The first template data jinja2 writes outside every block (serve/jinja_lex.h's
// jinja_data_before), or "" when there is none: a family's renderer writes no such text.
std::string top_level_text(std::string_view source, const JinjaStructure& st);

}  // namespace infertrace::serve
