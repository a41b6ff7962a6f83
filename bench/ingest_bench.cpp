// Kineto ingest throughput and memory: load_trace() on each file given (make big ones with
// bench/make_large_trace.py), median wall time of --repeat runs, GB/s of uncompressed JSON, and
// the process's peak RSS next to the JSON size. One file per process gives a clean peak RSS.
//
//   build/dev/bench/ingest_bench /tmp/trace_1g.json --repeat 3 [--kernel generic|haswell] [--no-direct-scan]
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ingest/input_buffer.h"
#include "ingest/load.h"
#include "util/error.h"

using namespace infertrace;

namespace {

// CPU time of this process: on a shared machine wall time also counts waiting for a core.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) * 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  int repeat = 3;
  size_t chunk = 0;
  kineto::ParserKernel kernel = kineto::ParserKernel::Auto;
  bool direct_scan = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--chunk-bytes" && i + 1 < argc) {
      chunk = static_cast<size_t>(std::atoll(argv[++i]));
    } else if (a == "--kernel" && i + 1 < argc) {
      const std::string k = argv[++i];
      kernel = k == "generic" ? kineto::ParserKernel::Generic
               : k == "haswell" ? kineto::ParserKernel::Haswell
                                : kineto::ParserKernel::Auto;
    } else if (a == "--no-direct-scan") {
      direct_scan = false;
    } else if (a == "--help" || a == "-h" || a[0] == '-') {
      std::printf("usage: ingest_bench [--repeat N] [--chunk-bytes N] [--kernel auto|generic|haswell] [--no-direct-scan] TRACE...\n");
      return a[0] == '-' && a != "--help" && a != "-h" ? 2 : 0;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::printf("usage: ingest_bench [--repeat N] [--chunk-bytes N] [--kernel auto|generic|haswell] [--no-direct-scan] TRACE...\n");
    return 2;
  }
  std::printf("%-40s %12s %6s %9s %9s %8s %9s %8s %10s %10s %9s\n", "file", "json_bytes", "pieces", "parser", "wall_s", "GB/s",
              "cpu_s", "GB/s_cpu", "events", "peak_RSS", "RSS/json");
  try {
    for (const auto& f : files) {
      size_t json_bytes = 0;
      {
        const InputBuffer in = InputBuffer::open(f);  // also warms the page cache
        json_bytes = in.size();
      }
      std::vector<double> secs, cpu;
      size_t events = 0;
      std::string pieces, parser;
      for (int r = 0; r < repeat; ++r) {
        LoadOptions o;
        o.chunk_bytes = chunk;
        o.parser_kernel = kernel;
        o.direct_scan = direct_scan;
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds();
        const Trace t = load_trace(f, o);
        cpu.push_back(cpu_seconds() - c0);
        secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        events = t.gpu.size() + t.api.size() + t.ops.size();
        pieces = t.meta.count("ingest.pieces") ? t.meta.at("ingest.pieces") : "?";
        parser = t.meta.count("ingest.parser") ? t.meta.at("ingest.parser") : "?";
      }
      std::sort(secs.begin(), secs.end());
      std::sort(cpu.begin(), cpu.end());
      const double med = secs[secs.size() / 2], med_cpu = cpu[cpu.size() / 2];
      const double rss = peak_rss_bytes();
      std::string name = f.size() > 40 ? "..." + f.substr(f.size() - 37) : f;
      std::printf("%-40s %12zu %6s %9s %9.3f %8.3f %9.3f %8.3f %10zu %8.0fMB %9.2f\n", name.c_str(), json_bytes,
                  pieces.c_str(), parser.c_str(), med, json_bytes / med / 1e9, med_cpu, json_bytes / med_cpu / 1e9, events, rss / 1e6,
                  rss / static_cast<double>(json_bytes));
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
