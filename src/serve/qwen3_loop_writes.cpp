#include "serve/qwen3_loop_writes.h"

#include <algorithm>
#include <string_view>

#include "serve/jinja_cursor.h"
#include "serve/jinja_lex.h"
#include "serve/template_writes.h"

namespace infertrace::serve {
namespace {

using Tokens = std::vector<JinjaToken>;

// What one way through the loop body writes (serve/template_writes.h): text, the message's content
// (M.content or a variable the loop sets from it), or the think block's reasoning and content (its
// form read by the caller).
using writes::add_text;
using writes::Piece;
using writes::Pieces;

void append(Pieces& to, const Pieces& from) {
  for (const Piece& x : from) {
    if (x.kind == Piece::Kind::kText) add_text(to, x.text);
    else to.push_back(x);
  }
}

std::string describe(const Pieces& p) {
  if (p.empty()) return "nothing";
  std::string out;
  for (const Piece& x : p) {
    if (!out.empty()) out += " + ";
    if (x.kind == Piece::Kind::kText) out += "'" + jinja_quote(x.text) + "'";
    else out += x.kind == Piece::Kind::kContent ? "content" : "the think block's reasoning or answer";
  }
  return out;
}

// A message the server sends, as the loop sees it.
struct Message {
  std::string role;
  bool first;
  std::string what() const {
    if (role == "system") return first ? "a system message opening the conversation" : "a later system message";
    return "a" + std::string(role == "assistant" ? "n " : " ") + role + " message" +
           (first ? " opening the conversation" : " after the first");
  }
};

// Kleene's three values: a condition decided by what the server fixes, or not.
enum class V { kFalse, kTrue, kUnknown };
V v_not(V a) { return a == V::kUnknown ? a : (a == V::kTrue ? V::kFalse : V::kTrue); }
V v_and(V a, V b) {
  if (a == V::kFalse || b == V::kFalse) return V::kFalse;
  return a == V::kTrue && b == V::kTrue ? V::kTrue : V::kUnknown;
}
V v_or(V a, V b) { return v_not(v_and(v_not(a), v_not(b))); }

constexpr size_t kMaxPaths = 256;

class Walker {
 public:
  Walker(const JinjaTemplate& t, const Qwen3Loop& l) : t_(t), l_(l) {
    // The think block's reasoning and content variables: `R.strip('\n')`, `C.lstrip('\n')`.
    const Tokens& w = t_.tokens[l_.think];
    for (size_t i = 0; i + 2 < w.size(); ++i)
      if (w[i].kind == JinjaToken::Kind::kName && w[i + 1].kind == JinjaToken::Kind::kOperator && w[i + 1].text == "." &&
          w[i + 2].kind == JinjaToken::Kind::kName)
        (w[i + 2].text == "strip" ? reasoning_var_ : w[i + 2].text == "lstrip" ? content_var_ : unused_) = w[i].text;
  }

  std::string problem() {
    for (const char* role : {"user", "system", "assistant"})
      for (bool first : {true, false}) {
        const Message m{role, first};
        std::vector<Pieces> paths{Pieces{}};
        if (!run(l_.loop, t_.st.next[l_.loop], m, paths)) return why_;
        const std::string p = compare(m, paths);
        if (!p.empty()) return t_.tag_reason(l_.loop, p);
      }
    return "";
  }

 private:
  bool fail_tag(size_t k, const std::string& what) {
    why_ = t_.tag_reason(k, what);
    return false;
  }

