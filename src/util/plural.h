// A count's noun in its number: "1 record", "2 records", "0 records" (the sched verdict said "the
// recorder lost 1 records"). Header-only: analysis, cli, report and bench all word counts.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace {

// `one` for a count of exactly one, else `many` (0 and negative counts too).
inline std::string plural(int64_t n, const char* one, const char* many) { return n == 1 ? one : many; }

}  // namespace infertrace
