// util/finite_number.h: what a --metric-regex group may hold to count as a measurement.
#include <gtest/gtest.h>

#include "util/finite_number.h"

namespace infertrace {
namespace {

TEST(FiniteNumber, DecimalAndExponentFormsAreRead) {
  EXPECT_EQ(parse_finite_number("12"), 12.0);
  EXPECT_EQ(parse_finite_number("-0.5"), -0.5);
  EXPECT_EQ(parse_finite_number("1.5e3"), 1500.0);
  EXPECT_EQ(parse_finite_number(" 926.69\n"), 926.69);  // white space around it, as a regex group may keep
}

TEST(FiniteNumber, SuffixesInfinityNanAndOverflowAreNotNumbers) {
  for (const char* bad : {"12abc", "12 ms", "inf", "-inf", "infinity", "nan", "NaN", "0x10", "1e999", "", "  ", "+",
                          "1,5", "--1"})
    EXPECT_FALSE(parse_finite_number(bad).has_value()) << "'" << bad << "'";
}

}  // namespace
}  // namespace infertrace
