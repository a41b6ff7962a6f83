#include "serve/qwen3_structure.h"

#include <vector>

#include "serve/jinja_cursor.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_syntax.h"
#include "serve/jinja_template.h"
#include "serve/qwen3_loop_writes.h"
#include "serve/qwen3_token_patterns.h"

namespace infertrace::serve {
namespace {

using Kind = JinjaToken::Kind;
using namespace qwen3_tokens;

// A block open around a tag: its opening tag and the tag of the branch the tag sits in (the opener
// itself, an elif or an else).
struct Frame {
  size_t opener, branch;
};

class Reader {
 public:
  explicit Reader(JinjaTemplate tmpl) : t_(std::move(tmpl)) {
    // The fields a namespace(...) call names: read as fields like a message's.
    for (const Tokens& t : t_.tokens)
      for (size_t i = 0; i + 1 < t.size(); ++i)
        if (is_name(t, i, "namespace") && is_op(t, i + 1, "("))
          for (size_t j = i + 2; j + 1 < t.size(); ++j)
            if (t[j].kind == Kind::kName && is_op(t, j + 1, "=")) ns_fields_.push_back(t[j].text);
  }

  std::optional<Qwen3Structure> read(std::string* why) {
    if (!walk() || !generation_prompt() || !last_query()) {
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
    // What each branch of the message loop writes for the messages the server sends (review CT55 M1).
    if (const std::string p = qwen3_loop_writes_problem(
            t_, Qwen3Loop{forward_loop_, loop_var_, think_, from_content_, system_written_});
        !p.empty()) {
      if (why) *why = p;
      return std::nullopt;
    }
    return Qwen3Structure{thinking_test_ != kNone, by_ends_};
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  const std::vector<JinjaTag>& tags() const { return t_.tags(); }
  std::string_view keyword(size_t k) const { return t_.keyword(k); }
  Tokens args(size_t k) const { return t_.args(k); }

  bool fail_tag(size_t k, const std::string& what) {
    why_ = t_.tag_reason(k, what);
    return false;
  }

  // Every tag once, in order, with the blocks open around it.
  bool walk() {
    std::vector<Frame> open;
    for (size_t k = 0; k <= tags().size(); ++k) {
      // Qwen3's template writes nothing but its expressions (every tag strips the white space
      // around it), so any template data jinja2 writes, wherever it sits, is text the renderer
      // would not write.
      if (const std::string d = jinja_data_before(t_.source, tags(), k); !d.empty()) {
        const size_t at = k == tags().size() ? t_.source.size() : tags()[k].begin;
        why_ = "it writes the template text '" + jinja_quote(d) + "' (before " + jinja_line(t_.source, at) +
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
      if (!loops_and_sets(k, open)) return false;
      if (tags()[k].kind == JinjaTag::Kind::kExpression && writes_think(t_.tokens[k]) && !in_prompt(k, open)) {
        if (!think_write(k, open)) return false;
        // One, as in Qwen3's template: a second under the same conditions would write the block twice.
        if (think_ != kNone) return fail_tag(k, "writing a second think block (the first on " +
                                                    jinja_line(t_.source, tags()[think_].begin) + ")");
        think_ = k;
      } else if (tags()[k].kind == JinjaTag::Kind::kExpression && !in_prompt(k, open) && !write_placed(k, open)) {
        return false;
      }
      if (kw.starts_with("end")) {
        open.pop_back();  // jinja_structure paired it with its opener
      } else if (kw == "elif" || kw == "else") {
        open.back().branch = k;
      } else if (t_.st.next[k] != tags().size()) {
        open.push_back(Frame{k, k});
      }
    }
    return true;
  }

  // The statements, filters and methods Qwen3's template uses (see the header); reads of
  // enable_thinking noted.
  bool tokens_ok(size_t k) {
    const Tokens& t = t_.tokens[k];
    if (tags()[k].kind == JinjaTag::Kind::kStatement) {
      const std::string_view kw = keyword(k);
      static constexpr std::string_view kAllowed[] = {"if", "elif", "else", "endif", "for", "endfor", "set"};
      bool allowed = false;
      for (std::string_view a : kAllowed) allowed = allowed || kw == a;
      if (!allowed)
        return fail_tag(k, "(a `" + std::string(kw) + "` statement) that Qwen3's template does not have (what it "
                           "writes or skips is not read here)");
      if (kw == "set" && t.size() >= 2 && t[1].kind == Kind::kName &&
          (t[1].text == "enable_thinking" || t[1].text == "add_generation_prompt"))
        return fail_tag(k, "setting a switch the request passes, which Qwen3's template reads as passed");
      bool assigns = false;
      for (const JinjaToken& x : t) assigns = assigns || (x.kind == Kind::kOperator && x.text == "=");
      if (kw == "set" && !assigns)
        return fail_tag(k, "(a block `set` capturing what it writes), which Qwen3's template does not have");
    }
    for (size_t i = 0; i < t.size(); ++i) {
      if (!operand_ok(k, t, i)) return false;
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

  // The operators, subscripts, calls and attributes of t[i] that Qwen3's template has; what else
  // could compute a message's text unseen by this check (a `%` format writing '<think>', `*`
  // repeating content, a slice reversing it, `x['upper']()`, `(x.replace)(...)`, `content.upper`
  // written as the method's repr) is refused (review DA H3/H5).
  bool operand_ok(size_t k, const Tokens& t, size_t i) {
    const JinjaToken& x = t[i];
    if (x.kind == Kind::kOperator) {
      for (std::string_view o : {"%", "*", "**", "/", "//"})
        if (x.text == o)
          return fail_tag(k, "using the operator `" + x.text + "` that Qwen3's template does not use (what it computes "
                             "is not read here)");
      if (x.text == ":" && !in_reversed_messages(t, i))
        return fail_tag(k, "slicing (or a `:`) other than messages[::-1], as Qwen3's template does not");
      const bool after_value = i > 0 && (is_op(t, i - 1, ")") || is_op(t, i - 1, "]") ||
                                         t[i - 1].kind == Kind::kString || t[i - 1].kind == Kind::kNumber);
      if (x.text == "(" && after_value)
        return fail_tag(k, "calling what an expression yields (a `(` after a bracket or literal), as Qwen3's "
                           "template does not (only names and methods by name are read)");
      if (x.text == "[" && i > 0 && (t[i - 1].kind == Kind::kString || t[i - 1].kind == Kind::kNumber))
        return fail_tag(k, "subscripting a literal, as Qwen3's template does not");
      if (x.text == "[" && i + 2 < t.size() && t[i + 1].kind == Kind::kString && is_op(t, i + 2, "]") &&
          !known_field(t[i + 1].text))
        return fail_tag(k, "reading ['" + jinja_quote(t[i + 1].text) + "'], not a field Qwen3's template "
                           "reads");
      // An attribute not called: a known field, or loop's own.
      if (x.text == "." && i + 1 < t.size() && t[i + 1].kind == Kind::kName && !is_op(t, i + 2, "(")) {
        const bool of_loop = i > 0 && is_name(t, i - 1, "loop");
        static constexpr std::string_view kLoop[] = {"index0", "index", "first", "last", "length"};
        bool ok = known_field(t[i + 1].text);
        for (std::string_view l : kLoop) ok = ok || (of_loop && t[i + 1].text == l);
        if (!ok)
          return fail_tag(k, "reading ." + t[i + 1].text + ", not a field Qwen3's template reads");
      }
    }
    if (is_name(t, i, "messages") && is_op(t, i + 1, "[")) {
      const bool first = i + 3 < t.size() && t[i + 2].kind == Kind::kNumber && t[i + 2].text == "0" &&
                         is_op(t, i + 3, "]");
      if (!first && !reversed_messages(t, i) && !neighbour_message(t, i))
        return fail_tag(k, "reading messages[...] other than messages[0] and messages[::-1] (and Qwen3's guarded "
                           "neighbour of a tool message), as jinja2 may fail on or read otherwise");
    }
    return true;
  }
  bool known_field(const std::string& f) const {
    static constexpr std::string_view kFields[] = {"role", "content", "reasoning_content", "tool_calls",
                                                   "function", "name", "arguments"};
    for (std::string_view n : kFields)
      if (f == n) return true;
    for (const std::string& n : ns_fields_)
      if (f == n) return true;
    return false;
  }

  // The loops over messages and the `set`s that decide which messages are read and where the last
  // query is (review DA H2/H4): one forward `for M in messages` and one `for M in messages[::-1]`,
  // both at the top level; no `set` of messages or of a message loop's variable; Qwen3's namespace
  // (the one naming last_query_index) made once at the top level, its last_query_index set only
  // in the reverse loop.
  bool loops_and_sets(size_t k, const std::vector<Frame>& open) {
    const Tokens& t = t_.tokens[k];
    const std::string_view kw = keyword(k);
    if (!first_tag_seen_ && tags()[k].kind != JinjaTag::Kind::kComment) {
      first_tag_seen_ = true;
      if (kw == "if" && t.size() == 2 && is_name(t, 1, "tools")) system_block_ = k;
    }
    if (!open.empty() && open.front().opener == reverse_loop_ && tags()[k].kind == JinjaTag::Kind::kStatement &&
        !reverse_body_ok(k, open))
      return false;
    if (kw == "for") {
      bool reads_messages = false;
      for (const JinjaToken& x : t) reads_messages = reads_messages || (x.kind == Kind::kName && x.text == "messages");
      if (!reads_messages) return true;
      const bool forward = t.size() == 4 && t[1].kind == Kind::kName && is_name(t, 2, "in") && is_name(t, 3, "messages");
      const bool reverse = t.size() == 10 && t[1].kind == Kind::kName && is_name(t, 2, "in") && reversed_messages(t, 3);
      size_t& slot = forward ? forward_loop_ : reverse_loop_;
      if ((!forward && !reverse) || !open.empty() || slot != kNone)
        return fail_tag(k, "looping over messages where Qwen3's template has only one top-level `for M in messages` "
                           "and one top-level `for M in messages[::-1]`");
      if (forward && reverse_loop_ == kNone)
        return fail_tag(k, "looping over messages before the reverse loop that finds the last query, as Qwen3's "
                           "template does first");
      slot = k;
      (forward ? loop_var_ : reverse_var_) = t[1].text;
      return true;
    }
    if (kw != "set" || t.size() < 3) return true;
    // A think tag in a `set` would reach a write unseen by the think-block check (a variable written
    // in the assistant's other branch); Qwen3's own sets hold '<think>' only to split content at it.
    std::string literals;
    for (size_t i = 0; i < t.size(); ++i)
      if (t[i].kind == Kind::kString && !(i >= 2 && is_op(t, i - 1, "(") && is_name(t, i - 2, "split")))
        literals += t[i].text;
    if (literals.find("<think>") != std::string::npos)
      return fail_tag(k, "setting a value holding '<think>', where Qwen3's template writes one only in its think block");
    const std::string& target = t[1].text;
    if (target == "messages" || (!open.empty() && (open.front().opener == forward_loop_ && target == loop_var_)) ||
        (!open.empty() && open.front().opener == reverse_loop_ && target == reverse_var_))
      return fail_tag(k, "setting " + target + ", where Qwen3's template reads the request's messages");
    bool makes_ns = false;
    for (size_t i = 0; i + 1 < t.size(); ++i) makes_ns = makes_ns || (is_name(t, i, "namespace") && is_op(t, i + 1, "("));
    if (target == ns_name_ && is_op(t, 2, "="))
      return fail_tag(k, "setting " + target + " a second time, where Qwen3's template makes its namespace once");
    if (makes_ns && is_op(t, 2, "=")) {
      bool lqi = false;
      for (size_t i = 3; i < t.size(); ++i) lqi = lqi || is_name(t, i, "last_query_index");
      if (!lqi) return true;
      if (!ns_name_.empty())
        return fail_tag(k, "making a second namespace of last_query_index (the first is " + ns_name_ + ")");
      JinjaCursor q{t};
      q.i = 3;
      if (!open.empty() || !(q.name("namespace") && q.op("(")))
        return fail_tag(k, "making the namespace of last_query_index other than at the top level");
      // Its arguments: Qwen3's flag set true, last_query_index the last message's index.
      std::string f;
      std::string flag;
      while (q.any_name(&f) && q.op("=")) {
        if (f == "last_query_index") {
          if (!(q.name("messages") && q.op("|") && q.name("length") && q.op("-") && !q.done() &&
                t[q.i].kind == Kind::kNumber && t[q.i].text == "1"))
            return fail_tag(k, "starting last_query_index other than at `messages|length - 1`, as Qwen3's template");
          ++q.i;
        } else if (q.name("true")) {
          flag = f;
        } else {
          return fail_tag(k, "with the namespace field " + f + " that Qwen3's template does not have");
        }
        if (!q.op(",")) break;
      }
      if (!q.op(")") || !q.done() || flag.empty())
        return fail_tag(k, "making a namespace other than Qwen3's (a flag set true and last_query_index)");
      ns_name_ = target;
      ns_flag_ = flag;
      return true;
    }
    if (is_op(t, 2, ".") && t.size() > 3 && is_name(t, 3, "last_query_index")) {
      // `set NS.last_query_index = I` in the reverse loop's one `if`, I set in that loop to
      // `(messages|length - 1) - loop.index0`.
      const bool placed = target == ns_name_ && open.size() == 2 && open[0].opener == reverse_loop_ &&
                          keyword(open[1].opener) == "if" && open[1].branch == open[1].opener &&
                          keyword(t_.st.next[open[1].opener]) == "endif" && lqi_set_ == kNone && is_op(t, 4, "=") &&
                          ((t.size() == 6 && t[5].kind == Kind::kName && t[5].text == index_var_) ||
                           reverse_index(t, 5));
      if (!placed)
        return fail_tag(k, "setting last_query_index other than Qwen3's `set ns.last_query_index = index` in the "
                           "reverse loop's test");
      lqi_set_ = k;
      lqi_test_ = open[1].opener;
      return true;
    }
    if (open.size() == 1 && open[0].opener == reverse_loop_ && index_var_.empty() && is_op(t, 2, "=") &&
        reverse_index(t, 3))
      index_var_ = target;
    if (!open.empty() && open.front().opener == forward_loop_ && is_op(t, 2, "=")) {
      // Which variables hold a message's reasoning and which its content: the think block must
      // write them in that order (review DF M1).
      JinjaCursor q{t};
      q.i = 3;
      if (q.name(loop_var_) && q.field("reasoning_content") && q.done()) from_reasoning_.push_back(target);
      q.i = 3;
      if (q.name(loop_var_) && q.field("content") && q.done()) from_content_.push_back(target);
      set_in_loop_.push_back(target);
    }
    if (!open.empty() && open.front().opener == forward_loop_ && is_op(t, 2, "=") && !plain_value(t, 3))
      return fail_tag(k, "setting " + target + " to a value other than Qwen3's in its message loop (an empty "
                         "string, a field, or the split/strip of one)");
    if (is_op(t, 2, ".") && t.size() > 3 && target == ns_name_ && is_name(t, 3, ns_flag_)) {
      const bool placed = open.size() == 2 && open[0].opener == reverse_loop_ && t.size() == 6 && is_op(t, 4, "=") &&
                          is_name(t, 5, "false");
      if (!placed) return fail_tag(k, "setting " + ns_flag_ + " other than to false in the reverse loop's test");
      flag_cleared_ = true;
    }
    return true;
  }

  // The reverse loop's body as Qwen3's: first `set I = (messages|length - 1) - loop.index0`, then one
  // `if` without another branch holding only `set NS.last_query_index = ...` and `set NS.F = ...`
  // (their values checked by loops_and_sets). Another set or test there would move the index or the
  // flag where the renderer does not look (review DF H2).
  bool reverse_body_ok(size_t k, const std::vector<Frame>& open) {
    const Tokens& t = t_.tokens[k];
    const std::string_view kw = keyword(k);
    if ((kw == "endfor" && open.size() == 1) || (kw == "endif" && open.size() == 2)) return true;
    if (open.size() == 1 && kw == "set" && index_var_.empty() && reverse_if_ == kNone && t.size() > 3 &&
        t[1].kind == Kind::kName && is_op(t, 2, "=") && reverse_index(t, 3))
      return true;
    if (open.size() == 1 && kw == "if" && reverse_if_ == kNone) {
      reverse_if_ = k;
      return true;
    }
    if (open.size() == 2 && open[1].opener == reverse_if_ && open[1].branch == reverse_if_ && kw == "set" &&
        t.size() >= 6 && !ns_name_.empty() && is_name(t, 1, ns_name_) && is_op(t, 2, ".") &&
        (is_name(t, 3, "last_query_index") || is_name(t, 3, ns_flag_)) && is_op(t, 4, "="))
      return true;
    return fail_tag(k, "in the reverse loop, where Qwen3's template has only `set index = (messages|length - 1) - "
                       "loop.index0` and one `if` setting ns.last_query_index = index and its flag false");
  }

  // After the walk: the think condition reads Qwen3's namespace, its last_query_index is set in the
  // reverse loop under Qwen3's test, and the tool-response rule (a message that starts and ends
  // with the tags, or one holding both) is read from that test (review DA H4).
  bool last_query() {
    if (reverse_loop_ == kNone || ns_name_.empty() || lqi_set_ == kNone || !flag_cleared_) {
      why_ = "it has no Qwen3 last-query search (a namespace with a flag and last_query_index, a reverse loop "
             "setting `ns.last_query_index = index` and the flag false)";
      return false;
    }
    if (think_ns_ != ns_name_)
      return fail_tag(think_, "testing the last query index of " + think_ns_ + ", not of the namespace " + ns_name_ +
                                  " the reverse loop sets");
    const std::vector<Tokens> cs = conjuncts(args(lqi_test_));
    const std::string& m = reverse_var_;
    bool flag = false, user = false, string = false, rule = false;
    for (const Tokens& c : cs) {
      JinjaCursor q{c};
      if (!flag && q.name(ns_name_) && q.op(".") && q.name(ns_flag_) && q.done()) {
        flag = true;
        continue;
      }
      q.i = 0;
      if (!user && is_role_test(c, m, "user")) {
        user = true;
        continue;
      }
      if (!string && q.name(m) && q.field("content") && q.name("is") && q.name("string") && q.done()) {
        string = true;
        continue;
      }
      q.i = 0;
      if (!rule && q.name("not") && q.op("(")) {
        const size_t at = q.i;
        if (q.name(m) && q.field("content") && q.op(".") && q.name("startswith") && q.op("(") &&
            q.string_is("<tool_response>") && q.op(")") && q.name("and") && q.name(m) && q.field("content") &&
            q.op(".") && q.name("endswith") && q.op("(") && q.string_is("</tool_response>") && q.op(")") && q.op(")") &&
            q.done()) {
          rule = true;
          by_ends_ = true;
          continue;
        }
        q.i = at;
        if (q.string_is("<tool_response>") && q.name("in") && q.name(m) && q.field("content") && q.name("and") &&
            q.string_is("</tool_response>") && q.name("in") && q.name(m) && q.field("content") && q.op(")") &&
            q.done()) {
          rule = true;
          by_ends_ = false;
          continue;
        }
      }
      return fail_tag(lqi_test_, "finding the last query under a test Qwen3's template does not have");
    }
    // `M.content is string` is optional: the server's messages always have string content.
    if (!(flag && user && rule))
      return fail_tag(lqi_test_, "finding the last query without all of Qwen3's test (the flag, a user message, "
                                 "not a tool response)");
    return true;
  }

  // An expression other than the think block and the generation prompt: in the message loop, or
  // the system message of Qwen3's top `if tools` block (review DA H1). The tools branch is written
  // by jinja2 only when tools are passed, which this server does not render.
  bool write_placed(size_t k, const std::vector<Frame>& open) {
    if (open.empty())
      return fail_tag(k, "writing outside the message loop, the generation prompt and the system block, where "
                         "Qwen3's template writes nothing");
    // In one of the loop's branches (what they write is read after the walk, by
    // qwen3_loop_writes_problem): Qwen3's template writes nothing directly in the loop's body,
    // where a write would precede every message (review DF, v2/62).
    if (open.front().opener == forward_loop_)
      return open.size() >= 2 ||
             fail_tag(k, "writing directly in the message loop, outside its branches, where Qwen3's template writes "
                         "nothing");
    // The generation prompt's other branches: refused by generation_prompt(), which names them.
    if (!prompts_.empty() && open.front().opener == prompts_.back()) return true;
    if (open.front().opener == reverse_loop_)
      return fail_tag(k, "writing in the reverse loop, where Qwen3's template only finds the last query");
    if (open.front().opener != system_block_)
      return fail_tag(k, "writing in a top-level block Qwen3's template does not have");
    if (open.front().branch == system_block_) return true;  // the tools branch
    // The else branch: `if messages[0].role == 'system'` (no other branch) writing the system turn once.
    JinjaCursor q{t_.tokens[k]};
    const bool is_write = q.string_is("<|im_start|>system\n") && q.op("+") && q.first_message() && q.field("content") &&
                          q.op("+") && q.string_is("<|im_end|>\n") && q.done();
    bool in_test = false;
    if (open.size() == 2 && open[1].branch == open[1].opener && keyword(t_.st.next[open[1].opener]) == "endif") {
      JinjaCursor c{t_.tokens[open[1].opener]};
      in_test = c.name("if") && c.first_message() && c.field("role") && c.op("==") && c.string_is("system") && c.done();
    }
    if (!is_write || !in_test || system_written_)
      return fail_tag(k, "writing in the system block other than Qwen3's `if messages[0].role == 'system'` "
                         "writing '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n'");
    system_written_ = true;
    return true;
  }

  // Whether tag k sits in the body of the top-level generation prompt test (read by
  // generation_prompt()).
  bool in_prompt(size_t k, const std::vector<Frame>& open) const {
    return !open.empty() && !prompts_.empty() && open.front().opener == prompts_.back() && k < t_.st.next[prompts_.back()];
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
          return fail_tag(f.opener, "around a think block (" + jinja_line(t_.source, tags()[k].begin) +
                                        "), where Qwen3's template has only its `for M in messages` loop");
        var = a[0].text;
        continue;
      }
      if (kw != "if")
        return fail_tag(f.opener, "around a think block (" + jinja_line(t_.source, tags()[k].begin) + ")");
      if (keyword(f.branch) == "else")
        return fail_tag(f.branch, "around a think block (" + jinja_line(t_.source, tags()[k].begin) +
                                      "), where Qwen3's template writes one only in the first branch of its conditions");
      if (keyword(f.branch) == "elif" && !is_role_test(args(f.branch), var, "assistant"))
        return fail_tag(f.branch, "around a think block (" + jinja_line(t_.source, tags()[k].begin) +
                                      "), where Qwen3's template writes one only for assistant messages");
      if (keyword(f.branch) == "if")
        for (Tokens& c : conjuncts(args(f.branch))) conds.push_back(std::move(c));
    }
    if (var.empty()) return fail_tag(k, "writing a think block outside the message loop");
    bool after = false, last = false;
    std::string reasoning;
    for (const Tokens& c : conds) {
      if (!after && is_after_last_query(c, &think_ns_)) after = true;
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
    for (size_t j = in.branch + 1; j < t_.st.next[in.branch]; ++j)
      if (j != k && tags()[j].kind != JinjaTag::Kind::kComment)
        return fail_tag(j, "beside the think block (" + jinja_line(t_.source, tags()[k].begin) +
                               ") in its branch, where Qwen3's template has the block alone");
    std::vector<Operand> ops;
    if (!operands(t_.tokens[k], var, ops)) return fail_tag(k, "writing a think block this server does not read");
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
                    ops[i + 3].method == "lstrip" && ops[i + 3].text != reasoning;  // review DA 08
    // The reasoning a variable the loop sets, not from the message's content (nor the message
    // itself: an unset name is jinja2's undefined, whose strip fails), the content
    // taken from it and not from the reasoning field (a template splitting reasoning off content
    // sets the reasoning variable only from that split).
    if (ok && (!holds(set_in_loop_, reasoning) || holds(from_content_, reasoning) || reasoning == var ||
               !holds(from_content_, ops[i + 3].text) || holds(from_reasoning_, ops[i + 3].text)))
      return fail_tag(k, "writing as reasoning (" + reasoning + ") and content (" + ops[i + 3].text + ") other than "
                         "the variables the message loop sets from " + var + ".reasoning_content and " + var +
                         ".content, as Qwen3's template");
    return ok || fail_tag(k, "writing a think block other than Qwen3's ('<think>\\n' + " + reasoning +
                                 ".strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n'))");
  }

  // What tags (a, b) write, all literal; nullopt (reason set) when a statement or another
  // expression is among them.
  std::optional<std::string> literal_writes(size_t a, size_t b) {
    std::string out;
    for (size_t k = a + 1;; ++k) {
      out += jinja_data_before(t_.source, tags(), k);
      if (k == b) return out;
      if (tags()[k].kind == JinjaTag::Kind::kComment) continue;
      if (tags()[k].kind == JinjaTag::Kind::kStatement || !literal(t_.tokens[k], &out)) {
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
    const size_t k = prompts_[0], end = t_.st.next[k];
    // After the conversation, as in Qwen3's template: above the message loop jinja2 would write the
    // prompt first (review DF H1).
    if (forward_loop_ == kNone || k < t_.st.next[forward_loop_])
      return fail_tag(k, "before the end of the message loop, where Qwen3's generation prompt comes after it");
    if (keyword(end) != "endif")
      return fail_tag(end, "in the generation prompt, where Qwen3's template has no other branch");
    // The enable_thinking test, if any: the body's only statement.
    size_t test = kNone;
    for (size_t j = k + 1; j < end; ++j)
      if (tags()[j].kind == JinjaTag::Kind::kStatement) {
        JinjaCursor q{t_.tokens[j]};
        const bool is_test = q.name("if") && q.name("enable_thinking") && q.name("is") && q.name("defined") &&
                             q.name("and") && q.name("enable_thinking") && q.name("is") && q.name("false") && q.done();
        if (!is_test || test != kNone)
          return fail_tag(j, "in the generation prompt, where Qwen3's template has only `if enable_thinking is "
                             "defined and enable_thinking is false`");
        if (keyword(t_.st.next[j]) != "endif")
          return fail_tag(t_.st.next[j], "in the generation prompt's enable_thinking test, where Qwen3's template has "
                                       "no other branch (it writes no think block unless thinking is switched off)");
        test = j;
        j = t_.st.next[j];
      }
    const std::optional<std::string> before = literal_writes(k, test == kNone ? end : test);
    if (!before) return false;
    if (*before != "<|im_start|>assistant\n")
      return fail_tag(k, "writing '" + jinja_quote(*before) + "', where Qwen3's generation prompt is "
                         "'<|im_start|>assistant\\n'");
    if (test != kNone) {
      const std::optional<std::string> think = literal_writes(test, t_.st.next[test]);
      if (!think) return false;
      if (*think != "<think>\n\n</think>\n\n")
        return fail_tag(test, "writing '" + jinja_quote(*think) + "', where Qwen3's is '<think>\\n\\n</think>\\n\\n'");
      const std::optional<std::string> after = literal_writes(t_.st.next[test], end);
      if (!after) return false;
      if (!after->empty())
        return fail_tag(k, "writing '" + jinja_quote(*after) + "' after its enable_thinking test");
    }
    thinking_test_ = test;
    return true;
  }

  JinjaTemplate t_;
  std::string why_;
  std::vector<size_t> prompts_;                // top-level `if add_generation_prompt` tags
  std::vector<size_t> reads_enable_thinking_;  // tags reading enable_thinking
  size_t thinking_test_ = kNone;               // the generation prompt's enable_thinking test
  size_t think_ = kNone;                       // the think block's write in the message loop
  std::string think_ns_;                       // the namespace its condition reads
  std::vector<std::string> ns_fields_;         // fields named in namespace(...) calls
  bool first_tag_seen_ = false;
  size_t system_block_ = kNone;                // a first tag `if tools`: Qwen3's system/tools block
  bool system_written_ = false;                // its system message write seen
  size_t forward_loop_ = kNone, reverse_loop_ = kNone;
  std::string loop_var_, reverse_var_;         // their variables
  std::string ns_name_, ns_flag_;              // Qwen3's namespace and its multi_step_tool flag
  std::string index_var_;                      // the reverse loop's `set index = ...`
  size_t lqi_set_ = kNone, lqi_test_ = kNone;  // `set ns.last_query_index = index` and the if around it
  size_t reverse_if_ = kNone;                  // the one `if` in the reverse loop
  std::vector<std::string> from_reasoning_, from_content_;  // set from M.reasoning_content / M.content
  std::vector<std::string> set_in_loop_;                      // every variable the message loop sets
  bool flag_cleared_ = false;                  // `set ns.flag = false` seen there
  bool by_ends_ = false;                       // the tool-response rule: starts and ends with the tags
};

}  // namespace

std::optional<Qwen3Structure> read_qwen3_structure(std::string_view text, std::string* why) {
  std::optional<JinjaTemplate> t = read_jinja_template(text, why);
  if (!t) return std::nullopt;
  return Reader(std::move(*t)).read(why);
}

}  // namespace infertrace::serve
