#include "serve/jinja_grammar.h"

#include <string>
#include <string_view>

namespace infertrace::serve {
namespace {

using Kind = JinjaToken::Kind;

// Nesting deeper than this is refused: the recogniser recurses once per level, and a template from
// a model file may nest brackets tens of thousands deep (jinja2 itself stops at Python's recursion
// limit, so such a template does not render there either).
constexpr int kMaxDepth = 200;
// jinja2 compiles a chain of binary operators (`a + b + c ...`) into Python source with one
// parenthesis per operator, and Python refuses more than 200 nested parentheses: measured with
// jinja2 3.1.6 on Python 3.11, a `+` chain compiles up to 197 operators and fails from 198 (review
// DF L3). Fewer are accepted, with room for the parentheses around the chain. `and`, `or`, filters
// and tests nest the same way (review ZR M3: 199 `and`, 250 `or` or 250 `|string` in one tag do not
// compile; 198 `and` do), so they count against the same limit.
constexpr int kMaxBinaryOperators = 150;

class Parser {
 public:
  explicit Parser(const std::vector<JinjaToken>& t) : t_(t) {}

  std::string expression_tag() {
    tuple(true);
    return end();
  }

  std::string statement() {
    const std::string_view k = t_[0].text;
    i_ = 1;
    if (k == "if" || k == "elif") {
      expression(true);
    } else if (k == "for") {
      target();
      expect_name("in");
      tuple(false, "recursive");
      if (name("if")) expression(true);
      name("recursive");
    } else if (k == "set") {
      target();
      if (op("=")) tuple(true);
      else filters();
    } else if (k == "macro") {
      expect_plain_name();
      parameters();
    } else if (k == "call") {
      if (peek_op("(")) parameters();
      expression(true);
    } else if (k == "filter") {
      filter_body();
      filters();
    } else {
      return "";  // left to the tag-level checks
    }
    return end();
  }

 private:
  std::string end() {
    if (!error_.empty()) return error_;
    if (i_ != t_.size()) return "'" + t_[i_].text + "' where the tag should end";
    return "";
  }
  bool failed() const { return !error_.empty(); }
  void fail(const std::string& why) {
    if (error_.empty()) error_ = why;
  }
  bool at_end() const { return i_ >= t_.size(); }
  bool peek_op(std::string_view o) const { return !at_end() && t_[i_].kind == Kind::kOperator && t_[i_].text == o; }
  bool peek_name(std::string_view n) const { return !at_end() && t_[i_].kind == Kind::kName && t_[i_].text == n; }
  bool op(std::string_view o) {
    if (!peek_op(o)) return false;
    ++i_;
    return true;
  }
  bool name(std::string_view n) {
    if (!peek_name(n)) return false;
    ++i_;
    return true;
  }
  void expect_op(std::string_view o) {
    if (!op(o)) fail("'" + std::string(o) + "' expected" + found());
  }
  void expect_name(std::string_view n) {
    if (!name(n)) fail("'" + std::string(n) + "' expected" + found());
  }
  void expect_plain_name() {
    if (at_end() || t_[i_].kind != Kind::kName) fail("a name expected" + found());
    else ++i_;
  }
  std::string found() const { return at_end() ? " at the tag's end" : ", found '" + t_[i_].text + "'"; }

  // A guard for one level of recursion.
  struct Level {
    Parser& p;
    explicit Level(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) p.fail("expressions nested too deep");
    }
    ~Level() { --p.depth_; }
  };

  // `a, b, c` (a trailing comma allowed), at least one; with `stop`, a name that ends it (for's
  // `recursive`), as jinja2's parse_tuple.
  void tuple(bool condexpr, std::string_view stop = "") {
    size_t n = 0;
    while (!failed()) {
      if (n > 0 && !op(",")) break;
      if (at_end() || peek_op(")") || (!stop.empty() && peek_name(stop))) break;
      expression(condexpr);
      ++n;
    }
    if (n == 0) fail("an expression expected" + found());
  }

