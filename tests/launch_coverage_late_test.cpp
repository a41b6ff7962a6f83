// Review TI M2: a CUDA library the recorder probed late (META library.<n>.probed_late_ns and
// mapped_by_pid, written when the periodic scan finds a library mapped after the recording
// started) leaves the launches made through it before then unrecorded while every switch is: the
// launch figures are partial (so the rates per 1000 launches are upper bounds), said with the
// library and the process.
#include <gtest/gtest.h>

#include "analysis/launch_undercount.h"
#include "ingest/recording/cupti_callbacks.h"
#include "trace/trace.h"

using namespace infertrace;

TEST(LaunchCoverageLate, ALibraryProbedLateMakesTheLaunchFiguresPartial) {
  Trace t;
  t.meta["library.0"] = "/usr/lib/libcuda.so.1";
  t.meta["library.0.links"] = "multi";
  EXPECT_FALSE(read_launch_coverage(t).partial());  // probed from the start: nothing left out
  t.meta["library.1"] = "/opt/app/libcudart.so.12";
  t.meta["library.1.probed_late_ns"] = "123456789";
  t.meta["library.1.mapped_by_pid"] = "4242";
  const LaunchCoverage c = read_launch_coverage(t);
  EXPECT_TRUE(c.measured());
  ASSERT_TRUE(c.partial());
  EXPECT_EQ(c.partial_pids, std::vector<uint32_t>{4242});
  EXPECT_NE(c.partial_note.find("pid 4242"), std::string::npos) << c.partial_note;
  EXPECT_NE(c.partial_note.find("/opt/app/libcudart.so.12 before it was probed"), std::string::npos) << c.partial_note;
  EXPECT_EQ(c.partial_note.find("libcuda.so.1"), std::string::npos) << c.partial_note;
  // The rates per 1000 launches are then upper bounds, with that note as the reason.
  const std::string why = per_1k_upper_bound_reason(1000, 0, c.partial_note, false);
  EXPECT_NE(why.find("a CUDA library was probed late"), std::string::npos) << why;
  EXPECT_EQ(why.find("CUPTI"), std::string::npos) << why;  // not CUPTI's refusal: uprobes found it late
}
