// How many kernels one decode step of the CUDA engine launches, per mode, as a function of the
// model's shape: the engine counts its launches at run time (a host counter at each launch) and
// the GPU test checks the count against this model; the docs quote it. Plain C++17, no CUDA.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/model/model_config.h"

namespace infertrace::gpu {

enum class CudaMode { Eager, Fused, Graph };

const char* cuda_mode_name(CudaMode m);
// "eager", "fused" or "graph"; throws UsageError naming the valid modes otherwise.
CudaMode parse_cuda_mode(std::string_view s);

struct DecodeLaunchCount {
  int64_t per_layer = 0;  // kernels per layer
  int64_t outside_layers = 0;  // embedding lookup, final norm, output product
  int64_t kernels = 0;    // kernels per decode step (independent of the number of sequences)
  int64_t host_launches = 0;  // launches the host issues per step (graph: 1)
};

DecodeLaunchCount decode_launch_count(const engine::ModelConfig& config, CudaMode mode);

}  // namespace infertrace::gpu
