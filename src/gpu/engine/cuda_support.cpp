#include "gpu/engine/cuda_support.h"

#include <cctype>
#include <sstream>
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

bool cuda_absent(const std::string& error, bool driver_loaded) {
  if (error.find("no CUDA part") != std::string::npos) return true;  // the build without nvcc
  // The runtime's message without a driver ("driver version is insufficient") is the same as with
  // a driver too old for it: only a missing driver means there is no GPU to test.
  return !driver_loaded && error.find("no usable CUDA device") != std::string::npos;
}

std::string cuda_version_text(int version) {
  if (version <= 0) return "none";
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

std::string nvidia_driver_version(const std::string& proc_text) {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  <date>" or "... Open Kernel Module for
  // x86_64  580.65.06  Release Build ...": the first word of digits and dots, a dot included.
  std::istringstream line(proc_text.substr(0, proc_text.find('\n')));
  std::string word;
  while (line >> word)
    if (std::isdigit(static_cast<unsigned char>(word[0])) && word.find('.') != std::string::npos &&
        word.find_first_not_of("0123456789.") == std::string::npos)
      return word;
  return "";
}

}  // namespace infertrace::gpu
