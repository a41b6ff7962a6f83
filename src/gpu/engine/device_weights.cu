#include "gpu/engine/device_weights.h"

namespace infertrace::gpu {

DeviceWeights::DeviceWeights(const engine::ModelConfig& c, const engine::ModelWeights& w) {
  try {
    token_embd = matrix(w.token_embd);
    output = w.output.data == w.token_embd.data ? token_embd : matrix(w.output);
    output_norm = static_cast<const float*>(upload(w.output_norm));
    if (w.rope_freqs.present()) rope_freqs = static_cast<const float*>(upload(w.rope_freqs));
    for (const engine::LayerWeights& l : w.layers) {
      DeviceLayer& d = layers.emplace_back();
      d.attn_norm = static_cast<const float*>(upload(l.attn_norm));
      d.ffn_norm = static_cast<const float*>(upload(l.ffn_norm));
      if (c.has_qk_norm()) {
        d.q_norm = static_cast<const float*>(upload(l.q_norm));
        d.k_norm = static_cast<const float*>(upload(l.k_norm));
      }
      d.wq = matrix(l.wq);
      d.wk = matrix(l.wk);
      d.wv = matrix(l.wv);
      d.wo = matrix(l.wo);
      d.w_gate = matrix(l.w_gate);
      d.w_up = matrix(l.w_up);
      d.w_down = matrix(l.w_down);
    }
    // cudaMemcpy from pageable memory may return before its copy has reached the device, and the
    // engine's kernels run on a non-blocking stream, which does not wait for the legacy stream the
    // copies ran on: wait here, so every weight is on the device before the first kernel.
    cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (weights)");
  } catch (...) {
    for (void* p : allocations_) cudaFree(p);
    throw;
  }
}

DeviceWeights::~DeviceWeights() {
  for (void* p : allocations_) cudaFree(p);
}

const void* DeviceWeights::upload(const engine::WeightTensor& t) {
  const size_t n = static_cast<size_t>(t.row_bytes) * t.rows;
  void* p = nullptr;
  cuda_check(cudaMalloc(&p, n), "cudaMalloc (weights)");
  allocations_.push_back(p);
  cuda_check(cudaMemcpy(p, t.data, n, cudaMemcpyHostToDevice), "cudaMemcpy (weights)");
  bytes += n;
  return p;
}

DeviceMatrix DeviceWeights::matrix(const engine::WeightTensor& t) {
  DeviceMatrix m;
  m.type = t.type;
  m.rows = static_cast<int>(t.rows);
  m.cols = static_cast<int>(t.cols);
  m.data = upload(t);
  return m;
}

}  // namespace infertrace::gpu
