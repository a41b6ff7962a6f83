// Whole numbers typed by the user inside a larger option value ("cuda:N", "bs=N", "2,4,8"), read
// without std::stoi: its exceptions say only "stoi" (review AW: `bench membw --device
// cuda:99999999999` printed "error: stoi"), it calls a number too large "not a number", and it
// takes "12x" or " 12" as 12. Callers turn the outcome into a usage error naming their option.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace {

struct WholeNumber {
  enum class Status { ok, not_a_number, below_min, above_max };
  Status status = Status::not_a_number;
  int64_t value = 0;  // valid when ok
};

// Decimal digits, with an optional leading minus (no plus, space or suffix), within [min, max];
// a number beyond int64 is below_min or above_max like any other outside the range.
WholeNumber parse_whole_number(const std::string& text, int64_t min, int64_t max);

// For messages: "is not a whole number", "is below MIN" or "is above MAX"; "" when ok.
std::string whole_number_problem(const WholeNumber& n, int64_t min, int64_t max);

}  // namespace infertrace
