#include "serve/zephyr_structure.h"

#include <array>
#include <utility>

#include "serve/jinja_cursor.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_prelude.h"
#include "serve/jinja_syntax.h"
#include "serve/jinja_template.h"

namespace infertrace::serve {
namespace {

using Tokens = std::vector<JinjaToken>;
using Pieces = std::vector<ZephyrPiece>;
using Cursor = JinjaCursor;

constexpr std::array<std::string_view, 3> kRoles = {"system", "user", "assistant"};

// What a stretch of the loop's body writes before the message's role is known: kRole stands for
// M.role until resolve() writes it out.
struct Raw {
  enum class Kind { kText, kRole, kContent, kEos } kind;
  std::string text;
};
using Raws = std::vector<Raw>;

void add_text(Pieces& p, const std::string& text) {
  if (text.empty()) return;
  if (!p.empty() && p.back().kind == ZephyrPiece::Kind::kText) p.back().text += text;
  else p.push_back(ZephyrPiece{ZephyrPiece::Kind::kText, text});
}

// `raw` for a message of `role`, literal text merged.
Pieces resolve(const Raws& raw, std::string_view role) {
  Pieces p;
  for (const Raw& r : raw) {
    if (r.kind == Raw::Kind::kText) add_text(p, r.text);
    else if (r.kind == Raw::Kind::kRole) add_text(p, std::string(role));
    else if (r.kind == Raw::Kind::kContent) p.push_back(ZephyrPiece{ZephyrPiece::Kind::kContent, ""});
    else p.push_back(ZephyrPiece{ZephyrPiece::Kind::kEos, ""});
  }
  return p;
}

void append(Pieces& to, const Pieces& p) {
  for (const ZephyrPiece& x : p) {
    if (x.kind == ZephyrPiece::Kind::kText) add_text(to, x.text);
    else to.push_back(x);
  }
}

// Only the white space jinja_data_before reads as jinja2 does (a Unicode space it may keep where
// jinja2 strips it: never taken for white space here).
bool plain_space(std::string_view s) { return s.find_first_not_of(" \t\n") == std::string_view::npos; }

// How pieces read in a refusal: '<|user|>\n' + content + eos_token.
std::string describe(const Pieces& p) {
  if (p.empty()) return "nothing";
  std::string out;
  for (const ZephyrPiece& x : p) {
    if (!out.empty()) out += " + ";
    if (x.kind == ZephyrPiece::Kind::kText) out += "'" + jinja_quote(x.text) + "'";
    else out += x.kind == ZephyrPiece::Kind::kContent ? "content" : "eos_token";
  }
  return out;
}

// Zephyr's shape for a message of `role`: `<|ROLE|>\n` + content + eos_token, then white space.
bool is_zephyr_message(const Pieces& p, std::string_view role) {
  const std::string header = "<|" + std::string(role) + "|>\n";
  if (p.size() < 3 || p.size() > 4) return false;
  if (p[0] != ZephyrPiece{ZephyrPiece::Kind::kText, header} || p[1].kind != ZephyrPiece::Kind::kContent ||
      p[2].kind != ZephyrPiece::Kind::kEos)
    return false;
  return p.size() == 3 || (p[3].kind == ZephyrPiece::Kind::kText && plain_space(p[3].text));
}

// A template with no branch for a role (no system branch, as some Zephyr-shaped templates have)
// writes nothing of its messages, or only the white space its layout leaves around the branches:
// jinja2 drops such a message, and so does this rendering, writing the same pieces.
bool writes_no_message(const Pieces& p) {
  return p.empty() || (p.size() == 1 && p[0].kind == ZephyrPiece::Kind::kText && plain_space(p[0].text));
}

class Reader {
 public:
  explicit Reader(JinjaTemplate t) : t_(std::move(t)) {}

  std::optional<ZephyrStructure> read(std::string* why) {
    if (!top_level()) return refuse(why, why_);
    if (!loop_) return refuse(why, "it has no `for ... in messages` loop at its top level");
    if (!prompt_) return refuse(why, "it writes no generation prompt under `if add_generation_prompt`");
    for (size_t r = 0; r < kRoles.size(); ++r) {
      const bool system = kRoles[r] == "system";
      if (system && (system_raises_ || writes_no_message(roles_[r]))) continue;
      if (!is_zephyr_message(roles_[r], kRoles[r]))
        return refuse(why, std::string("it writes ") + (r == 2 ? "an " : "a ") + std::string(kRoles[r]) +
                               " message as " + describe(roles_[r]) + ", not as '<|" + std::string(kRoles[r]) +
                               "|>\\n' + content + eos_token" + (system ? " (or nothing)" : ""));
    }
    if (!prompt_text_.starts_with("<|assistant|>") || !plain_space(std::string_view(prompt_text_).substr(13)))
      return refuse(why, "its generation prompt is '" + jinja_quote(prompt_text_) + "', not '<|assistant|>'");
    return ZephyrStructure{roles_[0], roles_[1], roles_[2], prompt_text_, system_raises_};
  }

