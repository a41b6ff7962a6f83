#include "serve/chatml_default_system.h"

#include <regex>
#include <vector>

#include "serve/jinja_tags.h"

namespace infertrace::serve {

namespace {

// Pieces of the patterns (ECMAScript regex). A newline inside a literal: the escape or a real one.
// Every repetition is bounded (64 white-space characters, a default of 1024): libstdc++'s regex
// recurses once per repeated character and backtracks over nested runs, so a template from a model
// file with a long run must cost little and cannot exhaust the stack.
constexpr const char* kNl = R"((?:\\n|\n))";
// messages[0]['role'] / messages[0]["role"] / messages[0].role, and the same for content.
constexpr const char* kRole0 = R"(messages\[0\](?:\[\s{0,64}['"]role['"]\s{0,64}\]|\.role))";
constexpr const char* kContent0 = R"(messages\[0\](?:\[\s{0,64}['"]content['"]\s{0,64}\]|\.content))";
constexpr const char* kSystem = R"(['"]system['"])";
// The next tag, after white space Jinja strips: none, or any before a tag with `-`.
constexpr const char* kBlock = R"((?:\s{0,64}\{%-|\{%-?)\s{0,64})";
constexpr const char* kExpr = R"((?:\s{0,64}\{\{-|\{\{-?)\s{0,64})";
constexpr const char* kBlockEnd = R"(\s{0,64}-?%\})";
constexpr const char* kExprEnd = R"(\s{0,64}-?\}\})";

std::string default_expr() {
  // its one group: the default's text. No carriage return: Jinja reads one as a newline, so the
  // template would write "\n" where the text has "\r".
  return std::string(kExpr) + "'<\\|im_start\\|>system" + kNl + R"(([^'\\{}\n\r]{0,1024}))" + "<\\|im_end\\|>" +
         kNl + "'" + kExprEnd;
}

// Qwen2.5's if/else block; group 1 is the default's whole expression, group 2 its text.
const std::regex& qwen25_block() {
  static const std::regex re(std::string(kBlock) + "if\\s{1,64}" + kRole0 + "\\s{0,64}==\\s{0,64}" + kSystem +
                             kBlockEnd + kExpr + "'<\\|im_start\\|>system" + kNl + "'\\s{0,64}\\+\\s{0,64}" +
                             kContent0 + "\\s{0,64}\\+\\s{0,64}'<\\|im_end\\|>" + kNl + "'" + kExprEnd + kBlock +
                             "else" + kBlockEnd + "(" + default_expr() + ")" + kBlock + "endif" + kBlockEnd);
  return re;
}

// Its message loop leaves the first system message to that block.
const std::regex& skips_first_system() {
  static const std::regex re(R"(message(?:\[\s{0,64}['"]role['"]\s{0,64}\]|\.role)\s{0,64}==\s{0,64}['"]system['"])"
                             R"(\s{0,64}and\s{1,64}not\s{1,64}loop\.first)");
  return re;
}

// Qwen1.5's / Qwen2's loop head (groups as above).
const std::regex& qwen15_block() {
  static const std::regex re(std::string(R"(\{%-?\s{0,64}for\s{1,64}message\s{1,64}in\s{1,64}messages)") + kBlockEnd +
                             kBlock + "if\\s{1,64}loop\\.first\\s{1,64}and\\s{1,64}" + kRole0 + "\\s{0,64}!=\\s{0,64}" +
                             kSystem + kBlockEnd + "(" + default_expr() + ")" + kBlock + "endif" + kBlockEnd);
  return re;
}

// The only match of `re` in `text`, or nullopt (none, or more than one).
std::optional<std::smatch> only_match(const std::string& text, const std::regex& re) {
  auto it = std::sregex_iterator(text.begin(), text.end(), re);
  if (it == std::sregex_iterator()) return std::nullopt;
  std::smatch m = *it;
  if (++it != std::sregex_iterator()) return std::nullopt;
  return m;
}

