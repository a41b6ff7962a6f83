#include "serve/llama3_structure.h"

#include <utility>
#include <vector>

#include "serve/jinja_cursor.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_syntax.h"
#include "serve/jinja_template.h"

namespace infertrace::serve {
namespace {

using Tokens = std::vector<JinjaToken>;

// One thing the template does, in order: text written (template data and string literals joined
// with + or ~, merged), an expression written (one operand of a + or ~ chain), or a statement.
// Expressions and statements as their tokens in one spelling: single spaces between tokens,
// strings in single quotes, `x.name` as `x['name']`.
struct Item {
  enum class Kind { kText, kExpr, kStmt } kind = Kind::kText;
  std::string text;  // kText: what is written; else the canonical tokens
  Tokens tokens;     // kStmt: the tag's tokens after its keyword
  size_t tag = 0;    // the tag it comes from (kText from data: the tag after it)
  size_t at = 0;     // kText from data: where it starts in the source
};

std::string canon(const Tokens& t, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (!out.empty()) out += ' ';
    if (t[i].kind == JinjaToken::Kind::kString) {
      out += '\'';
      for (char c : t[i].text) out += c == '\'' ? std::string("\\'") : c == '\\' ? std::string("\\\\") : std::string(1, c);
      out += '\'';
    } else if (t[i].kind == JinjaToken::Kind::kOperator && t[i].text == "." && i + 1 < to &&
               t[i + 1].kind == JinjaToken::Kind::kName) {
      out += "[ '" + t[i + 1].text + "' ]";
      ++i;
    } else {
      out += t[i].text;
    }
  }
  return out;
}

void add_text(std::vector<Item>& items, const std::string& text, size_t tag, size_t at) {
  if (text.empty()) return;
  if (!items.empty() && items.back().kind == Item::Kind::kText) items.back().text += text;
  else items.push_back(Item{Item::Kind::kText, text, {}, tag, at});
}

// The operands of a + or ~ chain at the top level of t[from, to): a plain string literal as text,
// anything else as an expression.
void add_operands(std::vector<Item>& items, const Tokens& t, size_t from, size_t to, size_t tag) {
  int depth = 0;
  size_t start = from;
  for (size_t i = from; i <= to; ++i) {
    const bool end = i == to;
    if (!end && t[i].kind == JinjaToken::Kind::kOperator) {
      const std::string& o = t[i].text;
      if (o == "(" || o == "[" || o == "{") ++depth;
      else if (o == ")" || o == "]" || o == "}") --depth;
    }
    const bool split = end || (depth == 0 && t[i].kind == JinjaToken::Kind::kOperator && (t[i].text == "+" || t[i].text == "~"));
    if (!split) continue;
    if (i == start + 1 && t[start].kind == JinjaToken::Kind::kString && t[start].plain_string)
      add_text(items, t[start].text, tag, 0);
    else
      items.push_back(Item{Item::Kind::kExpr, canon(t, start, i), {}, tag});
    start = i + 1;
  }
}

// Conditions of Meta's tool parts that are false for a request without tools (the server passes no
// tools, builtin_tools or custom_tools, and refuses "tools": [] on such a template): the block
// writes and sets nothing.
bool false_without_tools(std::string_view c) {
  return c == "custom_tools is defined" || c == "builtin_tools is defined" ||
         c == "builtin_tools is defined or tools is not none" || c == "tools is not none" ||
         c == "tools is not none and not tools_in_user_message" || c == "tools_in_user_message and not tools is none";
}

// Whether the canonical tokens `c` (one space between tokens) hold the token `word`.
bool has_token(std::string_view c, std::string_view word) {
  for (size_t at = 0; at <= c.size();) {
    size_t end = c.find(' ', at);
    if (end == std::string_view::npos) end = c.size();
    if (c.substr(at, end - at) == word) return true;
    at = end + 1;
  }
  return false;
}

// The first branch of Meta's 3.1+ loop, taken by every message of role system, user or assistant
// that has no tool_calls (the server refuses other roles and that field).
constexpr std::string_view kPlainMessage =
    "not ( message [ 'role' ] == 'ipython' or message [ 'role' ] == 'tool' or 'tool_calls' in message )";

class Reader {
 public:
  explicit Reader(JinjaTemplate t) : t_(std::move(t)) {}