 private:
  static std::optional<ZephyrStructure> refuse(std::string* why, const std::string& reason) {
    if (why) *why = reason;
    return std::nullopt;
  }
  const std::vector<JinjaTag>& tags() const { return t_.tags(); }
  std::string_view keyword(size_t k) const { return t_.keyword(k); }
  size_t next(size_t k) const { return t_.st.next[k]; }
  std::string data_before(size_t k) const { return jinja_data_before(t_.source, tags(), k); }

  bool fail(const std::string& reason) {
    why_ = reason;
    return false;
  }
  bool fail_tag(size_t k, const std::string& what) { return fail(t_.tag_reason(k, what)); }

  // The top level: unwritten data, comments, the loop, the generation prompt after it.
  bool top_level() {
    for (size_t k = 0;; ++k) {
      if (const std::string d = data_before(k); !d.empty())
        return fail("it writes the text '" + jinja_quote(d) + "' (" +
                    jinja_line(t_.source, k == 0 ? 0 : tags()[k - 1].end) + ") outside its message loop");
      if (k == tags().size()) return true;
      if (tags()[k].kind == JinjaTag::Kind::kComment) continue;
      const Tokens a = t_.args(k);
      Cursor c{a};
      if (keyword(k) == "for" && !loop_) {
        if (!message_loop(k)) return false;
        k = next(k);
        continue;
      }
      if (keyword(k) == "if" && loop_ && !prompt_ && c.name("add_generation_prompt") && c.done()) {
        if (!generation_prompt(k, "")) return false;
        k = next(k);
        continue;
      }
      c.i = 0;
      // ChatML's two statements that write and change nothing rendered here (serve/jinja_prelude.h):
      // axolotl's prelude before the loop, and a `set` of a literal to a name the parts do not read.
      if (keyword(k) == "if" && !loop_ && jinja_is_prompt_default(c)) {
        if (const std::string p = jinja_prompt_default_problem(t_, k); !p.empty()) return fail_tag(k, p);
        k = next(k);
        continue;
      }
      if (keyword(k) == "set" &&
          jinja_sets_a_literal(a, {"messages", "add_generation_prompt", "eos_token", "raise_exception"}))
        continue;
      return fail_tag(k, "outside the parts this server renders (the message loop and the generation prompt after it)");
    }
  }

  // What the template writes between tags a and b (exclusive): data and expressions only.
  std::optional<Raws> writes(size_t a, size_t b, const std::string& var) {
    Raws out;
    for (size_t k = a + 1;; ++k) {
      if (std::string d = data_before(k); !d.empty()) out.push_back(Raw{Raw::Kind::kText, std::move(d)});
      if (k == b) return out;
      const JinjaTag& t = tags()[k];
      if (t.kind == JinjaTag::Kind::kComment) continue;
      if (t.kind == JinjaTag::Kind::kStatement) {
        fail_tag(k, "where this server renders only written text");
        return std::nullopt;
      }
      if (!expression(t_.tokens[k], var, out)) {
        fail_tag(k, "where this server renders only string literals, the message's role and content and eos_token "
                    "joined by + or ~");
        return std::nullopt;
      }
    }
  }

  // An expression tag's operands joined by + or ~: string literals, M.role, M.content, eos_token.
  static bool expression(const Tokens& t, const std::string& var, Raws& out) {
    Cursor c{t};
    do {
      std::string lit;
      if (c.string(&lit)) {
        out.push_back(Raw{Raw::Kind::kText, lit});
      } else if (!var.empty() && c.name(var)) {
        if (c.field("role")) out.push_back(Raw{Raw::Kind::kRole, ""});
        else if (c.field("content")) out.push_back(Raw{Raw::Kind::kContent, ""});
        else return false;
      } else if (c.name("eos_token")) {
        out.push_back(Raw{Raw::Kind::kEos, ""});
      } else {
        return false;
      }
    } while (c.op("+") || c.op("~"));
    return c.done();
  }

  void add_for_every_role(const Raws& raw) {
    for (size_t r = 0; r < kRoles.size(); ++r) append(roles_[r], resolve(raw, kRoles[r]));
  }

