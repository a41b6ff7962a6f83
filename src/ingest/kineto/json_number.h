// Exact reading of the numbers in a Kineto trace. Kineto writes times as decimal microseconds
// ("ts": 4488795122194.149); going through double would lose nanoseconds on absolute timestamps
// (a double has ~16 significant digits, these have 16-17), so the decimal text is converted to
// integer nanoseconds directly.
#pragma once

#include <cstdint>
#include <string_view>

namespace infertrace::kineto {

enum class NumStatus : uint8_t {
  Ok = 0,
  Invalid,     // not a JSON number
  OutOfRange,  // does not fit int64
  NotInteger,  // a valid number with a fraction or exponent where an integer is required
};

// A JSON number token (trailing whitespace allowed) in microseconds -> nanoseconds, rounded to the
// nearest nanosecond (halves away from zero) when it has more than three decimals.
NumStatus parse_us_to_ns(std::string_view token, int64_t& out);

// A JSON integer token (trailing whitespace allowed) -> int64. "5.0" and "1e3" are NotInteger.
NumStatus parse_int64(std::string_view token, int64_t& out);

}  // namespace infertrace::kineto
