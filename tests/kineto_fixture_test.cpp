// The Kineto reader on the real H100 traces shipped in examples/traces/. Values checked here were
// read by eye from the JSON text (zcat | grep), the per-file counts are checked against a plain
// Python reading in tests/e2e/test_ingest_kineto.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "ingest/load.h"
#include "kineto_test_util.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;

namespace {

std::string example(const std::string& name) {
  return std::string(INFERTRACE_SOURCE_DIR) + "/examples/traces/" + name;
}

void strip_ingest_meta(Trace& t) {
  for (auto it = t.meta.begin(); it != t.meta.end();)
    it = it->first.rfind("ingest.", 0) == 0 ? t.meta.erase(it) : std::next(it);
}

}  // namespace

TEST(KinetoFixture, Gpt2FirstKernelAndCublasLaunchAsWritten) {
  const Trace t = load_trace(example("gpt2_prefill_bs1.json.gz"));
  // {"ph": "X", "cat": "kernel", "name": "void at::native::vectorized_gather_kernel<16, long>(...)",
  //  "ts": 4488795122194.149, "dur": 2.336, "args": {"External id": 11, "device": 0, "stream": 7,
  //  "correlation": 24, "grid": [512, 1, 1], "block": [96, 1, 1]}}
  ASSERT_GT(t.gpu.size(), 0u);
  const GpuActivity g = t.gpu.row(0);
  EXPECT_EQ(g.start, 4488795122194149);
  EXPECT_EQ(g.dur, 2336);
  EXPECT_EQ(g.kind, GpuKind::Kernel);
  EXPECT_EQ(g.device, 0);
  EXPECT_EQ(g.stream, 7);
  EXPECT_EQ(g.correlation, 24);
  EXPECT_EQ(g.external_id, 11);
  EXPECT_EQ(g.grid[0], 512u);
  EXPECT_EQ(g.grid[1], 1u);
  EXPECT_EQ(g.block[0], 96u);
  EXPECT_EQ(t.str(g.name).rfind("void at::native::vectorized_gather_kernel<16, long>(", 0), 0u);
  // {"cat": "cuda_driver", "name": "cuLaunchKernelEx", "ts": 4488795123070.848, "dur": 19.382,
  //  "args": {"External id": 46, "cbid": 652, "correlation": 150}}
  bool found = false;
  for (size_t i = 0; i < t.api.size(); ++i) {
    if (t.api.correlation[i] != 150) continue;
    found = true;
    EXPECT_EQ(t.str(t.api.name[i]), "cuLaunchKernelEx");
    EXPECT_EQ(t.api.kind[i], ApiKind::KernelLaunch);
    EXPECT_EQ(t.api.start[i], 4488795123070848);
    EXPECT_EQ(t.api.dur[i], 19382);
    EXPECT_EQ(t.api.external_id[i], 46);
    EXPECT_EQ(t.api.pid[i], 439);
    EXPECT_EQ(t.api.tid[i], 439);
  }
  EXPECT_TRUE(found);
  // The first operator: aten::view at 4488795121723.898 for 36.818 us, External id 1.
  ASSERT_GT(t.ops.size(), 0u);
  EXPECT_EQ(t.str(t.ops.name[0]), "aten::view");
  EXPECT_EQ(t.ops.start[0], 4488795121723898);
  EXPECT_EQ(t.ops.dur[0], 36818);
  EXPECT_EQ(t.ops.external_id[0], 1);
  ASSERT_EQ(t.threads.size(), 1u);
  EXPECT_EQ(t.str(t.threads.comm[0]), "thread 439 (python3)");
  EXPECT_EQ(t.meta.at("device.0.name"), "NVIDIA H100 80GB HBM3");
  EXPECT_TRUE(t.skipped.empty());
}

TEST(KinetoFixture, EveryExampleReadsTheSameInPieces) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(INFERTRACE_SOURCE_DIR) + "/examples/traces")) {
    const std::string p = entry.path().string();
    if (p.find(".json") == std::string::npos) continue;
    ++files;
    Trace whole = load_trace(p);
    strip_ingest_meta(whole);
    for (size_t chunk : {size_t(4096), size_t(200000)}) {
      LoadOptions o;
      o.chunk_bytes = chunk;
      Trace pieces = load_trace(p, o);
      EXPECT_GT(std::stoi(pieces.meta.at("ingest.pieces")), 1) << p;
      strip_ingest_meta(pieces);
      SCOPED_TRACE(p + " chunk " + std::to_string(chunk));
      expect_same_trace(whole, pieces);
    }
  }
  EXPECT_GE(files, 2);
}
