// The outputs of `infertrace analyze` from a small hand-built trace: the JSON document's required
// keys and shape (one trace at the top level, several under "traces"), the terminal tables, and
// the CSV files (one per table, one row set per trace).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <unistd.h>

#include "report/analyze_json.h"
#include "report/analyze_text.h"
#include "file_text.h"

using namespace infertrace;

namespace {

// One operator, one launch (l = 3000, q = 1000), one kernel; a second launch nobody ran.
Trace tiny(const std::string& file) {
  Trace t;
  t.file = file;
  t.ops.push({0, 10'000, 1, 2, 7, t.strings.intern("aten::add"), false});
  ApiCall c;
  c.start = 1'000, c.dur = 2'000, c.pid = 1, c.tid = 2, c.correlation = 5, c.external_id = 7;
  c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
  t.api.push(c);
  c.start = 5'000, c.correlation = 6;
  t.api.push(c);
  GpuActivity g;
  g.start = 4'000, g.dur = 2'000, g.device = 0, g.stream = 7, g.correlation = 5;
  g.name = t.strings.intern("void at::native::add_kernel<float>(float*)");
  t.gpu.push(g);
  t.count_skipped("skipped_zero_dur", 3);
  return t;
}

}  // namespace

TEST(AnalyzeOutput, OneTraceHasEveryFigureAtTheTopLevel) {
  const Trace t = tiny("a.json");
  const LaunchAnalysis a = analyze_launches(t);
  const nlohmann::json j = analyze_document({{&t, &a}});
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["kind"], "analyze");
  EXPECT_EQ(j["file"], "a.json");
  for (const char* key : {"kernels", "launch_calls", "tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "akd_ns",
                          "inference_latency_ns", "gpu_busy_ns", "gpu_idle_ns", "cpu_idle_ns", "bound",
                          "clock_skew_clamped", "orphan_activities", "orphan_launch_calls", "apis", "kernel_stats",
                          "operator_stats", "streams", "devices"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["tklqt_ns"], 3'000);
  EXPECT_EQ(j["tklqt_queue_ns"], 1'000);
  EXPECT_EQ(j["bound"], "cpu");
  EXPECT_EQ(j["orphan_launch_calls"], 1);
  EXPECT_EQ(j["inference_latency_ns"], 6'000);
  EXPECT_EQ(j["skipped"]["skipped_zero_dur"], 3);
  ASSERT_EQ(j["kernel_stats"].size(), 1u);
  EXPECT_EQ(j["kernel_stats"][0]["name"], "void at::native::add_kernel<float>(float*)");
  EXPECT_EQ(j["kernel_stats"][0]["short_name"], "at::native::add_kernel");
  ASSERT_EQ(j["apis"].size(), 1u);
  EXPECT_EQ(j["apis"][0]["calls"], 2);
  EXPECT_EQ(j["apis"][0]["linked"], 1);
  EXPECT_EQ(j["apis"][0]["kind"], "kernel_launch");
  EXPECT_EQ(j["operator_stats"][0]["launch_tax_ns"], 3'000);
}

TEST(AnalyzeOutput, SeveralTracesGoUnderTraces) {
  const Trace t1 = tiny("a.json"), t2 = tiny("b.json");
  const LaunchAnalysis a1 = analyze_launches(t1), a2 = analyze_launches(t2);
  const nlohmann::json j = analyze_document({{&t1, &a1}, {&t2, &a2}});
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_FALSE(j.contains("tklqt_ns"));
  ASSERT_EQ(j["traces"].size(), 2u);
  EXPECT_EQ(j["traces"][1]["file"], "b.json");
  EXPECT_EQ(j["traces"][1]["tklqt_ns"], 3'000);
}

TEST(AnalyzeOutput, TablesAndCsv) {
  const Trace t = tiny("a.json");
  const LaunchAnalysis a = analyze_launches(t);
  std::ostringstream os;
  print_analyze_text(os, t, a, 5);
  for (const char* needle : {"TKLQT", "3.00 us", "launch part", "queue part", "orphan launch calls",
                             "skipped: skipped_zero_dur", "at::native::add_kernel", "aten::add", "GPU streams",
                             "Operators by self time"})
    EXPECT_NE(os.str().find(needle), std::string::npos) << needle;

  const auto dir = std::filesystem::temp_directory_path() / ("analyze_csv_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto written = write_analyze_csv(dir.string(), {{&t, &a}});
  // The six tables, and the operators by self time (every trace has them; host_threads.csv is
  // only for traces without GPU activity).
  EXPECT_EQ(written.size(), 7u);
  EXPECT_FALSE(std::filesystem::exists(dir / "host_threads.csv"));
  EXPECT_NE(slurp(dir / "host_operators.csv").find("a.json,aten::add,1,10000,10000"), std::string::npos);
  EXPECT_NE(slurp(dir / "summary.csv").find("a.json,tklqt_ns,3000"), std::string::npos);
  EXPECT_NE(slurp(dir / "kernels.csv").find("a.json,void at::native::add_kernel<float>(float*),1,2000,2000,2000"),
            std::string::npos);
  EXPECT_NE(slurp(dir / "streams.csv").find("a.json,0,7,1,0,0,2000,2000"), std::string::npos);
  std::filesystem::remove_all(dir);
}
