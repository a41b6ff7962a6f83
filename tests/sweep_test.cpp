// Batch sweep logic (docs/metrics.md section 3) on hand-made LaunchAnalysis values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "analysis/bound_verdict.h"
#include "analysis/sweep.h"
#include "html_text.h"
#include "json_labels.h"
#include "report/sweep_report.h"
#include "util/error.h"

namespace infertrace {
namespace {

// An analysis whose queue part beats its launch part when `gpu`, with the given idle times
// against an inference latency of 1000 ns.
LaunchAnalysis analysis(bool gpu, ns_t gpu_idle, ns_t cpu_idle) {
  LaunchAnalysis a;
  a.kernels = 10;
  a.tklqt_launch = gpu ? 100 : 300;
  a.tklqt_queue = gpu ? 300 : 100;
  a.tklqt = a.tklqt_launch + a.tklqt_queue;
  a.inference_latency = 1000;
  a.gpu_idle = gpu_idle;
  a.cpu_idle = cpu_idle;
  a.bound = gpu ? "gpu" : "cpu";
  return a;
}

TEST(Sweep, TransitionAndBalancedRegion) {
  std::vector<SweepPoint> pts;
  // Given out of order; batch 4 is GPU-bound once but 8 is not, so the transition is 16.
  pts.push_back(sweep_point(32, "d", analysis(true, 100, 700)));
  pts.push_back(sweep_point(1, "a", analysis(false, 800, 100)));
  pts.push_back(sweep_point(4, "b", analysis(true, 400, 400)));
  pts.push_back(sweep_point(8, "c", analysis(false, 300, 499)));
  pts.push_back(sweep_point(16, "e", analysis(true, 200, 500)));
  const SweepResult r = analyze_sweep(pts);
  ASSERT_EQ(r.points.size(), 5u);
  EXPECT_EQ(r.points.front().batch, 1);
  EXPECT_EQ(r.points.back().batch, 32);
  ASSERT_TRUE(r.transition_batch.has_value());
  EXPECT_EQ(*r.transition_batch, 16);
  // Balanced: 4 (0.4, 0.4) and 8 (0.3, 0.499); 16 has CPU idle exactly 50%, not below.
  EXPECT_EQ(r.balanced_batches, (std::vector<int64_t>{4, 8}));
  ASSERT_TRUE(r.balanced_region.has_value());
  EXPECT_EQ(r.balanced_region->from, 4);
  EXPECT_EQ(r.balanced_region->to, 8);
  EXPECT_DOUBLE_EQ(r.points[1].gpu_idle_share, 0.4);
  // Batch 4, below the transition, is GPU-bound: not "launch-bound up to batch 8" (audit CI D12).
  EXPECT_EQ(r.summary.find("Launch-bound up to"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("Queue-bound from batch 16 on"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("launch-bound at batches 1 and 8"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("GPU-bound at batch 4 "), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("batch 4 to 8"), std::string::npos) << r.summary;
}

// AKD (SKIP Eq. 3, the mean kernel duration) per batch, as analyze gives it; undefined without kernels.
TEST(Sweep, AkdPerBatchIsTheMeanKernelDuration) {
  LaunchAnalysis a = analysis(false, 100, 100);
  a.kernels = 4, a.akd_ns = (1000.0 + 2000 + 3000 + 4001) / 4;
  LaunchAnalysis none;  // no kernels
  const SweepResult r = analyze_sweep({sweep_point(1, "a", a), sweep_point(2, "b", none)});
  const nlohmann::json j = sweep_json(r);
  EXPECT_DOUBLE_EQ(j["points"][0]["akd_ns"].get<double>(), 2500.25);
  EXPECT_TRUE(j["points"][1]["akd_ns"].is_null());
  std::ostringstream text;
  print_sweep(text, r);
  EXPECT_NE(text.str().find("2.50 us"), std::string::npos) << text.str();
}

// Points whose inference latencies start at different events (a Kineto trace's first operator, a
// recording's first CUDA call) are compared with a caution naming both (review DW L1); points that
// agree get none.
TEST(Sweep, IlStartsThatDifferAreSaid) {
  LaunchAnalysis kineto = analysis(false, 100, 100), recording = analysis(true, 100, 100);
  kineto.t_begin_from = "operator";
  recording.t_begin_from = "host_event";
  const SweepResult mixed = analyze_sweep({sweep_point(1, "k.json", kineto), sweep_point(64, "r.itrace", recording)});
  EXPECT_NE(mixed.summary.find("Caution: the inference latencies start at different events (first host event start for "
                               "batch 64; first operator start for batch 1)"),
            std::string::npos)
      << mixed.summary;
  const SweepResult same = analyze_sweep({sweep_point(1, "a", kineto), sweep_point(64, "b", kineto)});
  EXPECT_EQ(same.summary.find("Caution"), std::string::npos) << same.summary;
}

// Past the transition, a GPU-bound batch whose GPU idles half the inference latency or more is
// named, since "the GPU is the limit" holds there only for bursts of queued kernels (review UX H1);
// one below half is not, nor a GPU-bound batch below the transition.
TEST(Sweep, BurstyGpuBoundBatchesPastTheTransitionAreQualified) {
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 800, 100)),
                                       sweep_point(2, "b", analysis(true, 700, 100)),
                                       sweep_point(4, "c", analysis(false, 600, 100)),
                                       sweep_point(8, "d", analysis(true, 500, 100)),
                                       sweep_point(16, "e", analysis(true, 499, 100))});
  ASSERT_TRUE(r.transition_batch.has_value());
  EXPECT_EQ(*r.transition_batch, 8);
  EXPECT_NE(r.summary.find("Yet the GPU is idle at least half the inference latency at batch 8: kernels queue in bursts"),
            std::string::npos)
      << r.summary;
  // GPU-bound at every batch: the run-wide "will not shorten these runs much" is left out when a
  // batch is bursty, kept when none is.
  const SweepResult all = analyze_sweep({sweep_point(1, "a", analysis(true, 600, 100)),
                                         sweep_point(2, "b", analysis(true, 100, 100))});
  EXPECT_EQ(all.summary.find("will not shorten"), std::string::npos) << all.summary;
  EXPECT_NE(all.summary.find("at batch 1: kernels queue in bursts"), std::string::npos) << all.summary;
  const SweepResult steady = analyze_sweep({sweep_point(1, "a", analysis(true, 100, 100)),
                                            sweep_point(2, "b", analysis(true, 100, 100))});
  EXPECT_NE(steady.summary.find("will not shorten these runs much"), std::string::npos) << steady.summary;
  EXPECT_EQ(steady.summary.find("bursts"), std::string::npos) << steady.summary;
}

// Balanced batches outside the longest run (a sweep that is not monotone) are named in the summary
// with the run, as the table and balanced_batches show them (audit DU F6); a single run is said as
// before.
TEST(Sweep, SummaryNamesBalancedBatchesOutsideTheRegion) {
  std::vector<SweepPoint> pts;
  pts.push_back(sweep_point(1, "a", analysis(false, 100, 100)));  // balanced
  pts.push_back(sweep_point(2, "b", analysis(false, 200, 300)));  // balanced
  pts.push_back(sweep_point(4, "c", analysis(false, 100, 600)));  // CPU idle 60%: not balanced
  pts.push_back(sweep_point(8, "d", analysis(false, 400, 100)));  // balanced
  const SweepResult r = analyze_sweep(pts);
  EXPECT_EQ(r.balanced_batches, (std::vector<int64_t>{1, 2, 8}));
  ASSERT_TRUE(r.balanced_region.has_value());
  EXPECT_EQ(r.balanced_region->from, 1);
  EXPECT_EQ(r.balanced_region->to, 2);
  EXPECT_NE(r.summary.find("at batches 1, 2 and 8 (the longest run of consecutive batches: 1 to 2)."), std::string::npos)
      << r.summary;
  // A tie: 1-2 and 8-16 are both two batches long; the region is the first, and says so.
  pts.push_back(sweep_point(16, "e", analysis(false, 300, 300)));
  const SweepResult tie = analyze_sweep(pts);
  EXPECT_EQ(tie.balanced_batches, (std::vector<int64_t>{1, 2, 8, 16}));
  EXPECT_NE(tie.summary.find("at batches 1, 2, 8 and 16 (the first of the longest runs of consecutive batches: 1 to 2)."),
            std::string::npos)
      << tie.summary;
  pts.pop_back();
  // No two consecutive balanced batches: the batches alone, no run named.
  std::vector<SweepPoint> apart;
  apart.push_back(sweep_point(1, "a", analysis(false, 100, 100)));
  apart.push_back(sweep_point(2, "b", analysis(false, 100, 600)));
  apart.push_back(sweep_point(4, "c", analysis(false, 100, 100)));
  const SweepResult single = analyze_sweep(apart);
  EXPECT_NE(single.summary.find("half of the inference latency) at batches 1 and 4."), std::string::npos) << single.summary;
  pts.pop_back();
  const SweepResult run = analyze_sweep(pts);
  EXPECT_NE(run.summary.find("half of the inference latency) at batch 1 to 2."), std::string::npos) << run.summary;
}

// A batch without a verdict below the transition is named with its reason, never called
// launch-bound, and never left out (review CQ M1).
TEST(Sweep, BatchesWithoutAVerdictBelowTheTransitionAreNamed) {
  LaunchAnalysis none = analysis(true, 100, 100);
  none.bound.clear();
  none.bound_undefined_reason = "host and GPU clocks disagree";
  // 1 GPU-bound, 2 without a verdict, 4 GPU-bound: the transition is 4.
  SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(true, 100, 100)), sweep_point(2, "b", none),
                                 sweep_point(4, "c", analysis(true, 100, 100))});
  ASSERT_TRUE(r.transition_batch.has_value());
  EXPECT_EQ(*r.transition_batch, 4);
  EXPECT_EQ(r.summary.find("launch-bound"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("GPU-bound at batch 1 (the transition is not placed there"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("no CPU- or GPU-bound verdict at batch 2: host and GPU clocks disagree"), std::string::npos)
      << r.summary;
  // 1 without a verdict, 2 CPU-bound, 4 GPU-bound: batch 1 is not "launch-bound up to batch 2".
  r = analyze_sweep({sweep_point(1, "a", none), sweep_point(2, "b", analysis(false, 100, 100)),
                     sweep_point(4, "c", analysis(true, 100, 100))});
  EXPECT_EQ(r.summary.find("Launch-bound up to"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("launch-bound at batch 2 "), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("no CPU- or GPU-bound verdict at batch 1: host and GPU clocks disagree"), std::string::npos)
      << r.summary;
  // Every batch below without a verdict: each listed with its reason.
  r = analyze_sweep({sweep_point(1, "a", none), sweep_point(2, "b", none), sweep_point(4, "c", analysis(true, 100, 100))});
  EXPECT_NE(r.summary.find("the smaller batches have no CPU- or GPU-bound verdict (batch 1: host and GPU clocks disagree; "
                           "batch 2: host and GPU clocks disagree)"),
            std::string::npos)
      << r.summary;
}

TEST(Sweep, MonotoneSweepIsLaunchBoundUpToTheBatchBeforeTheTransition) {
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 900, 10)),
                                       sweep_point(2, "b", analysis(false, 800, 100)),
                                       sweep_point(4, "c", analysis(true, 100, 800))});
  ASSERT_TRUE(r.transition_batch.has_value());
  EXPECT_EQ(*r.transition_batch, 4);
  EXPECT_NE(r.summary.find("Launch-bound up to batch 2: "), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("queue-bound from batch 4 on"), std::string::npos) << r.summary;
}

