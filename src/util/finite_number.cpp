#include "util/finite_number.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace infertrace {

std::optional<double> parse_finite_number(std::string_view text) {
  constexpr std::string_view space = " \t\n\v\f\r";
  const size_t first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(space) - first + 1);
  double v = 0;
  // chars_format::general: decimal and exponent forms only (no "0x"); from_chars also reads
  // "inf" and "nan", which the finiteness check turns away.
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace infertrace
