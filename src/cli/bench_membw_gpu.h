// `bench membw --device cuda`'s output (text and JSON) for gpu/membw_bench.h, and the statistics
// the engine's roofline uses too.
#pragma once

#include <string>
#include <vector>

#include "gpu/membw_bench.h"

namespace infertrace::cli {

// Best (largest, as STREAM reports) and nearest-rank median of per-repetition GB/s.
double best_gbs(const std::vector<double>& samples);
double median_gbs(const std::vector<double>& samples);

// "cpu" -> -1, "cuda" -> 0, "cuda:N" -> N; UsageError otherwise.
int parse_membw_device(const std::string& text);

// Runs the GPU measurement and prints it (format: md or json; csv is refused).
void run_membw_gpu(const gpu::GpuMembwOptions& options, const std::string& format);

}  // namespace infertrace::cli