TEST(Sweep, NoTransitionWhenLargestIsCpuBound) {
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(true, 900, 10)),
                                       sweep_point(2, "b", analysis(false, 900, 10))});
  EXPECT_FALSE(r.transition_batch.has_value());
  EXPECT_FALSE(r.balanced_region.has_value());
  EXPECT_NE(r.summary.find("No transition"), std::string::npos);
}

// No transition because the largest batch is CPU-bound, while a smaller one is GPU-bound: launch
// overhead does not matter "across the whole sweep" (review SV L2); the verdict changes with batch
// size, as the transition branch says of such batches. A sweep CPU-bound throughout keeps the words.
TEST(Sweep, NoTransitionWithAGpuBoundSmallerBatchSaysTheVerdictChanges) {
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(true, 100, 10)),
                                       sweep_point(2, "b", analysis(false, 100, 10)),
                                       sweep_point(4, "c", analysis(true, 100, 10)),
                                       sweep_point(8, "d", analysis(false, 100, 10))});
  EXPECT_FALSE(r.transition_batch.has_value());
  EXPECT_EQ(r.summary.find("across the whole sweep"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("No transition: batch 8, the largest measured, is not GPU-bound, so launch overhead "
                           "limits it, yet batches 1 and 4 below it are GPU-bound: the verdict changes with batch size"),
            std::string::npos)
      << r.summary;
  const SweepResult one = analyze_sweep({sweep_point(1, "a", analysis(true, 100, 10)),
                                         sweep_point(2, "b", analysis(false, 100, 10))});
  EXPECT_NE(one.summary.find("yet batch 1 below it is GPU-bound"), std::string::npos) << one.summary;
  const SweepResult cpu = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 10)),
                                         sweep_point(2, "b", analysis(false, 100, 10))});
  EXPECT_NE(cpu.summary.find("so launch overhead matters across the whole sweep"), std::string::npos) << cpu.summary;
}

