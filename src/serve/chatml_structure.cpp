#include "serve/chatml_structure.h"

#include <vector>

#include "serve/jinja_cursor.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_prelude.h"
#include "serve/jinja_syntax.h"
#include "serve/jinja_template.h"
#include "serve/template_writes.h"

namespace infertrace::serve {
namespace {

using Kind = JinjaToken::Kind;
using Tokens = std::vector<JinjaToken>;

// What a stretch of the template writes (serve/template_writes.h): text, or a message's field.
using writes::add_text;
using writes::Piece;
using writes::Pieces;

using Cursor = JinjaCursor;

class Reader {
 public:
  explicit Reader(JinjaTemplate t) : t_(std::move(t)) {
  }

  std::optional<ChatMlStructure> read(std::string* why) {
    if (!items(0, tags().size(), true)) {
      if (why) *why = why_;
      return std::nullopt;
    }
    if (!loop_ || !prompt_) {
      if (why) *why = !loop_ ? "it has no `for ... in messages` loop at its top level" : "it writes no generation prompt after its message loop";
      return std::nullopt;
    }
    return ChatMlStructure{default_};
  }

 private:
  const std::vector<JinjaTag>& tags() const { return t_.tags(); }
  std::string_view keyword(size_t k) const { return t_.keyword(k); }
  Tokens args(size_t k) const { return t_.args(k); }

  std::string line(size_t at) const { return jinja_line(t_.source, at); }
  static std::string clip(std::string_view v) { return jinja_quote(v); }
  bool fail(const std::string& reason) {
    why_ = reason;
    return false;
  }
  bool fail_tag(size_t k, const std::string& what) { return fail(t_.tag_reason(k, what)); }
  bool fail_outside(size_t k) {
    return fail_tag(k, "outside the parts this server renders (a default system block, the message loop, the "
                       "generation prompt)");
  }

  // What the template writes between tags a and b (exclusive; a may be npos for the start): its
  // data and expression tags, which must be all there is (comments aside); nullopt otherwise, with
  // the reason set.
  std::optional<Pieces> writes(size_t a, size_t b, const std::string& loop_var) {
    Pieces p;
    for (size_t k = a + 1;; ++k) {
      add_text(p, jinja_data_before(t_.source, tags(), k));
      if (k == b) return p;
      const JinjaTag& t = tags()[k];
      if (t.kind == JinjaTag::Kind::kComment) continue;
      if (t.kind == JinjaTag::Kind::kStatement) {
        fail_tag(k, "where this server renders only written text");
        return std::nullopt;
      }
      if (!expression(t_.tokens[k], loop_var, p)) {
        fail_tag(k, "where this server renders only string literals and the message's role and content joined by +");
        return std::nullopt;
      }
    }
  }

  // An expression tag's operands, joined by + or ~: string literals, M.role, M.content,
  // messages[0].content.
  static bool expression(const Tokens& t, const std::string& loop_var, Pieces& p) {
    Cursor c{t};
    do {
      std::string lit;
      if (c.string(&lit)) {
        add_text(p, lit);
      } else if (!loop_var.empty() && c.name(loop_var)) {
        if (c.field("role")) p.push_back(Piece{Piece::Kind::kRole, ""});
        else if (c.field("content")) p.push_back(Piece{Piece::Kind::kContent, ""});
        else return false;
      } else if (c.first_message() && c.field("content")) {
        p.push_back(Piece{Piece::Kind::kFirstContent, ""});
      } else {
        return false;
      }
    } while (c.op("+") || c.op("~"));
    return c.done();
  }

  static bool is_message_write(const Pieces& p) {
    return p == Pieces{{Piece::Kind::kText, "<|im_start|>"}, {Piece::Kind::kRole, ""}, {Piece::Kind::kText, "\n"},
                       {Piece::Kind::kContent, ""}, {Piece::Kind::kText, "<|im_end|>\n"}};
  }

  // The default a stretch writes: exactly "<|im_start|>system\nDEFAULT<|im_end|>\n".
  static std::optional<std::string> default_text(const Pieces& p) {
    static constexpr std::string_view kOpen = "<|im_start|>system\n", kClose = "<|im_end|>\n";
    if (p.size() != 1 || p[0].kind != Piece::Kind::kText) return std::nullopt;
    const std::string& t = p[0].text;
    if (t.size() < kOpen.size() + kClose.size() || !t.starts_with(kOpen) || !t.ends_with(kClose)) return std::nullopt;
    return t.substr(kOpen.size(), t.size() - kOpen.size() - kClose.size());
  }

