// Jinja's lexing of a template, the parts a check on a model's chat template needs to know exactly
// what jinja2 (with Hugging Face's settings: trim_blocks, lstrip_blocks, no keep_trailing_newline)
// would write or refuse: the source as its lexer sees it, the text it writes for the template data
// between two tags, and the tokens inside a tag. No expression is parsed or evaluated here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/jinja_tags.h"

namespace infertrace::serve {

// The source as jinja2's lexer reads it: "\r\n" and "\r" made "\n" (in string literals too), and one
// newline that ends the template dropped.
std::string jinja_normalized(std::string_view text);

// What jinja2 writes for the template data just before tags[i] (i == tags.size(): after the last
// tag) of a normalised source: less the white space a `-` on either tag strips, the newline after
// a block or comment tag (trim_blocks, unless it ends with `+%}`) and the indentation before one
// (lstrip_blocks, unless it opens with `{%+`). Only ASCII white space is taken as stripped, where
// jinja2 strips Unicode spaces too: such a space counts as written (the safe side for a check).
std::string jinja_data_before(std::string_view source, const std::vector<JinjaTag>& tags, size_t i);

// A token inside a tag, as jinja2's lexer splits it.
struct JinjaToken {
  enum class Kind { kName, kString, kNumber, kOperator };
  Kind kind = Kind::kName;
  std::string text;  // a name, a number or an operator as written; a string's decoded value
  bool plain_string = true;  // kString: only \n \t \r \\ \' \" escapes, decoded exactly here
};

// The tokens of a tag's body (the text between its delimiters and whitespace-control signs), or
// nullopt with *why set when jinja2's lexer refuses it: a character no token begins with, a
// string not closed, brackets that do not pair up.
std::optional<std::vector<JinjaToken>> jinja_tokens(std::string_view body, std::string* why);

// The body of a statement or expression tag: between `{%`/`{{` (and a `-`/`+` after it) and the
// closing `%}`/`}}` (and a `-` before it, or a `+` before `%}`).
std::string_view jinja_tag_body(std::string_view source, const JinjaTag& tag);

}  // namespace infertrace::serve
