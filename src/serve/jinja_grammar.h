// Whether the tokens of one tag follow jinja2's expression grammar, so that a template jinja2
// would refuse to compile (`{{ 'a' + }}`, `{% if x y %}`, `{% for in messages %}`) is refused even
// where the error sits in a branch that never runs. A recogniser only: nothing is built or
// evaluated. It follows jinja2's parser (conditional expressions, or/and/not, comparisons, the
// arithmetic and ~ operators, filters, tests, calls, subscripts and slices, literals) for the tags
// chat templates use: expressions, if/elif, for, set, macro, call and filter; the others (include,
// import, with, block, ...) are left to the tag-level checks of serve/jinja_syntax.h.
#pragma once

#include <string>
#include <vector>

#include "serve/jinja_lex.h"

namespace infertrace::serve {

// "" when the tag's tokens parse (for a statement, tokens[0] is its keyword), else what is wrong.
std::string jinja_grammar_problem(const std::vector<JinjaToken>& tokens, bool expression_tag);

}  // namespace infertrace::serve