// The index of the tag that begins at `at`, or nullopt when none does (the look-alike of a tag
// there is inside another tag, a comment or a raw block).
std::optional<size_t> tag_at(const std::vector<JinjaTag>& tags, size_t at) {
  for (size_t i = 0; i < tags.size() && tags[i].begin <= at; ++i)
    if (tags[i].begin == at) return i;
  return std::nullopt;
}

// Qwen2.5's `if tools ... else` wrapper: `if tools` is false for a conversation the server renders
// ("tools" absent or []), so its else branch runs and its first branch never does.
bool is_tools_test(const JinjaBlock& b) { return b.keyword == "if" && b.condition == "tools" && !b.had_elif; }

// Whether the template text `gap` just before `tag` (after `prev`, when there is one) is written:
// any but white space that a `-` on either tag strips.
bool gap_written(std::string_view t, std::string_view gap, const JinjaTag* prev, const JinjaTag& tag) {
  if (gap.find_first_not_of(" \t\n\r\f\v") != std::string_view::npos) return true;
  const bool stripped_by_tag = t[tag.begin + 2] == '-';
  // The previous tag's closing sign, not its opening one: in `{#-#}` the `-` opens the comment and
  // the closing `#}` strips nothing (review CD H2).
  const bool stripped_by_prev = prev != nullptr && prev->end - 3 > prev->begin + 2 && t[prev->end - 3] == '-';
  return !gap.empty() && !stripped_by_tag && !stripped_by_prev;
}

// Whether `set TARGETS = ...` (rest without white space) assigns `tools` or `messages`: the names the
// rendering decides on (`if tools` is taken as false, the loop reads the conversation), so such an
// assignment changes what Jinja writes (review CD H1: `set tools = [1]` ran the `if tools` branch).
bool assigns_conversation(const std::string& rest) {
  const std::string_view targets = std::string_view(rest).substr(0, rest.find('='));
  size_t from = 0;
  while (from <= targets.size()) {
    size_t to = targets.find_first_of(",()", from);
    if (to == std::string_view::npos) to = targets.size();
    const std::string_view name = targets.substr(from, to - from);
    if (name == "tools" || name == "messages") return true;
    from = to + 1;
  }
  return false;
}

// A tag that may come before the default: one that writes nothing and runs nothing that does
// (conditions, `set x = ...` of another name than tools/messages, comments). A loop, an
// expression, a raw block, a macro or call may.
bool writes_nothing(const JinjaTag& tag) {
  if (tag.kind == JinjaTag::Kind::kComment) return true;
  if (tag.kind == JinjaTag::Kind::kExpression) return false;
  for (std::string_view k : {"if", "elif", "else", "endif"})
    if (tag.keyword == k) return true;
  return tag.keyword == "set" && tag.rest.find('=') != std::string::npos && !assigns_conversation(tag.rest);
}

// Whether the statement tag tags[index] (a default's block, or the loop opening with one) runs
// first, so the prompt is the default, then the rest: it sits in no comment, raw block, loop or
// condition (Jinja would write it later, more than once, or never), but for the else branch of an
// `if tools` where `in_tools_else` allows it; and before it the template writes nothing and loops
// nowhere (conditions, assignments, comments and white space stripped by a `-` only), except in the
// first branch of an `if tools`, which never runs.
bool runs_first(std::string_view t, const std::vector<JinjaTag>& tags, size_t index, bool in_tools_else) {
  bool first = false;
  // never_runs[k]: how many of open[0..k] are the first branch of an `if tools`. Kept up to date
  // instead of rescanning the open blocks at every tag (40,000 nested ifs took seconds: review CE
  // M2): from one tag to the next only the innermost block changes (opened, closed, or past its
  // else), so only the last entry is recounted.
  std::vector<size_t> never_runs;
  const bool nested = visit_jinja_blocks(tags, [&](size_t i, const std::vector<JinjaBlock>& open) {
    never_runs.resize(open.size());
    if (!open.empty())
      never_runs.back() = (open.size() > 1 ? never_runs[open.size() - 2] : 0) +
                          (is_tools_test(open.back()) && !open.back().in_else ? 1 : 0);
    if (!never_runs.empty() && never_runs.back() > 0) return true;  // never runs
    const size_t from = i == 0 ? 0 : tags[i - 1].end;
    if (gap_written(t, t.substr(from, tags[i].begin - from), i == 0 ? nullptr : &tags[i - 1], tags[i]))
      return false;  // text written before the default: `first` stays false
    if (i == index) {
      first = open.empty() || (in_tools_else && open.size() == 1 && is_tools_test(open[0]) && open[0].in_else);
      return false;
    }
    return writes_nothing(tags[i]);
  });
  return nested && first;
}