// With several GPUs the bursts caveat judges by the most idle device: the sentence says so, since
// the point's gpu_idle_share (the union) is below half (review SV L3). One GPU: "the GPU".
TEST(Sweep, BurstsCaveatByTheMostIdleOfSeveralGpusSaysSo) {
  SweepPoint two = sweep_point(1, "a", analysis(true, 100, 100));
  two.devices = 2;
  two.most_idle_device_idle = 600;
  two.most_idle_device = 1;
  const SweepResult r = analyze_sweep({two, sweep_point(2, "b", analysis(true, 100, 100))});
  // The device and its share, not the JSON key's name (review CS L1).
  EXPECT_EQ(r.summary.find("most_idle_device_share"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("Yet one GPU (the most idle device: device 1 at batch 1, idle 60.0%) is idle at least half the "
                           "inference latency at batch 1:"),
            std::string::npos)
      << r.summary;
  EXPECT_EQ(r.summary.find("Yet the GPU is idle"), std::string::npos) << r.summary;
  const SweepResult single = analyze_sweep({sweep_point(1, "a", analysis(true, 600, 100)),
                                            sweep_point(2, "b", analysis(true, 100, 100))});
  EXPECT_NE(single.summary.find("Yet the GPU is idle at least half the inference latency at batch 1:"), std::string::npos)
      << single.summary;
}

// A point without linked launches (empty or CPU-only trace) has no verdict: the summary must not
// claim launch overhead matters at that batch.
TEST(Sweep, LargestWithoutVerdictIsNotCalledLaunchBound) {
  LaunchAnalysis none;  // no kernels, no launches: bound stays ""
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 900, 10)), sweep_point(2, "b", none)});
  EXPECT_FALSE(r.transition_batch.has_value());
  EXPECT_EQ(r.summary.find("launch overhead matters"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("batch 2, the largest given, has no CPU- or GPU-bound verdict (no launch call is linked to "
                           "GPU work); check that its trace holds the GPU run."),
            std::string::npos)
      << r.summary;
  const SweepResult empty = analyze_sweep({sweep_point(1, "a", none), sweep_point(2, "b", none)});
  EXPECT_EQ(empty.summary.find("launch overhead matters"), std::string::npos) << empty.summary;
  EXPECT_NE(empty.summary.find("nor has any other trace"), std::string::npos) << empty.summary;
}

// Review BD M2: a point with a linked launch but no verdict (clock skew) carries the analysis's own
// reason into the sentence and its JSON point; the sweep does not say "no launch call linked".
TEST(Sweep, PointWithoutVerdictCarriesItsOwnReason) {
  LaunchAnalysis skewed = analysis(false, 0, 0);
  skewed.linked_launch_calls = 1, skewed.clock_skew_clamped = 1;
  skewed.tklqt = skewed.tklqt_launch = skewed.tklqt_queue = 0, skewed.inference_latency = 0;
  decide_bound(skewed);
  ASSERT_EQ(skewed.bound, "");
  LaunchAnalysis sane = analysis(false, 900, 10);
  sane.linked_launch_calls = 1;
  const SweepResult r = analyze_sweep({sweep_point(2, "sane", sane), sweep_point(8, "skew", skewed)});
  EXPECT_EQ(r.summary.find("no launch call"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("batch 8, the largest given, has no CPU- or GPU-bound verdict (the inference-latency "
                           "window is empty: the GPU work ends before the first host event, and 1 launch call had"),
            std::string::npos)
      << r.summary;
  EXPECT_NE(r.summary.find("capture that batch again"), std::string::npos) << r.summary;
  const nlohmann::json j = sweep_json(r);
  EXPECT_FALSE(j["points"][0].contains("bound_undefined_reason"));
  EXPECT_EQ(j["points"][1]["bound_undefined_reason"], skewed.bound_undefined_reason);
  EXPECT_TRUE(j["points"][1]["bound"].is_null());

  // Below a GPU-bound batch: each smaller batch without a verdict says its own reason.
  LaunchAnalysis none;  // nothing linked
  decide_bound(none);
  const SweepResult below = analyze_sweep(
      {sweep_point(1, "none", none), sweep_point(2, "skew", skewed), sweep_point(4, "gpu", analysis(true, 10, 900))});
  EXPECT_NE(below.summary.find("(batch 1: no launch call is linked to GPU work; batch 2: the inference-latency window "
                               "is empty"),
            std::string::npos)
      << below.summary;
}

// A CPU-only trace (no GPU activity: analyze_launches sets `no_gpu_activity`) has no launch, latency or idle
// figure: "-" in every figure column, null in JSON with the reason; a sweep of only such traces
// says it has nothing to compare instead of "no transition".
TEST(Sweep, CpuOnlyTracesHaveNoFigures) {
  // (made by a function: set up in the test body, GCC 12 warned "maybe-uninitialized" about the
  // optional host section's vector, a false positive)
  const LaunchAnalysis cpu_only = [] {
    LaunchAnalysis a;
    a.no_gpu_activity = true;
    a.host.emplace();
    a.orphan_launch_calls = 7;  // launch calls that ran nothing recorded: every one without GPU activity
    return a;
  }();
  const SweepResult mixed = analyze_sweep({sweep_point(1, "real", analysis(false, 900, 10)), sweep_point(2, "cpu", cpu_only)});
  EXPECT_NE(mixed.summary.find("batch 2, the largest given, has no GPU activity"), std::string::npos) << mixed.summary;
  std::ostringstream os;
  print_sweep(os, mixed);
  std::string cpu_row;
  std::istringstream lines(os.str());
  for (std::string line; std::getline(lines, line);)
    if (line.find(" cpu") != std::string::npos && line.find("no GPU activity") != std::string::npos) cpu_row = line;
  ASSERT_FALSE(cpu_row.empty()) << os.str();
  EXPECT_EQ(cpu_row.find("ns"), std::string::npos) << cpu_row;  // no "0 ns"
  const nlohmann::json j = sweep_json(mixed);
  for (const char* k : {"tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "inference_latency_ns", "gpu_idle_ns",
                        "cpu_idle_ns", "gpu_idle_share", "cpu_idle_share"}) {
    EXPECT_TRUE(j["points"][1][k].is_null()) << k;
    EXPECT_TRUE(j["points"][0][k].is_number()) << k;
  }
  EXPECT_EQ(j["points"][1]["undefined_reason"], "no GPU activity in the trace");
  EXPECT_FALSE(j["points"][0].contains("undefined_reason"));
  // A count, as analyze --json and the text's note give it (audit CU H2: it was null here only).
  EXPECT_EQ(j["points"][1]["orphan_launch_calls"], 7);
  EXPECT_NE(os.str().find("orphan launch calls 7"), std::string::npos) << os.str();
  const SweepResult all_cpu = analyze_sweep({sweep_point(1, "a", cpu_only), sweep_point(2, "b", cpu_only)});
  EXPECT_NE(all_cpu.summary.find("No trace in this sweep has GPU activity"), std::string::npos) << all_cpu.summary;
  // GPU-bound above a batch without a verdict: that batch is not called launch-bound.
  const SweepResult below = analyze_sweep({sweep_point(1, "a", cpu_only), sweep_point(2, "b", analysis(true, 10, 900))});
  ASSERT_TRUE(below.transition_batch.has_value());
  EXPECT_EQ(*below.transition_batch, 2);
  EXPECT_EQ(below.summary.find("Launch-bound"), std::string::npos) << below.summary;
  EXPECT_NE(below.summary.find("Queue-bound from batch 2"), std::string::npos) << below.summary;
}

// The terminal table shows "-" for the idle shares of a point without inference latency (its JSON
// share is 0 by definition), and the shares of the others: 900/1000 and 10/1000.
TEST(Sweep, TableShowsNoIdleShareWithoutInferenceLatency) {
  std::ostringstream os;
  print_sweep(os, analyze_sweep({sweep_point(1, "real", analysis(false, 900, 10)), sweep_point(2, "empty", LaunchAnalysis{})}));
  std::string real_row, empty_row;
  std::istringstream lines(os.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" real") != std::string::npos) real_row = line;
    if (line.find(" empty") != std::string::npos) empty_row = line;
  }
  EXPECT_NE(real_row.find("90.0%"), std::string::npos) << real_row;
  EXPECT_NE(real_row.find("1.0%"), std::string::npos) << real_row;
  EXPECT_EQ(empty_row.find('%'), std::string::npos) << empty_row;
}

