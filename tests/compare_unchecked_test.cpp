// Review CS: a launch mix that could not be compared (one side's capture holds no GPU kernel), rates
// too far apart for a finite slowdown, and scenarios on other GPU models.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "analysis/compare.h"
#include "report/compare_render.h"

namespace infertrace {
namespace {

ScenarioMetrics scenario(const char* name, int64_t launches, ns_t wall) {
  ScenarioMetrics m;
  m.name = name, m.launches = launches, m.wall = wall;
  return m;
}

LaunchMix kernel_mix(int64_t n) {
  LaunchMix m;
  m.basis = "kernel_shapes";
  m.buckets[3] = n, m.launches = n;
  return m;
}

std::string text_of(const Comparison& c) {
  std::ostringstream os;
  print_comparison(os, c);
  return os.str();
}

// M1: the baseline's capture holds kernels, the scenario's 247 launch calls none (its GPU side not
// captured). The rates are within noise of each other, which read "no measurable change" for work
// nobody could check was the same.
TEST(CompareUnchecked, ACaptureWithoutGpuKernelsGetsNoVerdictAndSaysWhy) {
  ScenarioMetrics base = scenario("base", 245, 1'000'000), nogpu = scenario("nogpu", 247, 1'000'000);
  base.launch_mix = kernel_mix(245);  // nogpu.launch_mix: none, and known to be none
  const Comparison c = compare_scenarios({base, nogpu});
  ASSERT_EQ(c.basis, "launch_rate");
  const ComparisonRow& r = c.rows[1];
  EXPECT_FALSE(r.launch_mix_similarity);
  EXPECT_FALSE(r.slowdown_pct);
  EXPECT_TRUE(r.launch_mix_unchecked_withholds);
  EXPECT_EQ(r.launch_mix_unchecked_reason, "its 247 launch calls reached no GPU work in its capture (no GPU kernel)");
  EXPECT_EQ(r.verdict.rfind("no verdict: its 247 launch calls reached no GPU work", 0), 0u) << r.verdict;
  const nlohmann::json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][1]["launch_mix_unchecked_reason"], r.launch_mix_unchecked_reason);
  EXPECT_TRUE(j["scenarios"][1]["slowdown_pct"].is_null());
  EXPECT_TRUE(j["scenarios"][0]["launch_mix_unchecked_reason"].is_null());
  const std::string text = text_of(c);
  EXPECT_NE(text.find("launch mix not compared with the baseline's (nogpu: its 247 launch calls reached no GPU work"),
            std::string::npos)
      << text;
  // The other way round: the baseline's capture is the one without kernels.
  const Comparison back = compare_scenarios({nogpu, base});
  EXPECT_FALSE(back.rows[1].slowdown_pct);
  EXPECT_EQ(back.rows[1].launch_mix_unchecked_reason,
            "the baseline's 247 launch calls reached no GPU work in its capture (no GPU kernel)");
}

// A mix not known (an analysis saved before launch_mix) keeps its slowdown, and the note says the
// check was not made.
TEST(CompareUnchecked, AnUnknownMixKeepsTheSlowdownWithANote) {
  ScenarioMetrics base = scenario("base", 245, 1'000'000), old = scenario("old", 245, 1'100'000);
  base.launch_mix = kernel_mix(245);
  old.launch_mix_unknown = true;
  const Comparison c = compare_scenarios({base, old});
  ASSERT_TRUE(c.rows[1].slowdown_pct);
  EXPECT_FALSE(c.rows[1].launch_mix_unchecked_withholds);
  EXPECT_NE(c.rows[1].launch_mix_unchecked_reason.find("saved before sched --json wrote launch_mix"), std::string::npos);
  EXPECT_NE(text_of(c).find("launch mix not compared with the baseline's (old: its saved analysis"), std::string::npos);
  // Both mixes known and alike: compared, no reason.
  ScenarioMetrics same = scenario("same", 245, 1'100'000);
  same.launch_mix = kernel_mix(245);
  EXPECT_EQ(compare_scenarios({base, same}).rows[1].launch_mix_unchecked_reason, "");
}

// M3: throughputs 1 and 1e308 gave "-inf%" and "inf% faster"; a baseline of 1e-320 showed "0.0".
TEST(CompareUnchecked, RatesTooFarApartGiveNoSlowdownAndNoInfinity) {
  for (const auto& [b, s] : {std::pair{1.0, 1e308}, std::pair{1e-320, 1.0}, std::pair{1.0, 2e6}}) {
    ScenarioMetrics base = scenario("base", 100, 1'000'000), scen = scenario("scen", 100, 1'000'000);
    base.throughput = b, scen.throughput = s;
    const Comparison c = compare_scenarios({base, scen});
    ASSERT_EQ(c.basis, "throughput");
    EXPECT_FALSE(c.rows[1].slowdown_pct) << b << " " << s;
    EXPECT_NE(c.rows[1].slowdown_undefined_reason.find("more than a million times apart"), std::string::npos);
    EXPECT_EQ(c.rows[1].verdict.rfind("no verdict: the rates (", 0), 0u) << c.rows[1].verdict;
    const std::string text = text_of(c), json = comparison_json(c).dump();
    for (const char* bad : {"inf", "nan", " 0.0 "}) EXPECT_EQ(text.find(bad), std::string::npos) << bad << "\n" << text;
    EXPECT_EQ(json.find("inf%"), std::string::npos) << json;
    EXPECT_EQ(comparison_json(c)["scenarios"][1]["slowdown_undefined_reason"], c.rows[1].slowdown_undefined_reason);
  }
  // A tiny positive throughput is not shown as zero.
  ScenarioMetrics base = scenario("base", 100, 1'000'000), scen = scenario("scen", 100, 1'000'000);
  base.throughput = 1e-320, scen.throughput = 2e-320;
  const std::string text = text_of(compare_scenarios({base, scen}));
  EXPECT_NE(text.find("1e-320"), std::string::npos) << text;
  // A million apart exactly still compares.
  base.throughput = 1.0, scen.throughput = 1e6;
  EXPECT_TRUE(compare_scenarios({base, scen}).rows[1].slowdown_pct);
}