  void expression(bool condexpr) {
    Level l(*this);
    if (failed()) return;
    or_expr();
    if (!condexpr) return;
    while (!failed() && name("if")) {
      or_expr();
      if (name("else")) expression(true);
    }
  }
  void or_expr() {
    do and_expr();
    while (!failed() && name("or") && chained());
  }
  void and_expr() {
    do not_expr();
    while (!failed() && name("and") && chained());
  }
  // Counts one more link of a chain jinja2 compiles into nested parentheses (kMaxBinaryOperators);
  // false, with the tag failed, past the limit.
  bool chained() {
    if (++binary_ops_ <= kMaxBinaryOperators) return true;
    fail("more than " + std::to_string(kMaxBinaryOperators) + " binary operators in one tag (`and`, `or`, filters "
         "and tests count as such), which jinja2 would not compile");
    return false;
  }
  void not_expr() {
    Level l(*this);
    if (failed()) return;
    if (name("not")) return not_expr();
    compare();
  }
  void compare() {
    math(0);
    while (!failed()) {
      if (op("==") || op("!=") || op("<") || op("<=") || op(">") || op(">=") || name("in")) {
        math(0);
      } else if (peek_name("not") && i_ + 1 < t_.size() && t_[i_ + 1].kind == Kind::kName && t_[i_ + 1].text == "in") {
        i_ += 2;
        math(0);
      } else {
        break;
      }
    }
  }
  // jinja2's precedence levels: + -, ~, * / // %, **.
  void math(int level) {
    static constexpr std::string_view kLevels[4][4] = {{"+", "-"}, {"~"}, {"*", "/", "//", "%"}, {"**"}};
    if (level == 4) return unary();
    math(level + 1);
    for (bool more = true; more && !failed();) {
      more = false;
      for (std::string_view o : kLevels[level])
        if (!o.empty() && op(o)) {
          more = true;
          break;
        }
      if (more && chained()) math(level + 1);
    }
  }
  void unary() {
    Level l(*this);
    if (failed()) return;
    if (op("-") || op("+")) return unary();
    primary();
    postfix();
    while (!failed()) {
      if (op("|")) {
        if (chained()) filter_body();
      } else if (name("is")) {
        if (chained()) test();
      } else if (peek_op("(")) {
        call();
      } else {
        break;
      }
    }
  }
  void primary() {
    if (at_end()) return fail("an expression expected at the tag's end");
    const JinjaToken& tok = t_[i_];
    if (tok.kind == Kind::kName) {
      ++i_;
    } else if (tok.kind == Kind::kString) {
      while (!at_end() && t_[i_].kind == Kind::kString) ++i_;  // adjacent strings are joined
    } else if (tok.kind == Kind::kNumber) {
      ++i_;
    } else if (op("(")) {
      if (!op(")")) {
        tuple(true);
        expect_op(")");
      }
    } else if (op("[")) {
      items("]", false);
    } else if (op("{")) {
      items("}", true);
    } else {
      fail("an expression expected" + found());
    }
  }
  // A list's or dict's items up to `close`, a trailing comma allowed.
  void items(std::string_view close, bool pairs) {
    while (!failed() && !op(close)) {
      expression(true);
      if (pairs) {
        expect_op(":");
        expression(true);
      }
      if (!op(",")) {
        expect_op(close);
        return;
      }
    }
  }
  void postfix() {
    while (!failed()) {
      if (op(".")) {
        if (at_end() || (t_[i_].kind != Kind::kName && t_[i_].kind != Kind::kNumber)) return fail("an attribute expected" + found());
        ++i_;
      } else if (op("[")) {
        do subscribed();
        while (!failed() && op(","));
        expect_op("]");
      } else if (peek_op("(")) {
        call();
      } else {
        return;
      }
    }
  }
  void subscribed() {
    bool any = false;
    if (!peek_op(":")) {
      expression(true);
      any = true;
    }
    for (int k = 0; k < 2 && op(":"); ++k) {
      any = true;
      if (!peek_op(":") && !peek_op("]") && !peek_op(",")) expression(true);
    }
    if (!any) fail("an empty subscript");
  }
  // `(args)`: positional, name=value, *args, **kwargs; a trailing comma allowed.
  void call() {
    expect_op("(");
    while (!failed() && !op(")")) {
      if (op("**") || op("*")) {
        expression(true);
      } else if (!at_end() && t_[i_].kind == Kind::kName && i_ + 1 < t_.size() &&
                 t_[i_ + 1].kind == Kind::kOperator && t_[i_ + 1].text == "=") {
        i_ += 2;
        expression(true);
      } else {
        expression(true);
      }
      if (!op(",")) {
        expect_op(")");
        return;
      }
    }
  }
  void dotted_name() {
    expect_plain_name();
    while (!failed() && op(".")) expect_plain_name();
  }
  void filter_body() {
    dotted_name();
    if (peek_op("(")) call();
  }
  void filters() {
    while (!failed() && op("|") && chained()) filter_body();
  }
  void test() {
    name("not");
    dotted_name();
    if (peek_op("(")) {
      call();
    } else if (!at_end() && !peek_name("else") && !peek_name("or") && !peek_name("and") &&
               (t_[i_].kind != Kind::kOperator || peek_op("[") || peek_op("{"))) {
      primary();  // `x is divisibleby 3`: one argument without parentheses
      postfix();
    }
  }
  // An assignment target: names, dotted `ns.x`, or a tuple of names (in parentheses or not).
  // `loop` is refused: jinja2 will not assign it inside a for loop (TemplateAssertionError), and
  // outside one it would hide the loop variable's name from every check that reads `loop.` (review
  // DF L3).
  void target() {
    const bool paren = op("(");
    do {
      if (peek_name("loop")) fail("assigning to `loop`, which jinja2 refuses in a for loop");
      // jinja2 reads these as constants, not names: "can't assign to 'const'" (review ZR M1).
      for (std::string_view c : {"true", "false", "none", "True", "False", "None"})
        if (peek_name(c)) fail("assigning to `" + std::string(c) + "`, a constant jinja2 will not assign");
      expect_plain_name();
      if (!paren && !failed() && op(".")) expect_plain_name();
    } while (!failed() && op(","));
    if (paren) expect_op(")");
  }
  // A macro's or call's parameters: `(a, b=1)`.
  void parameters() {
    expect_op("(");
    while (!failed() && !op(")")) {
      expect_plain_name();
      if (op("=")) expression(true);
      if (!op(",")) {
        expect_op(")");
        return;
      }
    }
  }

  const std::vector<JinjaToken>& t_;
  size_t i_ = 0;
  int depth_ = 0;
  int binary_ops_ = 0;  // + - ~ * / // % ** and or | is seen in this tag
  std::string error_;
};

}  // namespace

std::string jinja_grammar_problem(const std::vector<JinjaToken>& tokens, bool expression_tag) {
  Parser p(tokens);
  return expression_tag ? p.expression_tag() : p.statement();
}

}  // namespace infertrace::serve
