// The fusion report (report/fusion_report.h, docs/fusion.md) on a hand-made fusion result and
// launch analysis: the predicted inference latency after fusion (docs/metrics.md section 2 and 4:
// the launch time saved comes off IL of a CPU-bound trace, never below the GPU's busy time), the
// per-length table's IL column, and the CUDA graph line. Every expected value is worked out below.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "json_labels.h"
#include "report/analyze_json.h"
#include "report/fusion_report.h"
#include "report/html_parts.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace {
namespace {

// 1000 kernels; L=2 fuses 400 chains (600 kernels left, 1.667x) saving 20 us of launch time, L=4
// fuses 200 (400 left, 2.5x) saving 30 us. Two graph launches ran 10 kernels in 8 us of API time,
// 3 us of it launch part.
FusionResult result() {
  FusionResult r;
  r.threshold = 1.0;
  r.kernels = 1000;
  r.distinct_kernels = 4;
  r.streams = 1;
  r.segments = 1;
  auto length = [](int L, int64_t fused, ns_t saved) {
    ChainLengthResult l;
    l.length = L;
    l.fused_chains = fused;
    l.kernels_eager = 1000;
    l.kernels_fused = 1000 - fused * (L - 1);
    l.ideal_speedup = 1000.0 / static_cast<double>(l.kernels_fused);
    l.launch_time_saved = saved;
    return l;
  };
  r.lengths = {length(2, 400, 20'000), length(4, 200, 30'000)};
  r.graphs.launches = 2, r.graphs.kernels = 10, r.graphs.api_time = 8'000, r.graphs.launch_part = 3'000;
  r.graphs.timed_launches = 2, r.graphs.timed_kernels = 10;
  return r;
}

LaunchAnalysis launch(const std::string& bound) {
  LaunchAnalysis a;
  a.bound = bound;
  a.inference_latency = 100'000;
  a.gpu_busy = 75'000;
  a.tklqt_launch = 40'000, a.tklqt_queue = bound == "gpu" ? 60'000 : 10'000;
  return a;
}

// IL 100 us, GPU busy 75 us: saving 20 us leaves 80 us; saving 30 us would leave 70 us, below the
// GPU's busy time, so 75 us. A GPU-bound trace has no prediction (-1).
TEST(FusionReport, PredictedIlIsFlooredAtGpuBusyAndOnlyForCpuBound) {
  const LaunchAnalysis cpu = launch("cpu"), gpu = launch("gpu");
  EXPECT_EQ(predicted_il_after_fusion(cpu, 20'000), 80'000);
  EXPECT_EQ(predicted_il_after_fusion(cpu, 30'000), 75'000);
  EXPECT_EQ(predicted_il_after_fusion(gpu, 20'000), -1);

  Trace t;
  t.file = "f.json";
  const FusionResult r = result();
  const nlohmann::json j = fusion_json({&t, &r, &cpu});
  ASSERT_EQ(j["lengths"].size(), 2u);
  EXPECT_EQ(j["lengths"][0]["predicted_il_ns"], 80'000);
  EXPECT_EQ(j["lengths"][1]["predicted_il_ns"], 75'000);
  EXPECT_TRUE(fusion_json({&t, &r, &gpu})["lengths"][1]["predicted_il_ns"].is_null());
  // The verdict takes the best length (L=4, 2.5x) and its floored IL: 100 us -> 75 us, 25.0% less.
  const std::string v = fusion_verdict({&t, &r, &cpu});
  EXPECT_NE(v.find("length 4"), std::string::npos) << v;
  EXPECT_NE(v.find(format_ns(int64_t{100'000}) + " -> about " + format_ns(int64_t{75'000})), std::string::npos) << v;
  EXPECT_NE(v.find("(" + format_pct(0.25) + " less)"), std::string::npos) << v;
}

// The per-length table has an "IL after" column only for a CPU-bound trace (a GPU-bound one has no
// prediction to show); the CSV always has predicted_il_ns, empty without a prediction.
TEST(FusionReport, IlColumnOnlyForACpuBoundTrace) {
  Trace t;
  t.file = "f.json";
  const FusionResult r = result();
  const LaunchAnalysis cpu = launch("cpu"), gpu = launch("gpu");
  std::ostringstream cpu_text, gpu_text, cpu_csv, gpu_csv;
  print_fusion(cpu_text, {&t, &r, &cpu});
  print_fusion(gpu_text, {&t, &r, &gpu});
  print_fusion_csv(cpu_csv, {&t, &r, &cpu});
  print_fusion_csv(gpu_csv, {&t, &r, &gpu});
  EXPECT_NE(cpu_text.str().find("IL after"), std::string::npos) << cpu_text.str();
  EXPECT_NE(cpu_text.str().find(format_ns(int64_t{75'000})), std::string::npos) << cpu_text.str();
  EXPECT_EQ(gpu_text.str().find("IL after"), std::string::npos) << gpu_text.str();
  EXPECT_NE(cpu_csv.str().find("predicted_il_ns"), std::string::npos) << cpu_csv.str();
  EXPECT_NE(cpu_csv.str().find(",75000\n"), std::string::npos) << cpu_csv.str();
  // One CSV header for every trace: the GPU-bound one has the column, empty (FMT L5).
  const auto header = [](const std::string& csv) { return csv.substr(0, csv.find('\n')); };
  EXPECT_EQ(header(gpu_csv.str()), header(cpu_csv.str()));
  EXPECT_NE(header(gpu_csv.str()).find(",predicted_il_ns"), std::string::npos) << gpu_csv.str();
  std::istringstream rows(gpu_csv.str());
  std::string line;
  std::getline(rows, line);
  size_t n = 0;
  while (std::getline(rows, line)) {
    EXPECT_EQ(line.back(), ',') << "the GPU-bound trace's predicted_il_ns is empty: " << line;
    ++n;
  }
  EXPECT_GT(n, 0u);
  EXPECT_EQ(gpu_csv.str().find("-1"), std::string::npos) << gpu_csv.str();
}

// A trace with launch figures but no CPU- or GPU-bound verdict (every kernel started at or before
// its launch call, so TKLQT is 0): IL and GPU busy are still reported, with the reason for the
// missing bound, as analyze --json does (audit DU F1); no IL is predicted and the verdict says why.
TEST(FusionReport, NoBoundStillReportsIlGpuBusyAndTheReason) {
  Trace t;
  t.file = "f.json";
  const FusionResult r = result();
  LaunchAnalysis none = launch("");
  none.bound_undefined_reason = "TKLQT is 0: every kernel started at or before its launch call";
  const nlohmann::json j = fusion_json({&t, &r, &none});
  EXPECT_TRUE(j["bound"].is_null());
  EXPECT_EQ(j["bound_undefined_reason"], none.bound_undefined_reason);
  EXPECT_EQ(j["inference_latency_ns"], 100'000);
  EXPECT_EQ(j["gpu_busy_ns"], 75'000);
  EXPECT_TRUE(j["lengths"][0]["predicted_il_ns"].is_null());
  const std::string v = fusion_verdict({&t, &r, &none});
  EXPECT_NE(v.find("No CPU- or GPU-bound verdict: " + none.bound_undefined_reason), std::string::npos) << v;
  // With a verdict there is no reason key; without the launch analysis, no IL either.
  const LaunchAnalysis cpu = launch("cpu");
  EXPECT_FALSE(fusion_json({&t, &r, &cpu}).contains("bound_undefined_reason"));
  // No GPU activity at all: IL and GPU busy are null with analyze's reason, not 0 (review EA M1).
  LaunchAnalysis nogpu;
  nogpu.no_gpu_activity = true;
  nogpu.bound_undefined_reason = "no launch call is linked to GPU work";
  const nlohmann::json ng = fusion_json({&t, &r, &nogpu});
  EXPECT_TRUE(ng["inference_latency_ns"].is_null());
  EXPECT_TRUE(ng["gpu_busy_ns"].is_null());
  EXPECT_TRUE(ng["bound"].is_null());
  EXPECT_EQ(ng["undefined_reason"], "no GPU activity in the trace");
  EXPECT_FALSE(ng.contains("bound_undefined_reason"));
  // GPU events in the trace, every one skipped by the reader: the reason says so (review KV L2).
  nogpu.skipped_gpu_events = 2;
  EXPECT_EQ(fusion_json({&t, &r, &nogpu})["undefined_reason"], "no usable GPU activity (2 GPU events skipped: see skipped)");
  const nlohmann::json bare = fusion_json({&t, &r, nullptr});
  EXPECT_TRUE(bare["inference_latency_ns"].is_null());
  EXPECT_FALSE(bare.contains("bound_undefined_reason"));
}

// Launch calls without any GPU activity (a `record --cuda uprobe` recording): the GPU side was not
// captured, and fusion says how to capture it, as sweep does (review DW L3); JSON counts them.
TEST(FusionReport, LaunchCallsWithoutGpuActivitySayTheGpuSideWasNotCaptured) {
  Trace t;
  t.file = "up.itrace";
  const FusionResult none;  // no kernels, no lengths
  LaunchAnalysis up;
  up.no_gpu_activity = true;
  up.orphan_launch_calls = 438;
  const std::string v = fusion_verdict({&t, &none, &up});
  EXPECT_NE(v.find("Yet its 438 launch calls have no GPU activity: the GPU side was not captured"), std::string::npos) << v;
  EXPECT_NE(v.find("infertrace record --cuda cupti"), std::string::npos) << v;
  const nlohmann::json j = fusion_json({&t, &none, &up});
  EXPECT_EQ(j["orphan_launch_calls"], 438);
  EXPECT_TRUE(j.contains("gpu_side_not_captured"));
  up.orphan_launch_calls = 0;  // a CPU-only trace: nothing to capture
  EXPECT_EQ(fusion_verdict({&t, &none, &up}).find("Yet"), std::string::npos);
  EXPECT_FALSE(fusion_json({&t, &none, &up}).contains("gpu_side_not_captured"));
}

// A GPU-bound trace whose GPU idles half the inference latency or more is not told "only faster
// kernels help" (review UX H1); below half it is told that faster kernels help more, with the idle
// share that says so.
TEST(FusionReport, GpuBoundAdviceFollowsTheIdleShare) {
  Trace t;
  t.file = "f.json";
  const FusionResult r = result();
  LaunchAnalysis busy = launch("gpu");
  busy.gpu_idle = 20'000;  // of 100 us
  const std::string b = fusion_verdict({&t, &r, &busy});
  EXPECT_NE(b.find("GPU idle only 20.0% of the inference latency"), std::string::npos) << b;
  // A quarter or more (below half) is not "only" (gpt2 bs16: "GPU idle only 43.4%", review FU-6).
  LaunchAnalysis some = launch("gpu");
  some.gpu_idle = 43'400;
  const std::string m = fusion_verdict({&t, &r, &some});
  EXPECT_NE(m.find(", GPU idle 43.4% of the inference latency"), std::string::npos) << m;
  EXPECT_EQ(m.find("only"), std::string::npos) << m;
  EXPECT_NE(b.find("will not shorten it much; faster kernels will."), std::string::npos) << b;
  EXPECT_EQ(b.find("bursts"), std::string::npos) << b;
  LaunchAnalysis bursty = launch("gpu");
  bursty.gpu_idle = 50'000;  // exactly half
  const std::string v = fusion_verdict({&t, &r, &bursty});
  EXPECT_NE(v.find("GPU-bound by the queue criterion"), std::string::npos) << v;
  EXPECT_NE(v.find("yet its GPU is idle 50.0% of the"), std::string::npos) << v;
  EXPECT_NE(v.find("faster kernels shorten the bursts"), std::string::npos) << v;
  EXPECT_EQ(v.find("will not shorten"), std::string::npos) << v;
  // A CPU-bound trace keeps its prediction whatever the idle share.
  LaunchAnalysis cpu = launch("cpu");
  cpu.gpu_idle = 60'000;
  EXPECT_NE(fusion_verdict({&t, &r, &cpu}).find("CPU-bound (launch-dominated)"), std::string::npos);
}

// Graph launches: 8 us of API time over 2 launches is 4 us a launch, over 10 kernels 800 ns a
// kernel; 3 us of launch part is 1.5 us a launch.
TEST(FusionReport, GraphLineDividesByLaunchesAndByKernels) {
  Trace t;
  t.file = "f.json";
  const FusionResult r = result();
  const LaunchAnalysis cpu = launch("cpu");
  std::ostringstream os;
  print_fusion(os, {&t, &r, &cpu});
  const std::string want = "measured API time " + format_ns(4'000.0) + " per graph launch, " + format_ns(800.0) +
                           " per kernel inside graphs (launch part " + format_ns(1'500.0) + " per graph launch)";
  EXPECT_NE(os.str().find(want), std::string::npos) << os.str();
  const nlohmann::json j = fusion_json({&t, &r, &cpu});
  EXPECT_DOUBLE_EQ(j["graphs"]["api_ns_per_launch"].get<double>(), 4'000.0);
  EXPECT_DOUBLE_EQ(j["graphs"]["api_ns_per_kernel"].get<double>(), 800.0);
}

// Graph launch calls with unknown durations (review DF L2) are left out of the API time's means,
// as analyze's timed_calls rule leaves them out: one of the two launches timed (8 us, 4 of the 10
// kernels) is 8 us a launch and 2 us a kernel; none timed is no API time at all (null, no figure
// in the text), while the launch part (known without the duration) stays.
TEST(FusionReport, GraphApiTimeIsOverTimedLaunchesOnly) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  r.graphs.timed_launches = 1, r.graphs.timed_kernels = 4;
  const LaunchAnalysis cpu = launch("cpu");
  std::ostringstream os;
  print_fusion(os, {&t, &r, &cpu});
  const std::string want = "measured API time " + format_ns(8'000.0) + " per graph launch, " + format_ns(2'000.0) +
                           " per kernel inside graphs, over the 1 of them with a known duration (launch part " +
                           format_ns(1'500.0) + " per graph launch)";
  EXPECT_NE(os.str().find(want), std::string::npos) << os.str();
  nlohmann::json j = fusion_json({&t, &r, &cpu});
  EXPECT_EQ(j["graphs"]["timed_launches"], 1);
  EXPECT_EQ(j["graphs"]["api_ns"], 8'000);
  EXPECT_DOUBLE_EQ(j["graphs"]["api_ns_per_launch"].get<double>(), 8'000.0);
  EXPECT_DOUBLE_EQ(j["graphs"]["api_ns_per_kernel"].get<double>(), 2'000.0);

  r.graphs.timed_launches = 0, r.graphs.timed_kernels = 0, r.graphs.api_time = 0;
  std::ostringstream none;
  print_fusion(none, {&t, &r, &cpu});
  EXPECT_NE(none.str().find("API time unknown (no graph launch call has a known duration) (launch part " + format_ns(1'500.0)),
            std::string::npos)
      << none.str();
  EXPECT_EQ(none.str().find("measured API time"), std::string::npos) << none.str();
  j = fusion_json({&t, &r, &cpu});
  EXPECT_EQ(j["graphs"]["launches"], 2);
  EXPECT_EQ(j["graphs"]["timed_launches"], 0);
  EXPECT_TRUE(j["graphs"]["api_ns"].is_null());
  EXPECT_TRUE(j["graphs"]["api_ns_per_launch"].is_null());
  EXPECT_TRUE(j["graphs"]["api_ns_per_kernel"].is_null());
  EXPECT_EQ(j["graphs"]["launch_part_ns"], 3'000);
}

// Two lengths with the same ideal speedup (L=2 fusing 300 chains and L=4 fusing 100 both leave 700
// of 1000 kernels): the verdict names the shorter, the first found.
TEST(FusionReport, VerdictTieKeepsTheShorterLength) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  r.lengths[0].fused_chains = 300, r.lengths[0].kernels_fused = 700, r.lengths[0].ideal_speedup = 1000.0 / 700.0;
  r.lengths[1].fused_chains = 100, r.lengths[1].kernels_fused = 700, r.lengths[1].ideal_speedup = 1000.0 / 700.0;
  const LaunchAnalysis cpu = launch("cpu");
  const std::string v = fusion_verdict({&t, &r, &cpu});
  EXPECT_NE(v.find("chains of length 2 "), std::string::npos) << v;
}

// A candidate's row: fused 30 of its 50 occurrences (PS 50/50), 30 kernels removed, 3 us saved.
TEST(FusionReport, CandidateRowShowsOccurrencesAndFusedApart) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  FusionCandidate c;
  c.length = 2, c.occurrences = 50, c.first_occurrences = 50, c.proximity = 1.0, c.fused = 30;
  c.kernels_removed = 30, c.launch_time_saved = 3'000;
  c.kernels = {t.strings.intern("kX"), t.strings.intern("kY")};
  r.candidates.push_back(c);
  const LaunchAnalysis cpu = launch("cpu");
  std::ostringstream os;
  print_fusion(os, {&t, &r, &cpu});
  std::istringstream in(os.str());
  std::vector<std::string> cells;
  for (std::string line; std::getline(in, line);) {
    if (line.find("kX -> kY") == std::string::npos) continue;
    std::istringstream words(line);
    for (std::string w; words >> w;) cells.push_back(w);
  }
  // #, L, fused, PS, occurrences, kernels removed, launch saved ("3.00 us": two words), chain
  ASSERT_GE(cells.size(), 8u) << os.str();
  EXPECT_EQ(cells[1], "2");
  EXPECT_EQ(cells[2], "30");
  EXPECT_EQ(cells[3], "1.000");
  EXPECT_EQ(cells[4], "50");
  EXPECT_EQ(cells[5], "30");
  EXPECT_EQ(cells[6] + " " + cells[7], format_ns(int64_t{3'000}));
  const nlohmann::json j = fusion_json({&t, &r, &cpu});
  ASSERT_EQ(j["candidates"].size(), 1u);
  EXPECT_EQ(j["candidates"][0]["occurrences"], 50);
  EXPECT_EQ(j["candidates"][0]["fused"], 30);
  EXPECT_EQ(j["candidates"][0]["first_kernel_occurrences"], 50);
}

// A PS that three decimals would round to 1 is not shown as "1.000" (only an exact 1 is): at T = 1
// that chain is not deterministic (nullkernel_2000 at L = 2: 1999 / 2000 = 0.9995; review FU-10).
// The HTML table's PS column alike.
TEST(FusionReport, PsBelowOneIsNeverShownAsOne) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  FusionCandidate c;
  c.length = 2, c.occurrences = 1999, c.first_occurrences = 2000, c.proximity = 1999.0 / 2000.0, c.fused = 1000;
  c.kernels_removed = 1000, c.launch_time_saved = 3'000;
  c.kernels = {t.strings.intern("kX"), t.strings.intern("kY")};
  r.candidates.push_back(c);
  const LaunchAnalysis cpu = launch("cpu");
  std::ostringstream os;
  print_fusion(os, {&t, &r, &cpu});
  std::istringstream in(os.str());
  std::vector<std::string> cells;
  for (std::string line; std::getline(in, line);) {
    if (line.find("kX -> kY") == std::string::npos) continue;
    std::istringstream words(line);
    for (std::string w; words >> w;) cells.push_back(w);
  }
  ASSERT_GE(cells.size(), 4u) << os.str();
  EXPECT_EQ(cells[3], "0.9995") << os.str();
  EXPECT_EQ(format_fixed_not_whole(1.0, 3), "1.000");
  EXPECT_EQ(format_fixed_not_whole(0.9995, 3), "0.9995");
  EXPECT_EQ(format_fixed_not_whole(0.99999, 3), "0.99999");
  EXPECT_EQ(format_fixed_not_whole(0.25, 3), "0.250");
  EXPECT_EQ(format_fixed_not_whole(0.00002, 3), "0.00002");
  // Past 20 digits a number that still reads whole gets its shortest text (review WD56 L6).
  EXPECT_EQ(format_fixed_not_whole(1e-25, 3), "1e-25");
  EXPECT_EQ(format_fixed_not_whole(-1e-25, 3), "-1e-25");
  EXPECT_EQ(format_fixed_not_whole(6e-21, 3), "0.00000000000000000001");
  EXPECT_EQ(html::cell_text(nlohmann::json(0.9995), CellFormat::Fixed3), "0.9995");
  EXPECT_EQ(html::cell_text(nlohmann::json(1.0), CellFormat::Fixed3), "1.000");
}

// A threshold is said as given, never rounded to a neighbour: "at least 1.00" for T = 0.9996 read
// as T = 1 (review FU-2), and "threshold 1.000000 is outside (0, 1]" contradicted itself (FU-3).
TEST(FusionReport, ThresholdIsSaidAsGiven) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  r.threshold = 0.9996;
  for (auto& l : r.lengths) l.fused_chains = 0, l.kernels_fused = 1000, l.ideal_speedup = 1.0, l.launch_time_saved = 0;
  const LaunchAnalysis cpu = launch("cpu");
  const std::string v = fusion_verdict({&t, &r, &cpu});
  EXPECT_NE(v.find("at least 0.9996: nothing to fuse"), std::string::npos) << v;
  std::ostringstream os;
  print_fusion(os, {&t, &r, &cpu});
  EXPECT_NE(os.str().find("threshold T = 0.9996\n"), std::string::npos) << os.str();
  r.threshold = 0.99999999;
  EXPECT_NE(fusion_verdict({&t, &r, &cpu}).find("at least 0.99999999:"), std::string::npos);
  const KernelSequences none;
  for (const auto& [T, said] : std::vector<std::pair<double, std::string>>{{1.0000000001, "1.0000000001"}, {-1e-9, "-1e-09"}}) {
    FusionOptions o;
    o.threshold = T;
    try {
      analyze_fusion(none, o);
      ADD_FAILURE() << "threshold " << said << " accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("threshold " + said + " is outside (0, 1]"), std::string::npos) << e.what();
    }
  }
}

// "Deterministic" means PS = 1: below T = 1 the verdict names the chains by their threshold
// (nullkernel_2000 at T = 0.995 fused chains of PS 0.9965 as "deterministic": review FU-4).
TEST(FusionReport, VerdictSaysDeterministicOnlyAtThresholdOne) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  const LaunchAnalysis cpu = launch("cpu");
  EXPECT_NE(fusion_verdict({&t, &r, &cpu}).find("Fusing deterministic chains of length 4"), std::string::npos);
  r.threshold = 0.995;
  const std::string v = fusion_verdict({&t, &r, &cpu});
  EXPECT_NE(v.find("Fusing chains with proximity score >= 0.995 of length 4"), std::string::npos) << v;
  EXPECT_EQ(v.find("deterministic"), std::string::npos) << v;
}

// Where the GPU's busy time floors the predicted IL, the verdict says how much of the saving comes
// off (IL before - after) and that the rest hides behind GPU work, not that "the saving comes off
// the inference latency" (review FU-5). IL 100 us, GPU busy 75 us: saving 30 us (L=4) -> 25 us off,
// 5 us hidden; saving 20 us -> all of it comes off.
TEST(FusionReport, VerdictSaysWhatTheGpuBusyFloorHides) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  const LaunchAnalysis cpu = launch("cpu");
  const std::string v = fusion_verdict({&t, &r, &cpu});
  EXPECT_EQ(v.find("so the saving comes off the inference latency"), std::string::npos) << v;
  EXPECT_NE(v.find("GPU's busy time (" + format_ns(int64_t{75'000}) + ") floors the inference latency: only " +
                   format_ns(int64_t{25'000}) + " of the saving comes off it, " + format_ns(int64_t{100'000}) + " -> about " +
                   format_ns(int64_t{75'000})),
            std::string::npos) << v;
  EXPECT_NE(v.find("the other " + format_ns(int64_t{5'000}) + " would be hidden behind GPU work"), std::string::npos) << v;
  r.lengths.pop_back();  // best is L=2, saving 20 us: IL 80 us, above the floor
  const std::string all = fusion_verdict({&t, &r, &cpu});
  EXPECT_NE(all.find("so the saving comes off the inference latency: " + format_ns(int64_t{100'000}) + " -> about " +
                     format_ns(int64_t{80'000})),
            std::string::npos) << all;
  EXPECT_EQ(all.find("hidden"), std::string::npos) << all;
}

// No kernels: the text says why, as the JSON's undefined_reason does (review FU-9): no GPU
// activity, or GPU work that is memory copies and memsets only.
TEST(FusionReport, NoKernelsSaysWhy) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  r.kernels = 0;
  LaunchAnalysis nogpu;
  nogpu.no_gpu_activity = true;
  EXPECT_EQ(fusion_verdict({&t, &r, &nogpu}), "No kernels in this trace (no GPU activity in the trace): nothing to fuse.");
  EXPECT_EQ(fusion_json({&t, &r, &nogpu})["undefined_reason"], "no GPU activity in the trace");
  t.gpu.kind = {GpuKind::Memset, GpuKind::Memcpy, GpuKind::Memset};
  const LaunchAnalysis cpu = launch("cpu");
  EXPECT_EQ(fusion_verdict({&t, &r, &cpu}),
            "No kernels in this trace (its 3 GPU activities are memory copies and memsets): nothing to fuse.");
}

// The report's label lists name exactly the scalar keys fusion_json writes in a length row (its IL
// column too: a CPU-bound trace) and in a candidate row ("kernels", an array, is no column), each
// with its own label.
TEST(FusionReport, EveryLengthAndCandidateKeyHasOneReportLabel) {
  Trace t;
  t.file = "f.json";
  FusionResult r = result();
  FusionCandidate c;
  c.length = 2, c.occurrences = 50, c.first_occurrences = 50, c.proximity = 1.0, c.fused = 30;
  c.kernels = {t.strings.intern("kX"), t.strings.intern("kY")};
  r.candidates.push_back(c);
  const LaunchAnalysis cpu = launch("cpu");
  const nlohmann::json j = fusion_json({&t, &r, &cpu});
  EXPECT_TRUE(j["lengths"][0].contains("predicted_il_ns"));
  EXPECT_EQ(label_check::row_keys(j["lengths"]), label_check::column_keys(fusion_length_columns()));
  EXPECT_EQ(label_check::row_keys(j["candidates"]), label_check::column_keys(fusion_candidate_columns()));
  for (const auto* cols : {&fusion_length_columns(), &fusion_candidate_columns()})
    EXPECT_EQ(label_check::distinct_labels(*cols), cols->size());
}

}  // namespace
}  // namespace infertrace
