#include "serve/chatml_default_system.h"

#include <regex>

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
  // its one group: the default's text
  return std::string(kExpr) + "'<\\|im_start\\|>system" + kNl + R"(([^'\\{}\n]{0,1024}))" + "<\\|im_end\\|>" + kNl +
         "'" + kExprEnd;
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
  static const std::regex re(
      R"(message(?:\[\s{0,64}['"]role['"]\s{0,64}\]|\.role)\s{0,64}==\s{0,64}['"]system['"]\s{0,64}and\s{1,64}not\s{1,64}loop\.first)");
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

}  // namespace

std::optional<ChatMlDefaultSystem> find_chatml_default_system(std::string_view text) {
  const std::string t(text);
  std::optional<std::smatch> m = only_match(t, qwen25_block());
  if (m && !std::regex_search(t, skips_first_system())) m.reset();
  const std::optional<std::smatch> m15 = only_match(t, qwen15_block());
  if (m.has_value() == m15.has_value()) return std::nullopt;  // neither shape, or both: not ours to guess
  const std::smatch& hit = m ? *m : *m15;
  // group 1: the default's expression, group 2: its text.
  ChatMlDefaultSystem d;
  d.message = hit[2].str();
  d.rest = t.substr(0, static_cast<size_t>(hit.position(1))) +
           t.substr(static_cast<size_t>(hit.position(1) + hit.length(1)));
  return d;
}

}  // namespace infertrace::serve
