// `infertrace record`'s summary line for the CUPTI ring's unpublished slots (record/summary_lines.h):
// said only when there are some, always as "up to" (a slot count bounds the records, never counts them).
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
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

// "launches per thread" counts the calls recorded: its heading says they are lower bounds when records
// that may have been launch calls were lost (review RC L2: after a ring overflow the counts read as
// the program's), and not for losses of other records, which leave the launch counts whole.
TEST(RecordSummaryLines, LaunchesPerThreadHeadingSaysLowerBoundsAfterLaunchRecordLoss) {
  EXPECT_EQ(launches_per_thread_heading({}, 0, true), "launches per thread:");
  EXPECT_EQ(launches_per_thread_heading({{"api", 0}, {"switch", 7}, {"task", 3}, {"cupti_activity", 9}}, 0, true),
            "launches per thread:");
  EXPECT_EQ(launches_per_thread_heading({{"api", 379421}, {"switch", 2}}, 0, true),
            "launches per thread (lower bounds: 379421 records that may have been launch calls were lost):");
  EXPECT_EQ(launches_per_thread_heading({{"cupti_ring", 1}}, 0, true),
            "launches per thread (lower bounds: 1 record that may have been a launch call was lost):");
  // Unpublished CUPTI ring slots bound the records lost: "up to", added to the counted ones.
  EXPECT_EQ(launches_per_thread_heading({{"cupti_ring", 5}}, 4, true),
            "launches per thread (lower bounds: up to 9 records that may have been launch calls were lost):");
  // CUPTI's launch callbacks not all measured: the existing wording, with the loss after it.
  EXPECT_EQ(launches_per_thread_heading({}, 0, false),
            "launches per thread (only the calls recorded: see the launch lines above):");
  EXPECT_EQ(launches_per_thread_heading({{"api", 2}}, 0, false),
            "launches per thread (only the calls recorded: see the launch lines above; lower bounds: 2 records that may "
            "have been launch calls were lost):");
  // A sum past 64 bits stays at the largest count, not wrapped to a small one.
  EXPECT_EQ(launches_per_thread_heading({{"api", UINT64_MAX}, {"cupti_ring", 3}}, 0, true),
            "launches per thread (lower bounds: " + std::to_string(UINT64_MAX) +
                " records that may have been launch calls were lost):");
}

}  // namespace
}  // namespace infertrace

namespace infertrace {
namespace {

// The kernel side's full maps in record's summary (review RC M2): a line per map that lost anything,
// with the count, the size and the option; none when nothing was lost.
TEST(RecordSummaryLines, FullMaps) {
  EXPECT_TRUE(map_full_lines(0, {}, 65536, {{"syscall", 0}, {"api", 0}, {"fold", 0}}, 65536).empty());
  const auto lines = map_full_lines(81, {101, 102}, 40, {{"syscall", 7}, {"api", 1}, {"fold", 0}}, 4);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "NOT TRACED: 81 new processes of the traced tree, nor anything they started (the traced set was "
                      "full: 40 processes at once, an exited one until the kernel frees it; record again with a larger --max-processes); pids 101, 102, ...");
  EXPECT_TRUE(starts_with(lines[1], "NOT RECORDED: 7 syscalls (the map of calls in progress was full: 4 threads at once; "
                                    "record again with a larger --max-threads)"))
      << lines[1];
  EXPECT_TRUE(starts_with(lines[2], "NOT RECORDED: 1 timed CUDA call (")) << lines[2];
  // A set of one: "1 process", "1 thread" (review CA L11: "1 processes").
  const auto one = map_full_lines(2, {}, 1, {{"syscall", 3}}, 1);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_NE(one[0].find("full: 1 process at once,"), std::string::npos) << one[0];
  EXPECT_NE(one[1].find("full: 1 thread at once;"), std::string::npos) << one[1];
  // Every pid listed when the record of each was read: no "...".
  EXPECT_EQ(map_full_lines(2, {101, 102}, 40, {}, 4)[0].substr(0, 20), "NOT TRACED: 2 new pr");
  EXPECT_EQ(map_full_lines(2, {101, 102}, 40, {}, 4)[0].find("..."), std::string::npos);
}

// Timed CUDA calls a full map could not keep (record passes them as "pending_full_api") may have been
// launches: the launches per thread are lower bounds.
TEST(RecordSummaryLines, LaunchesHeadingCountsCallsAFullMapLost) {
  EXPECT_EQ(launches_per_thread_heading({{"api", 0}, {"pending_full_api", 3}}, 0, true),
            "launches per thread (lower bounds: 3 records that may have been launch calls were lost):");
}

}  // namespace
}  // namespace infertrace
