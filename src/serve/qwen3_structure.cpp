#include "serve/qwen3_structure.h"

#include <vector>

#include "serve/jinja_cursor.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_syntax.h"

namespace infertrace::serve {
namespace {

using Kind = JinjaToken::Kind;
using Tokens = std::vector<JinjaToken>;

// A block open around a tag: its opening tag and the tag of the branch the tag sits in (the opener
// itself, an elif or an else).
struct Frame {
  size_t opener, branch;
};

// One operand of a `+`-joined write: a string literal, M.role, or NAME optionally followed by
// .strip('\n') / .lstrip('\n').
struct Operand {
  enum class Kind { kText, kRole, kName } kind;
  std::string text;    // kText: the literal; kName: the name
  std::string method;  // kName: "strip", "lstrip" or ""
};

class Reader {
 public:
  Reader(std::string source, JinjaStructure st) : s_(std::move(source)), st_(std::move(st)) {
    tokens_.resize(st_.tags.size());
    for (size_t k = 0; k < st_.tags.size(); ++k)
      if (st_.tags[k].kind != JinjaTag::Kind::kComment)
        tokens_[k] = jinja_tokens(jinja_tag_body(s_, st_.tags[k]), nullptr).value_or(Tokens{});
  }

  std::optional<Qwen3Structure> read(std::string* why) {
    if (!walk() || !generation_prompt()) {
      if (why) *why = why_;
      return std::nullopt;
    }
    for (size_t k : reads_enable_thinking_)
      if (k != thinking_test_) {
        fail_tag(k, "reading enable_thinking outside the generation prompt's `enable_thinking is defined and "
                    "enable_thinking is false` test");
        if (why) *why = why_;
        return std::nullopt;
      }
    return Qwen3Structure{thinking_test_ != kNone};
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  const std::vector<JinjaTag>& tags() const { return st_.tags; }
  std::string_view keyword(size_t k) const {
    return tags()[k].kind == JinjaTag::Kind::kStatement && !tokens_[k].empty() ? std::string_view(tokens_[k][0].text)
                                                                                : "";
  }
  Tokens args(size_t k) const { return tokens_[k].empty() ? Tokens{} : Tokens(tokens_[k].begin() + 1, tokens_[k].end()); }

  bool fail_tag(size_t k, const std::string& what) {
    const JinjaTag& t = tags()[k];
    why_ = "it has " + jinja_quote(std::string_view(s_).substr(t.begin, t.end - t.begin)) + " (" +
           jinja_line(s_, t.begin) + ") " + what;
    return false;
  }

  // Every tag once, in order, with the blocks open around it.
  bool walk() {
    std::vector<Frame> open;
    for (size_t k = 0; k <= tags().size(); ++k) {
      // Qwen3's template writes nothing but its expressions (every tag strips the white space
      // around it), so any template data jinja2 writes, wherever it sits, is text the renderer
      // would not write.
      if (const std::string d = jinja_data_before(s_, tags(), k); !d.empty()) {
        const size_t at = k == tags().size() ? s_.size() : tags()[k].begin;
        why_ = "it writes the template text '" + jinja_quote(d) + "' (before " + jinja_line(s_, at) +
               "), where Qwen3's template writes only from its expressions";
        return false;
      }
      if (k == tags().size()) {
        if (think_ != kNone) return true;
        why_ = "it writes no think block into assistant turns, where Qwen3's template writes one after the last "
               "user query";
        return false;
      }
      if (tags()[k].kind == JinjaTag::Kind::kComment) continue;
      if (!tokens_ok(k)) return false;
      const std::string_view kw = keyword(k);
      if (kw == "if" && args(k).size() == 1 && args(k)[0].kind == Kind::kName &&
          args(k)[0].text == "add_generation_prompt") {
        if (!open.empty()) return fail_tag(k, "inside another block, where Qwen3's generation prompt is at the top level");
        prompts_.push_back(k);
      }
      if (tags()[k].kind == JinjaTag::Kind::kExpression && writes_think(tokens_[k]) && !in_prompt(k, open)) {
        if (!think_write(k, open)) return false;
        // One, as in Qwen3's template: a second under the same conditions would write the block twice.
        if (think_ != kNone) return fail_tag(k, "writing a second think block (the first on " +
                                                    jinja_line(s_, tags()[think_].begin) + ")");
        think_ = k;
      }
      if (kw.starts_with("end")) {
        open.pop_back();  // jinja_structure paired it with its opener
      } else if (kw == "elif" || kw == "else") {
        open.back().branch = k;
      } else if (st_.next[k] != tags().size()) {
        open.push_back(Frame{k, k});
      }
    }
    return true;
  }

  // The statements, filters and methods Qwen3's template uses (see the header); reads of
  // enable_thinking noted.
  bool tokens_ok(size_t k) {
    const Tokens& t = tokens_[k];
    if (tags()[k].kind == JinjaTag::Kind::kStatement) {
      const std::string_view kw = keyword(k);
      static constexpr std::string_view kAllowed[] = {"if", "elif", "else", "endif", "for", "endfor", "set"};
      bool allowed = false;
      for (std::string_view a : kAllowed) allowed = allowed || kw == a;
      if (!allowed)
        return fail_tag(k, "(a `" + std::string(kw) + "` statement), which Qwen3's template does not have: what it "
                           "writes or skips is not read here");
      if (kw == "set" && t.size() >= 2 && t[1].kind == Kind::kName &&
          (t[1].text == "enable_thinking" || t[1].text == "add_generation_prompt"))
        return fail_tag(k, "setting a switch the request passes, which Qwen3's template reads as passed");
      bool assigns = false;
      for (const JinjaToken& x : t) assigns = assigns || (x.kind == Kind::kOperator && x.text == "=");
      if (kw == "set" && !assigns)
        return fail_tag(k, "(a block `set` capturing what it writes), which Qwen3's template does not have");
    }
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i].kind == Kind::kName && t[i].text == "enable_thinking") reads_enable_thinking_.push_back(k);
      if (t[i].kind == Kind::kOperator && t[i].text == "|") {
        const std::string f = i + 1 < t.size() ? t[i + 1].text : "";
        if (f != "length" && f != "tojson")
          return fail_tag(k, "applying the filter `" + f + "`, which the Qwen3 renderer does not (only `length` and "
                             "`tojson`, as Qwen3's template, are read as harmless)");
      }
      // A function called by name: only what Qwen3's template calls (namespace; range, as this
      // project's own template). raise_exception would refuse conversations the renderer renders.
      const bool before_dot = i > 0 && t[i - 1].kind == Kind::kOperator && t[i - 1].text == ".";
      if (t[i].kind == Kind::kName && !before_dot && i + 1 < t.size() && t[i + 1].kind == Kind::kOperator &&
          t[i + 1].text == "(") {
        static constexpr std::string_view kCallable[] = {"namespace", "range", "not", "and", "or", "in", "is", "if", "else"};
        bool known = false;
        for (std::string_view n : kCallable) known = known || t[i].text == n;
        if (!known)
          return fail_tag(k, "calling " + t[i].text + "(...), which Qwen3's template does not (only namespace and range "
                             "are read as harmless)");
      }
      const bool call = t[i].kind == Kind::kOperator && t[i].text == "." && i + 2 < t.size() &&
                        t[i + 1].kind == Kind::kName && t[i + 2].kind == Kind::kOperator && t[i + 2].text == "(";
      if (!call) continue;
      const std::string& m = t[i + 1].text;
      if (m == "split" || m == "startswith" || m == "endswith") continue;
      const bool strip = m == "strip" || m == "lstrip" || m == "rstrip";
      const bool newline = i + 4 < t.size() && t[i + 3].kind == Kind::kString && t[i + 3].plain_string &&
                           t[i + 3].text == "\n" && t[i + 4].kind == Kind::kOperator && t[i + 4].text == ")";
      if (!strip || !newline)
        return fail_tag(k, "calling ." + m + "(...), which the Qwen3 renderer does not (only split, startswith, "
                           "endswith and strip/lstrip/rstrip of '\\n', as Qwen3's template)");
    }
    return true;
  }