TEST(Sweep, AllGpuBoundGivesSmallestBatch) {
  const SweepResult r = analyze_sweep({sweep_point(2, "a", analysis(true, 10, 900)),
                                       sweep_point(4, "b", analysis(true, 10, 900))});
  ASSERT_TRUE(r.transition_batch.has_value());
  EXPECT_EQ(*r.transition_batch, 2);
}

TEST(Sweep, LongestBalancedRunWins) {
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 100)),
                                       sweep_point(2, "b", analysis(false, 900, 100)),
                                       sweep_point(4, "c", analysis(false, 100, 100)),
                                       sweep_point(8, "d", analysis(false, 100, 100))});
  EXPECT_EQ(r.balanced_batches, (std::vector<int64_t>{1, 4, 8}));
  ASSERT_TRUE(r.balanced_region.has_value());
  EXPECT_EQ(r.balanced_region->from, 4);
  EXPECT_EQ(r.balanced_region->to, 8);
}

TEST(Sweep, DuplicateBatchIsAUsageError) {
  EXPECT_THROW(analyze_sweep({sweep_point(2, "a", analysis(true, 0, 0)), sweep_point(2, "b", analysis(true, 0, 0))}),
               UsageError);
}

TEST(Sweep, BatchFromFileName) {
  EXPECT_EQ(batch_from_file_name("/x/gpt2_prefill_bs16.json.gz"), 16);
  EXPECT_EQ(batch_from_file_name("bs4.json"), 4);
  EXPECT_EQ(batch_from_file_name("/bs8/run.json"), std::nullopt);  // directories do not count
  EXPECT_EQ(batch_from_file_name("jobs12.json"), std::nullopt);    // "bs" inside a word
  EXPECT_EQ(batch_from_file_name("model_bs0_bs32.json"), 32);      // batch 0 is no batch
  EXPECT_EQ(batch_from_file_name("trace.json"), std::nullopt);
  // Review CX L4: two different batch sizes are refused, the same one twice is that batch size, and
  // a bs0 alone is named as no batch size rather than "no bs<N>".
  EXPECT_EQ(batch_from_file_name("m_bs16_run_bs16.json"), 16);
  for (const char* ambiguous : {"x_bs16_bs2.json", "bs2_bs0_bs16.json"}) {
    try {
      (void)batch_from_file_name(ambiguous);
      ADD_FAILURE() << ambiguous;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("two batch sizes"), std::string::npos) << e.what();
    }
  }
  try {
    (void)batch_from_file_name("/t/bs0.json");
    ADD_FAILURE() << "bs0 read";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("bs0 in the file name is no batch size"), std::string::npos) << e.what();
  }
}

TEST(Sweep, FirstOfTwoEquallyLongBalancedRunsWins) {
  // docs/fusion.md: the region is the longest run of consecutive balanced batches, the first on a
  // tie. Runs 1-2 and 8-16 (batch 4 has GPU idle 0.9) are both two long: the region is 1 to 2.
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 100)),
                                       sweep_point(2, "b", analysis(false, 200, 100)),
                                       sweep_point(4, "c", analysis(false, 900, 100)),
                                       sweep_point(8, "d", analysis(false, 100, 200)),
                                       sweep_point(16, "e", analysis(false, 300, 300))});
  EXPECT_EQ(r.balanced_batches, (std::vector<int64_t>{1, 2, 8, 16}));
  ASSERT_TRUE(r.balanced_region.has_value());
  EXPECT_EQ(r.balanced_region->from, 1);
  EXPECT_EQ(r.balanced_region->to, 2);
}

// The balanced region in the JSON spans its own first and last batch (from 2 to 8, not 2 to 2).
TEST(Sweep, JsonBalancedRegionFromAndTo) {
  SweepResult r;
  r.balanced_region = BatchRange{2, 8};
  const nlohmann::json j = sweep_json(r);
  EXPECT_EQ(j["balanced_region"]["from"], 2);
  EXPECT_EQ(j["balanced_region"]["to"], 8);
  r.balanced_region.reset();
  EXPECT_TRUE(sweep_json(r)["balanced_region"].is_null());
}

