#include "serve/jinja_lex.h"

namespace infertrace::serve {
namespace {

bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }
bool is_sign(char c) { return c == '-' || c == '+'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The length of `(\d+_)*\d+` at t[i]: digits, single underscores between them (0: no digit there).
size_t digit_group(std::string_view t, size_t i) {
  size_t j = i;
  while (j < t.size() && is_digit(t[j])) {
    ++j;
    if (j + 1 < t.size() && t[j] == '_' && is_digit(t[j + 1])) ++j;
  }
  return j - i;
}

// The length of the number jinja2's lexer reads at t[i], a digit. Its float rule is tried first
// (not right after a '.'): digits with a fraction `.digits`, an exponent `e[+-]digits`, or both;
// then its integer rule: 0b/0o/0x and digits of that base, a decimal not starting with 0, or
// zeros (`08` is `0` then `8`). Underscores stand only between digits; letters case-insensitive.
size_t number_length(std::string_view t, size_t i) {
  const size_t whole = digit_group(t, i);
  if (i == 0 || t[i - 1] != '.') {
    size_t j = i + whole;
    const size_t frac = j + 1 < t.size() && t[j] == '.' ? digit_group(t, j + 1) : 0;
    if (frac > 0) j += 1 + frac;
    size_t exp = 0;
    if (j < t.size() && (t[j] == 'e' || t[j] == 'E')) {
      const size_t d = j + 1 + (j + 1 < t.size() && is_sign(t[j + 1]) ? 1 : 0);
      if (const size_t n = digit_group(t, d); n > 0) exp = d + n - j;
    }
    if (frac > 0 || exp > 0) return j + exp - i;
  }
  // A run of `_?x` for the digits x of a base, after `from`.
  const auto run = [&](size_t from, bool (*ok)(char)) {
    size_t j = from;
    while (j < t.size()) {
      if (ok(t[j])) {
        ++j;
      } else if (t[j] == '_' && j + 1 < t.size() && ok(t[j + 1])) {
        j += 2;
      } else {
        break;
      }
    }
    return j - from;
  };
  if (t[i] == '0' && i + 1 < t.size()) {
    const char b = t[i + 1];
    size_t n = 0;
    if (b == 'b' || b == 'B') n = run(i + 2, [](char c) { return c == '0' || c == '1'; });
    if (b == 'o' || b == 'O') n = run(i + 2, [](char c) { return c >= '0' && c <= '7'; });
    if (b == 'x' || b == 'X') n = run(i + 2, is_hex);
    if (n > 0) return 2 + n;
  }
  if (t[i] == '0') return 1 + run(i + 1, [](char c) { return c == '0'; });
  return 1 + run(i + 1, is_digit);
}

// Why Python's unicode-escape decoding (jinja2 decodes every string literal with it when it lexes a
// template) refuses the escape at t[k] == '\\', or "". Those it takes: \\ \' \" \a \b \f \n \r \t \v,
// octal, \x with 2 hex digits, \u with 4, \U with 8 up to 10FFFF, a backslash before a newline, and
// a backslash before any other character (kept as written). \N{name} is refused whatever the name:
// no table of Unicode names is carried here (the safe side).
std::string bad_escape(std::string_view t, size_t k) {
  const char e = k + 1 < t.size() ? t[k + 1] : 0;
  const size_t want = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
  if (e == 'N') return "the escape '\\N' in a string literal (Unicode names are not read here)";
  if (want == 0) return "";
  size_t n = 0;
  while (n < want && k + 2 + n < t.size() && is_hex(t[k + 2 + n])) ++n;
  const std::string written(t.substr(k, 2 + n));
  if (n < want)
    return "the escape '" + written + "' in a string literal, which jinja2 cannot decode (truncated \\" + e +
           std::string(want, 'X') + " escape)";
  if (e == 'U' && std::stoul(written.substr(2), nullptr, 16) > 0x10FFFF)
    return "the escape '" + written + "' in a string literal, which jinja2 cannot decode (no Unicode character)";
  return "";
}

// The sign (`-`, `+`) that opens tag's body, or 0.
char opening_sign(std::string_view s, const JinjaTag& tag) {
  return tag.begin + 2 < tag.end && is_sign(s[tag.begin + 2]) ? s[tag.begin + 2] : 0;
}

// The sign that closes it, or 0. In `{#-#}` the `-` is the opening one: the closing `#}` has none.
// An expression closes with `-}}` or `}}` only: in `{{ a +}}` the `+` is an operator (jinja2's lexer).
char closing_sign(std::string_view s, const JinjaTag& tag) {
  const size_t first = tag.begin + 2 + (opening_sign(s, tag) != 0 ? 1 : 0);
  if (tag.end < 3 || tag.end - 3 < first) return 0;
  const char c = s[tag.end - 3];
  return c == '-' || (c == '+' && tag.kind != JinjaTag::Kind::kExpression) ? c : 0;
}

}  // namespace

std::string jinja_normalized(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out.push_back(text[i]);
      continue;
    }
    out.push_back('\n');
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string jinja_data_before(std::string_view s, const std::vector<JinjaTag>& tags, size_t i) {
  const size_t from = i == 0 ? 0 : tags[i - 1].end;
  const size_t to = i < tags.size() ? tags[i].begin : s.size();
  std::string_view data = s.substr(from, to - from);
  // Whether the data starts a line, for lstrip_blocks: jinja2 tracks whether the text its lexer
  // read last (the previous tag with what it strips after itself) ended with a newline.
  bool line_starting = true;
  if (i > 0) {
    const JinjaTag& prev = tags[i - 1];
    const char sign = closing_sign(s, prev);
    line_starting = false;
    if (sign == '-') {
      size_t n = 0;
      while (n < data.size() && is_ascii_space(data[n])) ++n;
      line_starting = n > 0 && data[n - 1] == '\n';
      data.remove_prefix(n);
    } else if (sign != '+' && prev.kind != JinjaTag::Kind::kExpression && !data.empty() && data.front() == '\n') {
      data.remove_prefix(1);  // trim_blocks
      line_starting = true;
    }
  }
  if (i < tags.size()) {
    const JinjaTag& next = tags[i];
    const char sign = opening_sign(s, next);
    if (sign == '-') {
      while (!data.empty() && is_ascii_space(data.back())) data.remove_suffix(1);
    } else if (sign != '+' && next.kind != JinjaTag::Kind::kExpression) {
      // lstrip_blocks: the spaces and tabs between the line's start and the tag.
      const size_t nl = data.rfind('\n');
      const size_t line = nl == std::string_view::npos ? 0 : nl + 1;
      if ((line > 0 || line_starting) && data.find_first_not_of(" \t", line) == std::string_view::npos)
        data = data.substr(0, line);
    }
  }
  return std::string(data);
}

std::string_view jinja_tag_body(std::string_view s, const JinjaTag& tag) {
  const size_t b = tag.begin + 2 + (opening_sign(s, tag) != 0 ? 1 : 0);
  const size_t e = tag.end - 2 - (closing_sign(s, tag) != 0 ? 1 : 0);
  return s.substr(b, e > b ? e - b : 0);
}

std::optional<std::vector<JinjaToken>> jinja_tokens(std::string_view t, std::string* why) {
  auto refuse = [&](const std::string& reason) -> std::optional<std::vector<JinjaToken>> {
    if (why) *why = reason;
    return std::nullopt;
  };
  std::vector<JinjaToken> out;
  std::string open;  // the brackets open, innermost last
  // jinja2's operators, the longest first where one is the start of another.
  static constexpr std::string_view kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%",
                                                     "~",  "[",  "]",  "(",  ")",  "{",  "}", ">", "<", "=", ".",
                                                     ":",  "|",  ",",  ";"};
  for (size_t i = 0; i < t.size();) {
    const char c = t[i];
    if (is_ascii_space(c)) {
      ++i;
      continue;
    }
    JinjaToken tok;
    if (is_name_start(c)) {
      const size_t b = i;
      while (i < t.size() && is_name_char(t[i])) ++i;
      tok.kind = JinjaToken::Kind::kName;
      tok.text = std::string(t.substr(b, i - b));
    } else if (is_digit(c)) {
      const size_t b = i;
      i += number_length(t, i);
      tok.kind = JinjaToken::Kind::kNumber;
      tok.text = std::string(t.substr(b, i - b));
      // A name or number right after it: jinja2 reads them as two tokens, which its parser refuses
      // (`08`, `1_`, `1e`, `0x`, `1a`); refused here, `1if` (jinja2 takes it) too (the safe side).
      if (i < t.size() && is_name_char(t[i])) {
        size_t e = i;
        while (e < t.size() && is_name_char(t[e])) ++e;
        return refuse("'" + std::string(t.substr(b, e - b)) + "', which jinja2 reads as the number '" + tok.text +
                      "' and then '" + std::string(t.substr(i, e - i)) + "'");
      }
    } else if (c == '\'' || c == '"') {
      tok.kind = JinjaToken::Kind::kString;
      size_t k = i + 1;
      for (; k < t.size() && t[k] != c; ++k) {
        if (t[k] != '\\') {
          tok.text.push_back(t[k]);
          continue;
        }
        if (const std::string bad = bad_escape(t, k); !bad.empty()) return refuse(bad);
        if (++k >= t.size()) break;
        // Python's unicode-escape decoding: only the escapes below are decoded here; any other it
        // takes (\x41, \u00e9, octal, \a, \q) is kept as written and marks the string as not plain.
        switch (t[k]) {
          case 'n': tok.text.push_back('\n'); break;
          case 't': tok.text.push_back('\t'); break;
          case 'r': tok.text.push_back('\r'); break;
          case '\\': case '\'': case '"': tok.text.push_back(t[k]); break;
          default:
            tok.plain_string = false;
            tok.text.push_back('\\');
            tok.text.push_back(t[k]);
        }
      }
      if (k >= t.size()) return refuse("a string literal is not closed");
      i = k + 1;
    } else {
      bool found = false;
      for (std::string_view op : kOperators) {
        if (t.compare(i, op.size(), op) != 0) continue;
        tok.kind = JinjaToken::Kind::kOperator;
        tok.text = std::string(op);
        i += op.size();
        found = true;
        break;
      }
      if (!found) {
        // The whole character, not its first byte (half a UTF-8 character is no text in a JSON
        // reply; review CL L3): the lead byte and the continuation bytes after it.
        size_t n = 1;
        while (static_cast<unsigned char>(c) >= 0xC0 && n < 4 && i + n < t.size() &&
               (static_cast<unsigned char>(t[i + n]) & 0xC0) == 0x80)
          ++n;
        return refuse("the character '" + std::string(t.substr(i, n)) + "' begins no Jinja token");
      }
      const char o = tok.text.size() == 1 ? tok.text[0] : 0;
      if (o == '(' || o == '[' || o == '{') open.push_back(o);
      if (o == ')' || o == ']' || o == '}') {
        const char want = o == ')' ? '(' : o == ']' ? '[' : '{';
        if (open.empty() || open.back() != want) return refuse(std::string("an unmatched '") + o + "'");
        open.pop_back();
      }
    }
    out.push_back(std::move(tok));
  }
  if (!open.empty()) return refuse(std::string("an unclosed '") + open.back() + "'");
  return out;
}

}  // namespace infertrace::serve
