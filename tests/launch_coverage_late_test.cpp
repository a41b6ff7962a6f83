// Review TI M2: a CUDA library the recorder probed late (META library.<n>.probed_late_ns and
// mapped_by_pid, written when the periodic scan finds a library mapped after the recording
// started) leaves the launches made through it before then unrecorded while every switch is: the
// launch figures are partial (so the rates per 1000 launches are upper bounds), said with the
// library and the process.
#include <gtest/gtest.h>

#include "analysis/launch_undercount.h"
#include "analysis/trace_window.h"
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

// Review DH L6: the launches a late probe left out were made before the probe. A window (an engine
// run's decode steps: fusion and sweep --decode-window) that starts at or after every probe holds
// all of its launches: its figures are complete, the rates per 1000 launches no upper bounds. One
// that starts before a probe stays partial, naming that library only.
TEST(LaunchCoverageLate, AWindowStartingAfterTheProbeIsComplete) {
  auto make = [] {
    Trace t;
    t.meta["library.0"] = "/opt/app/libcudart.so.12";
    t.meta["library.0.probed_late_ns"] = "5000";
    t.meta["library.0.mapped_by_pid"] = "4242";
    t.meta["library.1"] = "/opt/other/libcuda.so.1";
    t.meta["library.1.probed_late_ns"] = "9000";
    t.meta["library.1.mapped_by_pid"] = "4343";
    for (ns_t ts : {1'000, 6'000, 10'000, 12'000}) {
      ApiCall c;
      c.start = ts, c.dur = 100, c.pid = 4242, c.tid = 4242, c.correlation = ts;
      c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
      t.api.push(c);
    }
    t.launch_coverage = read_launch_coverage(t);
    return t;
  };
  const Trace whole = make();
  ASSERT_EQ(whole.launch_coverage.partial_pids, (std::vector<uint32_t>{4242, 4343}));

  Trace after = make();  // starts after both probes (9000 itself included: at the probe)
  restrict_to_window(after, TraceWindow{9'000, 20'000});
  EXPECT_FALSE(after.launch_coverage.partial()) << after.launch_coverage.partial_note;
  EXPECT_EQ(after.launch_coverage.partial_note, "");
  EXPECT_EQ(per_1k_upper_bound_reason(2, 0, after.launch_coverage.partial_note, false), "");

  Trace between = make();  // after the first probe, before the second: the second library only
  restrict_to_window(between, TraceWindow{5'500, 20'000});
  EXPECT_EQ(between.launch_coverage.partial_pids, std::vector<uint32_t>{4343});
  EXPECT_EQ(between.launch_coverage.partial_note.find("libcudart"), std::string::npos) << between.launch_coverage.partial_note;
  EXPECT_NE(between.launch_coverage.partial_note.find("pid 4343: the calls made through /opt/other/libcuda.so.1 before it was probed"),
            std::string::npos)
      << between.launch_coverage.partial_note;
  EXPECT_NE(per_1k_upper_bound_reason(3, 0, between.launch_coverage.partial_note, false).find("probed late"), std::string::npos);

  Trace before = make();  // from the start: both, as without a window
  restrict_to_window(before, TraceWindow{0, 20'000});
  EXPECT_EQ(before.launch_coverage.partial_pids, (std::vector<uint32_t>{4242, 4343}));
  EXPECT_EQ(before.launch_coverage.partial_note, whole.launch_coverage.partial_note);
}

// CUPTI's refused callbacks are no matter of time: a window keeps them whatever its start.
TEST(LaunchCoverageLate, AWindowKeepsCuptisRefusals) {
  Trace t;
  ApiCall c;
  c.start = 6'000, c.dur = 100, c.pid = 77, c.tid = 77, c.correlation = 1;
  c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
  t.api.push(c);
  t.launch_coverage.cupti_partial_pids = {77};
  t.launch_coverage.cupti_partial_note = "launch figures are partial: CUPTI refused X";
  t.launch_coverage.late_probes.push_back({5'000, 77, "pid 77: the calls made through L before it was probed"});
  compose_partial(t.launch_coverage);
  EXPECT_EQ(t.launch_coverage.partial_note,
            "launch figures are partial: CUPTI refused X; in pid 77: the calls made through L before it was probed");
  restrict_to_window(t, TraceWindow{5'500, 7'000});
  EXPECT_EQ(t.launch_coverage.partial_pids, std::vector<uint32_t>{77});
  EXPECT_EQ(t.launch_coverage.partial_note, "launch figures are partial: CUPTI refused X");
}
