#include "cli/bench_membw_gpu.h"

#include <algorithm>
#include <limits>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/whole_number.h"
#include "report/json_text.h"

namespace infertrace::cli {

double best_gbs(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

double median_gbs(const std::vector<double>& v) {
  if (v.empty()) return 0.0;
  std::vector<double> s = v;
  std::sort(s.begin(), s.end());
  const auto rank = static_cast<size_t>(std::ceil(0.5 * static_cast<double>(s.size())));  // nearest rank
  return s[std::max<size_t>(rank, 1) - 1];
}

int parse_membw_device(const std::string& t) {
  if (t == "cpu") return -1;
  if (t == "cuda") return 0;
  if (t.rfind("cuda:", 0) == 0 && t.size() > 5 && t.find_first_not_of("0123456789", 5) == std::string::npos) {
    const int64_t max = std::numeric_limits<int>::max();
    const WholeNumber n = parse_whole_number(t.substr(5), 0, max);
    if (n.status != WholeNumber::Status::ok)
      throw UsageError("--device " + t + ": the device number " + whole_number_problem(n, 0, max) + " (no such CUDA device)");
    return static_cast<int>(n.value);
  }
  throw UsageError("--device " + t + ": expected cpu, cuda or cuda:N");
}

void run_membw_gpu(const gpu::GpuMembwOptions& o, const std::string& format) {
  if (format != "md" && format != "json") throw UsageError("-o " + format + ": expected md or json (bench membw --device cuda)");
  const gpu::GpuMembwResult r = gpu::run_gpu_membw(o);
  const double mib = static_cast<double>(r.buffer_bytes) / (1 << 20);
  if (format == "json") {
    auto stat = [](const std::vector<double>& v, double bytes) {
      return nlohmann::json{{"best_gbs", best_gbs(v)}, {"median_gbs", median_gbs(v)}, {"samples_gbs", v},
                            {"bytes_per_repetition", bytes}};
    };
    nlohmann::json j = {{"schema_version", 1},
                        {"device", "cuda"},
                        {"gpu", r.device_name},
                        {"gpu_index", r.device},
                        {"buffer_bytes", r.buffer_bytes},
                        {"buffer_shrunk_to_fit", r.shrunk},
                        {"l2_bytes", r.l2_bytes},
                        {"sm_count", r.sm_count},
                        {"nominal_gbs", r.nominal_gbs > 0 ? nlohmann::json(r.nominal_gbs) : nlohmann::json()},
                        {"repetitions", r.read_gbs.size()},
                        {"read_grid", {{"blocks", r.read_blocks}, {"threads", r.read_threads}}},
                        {"copy", stat(r.copy_gbs, static_cast<double>(r.buffer_bytes / 2 * 2))},
                        {"read", stat(r.read_gbs, static_cast<double>(r.buffer_bytes))},
                        {"method",
                         "copy: cudaMemcpyAsync D2D of half the buffer onto the other half, bytes = read + write; "
                         "read: streaming XOR reduction of the whole buffer; CUDA events per repetition, copy and "
                         "read alternating after one warm-up each; GB/s = 1e9 bytes/s"}};
    std::cout << result_json_text(j) << "\n";
    return;
  }
  std::printf("bench membw --device cuda:%d: %s, %d SMs, L2 %.0f MiB, buffer %.0f MiB%s\n", r.device,
              r.device_name.c_str(), r.sm_count, static_cast<double>(r.l2_bytes) / (1 << 20), mib,
              r.shrunk ? " (shrunk to fit free memory)" : "");
  std::printf("| test | best GB/s | median GB/s | bytes per repetition |\n| --- | ---: | ---: | ---: |\n");
  std::printf("| copy (read + write) | %.1f | %.1f | %.0f MiB |\n", best_gbs(r.copy_gbs), median_gbs(r.copy_gbs), mib);
  std::printf("| read | %.1f | %.1f | %.0f MiB |\n", best_gbs(r.read_gbs), median_gbs(r.read_gbs), mib);
  std::printf("\n%zu repetitions each, alternating, after one warm-up; CUDA events; read grid %d x %d threads",
              r.read_gbs.size(), r.read_blocks, r.read_threads);
  if (r.nominal_gbs > 0) std::printf("; nominal %.0f GB/s (2 x memory clock x bus width)", r.nominal_gbs);
  std::printf("\n");
}

}  // namespace infertrace::cli