// Under the table, a point's line names only what its figures actually leave out (counts above
// 0); a point that leaves nothing out has no line.
TEST(Sweep, TableNotesOnlyCountsAboveZero) {
  SweepResult r;
  SweepPoint leaves_out = sweep_point(1, "a.json", analysis(false, 900, 10));
  leaves_out.orphan_launch_calls = 3;
  leaves_out.skipped = {{"bad_timestamp", 2}, {"unknown_phase", 0}};
  SweepPoint whole = sweep_point(2, "b.json", analysis(true, 10, 900));
  whole.skipped = {{"unknown_phase", 0}};
  r.points = {leaves_out, whole};
  std::ostringstream os;
  print_sweep(os, r);
  const std::string out = os.str();
  EXPECT_NE(out.find("  batch 1 (a.json): orphan launch calls 3, skipped: bad_timestamp 2\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("batch 2 (b.json):"), std::string::npos) << out;
  EXPECT_EQ(out.find("unknown_phase"), std::string::npos) << out;
}

// A point whose launches were not measured: no launch figure, CPU idle, bound or balance, and the
// transition is not read through it; a partial point keeps its figures with a note (review AN, M2).
TEST(Sweep, UnmeasuredLaunchesGiveNoVerdictOrTransition) {
  LaunchCoverage unmeasured;
  unmeasured.unmeasured_pids = {7};
  unmeasured.unmeasured_reason = "launch calls not measured in pid 7: no launch callback enabled";
  LaunchCoverage partial;
  partial.partial_pids = {7};
  partial.partial_note = "launch figures are partial: they leave out, in pid 7: the calls of cuLaunchKernelEx";
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 100), partial),
                                       sweep_point(2, "b", analysis(true, 100, 100), unmeasured)});
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_TRUE(r.points[1].bound.empty());
  EXPECT_FALSE(r.points[1].balanced);
  EXPECT_FALSE(r.transition_batch.has_value());  // batch 2 would have made it 2
  EXPECT_NE(r.summary.find("batch 2, the largest given, has no CPU- or GPU-bound verdict: " + unmeasured.unmeasured_reason),
            std::string::npos) << r.summary;
  // Batch 1 unbalanced (GPU idle 900 of 1000 ns) and batch 2 with no balance to judge: the closing
  // sentence speaks of the measured batches only (review AR, L3); with both measured, of all.
  const SweepResult idle = analyze_sweep({sweep_point(1, "a", analysis(false, 900, 100), LaunchCoverage{}),
                                          sweep_point(2, "b", analysis(true, 100, 100), unmeasured)});
  EXPECT_NE(idle.summary.find("No batch size with measured launches keeps both GPU and CPU idle below half"),
            std::string::npos) << idle.summary;
  const SweepResult both = analyze_sweep({sweep_point(1, "a", analysis(false, 900, 100), LaunchCoverage{}),
                                          sweep_point(2, "b", analysis(false, 900, 100), LaunchCoverage{})});
  EXPECT_NE(both.summary.find("No batch size keeps both GPU and CPU idle below half"), std::string::npos) << both.summary;
  // Every batch unmeasured: no balance sentence at all (it would be about an empty set).
  const SweepResult none = analyze_sweep({sweep_point(1, "a", analysis(false, 900, 100), unmeasured),
                                          sweep_point(2, "b", analysis(true, 100, 100), unmeasured)});
  EXPECT_EQ(none.summary.find("No batch size"), std::string::npos) << none.summary;
  const nlohmann::json j = sweep_json(r);
  for (const char* k : {"tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "cpu_idle_ns", "cpu_idle_share", "bound",
                        "orphan_launch_calls"})
    EXPECT_TRUE(j["points"][1][k].is_null()) << k;
  EXPECT_EQ(j["points"][1]["inference_latency_ns"], 1000);
  EXPECT_EQ(j["points"][1]["launch_undefined_reason"], unmeasured.unmeasured_reason);
  EXPECT_EQ(j["points"][0]["tklqt_ns"], 400);
  EXPECT_EQ(j["points"][0]["bound"], "cpu");
  EXPECT_EQ(j["points"][0]["launch_partial_note"], partial.partial_note);
}

// The report's label list (sweep_point_columns) names exactly the keys sweep_json writes in a
// point: every optional one too, from a sweep with a point of each kind (measured, partial,
// unmeasured launches, no GPU activity, no verdict); each label once.
TEST(Sweep, EveryPointKeyHasOneReportLabel) {
  LaunchCoverage unmeasured, partial;
  unmeasured.unmeasured_pids = {7}, unmeasured.unmeasured_reason = "launch calls not measured in pid 7";
  partial.partial_pids = {7}, partial.partial_note = "launch figures are partial";
  LaunchAnalysis cpu_only;
  cpu_only.no_gpu_activity = true;
  LaunchAnalysis none;  // nothing linked: no verdict
  decide_bound(none);
  LaunchAnalysis no_thread = analysis(true, 100, 100);  // GPU work, no launching thread
  no_thread.host_undefined_reason = "no launch calls, so no launching thread";
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 100), partial),
                                       sweep_point(2, "b", analysis(true, 100, 100), unmeasured),
                                       sweep_point(4, "c", cpu_only), sweep_point(8, "d", none),
                                       sweep_point(16, "e", analysis(true, 100, 100)), sweep_point(32, "f", no_thread)});
  const nlohmann::json j = sweep_json(r);
  for (const char* k : {"undefined_reason", "bound_undefined_reason", "launch_undefined_reason", "launch_partial_note",
                        "host_undefined_reason"})
    EXPECT_EQ(label_check::row_keys(j["points"]).count(k), 1u) << k << " not written: the sweep above misses a kind";
  EXPECT_EQ(label_check::row_keys(j["points"]), label_check::column_keys(sweep_point_columns()));
  EXPECT_EQ(label_check::distinct_labels(sweep_point_columns()), sweep_point_columns().size());
}

// GPU work and no launching thread (no launch call: ROCm's hip* names): its CPU idle is unknown, so
// the point is not balanced although both shares it was given are 10%, and the JSON says why.
TEST(Sweep, NoLaunchingThreadIsNotBalanced) {
  LaunchAnalysis a = analysis(true, 100, 100);
  a.host_undefined_reason = "no launch calls, so no launching thread";
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(true, 100, 100)), sweep_point(2, "b", a)});
  EXPECT_TRUE(r.points[0].balanced);
  EXPECT_FALSE(r.points[1].balanced);
  const nlohmann::json j = sweep_json(r);
  EXPECT_TRUE(j["points"][1]["cpu_idle_ns"].is_null());
  EXPECT_TRUE(j["points"][1]["cpu_idle_share"].is_null());
  EXPECT_EQ(j["points"][1]["host_undefined_reason"], a.host_undefined_reason);
  EXPECT_EQ(j["points"][0]["cpu_idle_ns"], 100);
}