// M2: a scenario on another GPU model is said in its verdict and a note; unknown models say nothing.
TEST(CompareUnchecked, OtherGpuModelsAreSaid) {
  ScenarioMetrics base = scenario("h100", 245, 1'000'000), other = scenario("a100", 245, 1'000'000);
  base.gpu_models = {"NVIDIA H100 80GB HBM3"}, other.gpu_models = {"NVIDIA A100-SXM4-80GB"};
  const Comparison c = compare_scenarios({base, other});
  EXPECT_TRUE(c.rows[1].gpu_models_differ);
  EXPECT_NE(c.rows[1].verdict.find("ran on another GPU model (NVIDIA A100-SXM4-80GB) than the baseline (NVIDIA H100 80GB HBM3)"),
            std::string::npos)
      << c.rows[1].verdict;
  EXPECT_NE(text_of(c).find("GPU: a100 ran on another GPU model than the baseline"), std::string::npos);
  EXPECT_EQ(comparison_json(c)["scenarios"][1]["gpu_models_differ"], true);
  EXPECT_EQ(comparison_json(c)["scenarios"][1]["gpu_models"][0], "NVIDIA A100-SXM4-80GB");
  other.gpu_models = base.gpu_models;
  EXPECT_FALSE(compare_scenarios({base, other}).rows[1].gpu_models_differ);
  other.gpu_models.clear();
  EXPECT_FALSE(compare_scenarios({base, other}).rows[1].gpu_models_differ);
}

// L7: where the launch mix differs, a few kernels only on one side are named (or, with the same
// names, that the grids differ).
TEST(CompareUnchecked, ALaunchMixThatDiffersNamesTheKernels) {
  ScenarioMetrics base = scenario("base", 100, 1'000'000), other = scenario("renamed", 100, 1'000'000);
  base.launch_mix = kernel_mix(100);
  other.launch_mix = kernel_mix(100);
  other.launch_mix->buckets[3] = 0, other.launch_mix->buckets[9] = 100;
  base.kernel_names = {"gemm", "softmax"};
  other.kernel_names = {"x_gemm", "x_layernorm", "x_softmax", "x_tanh"};
  Comparison c = compare_scenarios({base, other});
  ASSERT_TRUE(c.rows[1].launch_mix_differs);
  const std::string want = "only in renamed: x_gemm, x_layernorm, x_softmax and 1 more; only in the baseline: gemm, softmax";
  EXPECT_EQ(c.rows[1].launch_mix_difference, want);
  EXPECT_NE(text_of(c).find("renamed 0% by kernel name, grid and block (" + want + ")"), std::string::npos) << text_of(c);
  EXPECT_EQ(comparison_json(c)["scenarios"][1]["launch_mix_difference"], want);
  other.kernel_names = base.kernel_names;
  EXPECT_EQ(compare_scenarios({base, other}).rows[1].launch_mix_difference, "the same kernel names, in other proportions or with other grids or blocks");
  other.kernel_names.clear();  // not known (a saved analysis): nothing named
  EXPECT_EQ(compare_scenarios({base, other}).rows[1].launch_mix_difference, "");
}

// Review WD56 M2: templated kernel names of kilobytes, alike at both ends, are cut in the note and
// kept distinct (the part where they differ shown); the JSON key keeps them whole.
TEST(CompareUnchecked, LongKernelNamesAreCutDistinctInTheNote) {
  ScenarioMetrics base = scenario("base", 100, 1'000'000), other = scenario("templated", 100, 1'000'000);
  base.launch_mix = kernel_mix(100);
  other.launch_mix = kernel_mix(100);
  other.launch_mix->buckets[3] = 0, other.launch_mix->buckets[9] = 100;
  std::string pad;
  for (int i = 0; i < 500; ++i) pad += "float, ";
  const auto name = [&](const char* inner) { return "void k<" + pad + inner + ", " + pad + "int>(T*)"; };
  base.kernel_names = {"gemm"};
  other.kernel_names = {name("gemm_a"), name("gemm_b"), name("softmax")};  // sorted, as compare_trace makes them
  const Comparison c = compare_scenarios({base, other});
  ASSERT_TRUE(c.rows[1].launch_mix_differs);
  const ComparisonRow& r = c.rows[1];
  for (const std::string& n : other.kernel_names)
    if (n.rfind("void k<", 0) == 0) {
      EXPECT_NE(r.launch_mix_difference.find(n), std::string::npos);  // whole in the JSON's key
      EXPECT_EQ(r.launch_mix_difference_note.find(n), std::string::npos);
    }
  EXPECT_EQ(comparison_json(c)["scenarios"][1]["launch_mix_difference"], r.launch_mix_difference);
  EXPECT_LT(r.launch_mix_difference_note.size(), 600u) << r.launch_mix_difference_note;
  for (const char* inner : {"gemm_a", "gemm_b", "softmax"})
    EXPECT_NE(r.launch_mix_difference_note.find(inner), std::string::npos) << inner << ": " << r.launch_mix_difference_note;
  const std::string text = text_of(c);
  EXPECT_NE(text.find(r.launch_mix_difference_note), std::string::npos) << text.substr(0, 2000);
  EXPECT_EQ(text.find(pad), std::string::npos) << "a whole name in the notes";
}

}  // namespace
}  // namespace infertrace