  // `M.role == 'X'` or `'X' == M.role` (M['role'] too), the whole condition: X.
  static bool role_test(const Tokens& t, const std::string& var, std::string* role) {
    Cursor c{t};
    if (c.name(var) && c.field("role") && c.op("==") && c.string(role) && c.done()) return true;
    c.i = 0;
    return c.string(role) && c.op("==") && c.name(var) && c.field("role") && c.done();
  }

  // `loop.last and add_generation_prompt`, either order, the whole condition.
  static bool last_and_prompt(const Tokens& t) {
    Cursor c{t};
    if (c.name("loop") && c.op(".") && c.name("last") && c.name("and") && c.name("add_generation_prompt") && c.done())
      return true;
    c.i = 0;
    return c.name("add_generation_prompt") && c.name("and") && c.name("loop") && c.op(".") && c.name("last") &&
           c.done();
  }

  // The `if` at tags[k] writing the generation prompt: no other branch, literal text only.
  bool generation_prompt(size_t k, const std::string& var) {
    const size_t end = next(k);
    if (keyword(end) != "endif") return fail_tag(k, "with another branch");
    const std::optional<Raws> p = writes(k, end, var);
    if (!p) return false;
    for (const Raw& r : *p) {
      if (r.kind != Raw::Kind::kText) return fail_tag(k, "writing more than literal text as the generation prompt");
      prompt_text_ += r.text;
    }
    prompt_ = true;
    return true;
  }

  // Whether tags[k] is `raise_exception('literal')`, the whole expression.
  bool literal_raise(size_t k) const {
    if (tags()[k].kind != JinjaTag::Kind::kExpression) return false;
    Cursor c{t_.tokens[k]};
    std::string m;
    return c.name("raise_exception") && c.op("(") && c.string(&m) && c.op(")") && c.done();
  }

  // A branch between tags a and b (exclusive) holding a `raise_exception('...')` that raise_only
  // does not take (written text before it, a second raise, more after it): refused naming the
  // raise and what comes before it (review Z2 L3), not as an expression this server cannot render.
  // False (why_ set) when it refuses; true when the branch holds no such raise.
  bool no_other_raise(size_t a, size_t b, const std::string& var, std::string_view role) {
    size_t first = b;
    for (size_t k = a + 1; k < b && first == b; ++k)
      if (literal_raise(k)) first = k;
    if (first == b) return true;
    const std::string who = std::string(role == "assistant" ? "an " : "a ") + std::string(role) + " message";
    for (size_t k = first + 1; k < b; ++k) {
      if (tags()[k].kind == JinjaTag::Kind::kComment) continue;
      return fail_tag(k, literal_raise(k) ? "raising (raise_exception) a second time for " + who + ", where this "
                                            "server takes one raise_exception('...') alone in the branch"
                                          : "after raise_exception('...') for " + who + ", where this server takes "
                                            "one raise_exception('...') alone in the branch");
    }
    // What is written before it: expressions (template data alone is taken: raise_only).
    const std::optional<Raws> before = writes(a, first, var);
    if (!before) return false;
    return fail_tag(first, "raising (raise_exception) for " + who + " after writing " + describe(resolve(*before, role)) +
                               ", where this server takes one raise_exception('...') alone in the branch");
  }

  // The message of the one `raise_exception('...')` between tags a and b (exclusive), when that
  // and template data and comments are all there is (what is written before it is lost: jinja2
  // renders nothing when it raises).
  std::optional<std::string> raise_only(size_t a, size_t b) const {
    std::optional<std::string> message;
    for (size_t k = a + 1; k < b; ++k) {
      if (tags()[k].kind == JinjaTag::Kind::kComment) continue;
      if (tags()[k].kind != JinjaTag::Kind::kExpression || message) return std::nullopt;
      Cursor c{t_.tokens[k]};
      std::string m;
      if (!(c.name("raise_exception") && c.op("(") && c.string(&m) && c.op(")") && c.done())) return std::nullopt;
      message = m;
    }
    return message;
  }

