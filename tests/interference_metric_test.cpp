// bench interference's --metric-regex over a run's output (review BI H1): matched line by line from
// the last line back, so a long line (a progress line of dots, a one-line dump) neither crashes the
// bench (std::regex recursed over ~26,000 characters and overflowed the stack) nor hides the metric
// printed on a short line.
#include <gtest/gtest.h>

#include <string>

#include "bench/interference.h"

using namespace infertrace::bench;

TEST(InterferenceMetric, LongLineOfDotsIsSkippedAndTheShortLineGivesTheMetric) {
  const std::regex re = compile_metric_regex("([0-9.]+) tok/s");
  // 300,000 characters the repetition covers: ten times what crashed the whole-output search.
  const std::string out = "loading" + std::string(300000, '.') + "\n5.0 tok/s\n";
  const MetricScan s = extract_metric(out, re, metric_line_limit());
  ASSERT_TRUE(s.value.has_value());
  EXPECT_DOUBLE_EQ(*s.value, 5.0);
  EXPECT_EQ(s.long_lines_skipped, 0u);  // the metric's line is the last: the long one before it is never looked at
}

TEST(InterferenceMetric, LongLastLineIsSkippedAndCounted) {
  const std::regex re = compile_metric_regex("tok/s: ([0-9.]+)(.*)");
  const std::string out = "tok/s: 5.0 done\ntok/s: 9.0 " + std::string(300000, 'a') + "\n";
  const MetricScan s = extract_metric(out, re, metric_line_limit());
  ASSERT_TRUE(s.value.has_value());
  EXPECT_DOUBLE_EQ(*s.value, 5.0);
  EXPECT_EQ(s.long_lines_skipped, 1u);
  EXPECT_TRUE(s.matched);
}

TEST(InterferenceMetric, LastNumberOfTheLastMatchingLine) {
  const std::regex re = compile_metric_regex("v=([0-9a-z.]+)");
  // Line 3 matches but holds no number; line 2's last numeric match is the metric; \r ends a line
  // (a progress bar's redraws).
  const std::string out = "v=1\nv=2 v=3 v=x\rv=4 v=5\nv=abc\n\n";
  const MetricScan s = extract_metric(out, re, 64);
  ASSERT_TRUE(s.value.has_value());
  EXPECT_DOUBLE_EQ(*s.value, 5.0);
}

TEST(InterferenceMetric, LineLengthBoundIsExact) {
  const std::regex re = compile_metric_regex("n=([0-9]+)");
  const std::string line = "n=" + std::string(10, '7');  // 12 characters, number 7777777777
  EXPECT_DOUBLE_EQ(extract_metric(line, re, 12).value.value_or(-1), 7777777777.0);
  const MetricScan s = extract_metric(line, re, 11);
  EXPECT_FALSE(s.value.has_value());
  EXPECT_FALSE(s.matched);
  EXPECT_EQ(s.long_lines_skipped, 1u);
}

TEST(InterferenceMetric, LineLimitFollowsTheStackLimit) {
  const size_t n = metric_line_limit();
  EXPECT_GE(n, 16u);
  EXPECT_LE(n, 2048u);
}