// The launching thread's annotation ranges: the sentence gives each such batch's CPU idle without
// them (600 of 1000 ns at batch 2: 60.0%); none without annotations.
TEST(Sweep, SentenceGivesCpuIdleWithoutAnnotations) {
  LaunchAnalysis a = analysis(true, 100, 100);
  a.launch_thread_annotations = 1, a.cpu_idle_without_annotations = 600;
  const SweepResult r = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 100)), sweep_point(2, "b", a)});
  EXPECT_NE(r.summary.find(" At batch 2 the launching thread's annotation ranges"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("without them CPU idle is 60.0% of the inference latency"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("60.0% of the inference latency, and by those shares the balanced batches would be 1."),
            std::string::npos) << r.summary;
  const SweepResult plain = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 100)), sweep_point(2, "b", analysis(true, 100, 100))});
  EXPECT_EQ(plain.summary.find("annotation"), std::string::npos);
  // Annotations that leave the balance as it is: no clause about it.
  LaunchAnalysis b = analysis(true, 100, 100);
  b.launch_thread_annotations = 2, b.cpu_idle_without_annotations = 300;
  const SweepResult same = analyze_sweep({sweep_point(1, "a", analysis(false, 100, 100)), sweep_point(2, "b", b)});
  EXPECT_NE(same.summary.find("without them CPU idle is 30.0% of the inference latency."), std::string::npos) << same.summary;
}

// A point with GPU activity but an empty inference latency: its idle shares are undefined, null in
// the JSON as the terminal's "-", not 0 ("never idle"; review DN).
TEST(Sweep, IdleSharesOfAnEmptyInferenceLatencyAreNull) {
  SweepResult r;
  SweepPoint empty, full;
  empty.batch = 1, empty.source = "empty.json", empty.bound = "cpu";
  full.batch = 2, full.source = "full.json", full.bound = "gpu";
  full.inference_latency = 1000, full.gpu_idle = 250, full.cpu_idle = 500;
  full.gpu_idle_share = 0.25, full.cpu_idle_share = 0.5;
  r.points = {empty, full};
  const nlohmann::json j = sweep_json(r);
  for (const char* k : {"gpu_idle_share", "cpu_idle_share"}) {
    EXPECT_TRUE(j["points"][0][k].is_null()) << k;
    EXPECT_TRUE(j["points"][1][k].is_number()) << k;
  }
  EXPECT_DOUBLE_EQ(j["points"][1]["gpu_idle_share"].get<double>(), 250.0 / 1000.0);
  EXPECT_DOUBLE_EQ(j["points"][1]["cpu_idle_share"].get<double>(), 500.0 / 1000.0);
}


// Review SW M2: the clamped launch latencies analyze reports (clock_skew_clamped) are in each point,
// its JSON and its note; a verdict resting on them (more than half of the linked launch calls
// clamped) is said beside it in the sentence, whatever path the sentence takes.
TEST(Sweep, ClampedLatenciesAreCountedAndQualifyTheVerdict) {
  const int64_t linked = 247, clamped = 246;
  LaunchAnalysis skewed = analysis(false, 800, 100);
  skewed.linked_launch_calls = linked, skewed.clock_skew_clamped = clamped;
  LaunchAnalysis big = analysis(true, 100, 100);
  big.linked_launch_calls = 235;
  const SweepResult r = analyze_sweep({sweep_point(2, "skew.json", skewed), sweep_point(64, "big.json", big)});
  ASSERT_TRUE(r.transition_batch.has_value());
  const std::string counts = std::to_string(clamped) + " of " + std::to_string(linked) +
                             " launch latencies clamped to 0 (GPU start before its launch call: clock skew)";
  EXPECT_TRUE(verdict_on_clamped_latencies(r.points[0]));
  EXPECT_FALSE(verdict_on_clamped_latencies(r.points[1]));
  const nlohmann::json j = sweep_json(r);
  EXPECT_EQ(j["points"][0]["clock_skew_clamped"], clamped);
  EXPECT_EQ(j["points"][0]["linked_launch_calls"], linked);
  EXPECT_EQ(j["points"][0]["verdict_on_clamped_latencies"], true);
  EXPECT_EQ(j["points"][1]["clock_skew_clamped"], 0);
  EXPECT_EQ(j["points"][1]["verdict_on_clamped_latencies"], false);
  std::ostringstream os;
  print_sweep(os, r);
  EXPECT_NE(os.str().find("  batch 2 (skew.json): " + counts + ": the verdict rests on clamped values\n"), std::string::npos)
      << os.str();
  EXPECT_EQ(os.str().find("batch 64 (big.json)"), std::string::npos) << os.str();
  // The sentence calls batch 2 launch-bound only with the clamping beside it.
  const size_t called = r.summary.find("aunch-bound");
  ASSERT_NE(called, std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("by clamped launch latencies: see below"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("The verdict at batch 2 rests on clamped launch latencies (batch 2: " + counts + ")"),
            std::string::npos)
      << r.summary;
  // The other paths: no transition (the largest is CPU-bound and skewed), and GPU-bound everywhere.
  const SweepResult none = analyze_sweep({sweep_point(1, "a", analysis(false, 800, 100)), sweep_point(2, "b", skewed)});
  EXPECT_NE(none.summary.find("the largest measured, is not GPU-bound (by clamped launch latencies: see below)"),
            std::string::npos)
      << none.summary;
  LaunchAnalysis skewed_gpu = analysis(true, 100, 100);
  skewed_gpu.linked_launch_calls = 10, skewed_gpu.clock_skew_clamped = 9;
  const SweepResult all_gpu = analyze_sweep({sweep_point(1, "a", skewed_gpu), sweep_point(2, "b", big)});
  EXPECT_NE(all_gpu.summary.find("The verdict at batch 1 rests on clamped launch latencies"), std::string::npos)
      << all_gpu.summary;
  // Half or fewer clamped: counted in the note, the verdict not qualified.
  LaunchAnalysis half = analysis(false, 800, 100);
  half.linked_launch_calls = 10, half.clock_skew_clamped = 5;
  const SweepResult h = analyze_sweep({sweep_point(2, "half.json", half), sweep_point(64, "big.json", big)});
  EXPECT_FALSE(verdict_on_clamped_latencies(h.points[0]));
  EXPECT_EQ(h.summary.find("clamped"), std::string::npos) << h.summary;
  std::ostringstream hs;
  print_sweep(hs, h);
  EXPECT_NE(hs.str().find("  batch 2 (half.json): 5 of 10 launch latencies clamped to 0 (GPU start before its launch call: "
                          "clock skew)\n"),
            std::string::npos)
      << hs.str();
}

// Review SW L1: a balanced batch without a verdict reads "- (balanced)" in the table, as its JSON
// (balanced true) and the sentence say.
TEST(Sweep, TableSaysBalancedWithoutAVerdict) {
  LaunchAnalysis none = analysis(false, 100, 100);  // shares 10% and 10%: balanced
  none.bound.clear(), none.bound_undefined_reason = "host and GPU clocks disagree";
  const SweepResult r = analyze_sweep({sweep_point(8, "skew.json", none), sweep_point(16, "b.json", analysis(true, 900, 10))});
  ASSERT_TRUE(r.points[0].balanced);
  EXPECT_EQ(r.balanced_batches, (std::vector<int64_t>{8}));
  std::ostringstream os;
  print_sweep(os, r);
  std::string row;  // the table's row of batch 8 (not its note line)
  std::istringstream lines(os.str());
  for (std::string line; std::getline(lines, line);)
    if (line.find("skew.json") != std::string::npos && line.rfind("  batch", 0) != 0) row = line;
  ASSERT_FALSE(row.empty()) << os.str();
  EXPECT_NE(row.find("- (balanced)"), std::string::npos) << row;
}

// Review SW L2: a bs<N> beyond int64 in a file name is refused as --label bs=N refuses it, not cut
// to its first digits.
TEST(Sweep, BatchFromFileNameRefusesTooLargeN) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(batch_from_file_name("run_bs" + std::to_string(max) + ".json"), max);
  EXPECT_EQ(batch_from_file_name("run_bs0004.json"), 4);
  try {
    batch_from_file_name("/in/h_bs99999999999999999999.json.gz");
    ADD_FAILURE() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/in/h_bs99999999999999999999.json.gz: bs99999999999999999999 in the file name: N "
                                         "is too large (at most " + std::to_string(max) + ")"),
              std::string::npos)
        << e.what();
  }
  // One past int64.
  EXPECT_THROW(batch_from_file_name("run_bs9223372036854775808.json"), UsageError);
}

