// What the CUDA backend can compute, checked on the host before any CUDA call, so a model it
// cannot run is refused with the reason on every machine (with or without a GPU or a CUDA build).
#pragma once

#include "engine/model/model_config.h"
#include "engine/model/weights.h"

namespace infertrace::gpu {

// Throws Error naming the tensor or dimension: weight types other than F32/F16/BF16 (Q8_0, Q4_0..Q5_1
// and the K-quants are "not supported on the cuda backend", the type named), rows not a multiple of 8 values (16-byte loads), q/k/v or
// gate/up of different types (read in one pass), heads wider than 256 values, and qwen2 (its q/k/v
// biases have no device kernel).
void check_cuda_support(const engine::ModelConfig& config, const engine::ModelWeights& weights);

}  // namespace infertrace::gpu