  std::optional<Llama3Structure> read(std::string* why) {
    if (!flatten() || !match()) {
      if (why) *why = why_;
      return std::nullopt;
    }
    return s_;
  }

 private:
  const std::vector<JinjaTag>& tags() const { return t_.tags(); }
  size_t next(size_t k) const { return t_.st.next[k]; }
  std::string canon_tag(size_t k) const { return canon(t_.tokens[k], 0, t_.tokens[k].size()); }

  bool fail(const std::string& reason) {
    why_ = reason;
    return false;
  }

  // The tags as items, Meta's tool parts left out.
  bool flatten() {
    const size_t n = tags().size();
    size_t skip_at = n, skip_to = n;  // the elif/else of the plain-message branch, and its endif
    bool tools_none = false;          // `if not tools is defined` set tools to none
    for (size_t k = 0; k <= n; ++k) {
      add_text(items_, jinja_data_before(t_.source, tags(), k), k, k == 0 ? 0 : tags()[k - 1].end);
      if (k == n) break;
      if (k == skip_at) {
        k = skip_to;
        skip_at = n;
        continue;
      }
      const JinjaTag& tag = tags()[k];
      if (tag.kind == JinjaTag::Kind::kComment) continue;
      const Tokens& tok = t_.tokens[k];
      if (tag.kind == JinjaTag::Kind::kExpression) {
        add_operands(items_, tok, 0, tok.size(), k);
        continue;
      }
      const std::string_view kw = t_.keyword(k);
      const std::string cond = canon(tok, 1, tok.size());
      if (kw == "if" && false_without_tools(cond)) {
        if (t_.keyword(next(k)) != "endif")
          return fail(t_.tag_reason(k, "with an else or elif branch, which the Llama 3 reading does not take"));
        // `tools is not none` is true for an undefined `tools`: false only after Meta's
        // `if not tools is defined` has set it to none.
        if (has_token(cond, "tools") && !tools_none)
          return fail(t_.tag_reason(k, "before any `if not tools is defined` setting tools to none (jinja2 runs it "
                                       "when tools is undefined)"));
        k = next(k);
        continue;
      }
      if (kw == "if" && (cond == "not tools is defined" || cond == "not tools_in_user_message is defined")) {
        // True without tools: only `set NAME = VALUE` of the name tested, nothing written.
        const std::string name = cond == "not tools is defined" ? "tools" : "tools_in_user_message";
        const bool only_set = next(k) == k + 2 && t_.keyword(k + 2) == "endif" && t_.keyword(k + 1) == "set" &&
                              t_.tokens[k + 1].size() == 4 && t_.tokens[k + 1][1].text == name &&
                              t_.tokens[k + 1][2].text == "=" && jinja_data_before(t_.source, tags(), k + 1).empty() &&
                              jinja_data_before(t_.source, tags(), k + 2).empty();
        if (!only_set) return fail(t_.tag_reason(k, "with a body other than `set " + name + " = VALUE`"));
        if (name == "tools") tools_none = t_.tokens[k + 1][3].kind == JinjaToken::Kind::kName && t_.tokens[k + 1][3].text == "none";
        k = next(k);
        continue;
      }
      if (kw == "if" && cond == kPlainMessage) {
        size_t end = next(k);
        while (end < n && t_.keyword(end) != "endif") end = next(end);
        skip_at = next(k);
        skip_to = end;
        continue;
      }
      items_.push_back(Item{Item::Kind::kStmt, canon_tag(k), t_.args(k), k});
    }
    return true;
  }

