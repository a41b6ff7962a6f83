// Export throughput: Perfetto protobuf, Chrome JSON and SQLite writers on a synthetic trace shaped like a long
// LLM decode (one launching thread, kernels on two streams, operators around the launches, plus
// scheduler/IRQ/syscall events as a recording has them). Prints events/s and output MB/s.
//
//   build/dev/bench/report_export_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <filesystem>

#include "report/exports.h"
#include "report/html_report.h"
#include "report/perfetto.h"
#include "report/sqlite_export.h"

using namespace infertrace;

namespace {

// n launches: n API calls, n kernels, n/4 operators, n/8 switches, n/16 IRQs, n/2 syscalls.
Trace synthetic(int64_t n) {
  Trace t;
  t.threads.push({1000, 1001, t.strings.intern("python3"), 0, n * 10'000});
  std::vector<StrId> kernels;
  for (int k = 0; k < 64; ++k) kernels.push_back(t.strings.intern("void at::native::kernel_" + std::to_string(k) + "<float, 4>(float*)"));
  const StrId launch = t.strings.intern("cudaLaunchKernel"), op = t.strings.intern("aten::linear");
  const StrId ioctl = t.strings.intern("ioctl"), timer = t.strings.intern("TIMER"), comm = t.strings.intern("python3");
  t.api.reserve(n), t.gpu.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    const ns_t ts = i * 10'000;
    if (i % 4 == 0) t.ops.push({ts, 39'000, 1000, 1001, i / 4, op, false});
    ApiCall c;
    c.start = ts + 1'000, c.dur = 4'000, c.pid = 1000, c.tid = 1001, c.correlation = i, c.name = launch;
    c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = ts + 6'000, g.dur = 3'000, g.device = 0, g.stream = 7 + (i % 2) * 2, g.correlation = i;
    g.name = kernels[static_cast<size_t>(i % 64)];
    g.grid[0] = 128, g.grid[1] = g.grid[2] = 1, g.block[0] = 256, g.block[1] = g.block[2] = 1;
    t.gpu.push(g);
    if (i % 2 == 0) t.syscalls.push({ts + 2'000, 1'000, 1000, 1001, 16, ioctl, 0, -1});
    if (i % 8 == 0) {
      ContextSwitch s;
      s.ts = ts + 9'500, s.cpu = static_cast<int32_t>(i % 2), s.next_pid = 1000, s.next_tid = 1001, s.next_comm = comm;
      t.switches.push(s);
    }
    if (i % 16 == 0) t.irqs.push({ts + 7'000, 1'500, static_cast<int32_t>(i % 2), IrqKind::Soft, 1, timer, 1000, 1001});
  }
  return t;
}

int64_t events(const Trace& t) {
  return static_cast<int64_t>(t.api.size() + t.gpu.size() + t.ops.size() + t.switches.size() + t.irqs.size() + t.syscalls.size());
}

std::string out_path(const char* name) { return (std::filesystem::temp_directory_path() / name).string(); }

void BM_Perfetto(benchmark::State& st) {
  const Trace t = synthetic(st.range(0));
  const std::string path = out_path("infertrace_bench.pftrace");
  for (auto _ : st) benchmark::DoNotOptimize(write_perfetto_file(t, path));
  st.SetItemsProcessed(st.iterations() * events(t));
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(std::filesystem::file_size(path)));
  st.counters["bytes_per_event"] = static_cast<double>(std::filesystem::file_size(path)) / static_cast<double>(events(t));
  std::filesystem::remove(path);
}

void BM_Chrome(benchmark::State& st) {
  const Trace t = synthetic(st.range(0));
  const std::string path = out_path("infertrace_bench.json");
  for (auto _ : st) write_chrome_json(t, path);
  st.SetItemsProcessed(st.iterations() * events(t));
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(std::filesystem::file_size(path)));
  st.counters["bytes_per_event"] = static_cast<double>(std::filesystem::file_size(path)) / static_cast<double>(events(t));
  std::filesystem::remove(path);
}

void BM_Sqlite(benchmark::State& st) {
  const Trace t = synthetic(st.range(0));
  const std::string path = out_path("infertrace_bench.db");
  for (auto _ : st) benchmark::DoNotOptimize(write_sqlite_file(t, path, {}));
  st.SetItemsProcessed(st.iterations() * events(t));
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(std::filesystem::file_size(path)));
  st.counters["bytes_per_event"] = static_cast<double>(std::filesystem::file_size(path)) / static_cast<double>(events(t));
  std::filesystem::remove(path);
}

void BM_HtmlReport(benchmark::State& st) {
  const Trace t = synthetic(st.range(0));
  html::ReportInputs in;
  in.traces.push_back({"synthetic", &t, nullptr});
  size_t bytes = 0;
  for (auto _ : st) bytes = html::render_report(in).size();
  st.SetItemsProcessed(st.iterations() * events(t));
  st.counters["html_bytes"] = static_cast<double>(bytes);
}

}  // namespace

BENCHMARK(BM_Perfetto)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Chrome)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sqlite)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HtmlReport)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
