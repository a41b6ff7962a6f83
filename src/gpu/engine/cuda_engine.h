// The CUDA backend of the reference engine: the CPU engine's model (ModelConfig and ModelWeights
// bound from the GGUF) uploaded to the GPU and run in one of three modes:
//   eager : one kernel per elementary operation, per-head q/k RMSNorm and RoPE launched head by
//           head, the way a straightforward port launches them (launch-bound on purpose);
//   fused : QKV in one matrix-vector pass, norm+RoPE+KV store in one kernel, decode attention in
//           one kernel (online softmax), SwiGLU fused with gate/up, residual adds fused into the
//           output products: 8 launches per layer;
//   graph : fused, each decode step captured once into a CUDA graph and replayed (the position is
//           read from device memory, so the same graph serves every step).
// n_seq sequences are decoded in lockstep (batched matrix-vector products read each weight row
// once for all of them). Prefill is the same in every mode: tiled matrix-matrix products over the
// prompt of one sequence, whose KV cache is then copied to the others (they share the prompt).
// Activations and the KV cache are F32; weights stay in the file's type (F32, F16 or BF16).
// Included by CUDA sources: C++17 only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "gpu/engine/launch_model.h"

namespace infertrace::gpu {

struct CudaEngineOptions {
  CudaMode mode = CudaMode::Fused;
  int64_t n_ctx = 0;     // KV cache tokens per sequence (> 0)
  int64_t n_seq = 1;     // sequences decoded together
  int64_t n_ubatch = 256;  // most prompt tokens per prefill step
  int device = 0;
};

// Whether this build has the CUDA part (nvcc was found when it was configured).
bool cuda_engine_built();

class CudaEngine {
 public:
  // Uploads the weights. Throws Error without a usable device, for a weight type the backend does
  // not compute with (Q8_0), or on any CUDA error (named).
  static std::unique_ptr<CudaEngine> create(const engine::ModelConfig& config, const engine::ModelWeights& weights,
                                            const CudaEngineOptions& options);
  virtual ~CudaEngine() = default;

  // Evaluates `n` prompt tokens for every sequence at positions n_past()..; returns host logits
  // (n_vocab) after the last one, valid until the next call.
  virtual const float* prefill(const int32_t* tokens, int64_t n) = 0;
  // One token per sequence (n_seq); returns n_seq rows of n_vocab host logits.
  virtual const float* decode(const int32_t* tokens) = 0;

  virtual int64_t n_past() const = 0;
  // Kernel launches the last decode step issued from the host (graph mode: 1 graph launch), and
  // kernels that step ran (graph mode: the kernels inside the graph).
  virtual int64_t last_step_host_launches() const = 0;
  virtual int64_t last_step_kernels() const = 0;
  virtual std::string device_name() const = 0;
  virtual uint64_t weight_bytes() const = 0;  // weights on the device
};

}  // namespace infertrace::gpu