  // What the item at i is, for a refusal.
  std::string at_reason(const std::string& expected) const {
    if (i_ >= items_.size()) return "it ends where " + expected + " should come";
    const Item& it = items_[i_];
    if (it.kind == Item::Kind::kText)
      return "it writes '" + jinja_quote(it.text) + "' (" +
             jinja_line(t_.source, it.at != 0 ? it.at : it.tag < tags().size() ? tags()[it.tag].begin : 0) +
             ") where " + expected + " should come";
    if (it.kind == Item::Kind::kExpr)
      return t_.tag_reason(it.tag, "writing " + jinja_quote(it.text) + " where " + expected + " should come");
    return t_.tag_reason(it.tag, "where " + expected + " should come");
  }

  bool stmt(std::string_view s) {
    if (i_ < items_.size() && items_[i_].kind == Item::Kind::kStmt && items_[i_].text == s) return ++i_, true;
    return false;
  }
  bool expr(std::string_view s) {
    if (i_ < items_.size() && items_[i_].kind == Item::Kind::kExpr && items_[i_].text == s) return ++i_, true;
    return false;
  }
  std::string text() {
    if (i_ < items_.size() && items_[i_].kind == Item::Kind::kText) return items_[i_++].text;
    return "";
  }
  // `set NAME = 'literal'`: the literal.
  std::optional<std::string> set_literal(std::string_view name) {
    if (i_ >= items_.size() || items_[i_].kind != Item::Kind::kStmt) return std::nullopt;
    const Tokens& a = items_[i_].tokens;
    if (!items_[i_].text.starts_with("set ") || a.size() != 3 || a[0].text != name || a[1].text != "=" ||
        a[2].kind != JinjaToken::Kind::kString || !a[2].plain_string)
      return std::nullopt;
    ++i_;
    return a[2].text;
  }

  // `if NAME is defined` of a name other than the ones the server renders with: NAME.
  std::optional<std::string> defined_test() {
    if (i_ >= items_.size() || items_[i_].kind != Item::Kind::kStmt) return std::nullopt;
    const Tokens& a = items_[i_].tokens;
    if (!items_[i_].text.starts_with("if ") || a.size() != 3 || a[0].kind != JinjaToken::Kind::kName ||
        a[1].text != "is" || a[2].text != "defined")
      return std::nullopt;
    for (std::string_view known : {"messages", "bos_token", "eos_token", "add_generation_prompt", "tools", "strftime_now",
                                   "raise_exception", "system_message", "date_string"})
      if (a[0].text == known) return std::nullopt;
    ++i_;
    return a[0].text;
  }

  // Meta's 3.0 spelling, made the plain loop: bos_token, then `for message in messages` writing the
  // operands of its `set content`.
  bool meta30() {
    if (!stmt("set loop_messages = messages")) return true;
    const size_t at = i_ - 1;
    if (!stmt("for message in loop_messages")) return fail(at_reason("`for message in loop_messages`"));
    if (i_ >= items_.size() || items_[i_].kind != Item::Kind::kStmt || !items_[i_].text.starts_with("set content = "))
      return fail(at_reason("`set content = ...`"));
    const Item set = items_[i_++];
    if (!stmt("if loop [ 'index0' ] == 0") || !stmt("set content = bos_token + content") || !stmt("endif") ||
        !expr("content") || !stmt("endfor"))
      return fail(at_reason("Meta's Llama 3 loop (bos_token added to the first message's content, then it written)"));
    std::vector<Item> rewritten(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(at));
    rewritten.push_back(Item{Item::Kind::kExpr, "bos_token", {}, set.tag});
    rewritten.push_back(Item{Item::Kind::kStmt, "for message in messages", {}, set.tag});
    add_operands(rewritten, set.tokens, 2, set.tokens.size(), set.tag);
    rewritten.push_back(Item{Item::Kind::kStmt, "endfor", {}, set.tag});
    rewritten.insert(rewritten.end(), items_.begin() + static_cast<std::ptrdiff_t>(i_), items_.end());
    items_ = std::move(rewritten);
    i_ = at;
    return true;
  }

