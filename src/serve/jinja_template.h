// A chat template made ready for a family's tag-by-tag check (serve/chatml_structure.h,
// serve/qwen3_structure.h): its normalised source, its tags with their block structure
// (serve/jinja_syntax.h) and each tag's tokens (serve/jinja_lex.h), read once here so that the
// family readers share how a template is prepared and how a refusal names a tag.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/jinja_lex.h"
#include "serve/jinja_syntax.h"

namespace infertrace::serve {

struct JinjaTemplate {
  std::string source;  // jinja_normalized
  JinjaStructure st;
  // Per tag; empty for a comment (and for a tag the lexer refuses, which jinja_structure refused
  // already).
  std::vector<std::vector<JinjaToken>> tokens;

  const std::vector<JinjaTag>& tags() const { return st.tags; }
  // A statement's keyword (if, for, set, ...); "" for an expression or a comment.
  std::string_view keyword(size_t k) const;
  // A statement's tokens after its keyword.
  std::vector<JinjaToken> args(size_t k) const;
  // "it has {% ... %} (line N) " + what: a refusal naming tag k, the clause a family's reader
  // returns in *why.
  std::string tag_reason(size_t k, const std::string& what) const;
};

// The template prepared, or nullopt with *why = "jinja2 would not compile it: ...".
std::optional<JinjaTemplate> read_jinja_template(std::string_view text, std::string* why);

}  // namespace infertrace::serve
