// The launch mix (analysis/launch_mix.h): which launches a run made, by shape, so that `compare`
// gives no slowdown between runs of different work whose launch counts match; its JSON form in a
// saved analysis, read back by compare. Expected shares are worked out here from the shapes.
#include <gtest/gtest.h>

#include <sstream>

#include "analysis/compare.h"
#include "analysis/launch_mix.h"
#include "report/compare_render.h"
#include "report/launch_mix_json.h"
#include "util/error.h"

namespace infertrace {
namespace {

// A trace whose GPU kernels are `n` launches of each (name, grid x) given; block 128.
Trace kernel_trace(const std::vector<std::tuple<const char*, uint32_t, int>>& shapes) {
  Trace t;
  ns_t ts = 0;
  for (const auto& [name, grid, n] : shapes)
    for (int i = 0; i < n; ++i) {
      GpuActivity a;
      a.start = ts += 1000, a.dur = 500, a.device = 0, a.stream = 7, a.name = t.strings.intern(name);
      a.grid[0] = grid, a.grid[1] = a.grid[2] = 1, a.block[0] = 128, a.block[1] = a.block[2] = 1;
      t.gpu.push(a);
    }
  return t;
}

// The similarity of two mixes whose shapes are listed with their counts, computed from the shapes
// themselves (no buckets): the sum over shapes of the smaller share.
double shape_similarity(const std::map<std::string, int>& a, const std::map<std::string, int>& b) {
  double na = 0, nb = 0, common = 0;
  for (const auto& [k, v] : a) na += v;
  for (const auto& [k, v] : b) nb += v;
  for (const auto& [k, v] : a)
    if (b.count(k)) common += std::min(v / na, b.at(k) / nb);
  return common;
}

TEST(LaunchMix, KernelsByNameGridAndBlock) {
  const Trace t = kernel_trace({{"gemm", 8, 30}, {"gemm", 16, 10}, {"add", 384, 20}});
  const std::optional<LaunchMix> m = launch_mix(t);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->basis, "kernel_shapes");
  EXPECT_EQ(m->launches, 60);
  int64_t sum = 0, used = 0;
  for (const int64_t n : m->buckets) sum += n, used += n > 0;
  EXPECT_EQ(sum, 60);
  EXPECT_LE(used, 3);  // three shapes: at most three buckets
  EXPECT_GE(used, 1);
}

TEST(LaunchMix, SameWorkIsOneWhateverTheCount) {
  // A run twice as long of the same loop: every shape's share is the same.
  const LaunchMix a = *launch_mix(kernel_trace({{"gemm", 8, 30}, {"add", 384, 20}}));
  const LaunchMix b = *launch_mix(kernel_trace({{"gemm", 8, 60}, {"add", 384, 40}}));
  ASSERT_TRUE(launch_mix_similarity(a, b).has_value());
  EXPECT_DOUBLE_EQ(*launch_mix_similarity(a, b), 1.0);
}

TEST(LaunchMix, AnotherBatchChangesTheGridsAndTheSimilarity) {
  // Batch 2: the gemm's grid doubles, the add's too; a softmax keeps its grid (one head per block).
  const LaunchMix b1 = *launch_mix(kernel_trace({{"gemm", 8, 30}, {"add", 384, 20}, {"softmax", 12, 10}}));
  const LaunchMix b2 = *launch_mix(kernel_trace({{"gemm", 16, 30}, {"add", 768, 20}, {"softmax", 12, 10}}));
  const double want = shape_similarity({{"gemm8", 30}, {"add384", 20}, {"softmax12", 10}},
                                       {{"gemm16", 30}, {"add768", 20}, {"softmax12", 10}});
  ASSERT_NEAR(want, 10.0 / 60.0, 1e-12);
  // Buckets can only merge shapes, which raises the similarity: never below the shapes' own.
  ASSERT_TRUE(launch_mix_similarity(b1, b2).has_value());
  EXPECT_GE(*launch_mix_similarity(b1, b2), want - 1e-12);
  EXPECT_LT(*launch_mix_similarity(b1, b2), kLaunchMixMinSimilarity);
}

TEST(LaunchMix, NamesOnlyWithoutGridsAndHostShapesWithoutGpuWork) {
  Trace names = kernel_trace({{"gemm", 0, 20}});
  for (size_t i = 0; i < names.gpu.size(); ++i) {
    names.gpu.grid_y[i] = names.gpu.grid_z[i] = 0;
    names.gpu.block_x[i] = names.gpu.block_y[i] = names.gpu.block_z[i] = 0;
  }
  EXPECT_EQ(launch_mix(names)->basis, "kernel_names");
  // No GPU activity: the launch calls that carry a grid and block (a uprobe recording).
  Trace host;
  for (int i = 0; i < 12; ++i) {
    ApiCall c;
    c.start = 1000 * i, c.dur = 100, c.pid = c.tid = 5, c.name = host.strings.intern("cuLaunchKernel");
    c.kind = ApiKind::KernelLaunch, c.geometry_known = true, c.grid[0] = i < 6 ? 4 : 8, c.block[0] = 256;
    host.api.push(c);
  }
  ApiCall sync;
  sync.start = 20000, sync.name = host.strings.intern("cuStreamSynchronize"), sync.kind = ApiKind::Sync;
  host.api.push(sync);
  const std::optional<LaunchMix> hm = launch_mix(host);
  ASSERT_TRUE(hm.has_value());
  EXPECT_EQ(hm->basis, "launch_shapes");
  EXPECT_EQ(hm->launches, 12);
  // Different bases are not compared, nor mixes of too few launches.
  EXPECT_FALSE(launch_mix_similarity(*launch_mix(names), *hm).has_value());
  const LaunchMix few = *launch_mix(kernel_trace({{"gemm", 8, kLaunchMixMinLaunches - 1}}));
  EXPECT_FALSE(launch_mix_similarity(few, *launch_mix(kernel_trace({{"gemm", 8, 40}}))).has_value());
  // Nothing launched with a known shape: no mix.
  EXPECT_FALSE(launch_mix(Trace{}).has_value());
}

ScenarioMetrics with_mix(const char* name, int64_t launches, ns_t wall, const Trace& t) {
  ScenarioMetrics m;
  m.name = name, m.launches = launches, m.wall = wall, m.sched_per_1k = 1.0;
  m.launch_mix = launch_mix(t);
  return m;
}

TEST(LaunchMix, CompareGivesNoSlowdownForOtherShapesWithTheSameCount) {
  // bert prefill at batch 1 and 2 launch the same number of kernels; batch 2 takes longer per launch
  // because each does more. Without the mix this read "21.2% slower".
  const Trace b1 = kernel_trace({{"gemm", 8, 60}, {"add", 384, 40}, {"softmax", 12, 60}});
  const Trace b2 = kernel_trace({{"gemm", 16, 60}, {"add", 768, 40}, {"softmax", 12, 60}});
  const Comparison c = compare_scenarios({with_mix("bs1", 160, 1'000'000'000, b1), with_mix("bs2", 160, 1'270'000'000, b2)});
  ASSERT_EQ(c.basis, "launch_rate");
  EXPECT_FALSE(c.rows[0].launch_mix_similarity.has_value());  // the baseline's own row
  ASSERT_TRUE(c.rows[1].launch_mix_similarity.has_value());
  EXPECT_TRUE(c.rows[1].launch_mix_differs);
  EXPECT_EQ(c.rows[1].launch_count_mismatch, "");
  EXPECT_FALSE(c.rows[1].slowdown_pct.has_value());
  ASSERT_TRUE(c.rows[1].rate.has_value());  // the rate is a fact and stays
  EXPECT_EQ(c.rows[1].verdict.rfind("no verdict: ", 0), 0u) << c.rows[1].verdict;
  EXPECT_NE(c.rows[1].verdict.find("of its launches match the baseline's by kernel name, grid and block"), std::string::npos)
      << c.rows[1].verdict;
  std::ostringstream text;
  print_comparison(text, c);
  EXPECT_NE(text.str().find("launches/s: launches in common with the baseline's: bs2 "), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("slower"), std::string::npos) << text.str();
  const nlohmann::json j = comparison_json(c);
  EXPECT_EQ(j["scenarios"][1]["launch_mix_differs"], true);
  EXPECT_TRUE(j["scenarios"][1]["slowdown_pct"].is_null());
  EXPECT_TRUE(j["scenarios"][0]["launch_mix_similarity"].is_null());

  // The same shapes in a longer run (a noisy neighbour): the slowdown stands.
  const Trace again = kernel_trace({{"gemm", 8, 60}, {"add", 384, 40}, {"softmax", 12, 60}});
  const Comparison same = compare_scenarios({with_mix("bs1", 160, 1'000'000'000, b1), with_mix("noisy", 160, 1'250'000'000, again)});
  EXPECT_DOUBLE_EQ(*same.rows[1].launch_mix_similarity, 1.0);
  EXPECT_FALSE(same.rows[1].launch_mix_differs);
  EXPECT_EQ(same.rows[1].verdict, "20.0% slower");
  // One mix unknown (an analysis saved before the key): compared as before.
  ScenarioMetrics old = with_mix("old", 160, 1'270'000'000, b2);
  old.launch_mix.reset();
  old.launch_mix_unknown = true;  // (scenario_from_json: no launch_mix key)
  EXPECT_TRUE(compare_scenarios({with_mix("bs1", 160, 1'000'000'000, b1), old}).rows[1].slowdown_pct.has_value());
  // Every scenario with a throughput: the user said what work each did; the mix does not matter.
  ScenarioMetrics t1 = with_mix("bs1", 160, 1'000'000'000, b1), t2 = with_mix("bs2", 160, 1'270'000'000, b2);
  t1.throughput = 100.0, t2.throughput = 150.0;
  const Comparison tp = compare_scenarios({t1, t2});
  ASSERT_EQ(tp.basis, "throughput");
  EXPECT_FALSE(tp.rows[1].launch_mix_differs);
  EXPECT_EQ(tp.rows[1].verdict, "50.0% faster");
}

TEST(LaunchMix, JsonRoundTripAndRefusals) {
  const LaunchMix m = *launch_mix(kernel_trace({{"gemm", 8, 30}, {"add", 384, 20}}));
  const std::optional<LaunchMix> back = launch_mix_from_json(launch_mix_json(m), "saved.json");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->basis, m.basis);
  EXPECT_EQ(back->launches, m.launches);
  EXPECT_EQ(back->buckets, m.buckets);
  EXPECT_TRUE(launch_mix_json(std::nullopt).is_null());
  EXPECT_FALSE(launch_mix_from_json(nullptr, "saved.json").has_value());
  using nlohmann::json;
  const auto refused = [](const json& v, const std::string& words) {
    try {
      launch_mix_from_json(v, "saved.json");
      ADD_FAILURE() << "accepted " << v.dump();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  refused(json::array(), "is not an object or null");
  refused({{"basis", "kernels"}, {"launches", 1}, {"buckets", {{"3", 1}}}}, "basis \"kernels\" is not");
  refused({{"basis", "kernel_shapes"}, {"launches", 1}, {"buckets", {{"4096", 1}}}}, "bucket \"4096\" is not an index");
  refused({{"basis", "kernel_shapes"}, {"launches", 1}, {"buckets", {{"03", 1}}}}, "bucket \"03\" is not an index");
  refused({{"basis", "kernel_shapes"}, {"launches", 1}, {"buckets", {{"-1", 1}}}}, "bucket \"-1\" is not an index");
  refused({{"basis", "kernel_shapes"}, {"launches", 2}, {"buckets", {{"3", 1.5}}}}, "bucket 3 is not a count");
  refused({{"basis", "kernel_shapes"}, {"launches", 2}, {"buckets", {{"3", -1}}}}, "bucket 3 is not a count");
  refused({{"basis", "kernel_shapes"}, {"launches", 3}, {"buckets", {{"3", 1}, {"7", 1}}}}, "buckets count 2 of its 3");
  refused({{"basis", "kernel_shapes"}, {"launches", 1}, {"buckets", {{"3", 1}, {"7", 1}}}}, "buckets count more than its 1");
  refused({{"basis", "kernel_shapes"}, {"buckets", json::object()}}, "has no \"launches\"");
}

}  // namespace
}  // namespace infertrace
