// Kineto ingest throughput and memory: load_trace() on each file given (make big ones with
// bench/make_large_trace.py), median wall time of --repeat runs, GB/s of uncompressed JSON, and
// the process's peak RSS next to the JSON size. One file per process gives a clean peak RSS.
//
//   build/dev/bench/ingest_bench /tmp/trace_1g.json --repeat 3
#include <sys/resource.h>

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
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--chunk-bytes" && i + 1 < argc) {
      chunk = static_cast<size_t>(std::atoll(argv[++i]));
    } else if (a == "--help" || a == "-h" || a[0] == '-') {
      std::printf("usage: ingest_bench [--repeat N] [--chunk-bytes N] TRACE...\n");
      return a[0] == '-' && a != "--help" && a != "-h" ? 2 : 0;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::printf("usage: ingest_bench [--repeat N] [--chunk-bytes N] TRACE...\n");
    return 2;
  }
  std::printf("%-40s %12s %6s %10s %8s %12s %10s %9s\n", "file", "json_bytes", "pieces", "median_s", "GB/s",
              "events", "peak_RSS", "RSS/json");
  try {
    for (const auto& f : files) {
      size_t json_bytes = 0;
      {
        const InputBuffer in = InputBuffer::open(f);  // also warms the page cache
        json_bytes = in.size();
      }
      std::vector<double> secs;
      size_t events = 0;
      std::string pieces;
      for (int r = 0; r < repeat; ++r) {
        LoadOptions o;
        o.chunk_bytes = chunk;
        const auto t0 = std::chrono::steady_clock::now();
        const Trace t = load_trace(f, o);
        secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        events = t.gpu.size() + t.api.size() + t.ops.size();
        pieces = t.meta.count("ingest.pieces") ? t.meta.at("ingest.pieces") : "?";
      }
      std::sort(secs.begin(), secs.end());
      const double med = secs[secs.size() / 2];
      const double rss = peak_rss_bytes();
      std::string name = f.size() > 40 ? "..." + f.substr(f.size() - 37) : f;
      std::printf("%-40s %12zu %6s %10.3f %8.3f %12zu %8.0fMB %9.2f\n", name.c_str(), json_bytes, pieces.c_str(), med,
                  json_bytes / med / 1e9, events, rss / 1e6, rss / static_cast<double>(json_bytes));
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
