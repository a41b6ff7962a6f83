#include "serve/qwen3_token_patterns.h"

#include "serve/jinja_cursor.h"

namespace infertrace::serve::qwen3_tokens {

using Kind = JinjaToken::Kind;

bool is_op(const Tokens& t, size_t i, std::string_view o) {
  return i < t.size() && t[i].kind == Kind::kOperator && t[i].text == o;
}

bool is_name(const Tokens& t, size_t i, std::string_view n) {
  return i < t.size() && t[i].kind == Kind::kName && t[i].text == n;
}

bool reversed_messages(const Tokens& t, size_t i) {
  return is_name(t, i, "messages") && is_op(t, i + 1, "[") && is_op(t, i + 2, ":") && is_op(t, i + 3, ":") &&
         is_op(t, i + 4, "-") && i + 5 < t.size() && t[i + 5].kind == Kind::kNumber && t[i + 5].text == "1" &&
         is_op(t, i + 6, "]");
}

bool in_reversed_messages(const Tokens& t, size_t i) {
  for (size_t back = 0; back <= 6 && back <= i; ++back)
    if (reversed_messages(t, i - back)) return true;
  return false;
}

bool neighbour_message(const Tokens& t, size_t i) {
  const auto opens = [&](std::string_view end) {
    JinjaCursor q{t};
    return q.name("if") && q.name("loop") && q.op(".") && q.name(end) && q.name("or") && q.op("(") && q.i == i;
  };
  const bool prev = opens("first");
  if (!prev && !opens("last")) return false;
  return is_op(t, i + 1, "[") && is_name(t, i + 2, "loop") && is_op(t, i + 3, ".") && is_name(t, i + 4, "index0") &&
         is_op(t, i + 5, prev ? "-" : "+") && i + 6 < t.size() && t[i + 6].text == "1" && is_op(t, i + 7, "]");
}

bool plain_value(const Tokens& t, size_t i) {
  JinjaCursor q{t};
  q.i = i;
  std::string lit, name;
  if (q.string(&lit)) return lit.empty() && q.done();
  if (!q.any_name(&name)) return false;
  while (!q.done()) {
    if (q.op("[")) {
      q.op("-");
      if (q.done() || t[q.i].kind != Kind::kNumber) return false;
      ++q.i;
      if (!q.op("]")) return false;
      continue;
    }
    if (!q.op(".") || !q.any_name(&name)) return false;
    if (!q.op("(")) continue;  // a field (operand_ok read it as a known one)
    if (name != "split" && name != "strip" && name != "lstrip" && name != "rstrip") return false;
    if (!q.string(&lit) || !q.op(")")) return false;
  }
  return true;
}

bool reverse_index(const Tokens& t, size_t i) {
  JinjaCursor q{t};
  q.i = i;
  return q.op("(") && q.name("messages") && q.op("|") && q.name("length") && q.op("-") && !q.done() &&
         t[q.i++].text == "1" && q.op(")") && q.op("-") && q.name("loop") && q.op(".") && q.name("index0") && q.done();
}

bool writes_think(const Tokens& t) {
  std::string literals;
  for (const JinjaToken& x : t)
    if (x.kind == Kind::kString) literals += x.text;
  return literals.find("<think>") != std::string::npos;
}

std::vector<Tokens> conjuncts(const Tokens& cond) {
  std::vector<Tokens> out(1);
  int depth = 0;
  for (const JinjaToken& x : cond) {
    if (x.kind == Kind::kOperator && (x.text == "(" || x.text == "[")) ++depth;
    if (x.kind == Kind::kOperator && (x.text == ")" || x.text == "]")) --depth;
    if (depth == 0 && x.kind == Kind::kName && x.text == "and") {
      out.emplace_back();
      continue;
    }
    out.back().push_back(x);
  }
  for (Tokens& c : out)
    while (c.size() >= 2 && c.front().text == "(" && c.back().text == ")" && wrapped(c))
      c = Tokens(c.begin() + 1, c.end() - 1);
  return out;
}

bool wrapped(const Tokens& c) {
  int depth = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].kind == Kind::kOperator && (c[i].text == "(" || c[i].text == "[")) ++depth;
    if (c[i].kind == Kind::kOperator && (c[i].text == ")" || c[i].text == "]")) --depth;
    if (depth == 0) return i + 1 == c.size();
  }
  return false;
}

bool is_role_test(const Tokens& c, const std::string& var, std::string_view role) {
  JinjaCursor q{c};
  return q.name(var) && q.field("role") && q.op("==") && q.string_is(role) && q.done();
}

bool is_after_last_query(const Tokens& c, std::string* ns) {
  JinjaCursor q{c};
  return q.name("loop") && q.op(".") && q.name("index0") && q.op(">") && q.any_name(ns) && q.op(".") &&
         q.name("last_query_index") && q.done();
}

bool is_last_or_reasoning(const Tokens& c, std::string* r) {
  JinjaCursor q{c};
  if (!(q.name("loop") && q.op(".") && q.name("last") && q.name("or"))) return false;
  const size_t at = q.i;
  if (q.any_name(r) && q.done()) return true;
  q.i = at;
  return q.op("(") && q.name("not") && q.name("loop") && q.op(".") && q.name("last") && q.name("and") &&
         q.any_name(r) && q.op(")") && q.done();
}

bool holds(const std::vector<std::string>& v, const std::string& x) {
  for (const std::string& y : v)
    if (y == x) return true;
  return false;
}

bool operands(const Tokens& t, const std::string& var, std::vector<Operand>& out) {
  JinjaCursor c{t};
  do {
    std::string lit, name;
    if (c.string(&lit)) {
      if (!out.empty() && out.back().kind == Operand::Kind::kText) out.back().text += lit;
      else out.push_back(Operand{Operand::Kind::kText, lit, ""});
    } else if (c.any_name(&name)) {
      if (name == var && c.field("role")) {
        out.push_back(Operand{Operand::Kind::kRole, "", ""});
        continue;
      }
      Operand o{Operand::Kind::kName, name, ""};
      for (std::string_view m : {"strip", "lstrip"}) {
        const size_t at = c.i;
        if (c.op(".") && c.name(m) && c.op("(") && c.string_is("\n") && c.op(")")) {
          o.method = m;
          break;
        }
        c.i = at;
      }
      out.push_back(o);
    } else {
      return false;
    }
  } while (c.op("+"));
  return c.done();
}

bool literal(const Tokens& t, std::string* out) {
  JinjaCursor c{t};
  do {
    std::string s;
    if (!c.string(&s)) return false;
    *out += s;
  } while (c.op("+") || c.op("~"));
  return c.done();
}

}  // namespace infertrace::serve::qwen3_tokens