// Review SW L6: traces with launch calls but no GPU records are not CPU-only profiles: the GPU side
// was not captured, and the sentence says how to capture it.
TEST(Sweep, LaunchCallsWithoutGpuRecordsAreNotCpuOnly) {
  LaunchAnalysis launched;
  launched.no_gpu_activity = true;
  launched.orphan_launch_calls = 46;
  LaunchAnalysis cpu_only;
  cpu_only.no_gpu_activity = true;
  cpu_only.host = HostAnalysis{};
  const SweepResult r = analyze_sweep({sweep_point(1, "a", launched), sweep_point(2, "b", launched)});
  EXPECT_EQ(r.summary.find("CPU-only"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("yet every one made launch calls"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("the GPU side was not captured"), std::string::npos) << r.summary;
  const SweepResult mixed = analyze_sweep({sweep_point(1, "a", cpu_only), sweep_point(2, "b", launched)});
  EXPECT_NE(mixed.summary.find("yet batch 2 made launch calls"), std::string::npos) << mixed.summary;
  const SweepResult cpu = analyze_sweep({sweep_point(1, "a", cpu_only), sweep_point(2, "b", cpu_only)});
  EXPECT_NE(cpu.summary.find("No trace in this sweep has GPU activity (CPU-only profiles)"), std::string::npos) << cpu.summary;
}

}  // namespace
}  // namespace infertrace

