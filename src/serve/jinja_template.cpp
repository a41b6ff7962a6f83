#include "serve/jinja_template.h"

#include "serve/jinja_cursor.h"

namespace infertrace::serve {

std::string_view JinjaTemplate::keyword(size_t k) const {
  return tags()[k].kind == JinjaTag::Kind::kStatement && !tokens[k].empty() ? std::string_view(tokens[k][0].text) : "";
}

std::vector<JinjaToken> JinjaTemplate::args(size_t k) const {
  return tokens[k].empty() ? std::vector<JinjaToken>{} : std::vector<JinjaToken>(tokens[k].begin() + 1, tokens[k].end());
}

std::string JinjaTemplate::tag_reason(size_t k, const std::string& what) const {
  const JinjaTag& t = tags()[k];
  return "it has " + jinja_quote(std::string_view(source).substr(t.begin, t.end - t.begin)) + " (" +
         jinja_line(source, t.begin) + ") " + what;
}

std::optional<JinjaTemplate> read_jinja_template(std::string_view text, std::string* why) {
  JinjaTemplate out;
  out.source = jinja_normalized(text);
  std::string bad;
  std::optional<JinjaStructure> st = jinja_structure(out.source, &bad);
  if (!st) {
    if (why) *why = "jinja2 would not compile it: " + bad;
    return std::nullopt;
  }
  out.st = std::move(*st);
  out.tokens.resize(out.st.tags.size());
  for (size_t k = 0; k < out.st.tags.size(); ++k)
    if (out.st.tags[k].kind != JinjaTag::Kind::kComment)
      out.tokens[k] = jinja_tokens(jinja_tag_body(out.source, out.st.tags[k]), nullptr).value_or(std::vector<JinjaToken>{});
  return out;
}

}  // namespace infertrace::serve
