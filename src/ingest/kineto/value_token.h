// The grammar check of one scalar JSON value token, as simdjson's on-demand reader hands it out
// (raw_json_token(): the value's text up to the next structural character, trailing white space
// included). The on-demand parser checks a number or a literal only when it converts it, so a
// member the Kineto reader passes over could hold `12abc`, `NaN` or `nope` and the document would
// still be read (review DD F2/F3). piece_reader_impl.h checks every value token it meets with this,
// read or not; the direct scan (event_scan_impl.h) has its own checks and leaves any event it does
// not accept to that reader, so both end on the same error.
#pragma once

#include <cstdint>
#include <string_view>

namespace infertrace::kineto {

enum class ValueToken : uint8_t {
  Ok = 0,       // a valid number or literal, or a token that begins a string, object or array
  BadNull,      // begins with 'n' but is not `null`
  BadTrue,      // begins with 't' but is not `true`
  BadFalse,     // begins with 'f' but is not `false`
  BadNumber,    // begins with '-' or a digit but is not a JSON number (RFC 8259 section 6)
  NoValue,      // begins with a byte no JSON value begins with (`NaN`, `+7`, `.5`, `'a'`)
};

// JSON's white space (RFC 8259 section 2), and the bytes a number begins with.
inline bool is_json_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool starts_json_number(char c) { return c == '-' || static_cast<unsigned char>(c - '0') < 10; }

namespace value_token_detail {

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? then only white space to the token's end. No byte
// after the first space needs a look: stage 1 starts a new token at any non-space after a space.
inline bool is_number(const char* p, const char* end) {
  if (p != end && *p == '-') ++p;
  if (p == end || !is_digit(*p)) return false;
  if (*p == '0') {
    ++p;
  } else {
    while (p != end && is_digit(*p)) ++p;
  }
  if (p != end && *p == '.') {
    const char* f = ++p;
    while (p != end && is_digit(*p)) ++p;
    if (p == f) return false;
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p != end && (*p == '+' || *p == '-')) ++p;
    const char* e = p;
    while (p != end && is_digit(*p)) ++p;
    if (p == e) return false;
  }
  return p == end || is_json_space(*p);
}

// `lit` then only white space to the token's end.
inline bool is_literal(std::string_view tok, std::string_view lit) {
  return tok.substr(0, lit.size()) == lit && (tok.size() == lit.size() || is_json_space(tok[lit.size()]));
}

}  // namespace value_token_detail

// An empty token is Ok: simdjson reports a missing value itself.
inline ValueToken check_value_token(std::string_view tok) {
  using namespace value_token_detail;
  if (tok.empty()) return ValueToken::Ok;
  const char c = tok[0];
  // Strings, objects and arrays first: most members are one of them (their contents are checked
  // by stage 1 or by walking them). Then numbers, the other common case.
  if (c == '"' || c == '{' || c == '[') return ValueToken::Ok;
  // A digit tested first (not starts_json_number's '-' first): most numbers are positive, and the
  // other order cost 0.75% of the on-demand reader's instructions (cachegrind).
  if (is_digit(c) || c == '-') return is_number(tok.data(), tok.data() + tok.size()) ? ValueToken::Ok : ValueToken::BadNumber;
  switch (c) {
    case 'n': return is_literal(tok, "null") ? ValueToken::Ok : ValueToken::BadNull;
    case 't': return is_literal(tok, "true") ? ValueToken::Ok : ValueToken::BadTrue;
    case 'f': return is_literal(tok, "false") ? ValueToken::Ok : ValueToken::BadFalse;
    default: return ValueToken::NoValue;
  }
}

}  // namespace infertrace::kineto