  // The if-chain on the role at tags[k]: each of system, user, assistant takes the first branch
  // testing it, else the `else` branch, else none. Branches no rendered role reaches (another role,
  // a role tested before) are not read: they never run.
  bool role_chain(size_t k, const std::string& var) {
    std::array<bool, 3> taken{};
    for (size_t b = k;; b = next(b)) {
      const std::string_view kw = keyword(b);
      if (kw == "endif") return true;
      std::vector<size_t> reach;
      if (kw == "else") {
        for (size_t r = 0; r < kRoles.size(); ++r)
          if (!taken[r]) reach.push_back(r);
      } else {
        std::string role;
        if (!role_test(t_.args(b), var, &role)) return fail_tag(b, "testing other than the message's role");
        for (size_t r = 0; r < kRoles.size(); ++r)
          if (kRoles[r] == role && !taken[r]) reach.push_back(r);
      }
      if (reach.empty()) continue;
      if (const std::optional<std::string> m = raise_only(b, next(b))) {
        // jinja2 renders nothing of a conversation holding such a message: it raises. The server
        // refuses that conversation the same way, for system messages only (a template without a
        // system branch; user and assistant messages are what every conversation is made of).
        for (size_t r : reach)
          if (kRoles[r] != "system")
            return fail_tag(b, std::string("raising (raise_exception) for ") + (r == 2 ? "an " : "a ") +
                                   std::string(kRoles[r]) + " message");
        taken[0] = true;
        system_raises_ = *m;
        continue;
      }
      // (Named for a user or assistant message when one reaches it: raising for them is refused anyway.)
      const size_t named = reach.size() > 1 && kRoles[reach.front()] == "system" ? reach[1] : reach.front();
      if (!no_other_raise(b, next(b), var, kRoles[named])) return false;
      const std::optional<Raws> body = writes(b, next(b), var);
      if (!body) return false;
      for (size_t r : reach) {
        taken[r] = true;
        append(roles_[r], resolve(*body, kRoles[r]));
      }
    }
  }

  // The loop at tags[k]: `for M in messages`, its body as the header says.
  bool message_loop(size_t k) {
    const Tokens a = t_.args(k);
    Cursor c{a};
    if (a.size() != 3 || a[0].kind != JinjaToken::Kind::kName || (++c.i, !(c.name("in") && c.name("messages"))))
      return fail_tag(k, "where this server renders only a `for M in messages` loop");
    const std::string var = a[0].text;
    const size_t end = next(k);
    if (keyword(end) != "endfor") return fail_tag(k, "with an else branch");
    // A loop variable named raise_exception hides the function inside the loop: jinja2 calls the
    // message there (and fails: a dict is not callable), so no call of it is read as a raise
    // (review Z2 L2).
    if (var == "raise_exception")
      for (size_t j = k + 1; j < end; ++j) {
        const Tokens& tk = t_.tokens[j];
        for (size_t i = 0; i + 1 < tk.size(); ++i)
          if (tk[i].kind == JinjaToken::Kind::kName && tk[i].text == "raise_exception" &&
              tk[i + 1].kind == JinjaToken::Kind::kOperator && tk[i + 1].text == "(")
            return fail_tag(j, "calling raise_exception(...), which the loop variable `raise_exception` hides: jinja2 "
                               "calls the message there, not the function");
      }
    loop_ = true;
    bool chain = false;
    for (size_t j = k + 1;; ++j) {
      if (std::string d = data_before(j); !d.empty()) {
        if (prompt_) return fail_tag(j - 1, "followed by text written after the generation prompt in the loop");
        add_for_every_role({Raw{Raw::Kind::kText, std::move(d)}});
      }
      if (j == end) return true;
      const JinjaTag& t = tags()[j];
      if (t.kind == JinjaTag::Kind::kComment) continue;
      if (t.kind == JinjaTag::Kind::kExpression) {
        Raws raw;
        if (prompt_) return fail_tag(j, "after the generation prompt in the loop");
        if (!expression(t_.tokens[j], var, raw))
          return fail_tag(j, "where this server renders only string literals, the message's role and content and "
                             "eos_token joined by + or ~");
        add_for_every_role(raw);
        continue;
      }
      std::string role;
      if (keyword(j) == "if" && !chain && !prompt_ && role_test(t_.args(j), var, &role)) {
        if (!role_chain(j, var)) return false;
        chain = true;
        while (keyword(j) != "endif") j = next(j);
        continue;
      }
      if (keyword(j) == "if" && !prompt_ && last_and_prompt(t_.args(j))) {
        if (!generation_prompt(j, var)) return false;
        j = next(j);
        continue;
      }
      return fail_tag(j, "inside the message loop, where this server renders only written text, one if-chain on the "
                         "message's role and `if loop.last and add_generation_prompt`");
    }
  }

  JinjaTemplate t_;
  std::string why_;
  bool loop_ = false, prompt_ = false;
  std::array<Pieces, 3> roles_;  // kRoles' order
  std::string prompt_text_;
  std::optional<std::string> system_raises_;  // what a system message's branch raises, if it does
};

}  // namespace

std::optional<ZephyrStructure> read_zephyr_structure(std::string_view text, std::string* why) {
  std::optional<JinjaTemplate> t = read_jinja_template(text, why);
  if (!t) return std::nullopt;
  return Reader(std::move(*t)).read(why);
}

}  // namespace infertrace::serve
