// What the CUDA backend can compute, checked on the host before any CUDA call, so a model it
// cannot run is refused with the reason on every machine (with or without a GPU or a CUDA build).
#pragma once

#include <string>

#include "engine/model/model_config.h"
#include "engine/model/weights.h"

namespace infertrace::gpu {

// Throws Error naming the tensor or dimension: weight types other than F32/F16/BF16 (Q8_0, Q4_0..Q5_1
// and the K-quants are "not supported on the cuda backend", the type named), rows not a multiple of 8 values (16-byte loads), q/k/v or
// gate/up of different types (read in one pass), heads wider than 256 values, and qwen2 (its q/k/v
// biases have no device kernel).
void check_cuda_support(const engine::ModelConfig& config, const engine::ModelWeights& weights);

}  // namespace infertrace::gpu

namespace infertrace::gpu {

// Whether CudaEngine::create's `error` only says that this machine or build has no CUDA at all: a
// build without its CUDA part, or no NVIDIA kernel driver (`driver_loaded` false:
// /proc/driver/nvidia/version is missing). The GPU tests skip then and fail on anything else, a
// driver too old for this build's CUDA runtime included.
bool cuda_absent(const std::string& error, bool driver_loaded);

// "12.4" from CUDA's version numbers (1000 * major + 10 * minor, cudaDriverGetVersion and
// cudaRuntimeGetVersion); "none" for 0 (no driver library).
std::string cuda_version_text(int version);

// The NVIDIA driver's version ("580.65.06") from the text of /proc/driver/nvidia/version (the first
// word of digits and dots on its first line); empty when there is none.
std::string nvidia_driver_version(const std::string& proc_text);

}  // namespace infertrace::gpu
