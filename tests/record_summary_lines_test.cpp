// `infertrace record`'s summary line for the CUPTI ring's unpublished slots (record/summary_lines.h):
// said only when there are some, always as "up to" (a slot count bounds the records, never counts them).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "record/summary_lines.h"

namespace infertrace {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

TEST(RecordSummaryLines, UnpublishedSlotsOnlyWhenAboveZero) { EXPECT_EQ(unpublished_slots_line(0), ""); }

TEST(RecordSummaryLines, UnpublishedSlotsAreUpTo) {
  for (const uint64_t slots : {uint64_t{2}, uint64_t{4096}, UINT64_MAX}) {
    const std::string n = std::to_string(slots);
    const std::string line = unpublished_slots_line(slots);
    EXPECT_TRUE(starts_with(line, "up to " + n + " CUPTI records unread: a process was killed mid-write (" + n +
                                      " ring slots from one it claimed and never published"))
        << line;
    EXPECT_NE(line.find("a larger --expected-rate does not help"), std::string::npos) << line;
  }
  // One slot: the singular, still "up to" (a record may take more than one slot, so fewer were lost).
  EXPECT_TRUE(starts_with(unpublished_slots_line(1), "up to 1 CUPTI record unread: a process was killed mid-write (1 ring slot "))
      << unpublished_slots_line(1);
}

}  // namespace
}  // namespace infertrace
