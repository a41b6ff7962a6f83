// The tags of a Jinja template text, found as Jinja's lexer finds them, so that a check on a template
// from a model file can tell where a piece of text sits: in template data, or inside a tag, a
// comment or a raw block (where a look-alike of a tag is no tag), and inside which open blocks.
// Only the lexing: no expression is parsed or evaluated.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infertrace::serve {

struct JinjaTag {
  enum class Kind { kStatement, kExpression, kComment };
  Kind kind = Kind::kStatement;
  size_t begin = 0, end = 0;  // the tag in the text, delimiters included: [begin, end)
  std::string keyword;        // kStatement: its first word ("if", "for", "endif", ...)
  std::string rest;           // kStatement: the rest, without white space or the whitespace-control sign
};

// The tags of `text` in order, or nullopt when one is not closed, a string in a tag is not, or a raw
// block has no endraw (Jinja refuses such a template). A string literal or brackets inside a tag may
// hold the tag's closing characters (`{{ {'a': '%}'} }}`): as in Jinja, the tag closes only outside
// them. A comment closes at its first `#}`; between `{% raw %}` and `{% endraw %}` no tag is read.
std::optional<std::vector<JinjaTag>> jinja_tags(std::string_view text);

// Where a tag sits: the blocks open around it, outermost first, each with what decides whether its
// body runs.
struct JinjaBlock {
  std::string keyword;     // "if", "for", "raw", "macro", ...
  std::string condition;   // its tag's rest (an if's condition, without white space)
  bool in_else = false;    // past its `else`
  bool had_elif = false;   // an `elif` came before
};

// Visits tags[0..] in order with the blocks open at each, until `visit` returns false: the blocks
// the text just before the tag sits in, so an end tag's own block is counted, an opening tag's not. Returns false when the tags visited do not nest (an end tag closing
// another block than the last opened, or none open): Jinja refuses such a template.
bool visit_jinja_blocks(const std::vector<JinjaTag>& tags,
                        const std::function<bool(size_t index, const std::vector<JinjaBlock>& open)>& visit);

}  // namespace infertrace::serve