  // Whether an expression writes a think tag: its string literals joined, so that one split across
  // literals ('<thi' + 'nk>') is seen too.
  static bool writes_think(const Tokens& t) {
    std::string literals;
    for (const JinjaToken& x : t)
      if (x.kind == Kind::kString) literals += x.text;
    return literals.find("<think>") != std::string::npos;
  }

  // Whether tag k sits in the body of the top-level generation prompt test (read by
  // generation_prompt()).
  bool in_prompt(size_t k, const std::vector<Frame>& open) const {
    return !open.empty() && !prompts_.empty() && open.front().opener == prompts_.back() && k < st_.next[prompts_.back()];
  }

  // A condition's conjuncts: its tokens split at `and` outside brackets, each without brackets
  // around it whole.
  static std::vector<Tokens> conjuncts(const Tokens& cond) {
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
  // Whether the first bracket of c closes at its last token.
  static bool wrapped(const Tokens& c) {
    int depth = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      if (c[i].kind == Kind::kOperator && (c[i].text == "(" || c[i].text == "[")) ++depth;
      if (c[i].kind == Kind::kOperator && (c[i].text == ")" || c[i].text == "]")) --depth;
      if (depth == 0) return i + 1 == c.size();
    }
    return false;
  }

  static bool is_role_test(const Tokens& c, const std::string& var, std::string_view role) {
    JinjaCursor q{c};
    return q.name(var) && q.field("role") && q.op("==") && q.string_is(role) && q.done();
  }
  static bool is_after_last_query(const Tokens& c) {
    JinjaCursor q{c};
    std::string ns;
    return q.name("loop") && q.op(".") && q.name("index0") && q.op(">") && q.any_name(&ns) && q.op(".") &&
           q.name("last_query_index") && q.done();
  }
  // `loop.last or (not loop.last and R)` or `loop.last or R`: R.
  static bool is_last_or_reasoning(const Tokens& c, std::string* r) {
    JinjaCursor q{c};
    if (!(q.name("loop") && q.op(".") && q.name("last") && q.name("or"))) return false;
    const size_t at = q.i;
    if (q.any_name(r) && q.done()) return true;
    q.i = at;
    return q.op("(") && q.name("not") && q.name("loop") && q.op(".") && q.name("last") && q.name("and") &&
           q.any_name(r) && q.op(")") && q.done();
  }

