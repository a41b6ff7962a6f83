#include "serve/jinja_syntax.h"

#include "serve/jinja_grammar.h"
#include "serve/jinja_lex.h"

namespace infertrace::serve {
namespace {

// The statements jinja2 knows with Hugging Face's extensions (loopcontrols: break, continue; its
// own AssistantTracker: generation). `do` needs an extension transformers does not load.
bool opens(std::string_view k, const std::vector<JinjaToken>& tokens) {
  for (std::string_view o : {"if", "for", "macro", "call", "filter", "block", "with", "autoescape", "raw", "generation"})
    if (k == o) return true;
  if (k != "set") return false;
  // `{% set x = ... %}` assigns; `{% set x %}...{% endset %}` captures a block.
  for (const JinjaToken& t : tokens)
    if (t.kind == JinjaToken::Kind::kOperator && t.text == "=") return false;
  return true;
}

bool is_simple(std::string_view k) {
  for (std::string_view s : {"include", "import", "from", "extends", "break", "continue", "set"})
    if (k == s) return true;
  return false;
}

std::string line_of(std::string_view s, size_t at) {
  size_t line = 1;
  for (size_t i = 0; i < at && i < s.size(); ++i) line += s[i] == '\n' ? 1 : 0;
  return "line " + std::to_string(line);
}

constexpr size_t kMaxBlockDepth = 80;
constexpr size_t kMaxLoopDepth = 16;
// jinja2 compiles an elif chain recursively: 2975 elifs in one if exceed Python 3.11's recursion
// limit at compile time, 2970 do not (review ZR M2; the threshold moves with the Python version and
// its stack use), so a chain is held far below it. No published template has more than a handful.
constexpr size_t kMaxElifs = 400;

struct Open {
  size_t index;          // the opening tag
  std::string keyword;   // "if", "for", ...
  size_t last;           // the block's last tag so far (its opening tag, an elif or its else)
  bool in_else = false;
  size_t elifs = 0;      // elif tags of this if block so far
};

}  // namespace

std::optional<JinjaStructure> jinja_structure(std::string_view s, std::string* why) {
  auto refuse = [&](const std::string& reason) -> std::optional<JinjaStructure> {
    if (why) *why = reason;
    return std::nullopt;
  };
  std::optional<std::vector<JinjaTag>> tags = jinja_tags(s);
  if (!tags) return refuse("a tag, comment, string or raw block in it is not closed");
  JinjaStructure out;
  out.tags = std::move(*tags);
  out.next.assign(out.tags.size(), out.tags.size());
  std::vector<Open> open;
  size_t loops = 0;  // `for` blocks open: where break and continue may stand
  for (size_t i = 0; i < out.tags.size(); ++i) {
    const JinjaTag& tag = out.tags[i];
    if (tag.kind == JinjaTag::Kind::kComment) continue;
    // Where the tag is, for a refusal only (counting lines at every tag would be quadratic).
    const auto where = [&] { return " (" + line_of(s, tag.begin) + ")"; };
    std::string bad;
    const std::optional<std::vector<JinjaToken>> tokens = jinja_tokens(jinja_tag_body(s, tag), &bad);
    if (!tokens) return refuse(bad + " in a tag" + where());
    if (tag.kind == JinjaTag::Kind::kExpression) {
      if (tokens->empty()) return refuse("an empty {{ }}" + where());
      if (const std::string g = jinja_grammar_problem(*tokens, true); !g.empty()) return refuse(g + where());
      continue;
    }
    if (tokens->empty() || (*tokens)[0].kind != JinjaToken::Kind::kName)
      return refuse("a {% %} tag with no statement" + where());
    const std::string& k = (*tokens)[0].text;
    const size_t args = tokens->size() - 1;
    if (k == "if" || k == "elif") {
      if (args == 0) return refuse("an '" + k + "' without a condition" + where());
    } else if (k == "for") {
      bool has_in = false;
      for (size_t a = 1; a < tokens->size(); ++a)
        has_in = has_in || ((*tokens)[a].kind == JinjaToken::Kind::kName && (*tokens)[a].text == "in");
      if (!has_in) return refuse("a 'for' without 'in'" + where());
    } else if (k == "else" || k == "break" || k == "continue" || (k.starts_with("end") && k != "endblock")) {
      if (args != 0) return refuse("'" + k + "' followed by more than its name" + where());
    }
    if (const std::string g = jinja_grammar_problem(*tokens, false); !g.empty()) return refuse(g + where());
    if (k == "elif" || k == "else") {
      if (open.empty() || open.back().in_else || (open.back().keyword != "if" && !(k == "else" && open.back().keyword == "for")))
        return refuse("an '" + k + "' outside an if block (or after its else)" + where());
      out.next[open.back().last] = i;
      open.back().last = i;
      open.back().in_else = k == "else";
      if (k == "elif" && ++open.back().elifs > kMaxElifs)
        return refuse("more than " + std::to_string(kMaxElifs) + " 'elif' branches in one 'if' block, which jinja2 "
                      "may not compile" + where());
    } else if (k.starts_with("end")) {
      if (open.empty() || open.back().keyword != k.substr(3))
        return refuse("'" + k + "' closes no open '" + k.substr(3) + "' block" + where());
      out.next[open.back().last] = i;
      if (open.back().keyword == "for") --loops;
      open.pop_back();
    } else if (opens(k, *tokens)) {
      open.push_back(Open{i, k, i});
      if (k == "for") ++loops;
      // jinja2 compiles a template to Python source, one indentation level (at least) per block:
      // Python refuses more than 100 levels (jinja2 3.1 with `if` blocks fails from 99 deep) and
      // more than 20 nested loops (from 21 `for` deep). Limits below both, with room for the
      // levels jinja2 adds around the blocks.
      if (open.size() > kMaxBlockDepth)
        return refuse("blocks nested more than " + std::to_string(kMaxBlockDepth) + " deep, which jinja2 would not "
                      "compile" + where());
      if (loops > kMaxLoopDepth)
        return refuse("'for' loops nested more than " + std::to_string(kMaxLoopDepth) + " deep, which jinja2 would "
                      "not compile" + where());
    } else if (!is_simple(k)) {
      return refuse("the unknown statement '" + k + "'" + where());
    } else if ((k == "break" || k == "continue") && loops == 0) {
      return refuse("'" + k + "' outside a loop" + where());
    }
  }
  if (!open.empty())
    return refuse("its '" + open.back().keyword + "' block (" + line_of(s, out.tags[open.back().index].begin) +
                  ") is not closed");
  return out;
}

std::string top_level_text(std::string_view s, const JinjaStructure& st) {
  size_t depth = 0;
  for (size_t i = 0; i <= st.tags.size(); ++i) {
    if (depth == 0)
      if (std::string d = jinja_data_before(s, st.tags, i); !d.empty()) return d;
    if (i == st.tags.size()) break;
    const JinjaTag& tag = st.tags[i];
    if (tag.kind != JinjaTag::Kind::kStatement || tag.keyword == "elif" || tag.keyword == "else") continue;
    if (tag.keyword.starts_with("end")) --depth;            // jinja_structure paired it with its opener
    else if (st.next[i] != st.tags.size()) ++depth;          // an opener: its block has a next tag
  }
  return "";
}

}  // namespace infertrace::serve