  // The items in (from-1, to): top level, or the else branch of `if tools`.
  bool items(size_t from, size_t to, bool top) {
    for (size_t k = from;; ++k) {
      if (const std::string d = jinja_data_before(t_.source, tags(), k); !d.empty()) {
        // The line the written text starts on: jinja2 strips nothing before it, the newline trim_blocks
        // takes, or all the white space a `-` takes.
        const size_t from = k == 0 ? 0 : tags()[k - 1].end;
        const std::string_view gap = std::string_view(t_.source).substr(from);
        const size_t ws = gap.find_first_not_of(" \t\n\r\f\v");
        size_t in = 0;
        for (size_t p : {ws, size_t{1}, size_t{0}})  // the most stripped first: the text may start with a newline
          if (p != std::string_view::npos && gap.compare(p, d.size(), d) == 0) {
            in = p;
            break;
          }
        return fail("it writes the text '" + clip(d) + "' (" + line(from + in) +
                    ") outside the parts this server renders (a default system block, the message loop, the "
                    "generation prompt)");
      }
      if (k == to) return true;
      const JinjaTag& t = tags()[k];
      if (t.kind == JinjaTag::Kind::kComment) continue;
      if (t.kind == JinjaTag::Kind::kExpression) return fail_outside(k);
      const Tokens a = args(k);
      Cursor c{a};
      if (keyword(k) == "if" && !loop_ && !qwen25_ && c.first_message() && c.field("role") && c.op("==") &&
          c.string_is("system") && c.done()) {
        if (!system_block(k)) return false;
        k = endif_of(k);
        continue;
      }
      if (!top) return fail_outside(k);
      c.i = 0;
      if (keyword(k) == "if" && !loop_ && !qwen25_ && c.name("tools") && c.done()) {
        const size_t else_ = t_.st.next[k];
        if (keyword(else_) != "else" || keyword(t_.st.next[else_]) != "endif")
          return fail_tag(k, "without a plain else branch (Qwen2.5's `if tools ... else ... endif`)");
        if (!items(else_ + 1, t_.st.next[else_], false)) return false;
        if (!qwen25_) return fail_tag(k, "whose else branch writes no system message block");
        k = t_.st.next[else_];
        continue;
      }
      c.i = 0;
      if (keyword(k) == "if" && !loop_ && jinja_is_prompt_default(c)) {
        // axolotl's chatml prelude (review CL H2): only before the loop.
        if (const std::string p = jinja_prompt_default_problem(t_, k); !p.empty()) return fail_tag(k, p);
        k = t_.st.next[k];
        continue;
      }
      c.i = 0;
      if (keyword(k) == "if" && loop_ && !prompt_ && c.name("add_generation_prompt") && c.done()) {
        const size_t end = t_.st.next[k];
        if (keyword(end) != "endif") return fail_tag(k, "with another branch");
        const std::optional<Pieces> p = writes(k, end, "");
        if (!p) return false;
        if (*p != Pieces{{Piece::Kind::kText, "<|im_start|>assistant\n"}})
          return fail_tag(k, "writing other than '<|im_start|>assistant\\n'");
        prompt_ = true;
        k = end;
        continue;
      }
      if (keyword(k) == "set" && jinja_sets_a_literal(a, {"messages", "tools", "add_generation_prompt"})) continue;
      if (keyword(k) == "for" && !loop_) {
        if (!message_loop(k)) return false;
        k = t_.st.next[k];
        continue;
      }
      return fail_outside(k);
    }
  }

  // The endif of the if at tags[k] (past its elif and else branches).
  size_t endif_of(size_t k) const {
    while (keyword(k) != "endif") k = t_.st.next[k];
    return k;
  }

  // Qwen2.5's `if messages[0]['role'] == 'system'` at tags[k]: the system message, and either no
  // other branch (Qwen3's shape, and Qwen2.5's with its default removed: review CL M1) or an else
  // writing the default. Either way the loop must skip the first system message (qwen25_).
  bool system_block(size_t k) {
    const size_t else_ = t_.st.next[k];
    const bool plain_else = keyword(else_) == "else" && keyword(t_.st.next[else_]) == "endif";
    if (keyword(else_) != "endif" && !plain_else)
      return fail_tag(k, "with a branch other than one plain else writing a default system message");
    const std::optional<Pieces> own = writes(k, else_, "");
    if (!own) return false;
    if (*own != Pieces{{Piece::Kind::kText, "<|im_start|>system\n"}, {Piece::Kind::kFirstContent, ""},
                       {Piece::Kind::kText, "<|im_end|>\n"}})
      return fail_tag(k, "whose first branch writes other than the conversation's system message as ChatML");
    qwen25_ = true;
    if (!plain_else) return true;
    const std::optional<Pieces> other = writes(else_, t_.st.next[else_], "");
    if (!other) return false;
    const std::optional<std::string> d = default_text(*other);
    if (!d) return fail_tag(else_, "writing other than one ChatML system message");
    default_ = d;
    return true;
  }

  // `M.role == 'X'` (the whole of the tokens from c.i on, or up to `and`): X.
  static bool role_test(Cursor& c, const std::string& var, std::string* role) {
    return c.name(var) && c.field("role") && c.op("==") && c.string(role);
  }

