#include "gpu/engine/cuda_support.h"

#include <string>

#include "util/error.h"

namespace infertrace::gpu {

namespace {

void check_matrix(const engine::WeightTensor& t) {
  using gguf::GgmlType;
  if (t.type != GgmlType::F32 && t.type != GgmlType::F16 && t.type != GgmlType::BF16)
    throw Error("engine run --backend cuda: tensor " + std::string(t.name) + " has weight type " +
                gguf::type_name(static_cast<uint32_t>(t.type)) +
                ", not supported on the cuda backend (f32, f16 and bf16 are; --backend cpu runs q8_0, q4_0, q4_1, q5_0, "
                "q5_1 and the k-quants q4_K, q5_K, q6_K)");
  if (t.cols % 8 != 0)
    throw Error("engine run --backend cuda: tensor " + std::string(t.name) + " has rows of " + std::to_string(t.cols) +
                " values; the cuda backend needs a multiple of 8 (16-byte loads)");
}

}  // namespace

void check_cuda_support(const engine::ModelConfig& c, const engine::ModelWeights& w) {
  // The device kernels have no bias add after the q/k/v products (nor a test on a GPU for one).
  if (c.has_qkv_bias())
    throw Error(std::string("engine run --backend cuda: architecture ") + engine::arch_name(c.arch) +
                " (biases on the q, k and v products) is not supported on the cuda backend; --backend cpu runs it");
  if (c.head_dim > 256 || c.head_dim_v > 256)
    throw Error("engine run --backend cuda: heads of " + std::to_string(c.head_dim) +
                " values; the cuda backend handles up to 256");
  check_matrix(w.token_embd);
  check_matrix(w.output);
  for (const engine::LayerWeights& l : w.layers) {
    for (const engine::WeightTensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) check_matrix(*t);
    if (l.wk.type != l.wq.type || l.wv.type != l.wq.type || l.w_up.type != l.w_gate.type)
      throw Error("engine run --backend cuda: tensor " + std::string(l.wq.name) +
                  ": q/k/v (or gate/up) weights of different types are not supported on the cuda backend (the fused "
                  "products read them in one pass)");
  }
}

}  // namespace infertrace::gpu
