// Numeric options refuse values CLI11 2.1 would silently change. It converts an integer option's
// text with strtoull/strtoll (base 0) and a floating one with strtold, cast to the option's type:
//   - unsigned: "-1" is 2^64-1 (strtoull negates), so `--seed -1` ran with seed 18446744073709551615
//     and `ingest --chunk-bytes -1` read in 16 EiB pieces;
//   - 64-bit (uint64_t, size_t, int64_t): a number beyond the type saturates (strtoull/strtoll clamp
//     and set ERANGE, which CLI11 does not look at): `--seed 99999999999999999999` ran with
//     2^64-1, `engine run -n 99999999999999999999` with 2^63-1, `-n -99999999999999999999` with -2^63;
//   - narrower (int, unsigned): CLI11 itself refuses what does not fit ("Could not convert:
//     --top = 99999999999"), since the value no longer equals the 64-bit one after the cast;
//   - double: "1e999" (and "1e400": in range of strtold's long double, not of double) became inf,
//     "1e-400" became 0, and "nan", "inf", "infinity" were taken as they are.
// Header-only: `infertrace` and `infertrace-serve` both call check_numeric_options() from
// parse_and_run(), once for the whole command tree, so no verb has to remember it.
#pragma once

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <type_traits>
#include <cctype>

#include "util/text_clean.h"