  // The expression at tags[k] writes a think block: it must be Qwen3's, under Qwen3's condition.
  bool think_write(size_t k, const std::vector<Frame>& open) {
    std::string var;
    std::vector<Tokens> conds;
    for (const Frame& f : open) {
      const std::string_view kw = keyword(f.opener);
      if (kw == "for") {
        const Tokens a = args(f.opener);
        if (!var.empty() || a.size() != 3 || a[0].kind != Kind::kName || a[1].text != "in" || a[2].text != "messages" ||
            f.branch != f.opener)  // a for's else runs when there are no messages
          return fail_tag(f.opener, "around a think block (" + jinja_line(s_, tags()[k].begin) +
                                        "), where Qwen3's template has only its `for M in messages` loop");
        var = a[0].text;
        continue;
      }
      if (kw != "if")
        return fail_tag(f.opener, "around a think block (" + jinja_line(s_, tags()[k].begin) + ")");
      if (keyword(f.branch) == "else")
        return fail_tag(f.branch, "around a think block (" + jinja_line(s_, tags()[k].begin) +
                                      "), where Qwen3's template writes one only in the first branch of its conditions");
      if (keyword(f.branch) == "elif" && !is_role_test(args(f.branch), var, "assistant"))
        return fail_tag(f.branch, "around a think block (" + jinja_line(s_, tags()[k].begin) +
                                      "), where Qwen3's template writes one only for assistant messages");
      if (keyword(f.branch) == "if")
        for (Tokens& c : conjuncts(args(f.branch))) conds.push_back(std::move(c));
    }
    if (var.empty()) return fail_tag(k, "writing a think block outside the message loop");
    bool after = false, last = false;
    std::string reasoning;
    for (const Tokens& c : conds) {
      if (is_after_last_query(c) && !after) after = true;
      else if (!last && is_last_or_reasoning(c, &reasoning)) last = true;
      else if (!is_role_test(c, var, "assistant"))
        return fail_tag(k, "writing a think block under a condition Qwen3's template does not have (only "
                           "`loop.index0 > ns.last_query_index` and `loop.last or (not loop.last and reasoning)`)");
    }
    if (!after || !last)
      return fail_tag(k, std::string("writing a think block without Qwen3's condition: ") +
                             (!after ? "not only after the last user query" : "not only for the last message or one "
                                                                              "with reasoning"));
    // Alone in its branch, as in Qwen3's template: anything beside it there would be written with it.
    const Frame& in = open.back();
    for (size_t j = in.branch + 1; j < st_.next[in.branch]; ++j)
      if (j != k && tags()[j].kind != JinjaTag::Kind::kComment)
        return fail_tag(j, "beside the think block (" + jinja_line(s_, tags()[k].begin) +
                               ") in its branch, where Qwen3's template has the block alone");
    std::vector<Operand> ops;
    if (!operands(tokens_[k], var, ops)) return fail_tag(k, "writing a think block this server does not read");
    // ['<|im_start|>' + M.role + '\n'] '<think>\n' + R.strip('\n') + '\n</think>\n\n' + C.lstrip('\n'),
    // the literals joined.
    size_t i = 0;
    std::string head;
    if (ops.size() == 6 && ops[0].kind == Operand::Kind::kText && ops[0].text == "<|im_start|>" &&
        ops[1].kind == Operand::Kind::kRole) {
      head = "\n";
      i = 2;
    }
    const bool ok = ops.size() == i + 4 && ops[i].kind == Operand::Kind::kText && ops[i].text == head + "<think>\n" &&
                    ops[i + 1].kind == Operand::Kind::kName && ops[i + 1].text == reasoning &&
                    ops[i + 1].method == "strip" && ops[i + 2].kind == Operand::Kind::kText &&
                    ops[i + 2].text == "\n</think>\n\n" && ops[i + 3].kind == Operand::Kind::kName &&
                    ops[i + 3].method == "lstrip";
    return ok || fail_tag(k, "writing a think block other than Qwen3's ('<think>\\n' + " + reasoning +
                                 ".strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n'))");
  }