// Whether the match at `pos` begins with a statement tag that runs first (runs_first); `pos` may
// be on white space before the tag.
bool match_runs_first(const std::vector<JinjaTag>& tags, const std::string& t, size_t pos, bool in_tools_else) {
  const std::optional<size_t> index = tag_at(tags, t.find('{', pos));
  return index && tags[*index].kind == JinjaTag::Kind::kStatement && runs_first(t, tags, *index, in_tools_else);
}

// Whether the skip of the first system message in tags[k] is where Qwen2.5 has it (review CE M1: the
// words in any statement tag were taken, even in an `if` guarding nothing, and the loop then wrote
// the system message again): in the `if` that opens the body of `for message in messages`, whose
// first branch writes (an expression tag right after it), and whose if/elif/endif chain is the
// whole body (its endif is followed by the loop's endfor, only white space a `-` strips between).
// The loop is at the top level (`top_level[i]`: no block open around tags[i]): under `if false`
// Jinja writes no message at all.
// Whether an `if` condition (its text without white space) is Qwen2.5's: parenthesised role tests
// joined by `or`, `(message.role == "user")`, `(message.role == "system" and not loop.first)` and
// `(message.role == "assistant")` or `(message.role == "assistant" and not message.tool_calls)`,
// each once, in any order (review CG M1: the skip's words under `not (...)` or after `true or`
// were taken, and jinja2 then wrote the system message twice). The assistant clause is required:
// without it jinja2 writes no assistant message, the server every one (review CL H1).
bool known_skip_condition(std::string_view c) {
  bool user = false, skip = false, assistant = false;
  while (!c.empty()) {
    if (c.front() != '(') return false;
    const size_t close = c.find(')');
    if (close == std::string_view::npos) return false;
    std::string_view g = c.substr(1, close - 1);
    c.remove_prefix(close + 1);
    if (!c.empty()) {
      if (c.substr(0, 2) != "or") return false;
      c.remove_prefix(2);
      if (c.empty()) return false;
    }
    bool named = false;
    for (std::string_view role_is : {"message.role==", "message['role']==", "message[\"role\"]=="})
      if (!named && g.substr(0, role_is.size()) == role_is) {
        g.remove_prefix(role_is.size());
        named = true;
      }
    if (!named || g.size() < 2) return false;
    const char q = g.front();
    if (q != '"' && q != '\'') return false;
    const size_t end = g.find(q, 1);
    if (end == std::string_view::npos) return false;
    const std::string_view role = g.substr(1, end - 1), then = g.substr(end + 1);
    if (role == "user" && then.empty() && !user) {
      user = true;
    } else if (role == "system" && then == "andnotloop.first" && !skip) {
      skip = true;
    } else if (role == "assistant" && (then.empty() || then == "andnotmessage.tool_calls") && !assistant) {
      assistant = true;
    } else {
      return false;
    }
  }
  return user && skip && assistant;
}

