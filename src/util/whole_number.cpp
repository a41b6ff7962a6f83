#include "util/whole_number.h"

#include <charconv>

namespace infertrace {

WholeNumber parse_whole_number(const std::string& text, int64_t min, int64_t max) {
  WholeNumber n;
  const bool negative = text.rfind('-', 0) == 0;
  const size_t first_digit = negative ? 1 : 0;
  if (text.size() == first_digit || text.find_first_not_of("0123456789", first_digit) != std::string::npos) return n;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    n.status = negative ? WholeNumber::Status::below_min : WholeNumber::Status::above_max;
  } else if (ec != std::errc() || end != text.data() + text.size()) {
    return n;
  } else if (v < min) {
    n.status = WholeNumber::Status::below_min;
  } else if (v > max) {
    n.status = WholeNumber::Status::above_max;
  } else {
    n.status = WholeNumber::Status::ok;
    n.value = v;
  }
  return n;
}

std::string whole_number_problem(const WholeNumber& n, int64_t min, int64_t max) {
  switch (n.status) {
    case WholeNumber::Status::ok: return "";
    case WholeNumber::Status::not_a_number: return "is not a whole number";
    case WholeNumber::Status::below_min: return "is below " + std::to_string(min);
    case WholeNumber::Status::above_max: return "is above " + std::to_string(max);
  }
  return "";
}

}  // namespace infertrace
