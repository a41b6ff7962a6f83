// The outputs of `infertrace analyze` from a small hand-built trace: the JSON document's required
// keys and shape (one trace at the top level, several under "traces"), the terminal tables, and
// the CSV files (one per table, one row set per trace).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "report/analyze_json.h"
#include "report/analyze_text.h"
#include "util/units.h"
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
  std::filesystem::create_directories(dir);  // made by the CLI (cli/export_outputs.h)
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

namespace {

// The cells of the table row whose first cell is `first` (cells are at least two spaces apart; a
// cell such as "2.00 us" holds one). Empty when no row starts with it.
std::vector<std::string> row_of(const std::string& text, const std::string& first) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t lead = line.find_first_not_of(' ');
    if (lead == std::string::npos || line.compare(lead, first.size() + 2, first + "  ") != 0) continue;
    std::vector<std::string> cells;
    size_t at = 0;
    while (at < line.size()) {
      while (at < line.size() && line[at] == ' ') ++at;
      if (at >= line.size()) break;
      size_t end = line.find("  ", at);
      if (end == std::string::npos) end = line.size();
      cells.push_back(line.substr(at, end - at));
      at = end;
    }
    return cells;
  }
  return {};
}

}  // namespace

// Every mean and share of the tables against its definition, on a trace where each denominator
// differs from the one next to it:
//   operator [0,10000]; launch calls (start, dur): c1 (1000, 2000) -> kA [4000,6000] on stream 7,
//   c2 (5000, 1000) runs nothing, c3 (3000, 500) -> kB [5000,7000] on stream 8.
//   c1: l = 3000, q = 4000 - 3000 = 1000, launch 2000; c3: l = 2000, q = 5000 - 3500 = 1500, launch 500.
//   cudaLaunchKernel: 3 calls, 2 linked; mean API 3500/3 = 1.17 us; mean latency (over the linked
//   calls) 5000/2 = 2.50 us, mean launch 2500/2 = 1.25 us, mean queue 2500/2 = 1.25 us, total 5.00 us.
//   Kernel time 2000 + 2000 = 4000: each kernel 50.0% of it (the busy union [4000,7000] is 3000).
//   IL = 7000 - 0; GPU idle 7000 - 3000 = 4000: 57.1% of IL.
TEST(AnalyzeOutput, TableMeansAndSharesUseTheirOwnDenominators) {
  Trace t;
  t.file = "b.json";
  t.ops.push({0, 10'000, 1, 2, 7, t.strings.intern("aten::mm"), false});
  auto call = [&](ns_t start, ns_t dur, int64_t corr) {
    ApiCall c;
    c.start = start, c.dur = dur, c.pid = 1, c.tid = 2, c.correlation = corr, c.external_id = 7;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
  };
  auto kernel = [&](const char* name, ns_t start, int64_t stream, int64_t corr) {
    GpuActivity g;
    g.start = start, g.dur = 2'000, g.device = 0, g.stream = stream, g.correlation = corr;
    g.name = t.strings.intern(name);
    t.gpu.push(g);
  };
  call(1'000, 2'000, 5), call(3'000, 500, 7), call(5'000, 1'000, 6);
  kernel("kA", 4'000, 7, 5), kernel("kB", 5'000, 8, 7);
  const LaunchAnalysis a = analyze_launches(t);
  std::ostringstream os;
  print_analyze_text(os, t, a, 5);
  const std::string text = os.str();

  EXPECT_EQ(row_of(text, "cudaLaunchKernel"),
            (std::vector<std::string>{"cudaLaunchKernel", "3", "2", "1.17 us", "2.50 us", "1.25 us", "1.25 us", "5.00 us"}))
      << text;
  for (const char* k : {"kA", "kB"}) {
    const std::vector<std::string> row = row_of(text, k);
    ASSERT_EQ(row.size(), 9u) << k << "\n" << text;
    EXPECT_EQ(row[2], "2.00 us") << k;
    EXPECT_EQ(row[3], format_pct(2'000.0 / 4'000.0)) << k;
  }
  // Mean launch and queue per launch call of each kernel (one call each): c1's 2000 and 1000 for
  // kA, c3's 500 and 1500 for kB (review MX L3).
  EXPECT_EQ(row_of(text, "kA")[7], "2.00 us");
  EXPECT_EQ(row_of(text, "kA")[8], "1.00 us");
  EXPECT_EQ(row_of(text, "kB")[7], "500 ns");
  EXPECT_EQ(row_of(text, "kB")[8], "1.50 us");
  const std::vector<std::string> idle = row_of(text, "GPU idle");
  ASSERT_EQ(idle.size(), 3u) << text;
  EXPECT_EQ(idle[1], "4.00 us");
  EXPECT_EQ(idle[2], format_pct(4'000.0 / 7'000.0) + " of inference latency");
}

// An API with no linked call: its means are over nothing ("-", JSON null), its total latency a sum
// over nothing, 0 in the text as in the JSON and apis.csv (review FMT L1: the text said "-").
TEST(AnalyzeOutput, ApiWithoutLinkedCallsHasTotalZeroAndNoMeans) {
  Trace t = tiny("c.json");
  ApiCall c;
  c.start = 7'000, c.dur = 400, c.pid = 1, c.tid = 2, c.correlation = 9;
  c.name = t.strings.intern("cudaGetErrorString"), c.kind = ApiKind::Other;
  t.api.push(c);
  const LaunchAnalysis a = analyze_launches(t);
  std::ostringstream os;
  print_analyze_text(os, t, a, 5);
  EXPECT_EQ(row_of(os.str(), "cudaGetErrorString"),
            (std::vector<std::string>{"cudaGetErrorString", "1", "0", "400 ns", "-", "-", "-", "0 ns"}))
      << os.str();
  const nlohmann::json j = analyze_trace_json(t, a);
  bool found = false;
  for (const auto& r : j["apis"])
    if (r["name"] == "cudaGetErrorString") {
      found = true;
      EXPECT_EQ(r["latency_total_ns"], 0);
      EXPECT_TRUE(r["mean_latency_ns"].is_null());
    }
  EXPECT_TRUE(found) << j["apis"].dump();
}

// A trace without GPU work: one thread's operators [0,1000] and [2000,4000] span 4000 ns, of which
// the thread is active 3000 and idle 1000 (25.0%), in the text and in host_threads.csv.
TEST(AnalyzeOutput, HostThreadActiveAndIdleInTextAndCsv) {
  Trace t;
  t.file = "c.json";
  t.ops.push({0, 1'000, 1, 2, -1, t.strings.intern("aten::a"), false});
  t.ops.push({2'000, 2'000, 1, 2, -1, t.strings.intern("aten::b"), false});
  const LaunchAnalysis a = analyze_launches(t);
  ASSERT_TRUE(a.host);
  std::ostringstream os;
  print_analyze_text(os, t, a, 5);
  const std::vector<std::string> row = row_of(os.str(), "1");
  ASSERT_EQ(row.size(), 6u) << os.str();  // pid, tid, (no thread name), operators, active, idle, idle share
  EXPECT_EQ(row[1], "2");
  EXPECT_EQ(row[2], "2");
  EXPECT_EQ(row[3], "3.00 us");
  EXPECT_EQ(row[4], "1.00 us");
  EXPECT_EQ(row[5], format_pct(1'000.0 / 4'000.0));

  const auto dir = std::filesystem::temp_directory_path() / ("analyze_host_csv_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);  // made by the CLI (cli/export_outputs.h)
  write_analyze_csv(dir.string(), {{&t, &a}});
  EXPECT_NE(slurp(dir / "host_threads.csv").find("\nc.json,1,2,,2,3000,1000,4000\n"), std::string::npos)
      << slurp(dir / "host_threads.csv");
  // The thread's name under `name`, as the JSON's host.threads[] and SQLite's host_thread_stat call
  // it (review FMT L3: the CSV said `thread`).
  const std::string csv = slurp(dir / "host_threads.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "file,pid,tid,name,operators,active_ns,idle_ns,span_ns");
  std::filesystem::remove_all(dir);
}

namespace {

// The lines of the table whose title starts with `title`: from the title to the first empty line.
std::string section(const std::string& text, const std::string& title) {
  const size_t at = text.find(title);
  if (at == std::string::npos) return "";
  const size_t end = text.find("\n\n", at);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
}

}  // namespace

// Which rows each table holds and in what order, and the bound's label:
//   kLong runs once for 5000 ns, kShort three times for 100 ns each (one launch call each, launch
//   part 1000 and no queue: CPU-bound); by total time kLong comes first, by count kShort.
//   aten::empty [9000,9500] launches nothing: no row in the launch-tax table, though it has one
//   by self time.
//   One device: busy is the union [2000,7000] u [8000,8100] u [8200,8300] u [8400,8500] = 5300,
//   IL = 8500 - 0, idle 3200 (devices.csv: busy before idle).
TEST(AnalyzeOutput, RowsOrderAndBoundLabel) {
  Trace t;
  t.file = "d.json";
  t.ops.push({0, 9'500, 1, 2, 7, t.strings.intern("aten::mm"), false});
  t.ops.push({9'000, 500, 1, 2, -1, t.strings.intern("aten::empty"), false});
  int64_t corr = 1;
  auto launch = [&](const char* name, ns_t call_start, ns_t gpu_start, ns_t gpu_dur) {
    ApiCall c;
    c.start = call_start, c.dur = 1'000, c.pid = 1, c.tid = 2, c.correlation = corr, c.external_id = 7;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = gpu_start, g.dur = gpu_dur, g.device = 0, g.stream = 7, g.correlation = corr++;
    g.name = t.strings.intern(name);
    t.gpu.push(g);
  };
  launch("kLong", 1'000, 2'000, 5'000);
  launch("kShort", 7'000, 8'000, 100);
  launch("kShort", 7'200, 8'200, 100);
  launch("kShort", 7'400, 8'400, 100);
  const LaunchAnalysis a = analyze_launches(t);
  std::ostringstream os;
  print_analyze_text(os, t, a, 5);
  const std::string text = os.str();

  const std::vector<std::string> bound = row_of(text, "bound");
  ASSERT_GE(bound.size(), 2u) << text;
  EXPECT_EQ(bound[1], "CPU");
  const std::string by_time = section(text, "Top kernels by total time");
  const std::string by_count = section(text, "Top kernels by count");
  ASSERT_NE(by_time.find("kShort"), std::string::npos) << text;
  ASSERT_NE(by_count.find("kShort"), std::string::npos) << text;
  EXPECT_LT(by_time.find("kLong"), by_time.find("kShort")) << by_time;
  EXPECT_LT(by_count.find("kShort"), by_count.find("kLong")) << by_count;
  const std::string tax = section(text, "Operators by launch tax");
  EXPECT_NE(tax.find("aten::mm"), std::string::npos) << text;
  EXPECT_EQ(tax.find("aten::empty"), std::string::npos) << tax;
  EXPECT_NE(section(text, "Operators by self time").find("aten::empty"), std::string::npos) << text;

  const auto dir = std::filesystem::temp_directory_path() / ("analyze_rows_csv_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);  // made by the CLI (cli/export_outputs.h)
  write_analyze_csv(dir.string(), {{&t, &a}});
  EXPECT_NE(slurp(dir / "devices.csv").find("\nd.json,0,5300,3200\n"), std::string::npos) << slurp(dir / "devices.csv");
  std::filesystem::remove_all(dir);
}

// docs/analyze.md "CSV (`--csv DIR`)" lists each file's header (review FMT L6: the columns were
// documented nowhere); every file analyze --csv writes, for a GPU trace and a trace without GPU
// activity (host_threads.csv), has exactly the documented header, and every documented file is written.
TEST(AnalyzeOutput, CsvHeadersAreTheDocumentedOnes) {
  std::map<std::string, std::string> documented;  // file -> header
  {
    std::ifstream doc(std::string(INFERTRACE_SOURCE_DIR) + "/docs/analyze.md");
    ASSERT_TRUE(doc) << "docs/analyze.md";
    bool in_section = false;
    for (std::string line; std::getline(doc, line);) {
      if (line.rfind("## ", 0) == 0) in_section = line == "## CSV (`--csv DIR`)";
      if (!in_section || line.rfind("| ", 0) != 0 || line.find(".csv | ") == std::string::npos) continue;
      const size_t bar = line.find(" | ");
      const size_t cols = bar + 3, dash = line.find(" \xE2\x80\x94 ", cols);  // " — " ends the header
      ASSERT_NE(dash, std::string::npos) << line;
      documented[line.substr(2, bar - 2)] = line.substr(cols, dash - cols);
    }
  }
  ASSERT_EQ(documented.size(), kAnalyzeCsvTableNames.size());

  Trace gpu = tiny("g.json");
  Trace cpu;
  cpu.file = "c.json";
  cpu.ops.push({0, 1'000, 1, 2, -1, cpu.strings.intern("aten::a"), false});
  const LaunchAnalysis ga = analyze_launches(gpu), ca = analyze_launches(cpu);
  ASSERT_TRUE(ca.host);
  const auto dir = std::filesystem::temp_directory_path() / ("analyze_csv_doc_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto written = write_analyze_csv(dir.string(), {{&gpu, &ga}, {&cpu, &ca}});
  EXPECT_EQ(written.size(), kAnalyzeCsvTableNames.size());
  for (const std::string& name : kAnalyzeCsvTableNames) {
    ASSERT_TRUE(documented.count(name)) << name << " is not in docs/analyze.md";
    const std::string text = slurp(dir / name);
    EXPECT_EQ(text.substr(0, text.find('\n')), documented[name]) << name;
  }
  std::filesystem::remove_all(dir);
}

// Review DX L3: a recording with launch calls and no GPU activity (record --cuda uprobe) says how
// to get the GPU side, as `sched` does: "record with --cuda cupti", in the text's undefined rows
// and the JSON's undefined_reason. A Kineto trace without GPU work, or a recording without launch
// calls (a CPU-only program), keeps the plain reason.
TEST(AnalyzeOutput, RecordingWithoutGpuActivityPointsToCupti) {
  auto make = [](TraceSource source, ApiKind kind, const std::map<std::string, std::string>& meta = {}) {
    Trace t;
    t.source = source;
    t.meta = meta;
    ApiCall c;
    c.start = 1'000, c.dur = 300, c.pid = 1, c.tid = 2, c.correlation = 5;
    c.name = t.strings.intern(kind == ApiKind::KernelLaunch ? "cuLaunchKernel" : "cuCtxSynchronize"), c.kind = kind;
    t.api.push(c);
    return t;
  };
  // The reason in the text's TKLQT row and in the JSON.
  auto says = [](const Trace& t, const std::string& want) {
    const LaunchAnalysis a = analyze_launches(t);
    std::ostringstream os;
    print_analyze_text(os, t, a, 5);
    const std::vector<std::string> row = row_of(os.str(), "TKLQT");
    ASSERT_EQ(row.size(), 3u) << os.str();
    EXPECT_EQ(row[2], "undefined: " + want) << os.str();
    EXPECT_EQ(analyze_trace_json(t, a)["undefined_reason"], want);
  };
  const std::string plain = "no GPU activity in the trace";
  says(make(TraceSource::Recording, ApiKind::KernelLaunch), plain + " (record with --cuda cupti)");
  says(make(TraceSource::Recording, ApiKind::KernelLaunch, {{"cuda.mode", "uprobe"}}), plain + " (record with --cuda cupti)");
  says(make(TraceSource::Kineto, ApiKind::KernelLaunch), plain);
  says(make(TraceSource::Recording, ApiKind::Sync), plain);
  // Review DK L1: a recording made with --cuda cupti had CUPTI: it is told what happened instead,
  // with the drops META counts.
  const std::string cupti = plain + " (recorded with --cuda cupti, yet no GPU activity record arrived";
  says(make(TraceSource::Recording, ApiKind::KernelLaunch, {{"cuda.mode", "cupti"}}), cupti + ")");
  says(make(TraceSource::Recording, ApiKind::KernelLaunch,
            {{"cuda.mode", "cupti"}, {"cupti.activity_dropped", "2"}, {"cupti.ring_dropped_records", "5"}}),
       cupti + "; 7 CUPTI records dropped)");
  says(make(TraceSource::Recording, ApiKind::KernelLaunch,
            {{"cuda.mode", "cupti"}, {"cupti.gpu_without_timestamps", "1"}, {"cupti.activity_dropped", "1"}}),
       plain + " (recorded with --cuda cupti: 1 GPU record arrived without a clock sample or timestamps and could not "
               "be placed; 1 CUPTI record dropped)");
}