bool skip_guards_the_write(std::string_view t, const std::vector<JinjaTag>& tags, const std::vector<bool>& top_level,
                           size_t k) {
  if (k == 0 || k + 1 >= tags.size() || tags[k].kind != JinjaTag::Kind::kStatement || tags[k].keyword != "if" ||
      !known_skip_condition(tags[k].rest))
    return false;
  const JinjaTag& loop = tags[k - 1];
  if (loop.kind != JinjaTag::Kind::kStatement || loop.keyword != "for" || loop.rest != "messageinmessages" ||
      !top_level[k - 1] || gap_written(t, t.substr(loop.end, tags[k].begin - loop.end), &loop, tags[k]))
    return false;
  if (tags[k + 1].kind != JinjaTag::Kind::kExpression) return false;
  size_t depth = 0;  // the if's own endif: the first one at its depth
  for (size_t e = k; e < tags.size(); ++e) {
    if (tags[e].kind != JinjaTag::Kind::kStatement) continue;
    if (tags[e].keyword == "if") ++depth;
    if (tags[e].keyword != "endif" || --depth != 0) continue;
    if (e + 1 >= tags.size()) return false;
    const JinjaTag& next = tags[e + 1];
    return next.kind == JinjaTag::Kind::kStatement && next.keyword == "endfor" &&
           !gap_written(t, t.substr(tags[e].end, next.begin - tags[e].end), &tags[e], next);
  }
  return false;
}

// Whether one of the loop's skips of the first system message is the known one (skip_guards_the_write).
bool skips_first_system_in_loop(const std::string& t, const std::vector<JinjaTag>& tags) {
  std::vector<bool> top_level(tags.size(), false);
  if (!visit_jinja_blocks(tags, [&](size_t i, const std::vector<JinjaBlock>& open) {
        top_level[i] = open.empty();
        return true;
      }))
    return false;
  // Each tag holding a match judged once, the tags walked forward with the matches (they come in
  // order): many matches in one long `if` cost one scan, not one each (review CG M2).
  size_t k = 0;
  size_t judged = tags.size();
  for (auto it = std::sregex_iterator(t.begin(), t.end(), skips_first_system()); it != std::sregex_iterator(); ++it) {
    const size_t pos = static_cast<size_t>(it->position(0));
    while (k < tags.size() && tags[k].end <= pos) ++k;
    if (k == tags.size()) break;
    if (!(tags[k].begin < pos) || k == judged) continue;
    judged = k;
    if (skip_guards_the_write(t, tags, top_level, k)) return true;
  }
  return false;
}

}  // namespace

std::optional<ChatMlDefaultSystem> find_chatml_default_system(std::string_view text) {
  const std::string t(text);
  const std::optional<std::smatch> m = only_match(t, qwen25_block());
  const std::optional<std::smatch> m15 = only_match(t, qwen15_block());
  if (m.has_value() == m15.has_value()) return std::nullopt;  // neither shape, or both: not ours to guess
  // Where the match sits: a block of the same text elsewhere renders differently (after the loop,
  // inside it, under another condition, in a comment). A template Jinja cannot lex is refused.
  const std::optional<std::vector<JinjaTag>> tags = jinja_tags(t);
  if (!tags) return std::nullopt;
  if (m) {
    // Qwen2.5's block before the loop, at the top level or in the else branch of `if tools`; the
    // loop's skip of the first system message in the known place (skip_guards_the_write).
    if (!match_runs_first(*tags, t, static_cast<size_t>(m->position(0)), true) ||
        !skips_first_system_in_loop(t, *tags))
      return std::nullopt;
  } else if (!match_runs_first(*tags, t, static_cast<size_t>(m15->position(0)), false)) {
    return std::nullopt;  // Qwen1.5's loop at the top level, the first loop
  }
  const std::smatch& hit = m ? *m : *m15;
  // group 1: the default's expression, group 2: its text.
  ChatMlDefaultSystem d;
  d.message = hit[2].str();
  d.rest = t.substr(0, static_cast<size_t>(hit.position(1))) +
           t.substr(static_cast<size_t>(hit.position(1) + hit.length(1)));
  return d;
}

}  // namespace infertrace::serve
