// The model's weights copied to device memory, in the file's types (a tied output shares the
// embedding's copy). Included by CUDA sources: C++17 only.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "gpu/engine/kernels.h"

namespace infertrace::gpu {

struct DeviceLayer {
  const float *attn_norm = nullptr, *ffn_norm = nullptr, *q_norm = nullptr, *k_norm = nullptr;
  DeviceMatrix wq, wk, wv, wo, w_gate, w_up, w_down;
};

class DeviceWeights {
 public:
  // The model must have passed check_cuda_support (cuda_support.h). Throws Error on a CUDA error.
  DeviceWeights(const engine::ModelConfig& config, const engine::ModelWeights& weights);
  ~DeviceWeights();
  DeviceWeights(const DeviceWeights&) = delete;
  DeviceWeights& operator=(const DeviceWeights&) = delete;

  DeviceMatrix token_embd, output;
  const float* output_norm = nullptr;
  const float* rope_freqs = nullptr;
  std::vector<DeviceLayer> layers;
  uint64_t bytes = 0;

 private:
  const void* upload(const engine::WeightTensor& t);
  DeviceMatrix matrix(const engine::WeightTensor& t);
  std::vector<void*> allocations_;
};

}  // namespace infertrace::gpu
