#include "ingest/kineto/json_number.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>

namespace infertrace::kineto {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim_trailing(std::string_view s) {
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

// The pieces of a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
struct Parts {
  bool negative = false;
  std::string_view int_digits, frac_digits;
  bool has_exp = false;
  int64_t exp = 0;  // saturated at +-1e9: far beyond any value that fits
};

bool split(std::string_view s, Parts& p) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') {
    p.negative = true;
    ++i;
  }
  const size_t int_begin = i;
  if (i >= n || !is_digit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && is_digit(s[i])) ++i;
  }
  p.int_digits = s.substr(int_begin, i - int_begin);
  if (i < n && s[i] == '.') {
    const size_t f = ++i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == f) return false;
    p.frac_digits = s.substr(f, i - f);
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    p.has_exp = true;
    ++i;
    bool eneg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    const size_t e = i;
    int64_t v = 0;
    while (i < n && is_digit(s[i])) {
      if (v < 1000000000) v = v * 10 + (s[i] - '0');
      ++i;
    }
    if (i == e) return false;
    p.exp = eneg ? -v : v;
  }
  return i == n;
}

// True when the 8 bytes at p are all ASCII digits (p[0..8) must be inside the token).
bool eight_digits(const char* p, uint64_t& word) {
  std::memcpy(&word, p, 8);
  return (((word & 0xF0F0F0F0F0F0F0F0) | (((word + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) ==
          0x3333333333333333);
}

// The value of 8 ASCII digits loaded little-endian (first digit in the low byte), in three
// multiply steps instead of eight dependent ones.
uint64_t eight_digit_value(uint64_t word) {
  word -= 0x3030303030303030;
  word = (word * 10) + (word >> 8);
  word = (((word & 0x000000FF000000FF) * 0x000F424000000064) + (((word >> 16) & 0x000000FF000000FF) * 0x0000271000000001)) >> 32;
  return word;
}

// The shapes Kineto writes, read in one pass: an optional '-', 1 to 15 integer digits (no leading
// zero unless alone) and, when `decimals` > 0, an optional '.' with 1 to `decimals` digits, then
// only whitespace. Returns false for anything else (more digits, an exponent, a malformed token),
// which the exact reader below then handles; it never accepts what that reader would reject.
// `scaled` is the value times 10^decimals.
bool fast_decimal(std::string_view s, int decimals, int64_t& scaled) {
  const char* p = s.data();
  const char* const end = p + s.size();
  bool neg = false;
  if (p < end && *p == '-') {
    neg = true;
    ++p;
  }
  const char* const digits = p;
  uint64_t v = 0;
  uint64_t word;
  // Timestamps have 13 integer digits: take 8 at once when they are there.
  if (end - p >= 8 && eight_digits(p, word)) {
    v = eight_digit_value(word);
    p += 8;
  }
  while (p < end && is_digit(*p) && p - digits < 16) v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  const ptrdiff_t nint = p - digits;
  if (nint == 0 || nint > 15 || (nint > 1 && *digits == '0')) return false;
  int nfrac = 0;
  if (decimals > 0 && p < end && *p == '.') {
    ++p;
    while (p < end && is_digit(*p) && nfrac <= decimals) {
      v = v * 10 + static_cast<uint64_t>(*p++ - '0');
      ++nfrac;
    }
    if (nfrac == 0 || nfrac > decimals) return false;
  }
  for (int k = nfrac; k < decimals; ++k) v *= 10;
  while (p < end && is_ws(*p)) ++p;
  if (p != end) return false;  // '.', an exponent, more digits, or junk: the exact reader decides
  scaled = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

}  // namespace

NumStatus parse_us_to_ns(std::string_view token, int64_t& out) {
  if (fast_decimal(token, 3, out)) return NumStatus::Ok;
  Parts p;
  if (!split(trim_trailing(token), p)) return NumStatus::Invalid;
  // value_ns = D * 10^shift where D is all significant digits (integer then fraction).
  int64_t shift = p.exp + 3 - static_cast<int64_t>(p.frac_digits.size());
  // Drop leading zeros so the digit count says the magnitude.
  std::string_view a = p.int_digits, b = p.frac_digits;
  while (!a.empty() && a.front() == '0') a.remove_prefix(1);
  if (a.empty()) {
    while (!b.empty() && b.front() == '0') b.remove_prefix(1);
  }
  const int64_t ndigits = static_cast<int64_t>(a.size() + b.size());
  auto digit = [&](int64_t k) { return k < static_cast<int64_t>(a.size()) ? a[k] : b[k - a.size()]; };
  if (ndigits == 0) {
    out = 0;
    return NumStatus::Ok;
  }
  // Digits of the result before the decimal point (in ns).
  const int64_t whole = ndigits + shift;
  if (whole > 19) return NumStatus::OutOfRange;  // >= 10^19 > INT64_MAX
  uint64_t v = 0;
  const int64_t keep = std::min<int64_t>(whole, ndigits);
  for (int64_t k = 0; k < keep; ++k) v = v * 10 + static_cast<uint64_t>(digit(k) - '0');
  for (int64_t k = ndigits; k < whole; ++k) v *= 10;  // trailing zeros from a positive shift
  // Round half away from zero on the first dropped digit.
  if (whole >= 0 && whole < ndigits && digit(whole) >= '5') ++v;
  const uint64_t limit = p.negative ? uint64_t(1) << 63 : uint64_t(std::numeric_limits<int64_t>::max());
  if (v > limit) return NumStatus::OutOfRange;
  out = p.negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return NumStatus::Ok;
}

NumStatus parse_int64(std::string_view token, int64_t& out) {
  if (fast_decimal(token, 0, out)) return NumStatus::Ok;
  Parts p;
  if (!split(trim_trailing(token), p)) return NumStatus::Invalid;
  if (!p.frac_digits.empty() || p.has_exp) return NumStatus::NotInteger;
  std::string_view d = p.int_digits;
  if (d.size() > 19) return NumStatus::OutOfRange;
  uint64_t v = 0;
  for (char c : d) v = v * 10 + static_cast<uint64_t>(c - '0');
  const uint64_t limit = p.negative ? uint64_t(1) << 63 : uint64_t(std::numeric_limits<int64_t>::max());
  if (v > limit) return NumStatus::OutOfRange;
  out = p.negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return NumStatus::Ok;
}

}  // namespace infertrace::kineto