namespace infertrace {
namespace {

std::string sweep_text(const SweepResult& r) {
  std::ostringstream os;
  print_sweep(os, r);
  return os.str();
}

// Review CS L3: the table gives GPU and CPU idle as times too, beside their shares of IL.
TEST(SweepCs, TableGivesIdleTimesBesideTheirShares) {
  const std::string text = sweep_text(analyze_sweep({sweep_point(1, "a", analysis(false, 250, 400)),
                                                     sweep_point(2, "b", analysis(true, 100, 700))}));
  EXPECT_NE(text.find("250 ns (25.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("400 ns (40.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("700 ns (70.0%)"), std::string::npos) << text;
}

// Review CS L2: rounding that would show a tie the verdict broke shows the digits that tell them apart.
TEST(SweepCs, RoundingNeverShowsATieTheVerdictBroke) {
  LaunchAnalysis half = analysis(true, 0, 0);
  half.inference_latency = 100'000, half.gpu_idle = 49'999, half.cpu_idle = 49'999;  // both just under half
  LaunchAnalysis parts = analysis(true, 100, 100);
  parts.tklqt_launch = 10'000, parts.tklqt_queue = 10'001, parts.tklqt = 20'001;  // gpu by 1 ns
  const SweepResult r = analyze_sweep({sweep_point(1, "a", half), sweep_point(2, "b", parts)});
  ASSERT_TRUE(r.points[0].balanced);
  const std::string text = sweep_text(r);
  EXPECT_EQ(text.find("(50.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("(49.999%)"), std::string::npos) << text;
  EXPECT_NE(text.find("10,000 ns"), std::string::npos) << text;
  EXPECT_NE(text.find("10,001 ns"), std::string::npos) << text;
  // Exactly half stays "50.0%"; parts whose texts differ keep their units.
  LaunchAnalysis exact = analysis(true, 500, 500);
  const std::string plain = sweep_text(analyze_sweep({sweep_point(1, "a", exact), sweep_point(2, "b", analysis(true, 100, 100))}));
  EXPECT_NE(plain.find("500 ns (50.0%)"), std::string::npos) << plain;
}

// Review CS M2: a batch on another GPU model is named in the summary and in JSON.
TEST(SweepCs, OtherGpuModelsAreNamed) {
  SweepPoint a = sweep_point(8, "a", analysis(false, 100, 100)), b = sweep_point(16, "b", analysis(true, 100, 100));
  SweepPoint c = sweep_point(32, "c", analysis(true, 100, 100));
  a.gpu_models = {"NVIDIA H100 80GB HBM3"}, b.gpu_models = {"NVIDIA A100-SXM4-80GB"};  // c: not named
  const SweepResult r = analyze_sweep({a, b, c});
  EXPECT_EQ(r.gpu_models_differ, std::vector<int64_t>{16});
  EXPECT_NE(r.summary.find("Caution: batch 16 ran on another GPU model than batch 8 (NVIDIA H100 80GB HBM3; batch 16 on "
                           "NVIDIA A100-SXM4-80GB), so the figures compare machines as well as batch sizes."),
            std::string::npos)
      << r.summary;
  const nlohmann::json j = sweep_json(r);
  EXPECT_EQ(j["gpu_models_differ"], nlohmann::json::array({16}));
  EXPECT_EQ(j["points"][1]["gpu_models"][0], "NVIDIA A100-SXM4-80GB");
  EXPECT_TRUE(j["points"][2]["gpu_models"].is_null());
  b.gpu_models = a.gpu_models;
  EXPECT_TRUE(analyze_sweep({a, b, c}).gpu_models_differ.empty());
}

// Review WD56 M3: the page's sweep table shows the terminal's tie digits (one text for both): it read
// "50.0%" beside "(balanced)" and "10.00 us" for both parts of a 1-ns GPU-bound verdict.
TEST(SweepWd56, PageShowsTheTerminalsTieDigits) {
  LaunchAnalysis half = analysis(true, 0, 0);
  half.inference_latency = 100'000, half.gpu_idle = 49'999, half.cpu_idle = 49'999;  // both just under half
  LaunchAnalysis parts = analysis(true, 100, 100);
  parts.tklqt_launch = 10'000, parts.tklqt_queue = 10'001, parts.tklqt = 20'001;  // gpu by 1 ns
  const SweepResult r = analyze_sweep({sweep_point(1, "a", half), sweep_point(2, "b", parts)});
  ASSERT_TRUE(r.points[0].balanced);
  const std::string doc_text = html_text::doc_page(sweep_json(r), "sweep.json");
  const std::string page = doc_text.substr(doc_text.find("Per batch size"));  // the table
  EXPECT_FALSE(html_text::has(page, " 50.0% ")) << page;
  EXPECT_TRUE(html_text::has(page, " 49.999% ")) << page;
  EXPECT_TRUE(html_text::has(page, " 10,000 ns 10,001 ns ")) << page;
  // The idle chart's tooltips too (they read format_pct's "50.0%"), on the page and in sweep --svg.
  EXPECT_TRUE(html_text::has(doc_text, "share of inference latency = 49.999%")) << doc_text;
  EXPECT_FALSE(html_text::has(doc_text, "share of inference latency = 50.0%")) << doc_text;
  const std::string svg = sweep_svg(r);
  EXPECT_TRUE(html_text::has(svg, "share of inference latency = 49.999%</title>")) << svg;
  EXPECT_FALSE(html_text::has(svg, "share of inference latency = 50.0%</title>")) << svg;
  // Figures the terminal writes as format_pct and format_ns stay so; a hand-edited text is still named.
  EXPECT_TRUE(html_text::has(page, " 10.0% ")) << page;
  nlohmann::json doc = sweep_json(r);
  doc["points"][1]["gpu_idle_share"] = "abc";
  EXPECT_TRUE(html_text::has(html_text::doc_page(doc), "not a number (GPU idle (% of IL) \"abc\")")) << html_text::doc_page(doc);
}

// Review WD56 M3: with several GPUs the balance judges by the most idle device, whose idle the
// terminal table now shows beside the union's, with the same tie digits (the page has its columns).
TEST(SweepWd56, SeveralGpusShowTheMostIdleDevice) {
  LaunchAnalysis two = analysis(true, 0, 10'000);
  two.inference_latency = 100'000, two.gpu_idle = 20'000;  // the union: no device busy
  two.by_device = {{0, 80'000, 20'000}, {1, 50'001, 49'999}};
  two.most_idle_device = 1, two.most_idle_device_idle = 49'999;
  const SweepResult r = analyze_sweep({sweep_point(1, "a", two), sweep_point(2, "b", analysis(true, 100, 100))});
  ASSERT_EQ(r.points[0].devices, 2);
  ASSERT_TRUE(r.points[0].balanced);
  const std::string text = sweep_text(r);
  EXPECT_NE(text.find("most idle GPU"), std::string::npos) << text;
  EXPECT_NE(text.find("20.00 us (20.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("50.00 us (49.999%)"), std::string::npos) << text;
  EXPECT_NE(text.find("the device idle longest, which the balance judges by"), std::string::npos) << text;
  // The sentence names that device's share so too.
  EXPECT_NE(r.summary.find("the most idle device is idle 49.999% of the inference latency"), std::string::npos) << r.summary;
  const std::string doc_text = html_text::doc_page(sweep_json(r), "sweep.json");
  const std::string page = doc_text.substr(doc_text.find("Per batch size"));  // the table
  EXPECT_TRUE(html_text::has(page, " 49.999% ")) << page;
  EXPECT_FALSE(html_text::has(page, " 50.0% ")) << page;
  // One GPU per batch: no such column.
  EXPECT_EQ(sweep_text(analyze_sweep({sweep_point(1, "a", analysis(true, 100, 100)), sweep_point(2, "b", analysis(true, 100, 100))}))
                .find("most idle GPU"),
            std::string::npos);
}

// Review WD56 M3: a share too close to half for share * 100 to differ from 50 said "50.000000000000%"
// (12 digits, still reading half); capped at 6 decimals, then the side of half.
TEST(SweepWd56, ShareWithinAnUlpOfHalfSaysItsSide) {
  LaunchAnalysis near = analysis(true, 0, 0);
  near.inference_latency = ns_t{1} << 54, near.gpu_idle = (ns_t{1} << 53) - 1;  // 0.49999999999999994
  near.cpu_idle = 0;
  const SweepResult r = analyze_sweep({sweep_point(1, "a", near), sweep_point(2, "b", analysis(true, 100, 100))});
  ASSERT_EQ(r.points[0].gpu_idle_share, 0.49999999999999994);
  const std::string text = sweep_text(r);
  EXPECT_NE(text.find("(<50.0%)"), std::string::npos) << text;
  EXPECT_EQ(text.find("50.0000"), std::string::npos) << text;
  EXPECT_EQ(sweep_share_text(0.5), "50.0%");
  EXPECT_EQ(sweep_share_text(0.4999999), "49.99999%");
  EXPECT_EQ(sweep_share_text(0.499999999), "<50.0%");
  EXPECT_EQ(sweep_share_text(std::nextafter(0.5, 1.0)), ">50.0%");
  EXPECT_EQ(sweep_share_text(0.4321), "43.2%");
}

}  // namespace
}  // namespace infertrace
