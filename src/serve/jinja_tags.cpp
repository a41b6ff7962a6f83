#include "serve/jinja_tags.h"

namespace infertrace::serve {
namespace {

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// The end of a statement or expression tag opened at `open` (`{%` or `{{`): the index just past its
// `%}` / `}}`, found outside string literals and brackets as Jinja's lexer does; npos when none.
size_t tag_end(std::string_view t, size_t open) {
  const char close = t[open + 1] == '%' ? '%' : '}';
  size_t depth = 0;
  for (size_t i = open + 2; i < t.size(); ++i) {
    const char c = t[i];
    if (depth == 0 && c == close && i + 1 < t.size() && t[i + 1] == '}') return i + 2;
    if (c == '\'' || c == '"') {  // a literal, with backslash escapes; it may span lines
      for (++i; i < t.size() && t[i] != c; ++i)
        if (t[i] == '\\') ++i;
      if (i >= t.size()) return std::string_view::npos;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// A statement tag's keyword and rest, from its text between the delimiters.
void split_statement(std::string_view body, JinjaTag& tag) {
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) body.remove_prefix(1);
  if (!body.empty() && (body.back() == '-' || body.back() == '+')) body.remove_suffix(1);
  size_t i = 0;
  while (i < body.size() && is_space(body[i])) ++i;
  const size_t word = i;
  while (i < body.size() && is_name_char(body[i])) ++i;
  tag.keyword = std::string(body.substr(word, i - word));
  for (; i < body.size(); ++i)
    if (!is_space(body[i])) tag.rest.push_back(body[i]);
}

// The end of an `{% endraw %}` tag (with its whitespace-control signs, as Jinja's pattern for it)
// opened at `at`, or npos when the tag there is another one. Reads only that tag's own white space,
// so trying every `{%` of a raw block costs as much as reading it once.
size_t endraw_end(std::string_view t, size_t at) {
  size_t i = at + 2;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  while (i < t.size() && is_space(t[i])) ++i;
  if (t.compare(i, 6, "endraw") != 0) return std::string_view::npos;
  i += 6;
  while (i < t.size() && is_space(t[i])) ++i;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  return t.compare(i, 2, "%}") == 0 ? i + 2 : std::string_view::npos;
}

// The `{% endraw %}` tag after a raw block's opening tag (Jinja reads nothing else there), or nullopt.
std::optional<JinjaTag> endraw_after(std::string_view t, size_t from) {
  for (size_t at = t.find("{%", from); at != std::string_view::npos; at = t.find("{%", at + 2)) {
    const size_t end = endraw_end(t, at);
    if (end == std::string_view::npos) continue;
    JinjaTag tag;
    tag.keyword = "endraw";
    tag.begin = at;
    tag.end = end;
    return tag;
  }
  return std::nullopt;
}

bool opens_block(const JinjaTag& tag) {
  static constexpr std::string_view kOpeners[] = {"if",    "for",  "macro", "call", "filter",
                                                   "block", "with", "autoescape", "raw"};
  for (std::string_view k : kOpeners)
    if (tag.keyword == k) return true;
  // `{% set x %}...{% endset %}` captures a block; `{% set x = ... %}` does not.
  return tag.keyword == "set" && tag.rest.find('=') == std::string::npos;
}

}  // namespace

std::optional<std::vector<JinjaTag>> jinja_tags(std::string_view t) {
  std::vector<JinjaTag> tags;
  for (size_t at = t.find('{'); at != std::string_view::npos && at + 1 < t.size(); at = t.find('{', at)) {
    const char kind = t[at + 1];
    if (kind != '%' && kind != '{' && kind != '#') {
      ++at;
      continue;
    }
    JinjaTag tag;
    tag.begin = at;
    if (kind == '#') {
      const size_t close = t.find("#}", at + 2);
      if (close == std::string_view::npos) return std::nullopt;
      tag.kind = JinjaTag::Kind::kComment;
      tag.end = close + 2;
    } else {
      tag.end = tag_end(t, at);
      if (tag.end == std::string_view::npos) return std::nullopt;
      if (kind == '%') split_statement(t.substr(at + 2, tag.end - at - 4), tag);
      else tag.kind = JinjaTag::Kind::kExpression;
    }
    at = tag.end;
    const bool raw = tag.kind == JinjaTag::Kind::kStatement && tag.keyword == "raw";
    tags.push_back(std::move(tag));
    if (raw) {
      std::optional<JinjaTag> endraw = endraw_after(t, at);
      if (!endraw) return std::nullopt;
      at = endraw->end;
      tags.push_back(std::move(*endraw));
    }
  }
  return tags;
}

bool visit_jinja_blocks(const std::vector<JinjaTag>& tags,
                        const std::function<bool(size_t index, const std::vector<JinjaBlock>& open)>& visit) {
  std::vector<JinjaBlock> open;
  for (size_t i = 0; i < tags.size(); ++i) {
    const JinjaTag& tag = tags[i];
    const bool statement = tag.kind == JinjaTag::Kind::kStatement;
    const bool closes = statement && tag.keyword.starts_with("end");
    if (closes && (open.empty() || open.back().keyword != tag.keyword.substr(3))) return false;
    if (!visit(i, open)) return true;
    if (!statement) continue;
    if (closes) {
      open.pop_back();
    } else if (opens_block(tag)) {
      open.push_back(JinjaBlock{tag.keyword, tag.rest, false, false});
    } else if (tag.keyword == "else" && !open.empty()) {
      open.back().in_else = true;
    } else if (tag.keyword == "elif" && !open.empty()) {
      open.back().had_elif = true;
    }
  }
  return true;
}

}  // namespace infertrace::serve