  // The date: `set date_string = 'D'`, or the strftime_now branch around it.
  bool date_block() {
    const bool guarded = stmt("if not date_string is defined");
    if (std::optional<std::string> d = set_literal("date_string")) {
      s_.fixed_date = *d;
    } else if (stmt("if strftime_now is defined")) {
      if (!stmt("set date_string = strftime_now ( '%d %b %Y' )") || !stmt("else") || !set_literal("date_string") ||
          !stmt("endif"))
        return fail(at_reason("`set date_string = strftime_now('%d %b %Y')`, else a date literal"));
      s_.fixed_date.clear();  // today's date, as strftime_now writes it
    } else if (const std::optional<std::string> f = defined_test()) {
      // Another function's name, which the server does not define (it renders as jinja2 with only
      // the template's variables): the else branch's literal.
      const bool call = i_ < items_.size() && items_[i_].text.starts_with("set date_string = " + *f + " (");
      if (call) ++i_;
      if (!call || !stmt("else")) return fail(at_reason("`set date_string = " + *f + "(...)`, else a date literal"));
      const std::optional<std::string> d = set_literal("date_string");
      if (!d || !stmt("endif")) return fail(at_reason("`set date_string = 'DATE'` and endif"));
      s_.fixed_date = *d;
    } else {
      if (guarded) return fail(at_reason("`set date_string = 'DATE'`"));
      return false;
    }
    if (guarded && !stmt("endif")) return fail(at_reason("the endif of `if not date_string is defined`"));
    return true;
  }

  bool system_block() {
    if (!stmt("if messages [ 0 ] [ 'role' ] == 'system'")) return false;
    if (!stmt("set system_message = messages [ 0 ] [ 'content' ] | trim") || !stmt("set messages = messages [ 1 : ]") ||
        !stmt("else"))
      return fail(at_reason("`set system_message = messages[0]['content'] | trim`, `set messages = messages[1:]`, else"));
    const std::optional<std::string> d = set_literal("system_message");
    if (!d || !stmt("endif")) return fail(at_reason("`set system_message = 'TEXT'` and endif"));
    s_.default_system = *d;
    return true;
  }

  bool match() {
    if (!meta30()) return false;
    if (!expr("bos_token")) return fail(at_reason("`bos_token`, written first,"));
    bool date = false, system = false;
    for (int round = 0; round < 2; ++round) {
      if (!date && date_block()) date = true;
      else if (!why_.empty()) return false;
      else if (!system && system_block()) system = true;
      else if (!why_.empty()) return false;
    }
    if (date != system)
      return fail(at_reason(date ? "the system message's block (`if messages[0]['role'] == 'system'`)"
                                 : "the date's block (`set date_string = ...`)"));
    if (date) {
      s_.dated = true;
      s_.system_before = text();
      if (!expr("date_string")) return fail(at_reason("the system header's `date_string`"));
      s_.system_between = text();
      if (!expr("system_message")) return fail(at_reason("the system header's `system_message`"));
      s_.system_after = text();
    }
    if (!stmt("for message in messages")) return fail(at_reason("`for message in messages`"));
    s_.before_role = text();
    if (!expr("message [ 'role' ]")) return fail(at_reason("`message['role']`"));
    s_.before_content = text();
    if (expr("message [ 'content' ] | trim")) s_.trim = true;
    else if (expr("message [ 'content' ]")) s_.trim = false;
    else return fail(at_reason("`message['content']` (trimmed or not)"));
    s_.after = text();
    if (!stmt("endfor")) return fail(at_reason("the loop's endfor"));
    if (!stmt("if add_generation_prompt")) return fail(at_reason("`if add_generation_prompt`"));
    s_.prompt = text();
    if (!stmt("endif")) return fail(at_reason("the endif of `if add_generation_prompt`"));
    if (i_ != items_.size()) return fail(at_reason("the template's end"));
    return true;
  }

  JinjaTemplate t_;
  std::vector<Item> items_;
  size_t i_ = 0;
  Llama3Structure s_;
  std::string why_;
};

}  // namespace

std::optional<Llama3Structure> read_llama3_structure(std::string_view text, std::string* why) {
  std::optional<JinjaTemplate> t = read_jinja_template(text, why);
  if (!t) return std::nullopt;
  return Reader(std::move(*t)).read(why);
}

}  // namespace infertrace::serve