  // Qwen2.5's skip condition (see the header): the user, system and assistant clauses, each once,
  // in any order. All three are needed: without the assistant clause jinja2 writes no assistant
  // message at all (only tool branches follow), while this server writes every one (review CL H1).
  static bool skip_condition(const Tokens& t, const std::string& var) {
    Cursor c{t};
    bool user = false, system = false, assistant = false;
    do {
      std::string role;
      if (!c.op("(") || !role_test(c, var, &role)) return false;
      if (role == "user" && !user && c.op(")")) {
        user = true;
      } else if (role == "system" && !system && c.name("and") && c.name("not") && c.name("loop") && c.op(".") &&
                 c.name("first") && c.op(")")) {
        system = true;
      } else if (role == "assistant" && !assistant &&
                 (c.op(")") || (c.name("and") && c.name("not") && c.name(var) && c.op(".") && c.name("tool_calls") &&
                                c.op(")")))) {
        assistant = true;
      } else {
        return false;
      }
    } while (c.name("or"));
    return c.done() && user && system && assistant;
  }

  // The loop at tags[k]: `for M in messages`, its body one of the three shapes of the header.
  bool message_loop(size_t k) {
    const Tokens a = args(k);
    Cursor c{a};
    if (a.size() != 3 || a[0].kind != Kind::kName || (++c.i, !(c.name("in") && c.name("messages"))))
      return fail_tag(k, "where this server renders only a `for M in messages` loop");
    const std::string var = a[0].text;
    const size_t end = t_.st.next[k];
    if (keyword(end) != "endfor") return fail_tag(k, "with an else branch");
    loop_ = true;
    // The first tag of the body that is no comment, and whether only unwritten data comes before it.
    size_t first = k + 1;
    while (first < end && tags()[first].kind == JinjaTag::Kind::kComment) ++first;
    bool clean = true;
    for (size_t j = k + 1; j <= first && clean; ++j) clean = jinja_data_before(t_.source, tags(), j).empty();
    if (first < end && clean && keyword(first) == "if") {
      const Tokens cond = args(first);
      Cursor q{cond};
      if (q.name("loop") && q.op(".") && q.name("first") && q.name("and") && q.first_message() && q.field("role") &&
          q.op("!=") && q.string_is("system") && q.done()) {
        // Qwen1.5's: the default written before the first message, unless that is a system one.
        if (qwen25_) return fail_tag(first, "after a block writing the system message");
        const size_t endif = t_.st.next[first];
        if (keyword(endif) != "endif") return fail_tag(first, "with another branch");
        const std::optional<Pieces> p = writes(first, endif, var);
        if (!p) return false;
        default_ = default_text(*p);
        if (!default_) return fail_tag(first, "writing other than one ChatML system message");
        const std::optional<Pieces> rest = writes(endif, end, var);
        if (!rest) return false;
        return is_message_write(*rest) || fail_tag(k, "whose messages are not written as ChatML");
      }
      if (skip_condition(cond, var)) {
        if (!qwen25_) return fail_tag(first, "skipping the first system message, which nothing else writes");
        size_t b = t_.st.next[first];
        const std::optional<Pieces> p = writes(first, b, var);
        if (!p) return false;
        if (!is_message_write(*p)) return fail_tag(first, "whose first branch does not write the message as ChatML");
        // The other branches take only what never reaches them: tool messages, and assistant ones
        // (the first branch takes those).
        for (; keyword(b) == "elif"; b = t_.st.next[b]) {
          const Tokens e = args(b);
          Cursor ec{e};
          std::string role;
          if (!role_test(ec, var, &role) || !ec.done() || !(role == "tool" || role == "assistant"))
            return fail_tag(b, "which messages this server renders may reach");
        }
        if (keyword(b) != "endif") return fail_tag(b, "which messages this server renders may reach");
        const std::optional<Pieces> after = writes(b, end, var);
        if (!after) return false;
        return after->empty() || fail_tag(b, "followed by written text inside the loop");
      }
    }
    if (qwen25_)
      return fail_tag(k, "which does not skip the first system message its system block writes while writing every "
                         "user and assistant message (Qwen2.5's condition)");
    const std::optional<Pieces> p = writes(k, end, var);
    if (!p) return false;
    return is_message_write(*p) || fail_tag(k, "whose messages are not written as ChatML");
  }

  JinjaTemplate t_;
  std::string why_;
  // qwen25_: Qwen2.5's system block was read (one at most), so the loop must skip the first system
  // message.
  bool loop_ = false, prompt_ = false, qwen25_ = false;
  std::optional<std::string> default_;
};

}  // namespace

std::optional<ChatMlStructure> read_chatml_structure(std::string_view text, std::string* why) {
  std::optional<JinjaTemplate> t = read_jinja_template(text, why);
  if (!t) return std::nullopt;
  return Reader(std::move(*t)).read(why);
}

}  // namespace infertrace::serve