  // A write's operands joined by + (adjacent literals merged).
  static bool operands(const Tokens& t, const std::string& var, std::vector<Operand>& out) {
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

  // A write of string literals only (joined by + or ~): its text.
  static bool literal(const Tokens& t, std::string* out) {
    JinjaCursor c{t};
    do {
      std::string s;
      if (!c.string(&s)) return false;
      *out += s;
    } while (c.op("+") || c.op("~"));
    return c.done();
  }

  // What tags (a, b) write, all literal; nullopt (reason set) when a statement or another
  // expression is among them.
  std::optional<std::string> literal_writes(size_t a, size_t b) {
    std::string out;
    for (size_t k = a + 1;; ++k) {
      out += jinja_data_before(s_, tags(), k);
      if (k == b) return out;
      if (tags()[k].kind == JinjaTag::Kind::kComment) continue;
      if (tags()[k].kind == JinjaTag::Kind::kStatement || !literal(tokens_[k], &out)) {
        fail_tag(k, "in the generation prompt, where Qwen3's template writes only its literals");
        return std::nullopt;
      }
    }
  }

  // The one `if add_generation_prompt` (see the header).
  bool generation_prompt() {
    if (prompts_.size() != 1) {
      if (prompts_.empty()) why_ = "it has no top-level `if add_generation_prompt`";
      else fail_tag(prompts_[1], "testing add_generation_prompt a second time");
      return false;
    }
    const size_t k = prompts_[0], end = st_.next[k];
    if (keyword(end) != "endif")
      return fail_tag(end, "in the generation prompt, where Qwen3's template has no other branch");
    // The enable_thinking test, if any: the body's only statement.
    size_t test = kNone;
    for (size_t j = k + 1; j < end; ++j)
      if (tags()[j].kind == JinjaTag::Kind::kStatement) {
        JinjaCursor q{tokens_[j]};
        const bool is_test = q.name("if") && q.name("enable_thinking") && q.name("is") && q.name("defined") &&
                             q.name("and") && q.name("enable_thinking") && q.name("is") && q.name("false") && q.done();
        if (!is_test || test != kNone)
          return fail_tag(j, "in the generation prompt, where Qwen3's template has only `if enable_thinking is "
                             "defined and enable_thinking is false`");
        if (keyword(st_.next[j]) != "endif")
          return fail_tag(st_.next[j], "in the generation prompt's enable_thinking test, where Qwen3's template has "
                                       "no other branch (it writes no think block unless thinking is switched off)");
        test = j;
        j = st_.next[j];
      }
    const std::optional<std::string> before = literal_writes(k, test == kNone ? end : test);
    if (!before) return false;
    if (*before != "<|im_start|>assistant\n")
      return fail_tag(k, "writing '" + jinja_quote(*before) + "', where Qwen3's generation prompt is "
                         "'<|im_start|>assistant\\n'");
    if (test != kNone) {
      const std::optional<std::string> think = literal_writes(test, st_.next[test]);
      if (!think) return false;
      if (*think != "<think>\n\n</think>\n\n")
        return fail_tag(test, "writing '" + jinja_quote(*think) + "', where Qwen3's is '<think>\\n\\n</think>\\n\\n'");
      const std::optional<std::string> after = literal_writes(st_.next[test], end);
      if (!after) return false;
      if (!after->empty())
        return fail_tag(k, "writing '" + jinja_quote(*after) + "' after its enable_thinking test");
    }
    thinking_test_ = test;
    return true;
  }

  std::string s_;
  JinjaStructure st_;
  std::vector<Tokens> tokens_;
  std::string why_;
  std::vector<size_t> prompts_;                // top-level `if add_generation_prompt` tags
  std::vector<size_t> reads_enable_thinking_;  // tags reading enable_thinking
  size_t thinking_test_ = kNone;               // the generation prompt's enable_thinking test
  size_t think_ = kNone;                       // the think block's write in the message loop
};

}  // namespace

std::optional<Qwen3Structure> read_qwen3_structure(std::string_view text, std::string* why) {
  std::string source = jinja_normalized(text);
  std::string bad;
  std::optional<JinjaStructure> st = jinja_structure(source, &bad);
  if (!st) {
    if (why) *why = "jinja2 would not compile it: " + bad;
    return std::nullopt;
  }
  return Reader(std::move(source), std::move(*st)).read(why);
}

}  // namespace infertrace::serve