namespace infertrace::cli {

namespace numeric_detail {

// Where strtoull/strtoll/strtod start reading: they skip leading white space, so the checks do too.
inline bool starts_negative(const std::string& value) {
  const size_t first = value.find_first_not_of(" \t\n\v\f\r");
  return first != std::string::npos && value[first] == '-';
}

// The checks only judge a text that is entirely a number; anything else is left to CLI11, whose
// conversion refuses it ("Could not convert: --top = 12x").
template <class Convert>
bool whole_number(const std::string& value, Convert convert, bool* out_of_range) {
  if (value.empty()) return false;
  char* end = nullptr;
  errno = 0;
  convert(value.c_str(), &end);
  *out_of_range = errno == ERANGE;
  return end == value.c_str() + value.size();
}

// A value as a message shows it: as typed, or, with a space, a quote, a backslash, a control
// character or bytes that are not UTF-8 in it, in single quotes, written as util/text_clean's
// escaped_text writes what every other error quotes (\xNN for each such byte, \\ for a backslash):
// a value holding a newline made a two-line error (review CA L11), and a C1 control or a stray byte
// went to the terminal as it was.
inline std::string shown(const std::string& value) {
  const std::string escaped = escaped_text(value);
  const bool plain = !value.empty() && escaped == value && value.find_first_of(" '") == std::string::npos;
  return plain ? value : "'" + escaped + "'";
}

inline std::string out_of_range(const std::string& value) { return "out of range (got " + shown(value) + ")"; }

inline bool all_digits(const std::string& s, size_t from, size_t to) {
  if (from >= to) return false;
  for (size_t i = from; i < to; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// One rule for the way every numeric option's value is written (review CA L6, L7): decimal digits
// with an optional leading '-', and for a floating option a decimal point and an exponent ("0.5",
// ".5", "1e3"). CLI11 converts with strtoull/strtoll (base 0) and strtold, which also took " 5",
// "+5", "0x10" (16), "010" (8, octal) and "0x1p3" (8.0), where fusion --lengths, --label bs=N and
// the verbs' own lists refused them. Returns the problem ("" when the form is fine): a text that is
// no number at all says so ("not a number (got abc)", where CLI::Range said "Value abc not in
// range 1 to 1000000"). "nan", "inf" and "infinity" pass here: check_floating names them.
inline std::string number_form_problem(const std::string& value, bool integer) {
  if (value.empty()) return {};  // refuse_empty_values says so
  const size_t digits = value[0] == '-' ? 1 : 0;
  if (integer) {
    if (all_digits(value, digits, value.size())) {
      if (value.size() - digits > 1 && value[digits] == '0')
        return "must be written without a leading zero (got " + shown(value) + ": 0NN is octal to the parser)";
      return {};
    }
  } else {
    std::string lower;
    for (size_t i = digits; i < value.size(); ++i) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(value[i])));
    if (lower == "nan" || lower == "inf" || lower == "infinity") return {};
    size_t i = digits;
    const size_t whole_from = i;
    while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
    bool any = i > whole_from;
    if (i < value.size() && value[i] == '.') {
      const size_t frac_from = ++i;
      while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
      any = any || i > frac_from;
    }
    if (any && i < value.size() && (value[i] == 'e' || value[i] == 'E')) {
      ++i;
      if (i < value.size() && (value[i] == '-' || value[i] == '+')) ++i;
      const size_t exp_from = i;
      while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
      if (i == exp_from) any = false;
    }
    if (any && i == value.size()) return {};
  }
  // Something strtod reads whole (" 5", "+5", "0x10", "1.5" for a whole number) is a number in a
  // form this rule does not take; anything else is no number.
  char* end = nullptr;
  errno = 0;
  std::strtod(value.c_str(), &end);
  const bool number = end == value.c_str() + value.size() && end != value.c_str();
  if (!number) return "not a number (got " + shown(value) + ")";
  if (integer) return "must be a whole number in decimal digits, e.g. 5 (got " + shown(value) + ")";
  return "must be a decimal number, e.g. 0.5 or 1e3 (got " + shown(value) + ")";
}

}  // namespace numeric_detail

// No description on these validators: the help's "UINT", "INT", "FLOAT" stay as they were.

// Unsigned integers: no minus sign (but on zero: -0 is 0), and at most 2^64-1. The error reads
// "--seed: must not be negative (got -1)" or "--seed: out of range (got 99999999999999999999)".
inline CLI::Option* check_unsigned(CLI::Option* opt) {
  opt->check(CLI::Validator(
      [](std::string& value) -> std::string {
        using namespace numeric_detail;
        if (std::string form = number_form_problem(value, true); !form.empty()) return form;
        bool range = false;
        unsigned long long v = 0;
        const bool whole =
            whole_number(value, [&v](const char* s, char** e) { return v = std::strtoull(s, e, 0); }, &range);
        // "-0" (also "-00", "-0x0") is 0, which strtoull gives for it: a negative zero is no
        // negative number, so it is taken as the 0 it is.
        if (starts_negative(value) && !(whole && !range && v == 0)) return "must not be negative (got " + shown(value) + ")";
        if (whole && range) return out_of_range(value);
        return {};
      },
      ""));
  return opt;
}

// Signed integers: within -2^63 .. 2^63-1 (narrower types are CLI11's own check, see above).
inline CLI::Option* check_signed(CLI::Option* opt) {
  opt->check(CLI::Validator(
      [](std::string& value) -> std::string {
        using namespace numeric_detail;
        if (std::string form = number_form_problem(value, true); !form.empty()) return form;
        bool range = false;
        if (whole_number(value, [](const char* s, char** e) { return std::strtoll(s, e, 0); }, &range) && range)
          return out_of_range(value);
        return {};
      },
      ""));
  return opt;
}

// Floating options: a finite double that is not an overflow (inf) or an underflow to 0. NaN and
// infinity are refused as such: no option documents a meaning for them (an option that would give
// one, such as "inf: no limit", has to take its value as text). CLI11 names float and double
// options alike ("FLOAT"), so the value is judged as a double: a float option would pass 1e39 and
// hold inf. No option holds a float: `engine run --temp` and `--top-p` are read as double and
// checked against float's range by the verb before the sampler (float) gets them.
inline CLI::Option* check_floating(CLI::Option* opt) {
  opt->check(CLI::Validator(
      [](std::string& value) -> std::string {
        using namespace numeric_detail;
        if (std::string form = number_form_problem(value, false); !form.empty()) return form;
        double v = 0;
        bool range = false;
        if (!whole_number(value, [&v](const char* s, char** e) { return v = std::strtod(s, e); }, &range)) return {};
        // glibc also sets ERANGE for a subnormal result; that one is still a number near the text.
        if (range && (std::isinf(v) || v == 0)) return out_of_range(value);
        if (!std::isfinite(v)) return "must be a finite number (got " + shown(value) + ")";
        return {};
      },
      ""));
  return opt;
}

// A range check whose bounds the help gives in the option's description, "(1 to 1000000)", and not
// in its type: CLI::Range (no longer used) added its own text to the type name, so `--top` read "--top UINT:INT in
// [1 - 1000000]=10" beside "--threshold FLOAT=1" (review UX L12). The error reads as CLI11's did
// ("Value 0 not in range 1 to 1000000").
template <class T>
CLI::Option* check_range(CLI::Option* opt, T lo, T hi) {
  const auto text = [](T v) {
    std::ostringstream out;
    out << v;  // 0.01, 60, 3600 (double); 1000000 (integer)
    return out.str();
  };
  // The form first (number_form_problem), then the range: "Value 0 not in range 1 to 1000000", the
  // bounds as the help gives them (CLI::Range printed doubles as 0.010000).
  opt->check(CLI::Validator(
      [lo, hi, text](std::string& value) -> std::string {
        using namespace numeric_detail;
        if (std::string form = number_form_problem(value, std::is_integral_v<T>); !form.empty()) return form;
        // A floating bound is compared as the option's own type reads the text (0.01 as a long
        // double is below 0.01 as a double); whole numbers in long double's 64-bit mantissa.
        const long double v = std::is_floating_point_v<T> ? static_cast<long double>(static_cast<T>(std::strtod(value.c_str(), nullptr)))
                                                          : std::strtold(value.c_str(), nullptr);
        if (std::isnan(v) || std::isinf(v)) return {};  // check_floating: "must be a finite number"
        if (!(v >= static_cast<long double>(lo) && v <= static_cast<long double>(hi)))
          return "Value " + shown(value) + " not in range " + text(lo) + " to " + text(hi);
        return {};
      },
      ""));
  opt->description(opt->get_description() + " (" + text(lo) + " to " + text(hi) + ")");
  return opt;
}

// Adds the check that fits to every option of `app` and its subcommands (at any depth, option
// groups included) by the type name CLI11 gives it, alone or in a container: "UINT", "INT" or
// "FLOAT" (its type_name<T>(); a validator's description may follow after a ':'). An option given
// another type name with ->type_name() must call the check itself.
inline void check_numeric_options(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    std::string type = opt->get_type_name();
    type = type.substr(0, type.find(':'));
    if (type == "UINT") check_unsigned(opt);
    else if (type == "INT") check_signed(opt);
    else if (type == "FLOAT") check_floating(opt);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) check_numeric_options(*sub);
}

}  // namespace infertrace::cli
