#include "gpu/engine/launch_model.h"

#include "util/error.h"

namespace infertrace::gpu {

const char* cuda_mode_name(CudaMode m) {
  switch (m) {
    case CudaMode::Eager: return "eager";
    case CudaMode::Fused: return "fused";
    case CudaMode::Graph: return "graph";
  }
  return "?";
}

CudaMode parse_cuda_mode(std::string_view s) {
  if (s == "eager") return CudaMode::Eager;
  if (s == "fused") return CudaMode::Fused;
  if (s == "graph") return CudaMode::Graph;
  throw UsageError("unknown --mode '" + std::string(s) + "' (eager, fused or graph)");
}

DecodeLaunchCount decode_launch_count(const engine::ModelConfig& c, CudaMode mode) {
  DecodeLaunchCount n;
  n.outside_layers = 3;  // embedding lookup, final RMSNorm, output product
  if (mode == CudaMode::Eager) {
    // attn RMSNorm; q, k, v products; (qwen3) q/k RMSNorm per head; RoPE per head; K and V
    // stores; attention scores, softmax, weighted values; output product; residual add;
    // ffn RMSNorm; gate, up; SiLU; multiply; down; residual add.
    const int64_t heads = c.n_head + c.n_head_kv;
    n.per_layer = 1 + 3 + (c.has_qk_norm() ? heads : 0) + heads + 2 + 3 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1;
  } else {
    // attn RMSNorm; QKV product; q/k norm + RoPE + KV store; attention; output product + residual;
    // ffn RMSNorm; gate/up product + SwiGLU; down product + residual.
    n.per_layer = 8;
  }
  n.kernels = n.per_layer * c.n_layer + n.outside_layers;
  n.host_launches = mode == CudaMode::Graph ? 1 : n.kernels;
  return n;
}

}  // namespace infertrace::gpu
