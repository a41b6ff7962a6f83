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

inline std::string out_of_range(const std::string& value) { return "out of range (got " + value + ")"; }

}  // namespace numeric_detail

// No description on these validators: the help's "UINT", "INT", "FLOAT" stay as they were.

// Unsigned integers: no minus sign (but on zero: -0 is 0), and at most 2^64-1. The error reads
// "--seed: must not be negative (got -1)" or "--seed: out of range (got 99999999999999999999)".
inline CLI::Option* check_unsigned(CLI::Option* opt) {
  opt->check(CLI::Validator(
      [](std::string& value) -> std::string {
        using namespace numeric_detail;
        bool range = false;
        unsigned long long v = 0;
        const bool whole =
            whole_number(value, [&v](const char* s, char** e) { return v = std::strtoull(s, e, 0); }, &range);
        // "-0" (also "-00", "-0x0") is 0, which strtoull gives for it: a negative zero is no
        // negative number, so it is taken as the 0 it is.
        if (starts_negative(value) && !(whole && !range && v == 0)) return "must not be negative (got " + value + ")";
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
        double v = 0;
        bool range = false;
        if (!whole_number(value, [&v](const char* s, char** e) { return v = std::strtod(s, e); }, &range)) return {};
        // glibc also sets ERANGE for a subnormal result; that one is still a number near the text.
        if (range && (std::isinf(v) || v == 0)) return out_of_range(value);
        if (!std::isfinite(v)) return "must be a finite number (got " + value + ")";
        return {};
      },
      ""));
  return opt;
}

// A range check whose bounds the help gives in the option's description, "(1 to 1000000)", and not
// in its type: CLI::Range adds its own text to the type name, so `--top` read "--top UINT:INT in
// [1 - 1000000]=10" beside "--threshold FLOAT=1" (review UX L12). The check and its error are
// CLI11's ("Value 0 not in range 1 to 1000000").
template <class T>
CLI::Option* check_range(CLI::Option* opt, T lo, T hi) {
  const auto text = [](T v) {
    std::ostringstream out;
    out << v;  // 0.01, 60, 3600 (double); 1000000 (integer)
    return out.str();
  };
  opt->check(CLI::Range(lo, hi).description(""));
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
