// cli/unexpected_words.h: the words a verb did not take, named as typed. CLI11's
// remaining() lists them last first, with the `--` that ended the options among them (`sched -- a
// b` said "not expected: b --").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/unexpected_words.h"

namespace infertrace::cli {
namespace {

using Words = std::vector<std::string>;

TEST(UnexpectedWords, InTypedOrderWithoutTheSeparator) {
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "--", "a", "b"}, {"b", "--"}),
            "The following argument was not expected: b");
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "t", "x", "y"}, {"y", "x"}),
            "The following arguments were not expected: x y");
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "--", "t", "x", "y"}, {"y", "x", "--"}),
            "The following arguments were not expected: x y");
}

TEST(UnexpectedWords, ADashDashTypedAfterTheSeparatorIsNamed) {
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "--", "a", "--", "b"}, {"b", "--", "--"}),
            "The following arguments were not expected: -- b");
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "a", "--", "--", "b"}, {"b", "--"}),
            "The following arguments were not expected: -- b");
}

// Positionals fill from the left: a repeated word's extra occurrence is the last one.
TEST(UnexpectedWords, RepeatedWordIsItsLastOccurrence) {
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "x", "t", "x"}, {"x", "t"}),
            "The following arguments were not expected: t x");
}

TEST(UnexpectedWords, NoneOfTheWordsLeavesCLI11sMessage) {
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "--", "a"}, {"--"}), "");
  EXPECT_EQ(unexpected_words({"infertrace", "sched", "a"}, Words{}), "");
}

}  // namespace
}  // namespace infertrace::cli
