#include <gtest/gtest.h>

#include <cstdint>

#include "ingest/kineto/json_number.h"

using namespace infertrace::kineto;

namespace {
int64_t ns(const char* tok) {
  int64_t v = -12345;
  EXPECT_EQ(parse_us_to_ns(tok, v), NumStatus::Ok) << tok;
  return v;
}
}  // namespace

TEST(KinetoNumber, MicrosecondDecimalsBecomeExactNanoseconds) {
  EXPECT_EQ(ns("0"), 0);
  EXPECT_EQ(ns("1"), 1000);
  EXPECT_EQ(ns("1.5"), 1500);
  EXPECT_EQ(ns("2.336"), 2336);
  EXPECT_EQ(ns("0.001"), 1);
  // 16-17 significant digits: a double would not keep the last nanosecond.
  EXPECT_EQ(ns("4488795122194.149"), 4488795122194149);
  EXPECT_EQ(ns("4488795122194.151 \n"), 4488795122194151);
  EXPECT_EQ(ns("-3.25"), -3250);
  EXPECT_EQ(ns("1e3"), 1000000);
  EXPECT_EQ(ns("1.5E-3"), 2);  // 1.5 ns rounds half away from zero
  EXPECT_EQ(ns("0.0004"), 0);
  EXPECT_EQ(ns("0.0005"), 1);
  EXPECT_EQ(ns("12.3456"), 12346);
  EXPECT_EQ(ns("0.000000000000000000000001"), 0);
  EXPECT_EQ(ns("9223372036854775.807"), INT64_MAX);
  EXPECT_EQ(ns("-9223372036854775.808"), INT64_MIN);
}

TEST(KinetoNumber, RejectsNonNumbersAndOutOfRange) {
  int64_t v;
  for (const char* bad : {"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "abc", "1.2.3", "0x10", "1 2"})
    EXPECT_EQ(parse_us_to_ns(bad, v), NumStatus::Invalid) << bad;
  EXPECT_EQ(parse_us_to_ns("9223372036854775.808", v), NumStatus::OutOfRange);
  EXPECT_EQ(parse_us_to_ns("1e17", v), NumStatus::OutOfRange);
  EXPECT_EQ(parse_us_to_ns("1e999999999999", v), NumStatus::OutOfRange);
  EXPECT_EQ(parse_us_to_ns("1e-999999999999", v), NumStatus::Ok);
  EXPECT_EQ(v, 0);
}

TEST(KinetoNumber, Int64IsStrict) {
  int64_t v = 0;
  EXPECT_EQ(parse_int64("42", v), NumStatus::Ok);
  EXPECT_EQ(v, 42);
  EXPECT_EQ(parse_int64("-7  ", v), NumStatus::Ok);
  EXPECT_EQ(v, -7);
  EXPECT_EQ(parse_int64("9223372036854775807", v), NumStatus::Ok);
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_EQ(parse_int64("-9223372036854775808", v), NumStatus::Ok);
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_EQ(parse_int64("9223372036854775808", v), NumStatus::OutOfRange);
  EXPECT_EQ(parse_int64("99999999999999999999", v), NumStatus::OutOfRange);
  EXPECT_EQ(parse_int64("5.0", v), NumStatus::NotInteger);
  EXPECT_EQ(parse_int64("1e3", v), NumStatus::NotInteger);
  EXPECT_EQ(parse_int64("x", v), NumStatus::Invalid);
}