  // Every way through what the renderer writes for m must be the one Qwen3's template writes.
  std::string compare(const Message& m, const std::vector<Pieces>& paths) const {
    const Pieces message{{Piece::Kind::kText, "<|im_start|>" + m.role + "\n"},
                         {Piece::Kind::kContent, ""},
                         {Piece::Kind::kText, "<|im_end|>\n"}};
    const Pieces think{{Piece::Kind::kText, "<|im_start|>assistant\n<think>\n"},
                       {Piece::Kind::kThinkPart, ""},
                       {Piece::Kind::kText, "\n</think>\n\n"},
                       {Piece::Kind::kThinkPart, ""},
                       {Piece::Kind::kText, "<|im_end|>\n"}};
    const bool skipped = m.role == "system" && m.first && l_.system_block_writes_first;
    const Pieces expected = skipped ? Pieces{} : message;
    for (const Pieces& p : paths) {
      if (p == expected || (m.role == "assistant" && p == think)) continue;
      std::string why = "writing " + describe(p) + " for " + m.what() + ", where Qwen3's template writes " +
                        describe(expected);
      if (m.role == "assistant") why += " (or its think block)";
      if (skipped) why += " (the top system block writes it: Qwen3's loop skips it by `not loop.first`)";
      return why;
    }
    return "";
  }

  // The tags in (a, b) run for m, each way a condition not decided for m may go: what each writes
  // appended to paths.
  bool run(size_t a, size_t b, const Message& m, std::vector<Pieces>& paths) {
    for (size_t k = a + 1; k < b; ++k) {
      const JinjaTag& tag = t_.tags()[k];
      if (tag.kind == JinjaTag::Kind::kComment) continue;
      if (tag.kind == JinjaTag::Kind::kExpression) {
        Pieces w;
        if (!write(k, m, w)) return false;
        for (Pieces& p : paths) append(p, w);
        continue;
      }
      const std::string_view kw = t_.keyword(k);
      if (kw == "set") {
        // Which values qwen3_structure checks (an empty string, a field, a split of one); which
        // variable a set changes on this way is read here: a later write of a content variable
        // stands for the message's content only while nothing set it otherwise (review WD56 H2:
        // `set reply = ''` before the user write was accepted and rendered "Hello").
        if (!set_ok(k, m)) return false;
        continue;
      }
      if (kw == "for") {
        // Over M.tool_calls, which the server never sends: jinja2 runs the loop's else, if any.
        const Tokens a = t_.args(k);
        JinjaCursor c{a};
        std::string x;
        if (!(c.any_name(&x) && c.name("in") && c.name(l_.var) && c.field("tool_calls") && c.done()))
          return fail_tag(k, "in the message loop, where Qwen3's template loops only over M.tool_calls");
        const size_t next = t_.st.next[k];
        if (t_.keyword(next) == "else" && !run(next, t_.st.next[next], m, paths)) return false;
        while (t_.keyword(k) != "endfor") k = t_.st.next[k];
        continue;
      }
      if (kw != "if") return fail_tag(k, "in the message loop, a statement Qwen3's template does not have there");
      if (!sets_test_ok(k)) return false;
      // The same writes whichever way a condition went (Qwen3's reasoning splits) count once; kept
      // unique as they come, so that an `if` of hundreds of undecided branches costs at most
      // kMaxPaths comparisons per way rather than a square of all of them.
      std::vector<Pieces> out, reaching = std::move(paths);
      const auto keep = [&](std::vector<Pieces>& ways) {
        for (Pieces& p : ways) {
          if (std::find(out.begin(), out.end(), p) != out.end()) continue;
          if (out.size() == kMaxPaths) return fail_tag(k, "with more ways through the message loop than are read here");
          out.push_back(std::move(p));
        }
        return true;
      };
      for (size_t x = k; t_.keyword(x) != "endif"; x = t_.st.next[x]) {
        const V v = t_.keyword(x) == "else" ? V::kTrue : condition(t_.args(x), m);
        if (v == V::kFalse) continue;
        const bool split = std::find(split_ifs_.begin(), split_ifs_.end(), x) != split_ifs_.end();
        // Qwen3's template splits the reasoning off assistant messages only; elsewhere a content
        // holding '</think>' would be cut where the renderer writes it whole.
        if (split && m.role != "assistant")
          return fail_tag(x, "splitting the reasoning off " + m.what() + ", where Qwen3's template splits assistant "
                             "messages only");
        std::vector<Pieces> taken = v == V::kTrue ? std::move(reaching) : reaching;
        if (v == V::kTrue) reaching.clear();
        in_split_ += split;
        const bool ran = run(x, t_.st.next[x], m, taken);
        in_split_ -= split;
        if (!ran || !keep(taken)) return false;
        if (v == V::kTrue) break;
      }
      if (!keep(reaching)) return false;
      paths = std::move(out);
      while (t_.keyword(k) != "endif") k = t_.st.next[k];
    }
    return true;
  }

