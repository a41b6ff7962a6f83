// util/json_int.h: which JSON numbers become int64_t, exactly or truncated, and which are refused.
// Expected values are written out here (limits as literals), not computed by the functions' rules.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "util/json_int.h"

namespace infertrace {
namespace {

using nlohmann::json;

TEST(JsonInt, ExactTakesIntegersAcrossInt64Range) {
  EXPECT_EQ(json_int_exact(json::parse("0")), 0);
  EXPECT_EQ(json_int_exact(json::parse("-17")), -17);
  EXPECT_EQ(json_int_exact(json::parse("9223372036854775807")), INT64_C(9223372036854775807));
  EXPECT_EQ(json_int_exact(json::parse("-9223372036854775808")), std::numeric_limits<int64_t>::min());
}

TEST(JsonInt, ExactRefusesFloatsBigUnsignedAndNonNumbers) {
  EXPECT_FALSE(json_int_exact(json::parse("9223372036854775808")));  // INT64_MAX + 1, parsed unsigned
  EXPECT_FALSE(json_int_exact(json::parse("18446744073709551615")));
  EXPECT_FALSE(json_int_exact(json::parse("3.0")));
  EXPECT_FALSE(json_int_exact(json::parse("1e300")));
  EXPECT_FALSE(json_int_exact(json::parse("\"5\"")));
  EXPECT_FALSE(json_int_exact(json(nullptr)));
  EXPECT_FALSE(json_int_exact(json::parse("[1]")));
}

TEST(JsonInt, TruncatingTakesIntegersExactlyAndCutsFloatsTowardZero) {
  EXPECT_EQ(json_int_truncating(json::parse("9223372036854775807")), INT64_C(9223372036854775807));
  EXPECT_EQ(json_int_truncating(json::parse("2.9")), 2);
  EXPECT_EQ(json_int_truncating(json::parse("-2.9")), -2);
  EXPECT_EQ(json_int_truncating(json::parse("1e18")), INT64_C(1000000000000000000));
  // -2^63 is representable; the largest double below 2^63 is 2^63 - 1024.
  EXPECT_EQ(json_int_truncating(json::parse("-9.223372036854775808e18")), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(json_int_truncating(json(9223372036854774784.0)), INT64_C(9223372036854774784));
}

TEST(JsonInt, TruncatingRefusesWhatNoInt64Holds) {
  EXPECT_FALSE(json_int_truncating(json(9223372036854775808.0)));  // 2^63
  EXPECT_FALSE(json_int_truncating(json::parse("1e300")));
  EXPECT_FALSE(json_int_truncating(json::parse("-1e300")));
  EXPECT_FALSE(json_int_truncating(json(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_FALSE(json_int_truncating(json(std::numeric_limits<double>::infinity())));
  EXPECT_FALSE(json_int_truncating(json::parse("9223372036854775808")));
  EXPECT_FALSE(json_int_truncating(json::parse("true")));
  EXPECT_FALSE(json_int_truncating(json::parse("\"1\"")));
}

}  // namespace
}  // namespace infertrace