  // An `if` around sets only (no write in it) may test only what Qwen3's template tests there
  // (`M.content is string`, `M.reasoning_content is string` or `is defined and ... is not none`,
  // `'</think>' in C`): the sets' values
  // are read by qwen3_structure, but another test (`'</think>x' in C`, `not ...`) would choose
  // them otherwise than the renderer (review CT55's mutants).
  bool sets_test_ok(size_t k) {
    size_t end = k;
    while (t_.keyword(end) != "endif") end = t_.st.next[end];
    for (size_t j = k + 1; j < end; ++j)
      if (t_.tags()[j].kind == JinjaTag::Kind::kExpression) return true;
    for (size_t x = k; x != end; x = t_.st.next[x]) {
      if (t_.keyword(x) == "else") continue;
      const Tokens a = t_.args(x);
      JinjaCursor c{a};
      std::string s;
      const bool is_string = c.name(l_.var) && c.field("content") && c.name("is") && c.name("string") && c.done();
      c.i = 0;
      // Tests of M.reasoning_content false when it is not sent (the server never sends it): `is
      // string`, the first release's `is defined and ... is not none`.
      const auto field = [&] { return c.name(l_.var) && c.field("reasoning_content") && c.name("is"); };
      bool reasoning = field() && c.name("string") && c.done();
      c.i = 0;
      reasoning = reasoning || (field() && c.name("defined") && c.name("and") && field() && c.name("not") &&
                                c.name("none") && c.done());
      c.i = 0;
      std::string from;
      const bool split = c.string_is("</think>") && c.name("in") && source(c, &from) && c.done();
      if (!is_string && !reasoning && !split)
        return fail_tag(x, "in the message loop, around sets only, testing other than Qwen3's `M.content is string`, "
                           "tests of `M.reasoning_content` or `'</think>' in content`");
      if (split && !split_body_ok(x, from)) return false;
      if (split) split_ifs_.push_back(x);
    }
    return true;
  }

  // A set on a way through the loop for m: of a content variable only `= M.content` (Qwen3's
  // `else` setting it to '' is a way the server's string contents never take), of the think
  // block's reasoning variable only '' or M.reasoning_content, and either only so outside the
  // reasoning split (whose two sets split_body_ok read). Other variables are not written by any
  // write read here (write() refuses them), so their sets change nothing written.
  bool set_ok(size_t k, const Message& m) {
    if (in_split_) return true;
    const Tokens a = t_.args(k);
    JinjaCursor c{a};
    std::string target;
    if (!c.any_name(&target) || !c.op("=")) return true;  // `set ns.x = ...`, a block set: not a variable read here
    const bool content = std::find(l_.content_vars.begin(), l_.content_vars.end(), target) != l_.content_vars.end() ||
                         target == content_var_;
    const bool reasoning = target == reasoning_var_;
    if (!content && !reasoning) return true;
    const size_t at = c.i;
    if (c.name(l_.var) && c.field(content ? "content" : "reasoning_content") && c.done()) return true;
    c.i = at;
    std::string s;
    if (reasoning && c.string(&s) && s.empty() && c.done()) return true;
    return fail_tag(k, "setting " + target + " for " + m.what() + " otherwise than Qwen3's template (" +
                           (content ? l_.var + ".content" : "'' or " + l_.var + ".reasoning_content") +
                           "), so that a later write of it would not be the message's");
  }

  // NAME or M.content: its text in *out.
  bool source(JinjaCursor& c, std::string* out) const {
    if (!c.any_name(out)) return false;
    if (*out != l_.var) return true;
    *out += ".content";
    return c.field("content");
  }
  static bool method(JinjaCursor& c, std::string_view m, std::string_view arg) {
    return c.op(".") && c.name(m) && c.op("(") && c.string_is(arg) && c.op(")");
  }
  // `[0]` or `[-1]`.
  static bool item(JinjaCursor& c, bool last) {
    if (!c.op("[")) return false;
    if (last && !c.op("-")) return false;
    if (c.done() || c.t[c.i].kind != JinjaToken::Kind::kNumber || c.t[c.i].text != (last ? "1" : "0")) return false;
    ++c.i;
    return c.op("]");
  }

  // The body of `if '</think>' in X` at tags[x]: Qwen3's two sets, the think block's reasoning
  // `R = X.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')` and its content
  // `C = X.split('</think>')[-1].lstrip('\n')` (the renderer's split; another literal, source or
  // target would make jinja2 write the reasoning otherwise: review CT55's mutants), nothing else,
  // no other branch.
  bool split_body_ok(size_t x, const std::string& from) {
    const size_t end = t_.st.next[x];
    if (t_.keyword(end) != "endif")
      return fail_tag(x, "with another branch, where Qwen3's template splits the reasoning off in one");
    bool reasoning = false, content = false;
    for (size_t j = x + 1; j < end; ++j) {
      if (t_.tags()[j].kind == JinjaTag::Kind::kComment) continue;
      JinjaCursor c{t_.tokens[j]};
      std::string target, src;
      const bool set = c.name("set") && c.any_name(&target) && c.op("=") && source(c, &src) && src == from &&
                       method(c, "split", "</think>");
      const size_t at = c.i;
      if (set && !reasoning && target == reasoning_var_ && item(c, false) && method(c, "rstrip", "\n") &&
          method(c, "split", "<think>") && item(c, true) && method(c, "lstrip", "\n") && c.done()) {
        reasoning = true;
        continue;
      }
      c.i = at;
      if (set && !content && target == content_var_ && item(c, true) && method(c, "lstrip", "\n") && c.done()) {
        content = true;
        continue;
      }
      return fail_tag(j, "splitting the reasoning off other than Qwen3's `" + reasoning_var_ + " = " + from +
                             ".split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n')` and `" +
                             content_var_ + " = " + from + ".split('</think>')[-1].lstrip('\\n')`");
    }
    return (reasoning && content) ||
           fail_tag(x, "without both of Qwen3's sets splitting the reasoning off (into " + reasoning_var_ + " and " +
                           content_var_ + ")");
  }

  // An expression's operands joined by + or ~: string literals, M.role (m's role), M.content or a
  // variable set from it; in the think block also R.strip('\n') / C.lstrip('\n').
  bool write(size_t k, const Message& m, Pieces& w) {
    const Tokens& t = t_.tokens[k];
    JinjaCursor c{t};
    do {
      std::string s;
      if (c.string(&s)) {
        add_text(w, s);
        continue;
      }
      const size_t at = c.i;
      if (c.name(l_.var)) {
        if (c.field("role")) add_text(w, m.role);
        else if (c.field("content")) w.push_back(Piece{Piece::Kind::kContent, ""});
        else break;
        continue;
      }
      c.i = at;
      if (k == l_.think && c.any_name(&s) && c.op(".") && (c.name("strip") || c.name("lstrip")) && c.op("(") &&
          c.string_is("\n") && c.op(")")) {
        w.push_back(Piece{Piece::Kind::kThinkPart, ""});
        continue;
      }
      c.i = at;
      if (c.any_name(&s) && std::find(l_.content_vars.begin(), l_.content_vars.end(), s) != l_.content_vars.end()) {
        w.push_back(Piece{Piece::Kind::kContent, ""});
        continue;
      }
      c.i = at;
      break;
    } while (c.op("+") || c.op("~"));
    if (c.done()) return true;
    return fail_tag(k, "writing for " + m.what() + " what Qwen3's template does not (only string literals, " + l_.var +
                           ".role and the message's content joined by +, as its message branches)");
  }

  // The condition's value for m (Jinja's precedence: or, and, not, then a comparison or test).
  V condition(const Tokens& t, const Message& m) {
    JinjaCursor c{t};
    const V v = disjunction(c, m);
    return c.done() ? v : V::kUnknown;
  }
  V disjunction(JinjaCursor& c, const Message& m) {
    V v = conjunction(c, m);
    while (c.name("or")) v = v_or(v, conjunction(c, m));
    return v;
  }
  V conjunction(JinjaCursor& c, const Message& m) {
    V v = negation(c, m);
    while (c.name("and")) v = v_and(v, negation(c, m));
    return v;
  }
  V negation(JinjaCursor& c, const Message& m) { return c.name("not") ? v_not(negation(c, m)) : atom(c, m); }
  static bool boundary(JinjaCursor& c) {
    const size_t at = c.i;
    const bool b = c.done() || c.name("and") || c.name("or") || c.op(")");
    c.i = at;
    return b;
  }
  V atom(JinjaCursor& c, const Message& m) {
    const size_t at = c.i;
    if (c.op("(")) {
      const V v = disjunction(c, m);
      if (c.op(")") && boundary(c)) return v;
    }
    c.i = at;
    std::string role;
    if (c.name(l_.var) && c.field("role")) {
      const bool eq = c.op("==");
      if ((eq || c.op("!=")) && c.string(&role) && boundary(c)) return (role == m.role) == eq ? V::kTrue : V::kFalse;
    }
    c.i = at;
    if (c.name("loop") && c.op(".") && c.name("first") && boundary(c)) return m.first ? V::kTrue : V::kFalse;
    c.i = at;
    if ((c.name("true") || c.name("True")) && boundary(c)) return V::kTrue;
    c.i = at;
    if ((c.name("false") || c.name("False")) && boundary(c)) return V::kFalse;
    c.i = at;
    // The server's content is always a string.
    if (c.name(l_.var) && c.field("content") && c.name("is") && c.name("string") && boundary(c)) return V::kTrue;
    c.i = at;
    // Tool calls are refused before rendering: the field is undefined.
    if (c.name(l_.var) && c.field("tool_calls") && (boundary(c) || (c.name("is") && c.name("defined") && boundary(c))))
      return V::kFalse;
    // Anything else: undecided, up to the next `and`/`or`/`)` outside brackets.
    c.i = at;
    int depth = 0;
    while (!c.done()) {
      if (depth == 0 && boundary(c)) break;
      const JinjaToken& x = c.t[c.i];
      if (x.kind == JinjaToken::Kind::kOperator && (x.text == "(" || x.text == "[" || x.text == "{")) ++depth;
      if (x.kind == JinjaToken::Kind::kOperator && (x.text == ")" || x.text == "]" || x.text == "}")) --depth;
      ++c.i;
    }
    return V::kUnknown;
  }

  const JinjaTemplate& t_;
  const Qwen3Loop& l_;
  std::string why_;
  std::string reasoning_var_, content_var_, unused_;  // the think block's R and C
  std::vector<size_t> split_ifs_;  // the `if '</think>' in C` tags read by split_body_ok
  int in_split_ = 0;               // inside one of them while > 0
};

}  // namespace

std::string qwen3_loop_writes_problem(const JinjaTemplate& t, const Qwen3Loop& loop) {
  return Walker(t, loop).problem();
}

}  // namespace infertrace::serve
