// The CUDA backend: the launch-count model, the host-side support checks and mode parsing run
// everywhere; the GPU tests (CUDA against the CPU engine: logits and greedy tokens for 32 steps on
// the tiny presets, every weight type and mode; launches per step against the model; batched
// decode) run where a CUDA device is usable; they are skipped (GTEST_SKIP, named why) only where the
// build has no CUDA part or no NVIDIA driver is loaded, and fail on any other error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/gguf/gguf.h"
#include "engine/model/forward.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/runtime/generate.h"
#include "engine/runtime/thread_pool.h"
#include "gpu/engine/cuda_engine.h"
#include "gpu/engine/cuda_evaluator.h"
#include "gpu/engine/cuda_support.h"
#include "gpu/engine/launch_model.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;
using gpu::CudaMode;

namespace {

std::unique_ptr<Model> synth(const std::string& preset, GgmlType dtype) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("infertrace_cuda_" + std::to_string(getpid()) + "_" + preset + "_" +
                             gguf::type_name(static_cast<uint32_t>(dtype)) + ".gguf"))
                               .string();
  SynthOptions o;
  o.dtype = dtype;
  o.seed = 5;
  o.threads = 1;
  synth_model(find_preset(preset), o, path);
  PlacementOptions copy;
  copy.copy_weights = true;  // the file can go: weights are copied
  auto m = Model::load(path, copy);
  std::filesystem::remove(path);
  return m;
}

// Counted from the definitions in launch_model.h, by hand, for the presets the docs quote.
TEST(CudaLaunchModel, CountsPerMode) {
  const ModelConfig& q = find_preset("qwen3-0.6b").config;  // 28 layers, 16 + 8 heads, q/k norm
  EXPECT_EQ(gpu::decode_launch_count(q, CudaMode::Eager).per_layer, 18 + 2 * (16 + 8));
  EXPECT_EQ(gpu::decode_launch_count(q, CudaMode::Eager).kernels, 28 * 66 + 3);
  EXPECT_EQ(gpu::decode_launch_count(q, CudaMode::Fused).kernels, 28 * 8 + 3);
  EXPECT_EQ(gpu::decode_launch_count(q, CudaMode::Fused).host_launches, 28 * 8 + 3);
  EXPECT_EQ(gpu::decode_launch_count(q, CudaMode::Graph).kernels, 28 * 8 + 3);
  EXPECT_EQ(gpu::decode_launch_count(q, CudaMode::Graph).host_launches, 1);
  const ModelConfig& l = find_preset("llama-3.2-1b").config;  // no q/k norm: RoPE loops only
  EXPECT_EQ(gpu::decode_launch_count(l, CudaMode::Eager).kernels, 16 * (18 + 32 + 8) + 3);
}

TEST(CudaLaunchModel, ModeNames) {
  for (CudaMode m : {CudaMode::Eager, CudaMode::Fused, CudaMode::Graph})
    EXPECT_EQ(gpu::parse_cuda_mode(gpu::cuda_mode_name(m)), m);
  EXPECT_THROW(gpu::parse_cuda_mode("cudnn"), UsageError);
}

// Q8_0 is refused on the host, before any device work, with the backend named.
TEST(CudaSupport, Q8IsRefusedF16Accepted) {
  auto q8 = synth("tiny-llama", GgmlType::Q8_0);
  try {
    gpu::check_cuda_support(q8->config(), q8->weights());
    FAIL() << "q8_0 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not supported on the cuda backend"), std::string::npos) << e.what();
  }
  gpu::CudaEngineOptions o;
  o.n_ctx = 8;
  EXPECT_THROW(gpu::CudaEngine::create(q8->config(), q8->weights(), o), Error);
  auto f16 = synth("tiny-qwen3", GgmlType::F16);
  EXPECT_NO_THROW(gpu::check_cuda_support(f16->config(), f16->weights()));
  // ggml's 32-value block types too, the type named (tiny-qwen3 is untied: its token_embd,
  // checked first, has the file's type; its output is Q6_K's fallback Q8_0).
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1}) {
    auto m = synth("tiny-qwen3", t);
    const std::string want = "has weight type " + gguf::type_name(static_cast<uint32_t>(t)) + ", not supported on the cuda backend";
    try {
      gpu::check_cuda_support(m->config(), m->weights());
      FAIL() << gguf::type_name(static_cast<uint32_t>(t)) << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  }
}

// qwen2 (q/k/v biases) is refused on the host with the architecture named, in every weight type
// the backend otherwise runs, and CudaEngine::create refuses it the same way.
TEST(CudaSupport, Qwen2IsRefused) {
  for (GgmlType t : {GgmlType::F16, GgmlType::F32}) {
    auto m = synth("tiny-qwen2", t);
    try {
      gpu::check_cuda_support(m->config(), m->weights());
      FAIL() << "qwen2 accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("architecture qwen2 (biases on the q, k and v products) is not supported on "
                                           "the cuda backend"),
                std::string::npos)
          << e.what();
    }
    gpu::CudaEngineOptions o;
    o.n_ctx = 8;
    EXPECT_THROW(gpu::CudaEngine::create(m->config(), m->weights(), o), Error);
  }
}

// The GPU tests skip only where there is no CUDA at all: a driver that is loaded but cannot run this
// build's CUDA runtime (too old) is a failure, named with both versions.
TEST(CudaSupport, SkipOnlyWithoutDriver) {
  const std::string no_driver =
      "engine run --backend cuda: no usable CUDA device (CUDA driver version is insufficient for CUDA runtime version; "
      "no NVIDIA kernel driver is loaded: /proc/driver/nvidia/version is missing)";
  const std::string old_driver =
      "engine run --backend cuda: no usable CUDA device (CUDA driver version is insufficient for CUDA runtime version; "
      "NVIDIA driver 535.104.05 supports CUDA 12.2, this build's CUDA runtime is 13.0: update the driver)";
  const std::string no_part = "engine run --backend cuda: this build has no CUDA part (nvcc was not found ...)";
  EXPECT_TRUE(gpu::cuda_absent(no_driver, false));
  EXPECT_FALSE(gpu::cuda_absent(old_driver, true));
  EXPECT_TRUE(gpu::cuda_absent(no_part, true));
  EXPECT_TRUE(gpu::cuda_absent(no_part, false));
  EXPECT_FALSE(gpu::cuda_absent("engine run --backend cuda: cudaMalloc (KV cache): out of memory", true));
  EXPECT_FALSE(gpu::cuda_absent("engine run --backend cuda: cudaMalloc (KV cache): out of memory", false));

  EXPECT_EQ(gpu::cuda_version_text(12020), "12.2");
  EXPECT_EQ(gpu::cuda_version_text(13000), "13.0");
  EXPECT_EQ(gpu::cuda_version_text(0), "none");
  EXPECT_EQ(gpu::nvidia_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 "
                                       "01:15:15 UTC 2023\nGCC version:  gcc version 12.3.0 (Ubuntu)\n"),
            "535.104.05");
  EXPECT_EQ(gpu::nvidia_driver_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release "
                                       "Build  (dvs-builder@U16-I3-B03-4-3)  Sun Jul 27 07:09:35 UTC 2025\n"),
            "580.65.06");
  EXPECT_EQ(gpu::nvidia_driver_version("NVRM version: unknown\nGCC version: 12.3.0\n"), "");
}

// --- on a GPU ------------------------------------------------------------------------------------

// The engine, or nullptr (and the reason) where this machine or build has no CUDA at all; any other
// error (a driver too old for the runtime included) escapes and fails the test with its message.
std::unique_ptr<gpu::CudaEngine> try_create(const Model& m, const gpu::CudaEngineOptions& o, std::string* why) {
  try {
    return gpu::CudaEngine::create(m.config(), m.weights(), o);
  } catch (const Error& e) {
    const bool driver_loaded = access("/proc/driver/nvidia/version", F_OK) == 0;
    if (!gpu::cuda_absent(e.what(), driver_loaded)) throw;
    *why = e.what();
    return nullptr;
  }
}

float max_abs(std::span<const float> v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

struct Case {
  std::string preset;
  GgmlType dtype;
  CudaMode mode;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.preset << " " << gguf::type_name(static_cast<uint32_t>(c.dtype)) << " " << gpu::cuda_mode_name(c.mode);
}

class CudaVsCpu : public ::testing::TestWithParam<Case> {};

// Teacher-forced: both backends get the same tokens (the CPU's greedy choices); every step's
// logits must agree to 1e-3 of their scale, and wherever the CPU's best token leads the runner-up
// by more than that, the argmax must agree. Then both generate on their own: same 32 tokens.
TEST_P(CudaVsCpu, LogitsAndGreedyTokens) {
  const Case& c = GetParam();
  auto model = synth(c.preset, c.dtype);
  const std::vector<int32_t> prompt = {1, 17, 300, 42, 901, 5, 77};
  const int64_t steps = 32, ctx = static_cast<int64_t>(prompt.size()) + steps + 1;
  gpu::CudaEngineOptions o;
  o.mode = c.mode;
  o.n_ctx = ctx;
  std::string why;
  auto cuda = try_create(*model, o, &why);
  if (!cuda) {
    GTEST_SKIP() << why;
  }
  ThreadPool pool(2);
  Session cpu(*model, pool, ctx);
  gpu::CudaEvaluator gpu_eval(*cuda, model->config().n_vocab, 1);
  const gpu::DecodeLaunchCount want = gpu::decode_launch_count(model->config(), c.mode);

  std::span<const float> lc = cpu.eval(prompt), lg = gpu_eval.eval(prompt);
  for (int64_t step = 0; step < steps; ++step) {
    const float tol = 1e-3f * std::max(1.0f, max_abs(lc));
    float worst = 0;
    for (size_t i = 0; i < lc.size(); ++i) worst = std::max(worst, std::fabs(lc[i] - lg[i]));
    EXPECT_LE(worst, tol) << "step " << step;
    std::vector<float> sorted(lc.begin(), lc.end());
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
    const int32_t tok = argmax(lc);
    if (sorted[0] - sorted[1] > tol) {
      EXPECT_EQ(argmax(lg), tok) << "step " << step;
    }
    lc = cpu.eval(std::span<const int32_t>(&tok, 1));
    lg = gpu_eval.eval(std::span<const int32_t>(&tok, 1));
    EXPECT_EQ(cuda->last_step_kernels(), want.kernels);
    EXPECT_EQ(cuda->last_step_host_launches(), want.host_launches);
  }

  auto cuda2 = try_create(*model, o, &why);
  gpu::CudaEvaluator gpu2(*cuda2, model->config().n_vocab, 1);
  Session cpu2(*model, pool, ctx);
  Sampler g1, g2;
  EXPECT_EQ(generate(cpu2, prompt, steps, g1).output, generate(gpu2, prompt, steps, g2).output);
}

INSTANTIATE_TEST_SUITE_P(
    Cuda, CudaVsCpu,
    ::testing::ValuesIn([] {
      std::vector<Case> v;
      for (const char* p : {"tiny-qwen3", "tiny-llama"})
        for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16})
          for (CudaMode m : {CudaMode::Eager, CudaMode::Fused, CudaMode::Graph}) v.push_back({p, t, m});
      return v;
    }()),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string n = i.param.preset + "_" + gguf::type_name(static_cast<uint32_t>(i.param.dtype)) + "_" +
                      gpu::cuda_mode_name(i.param.mode);
      for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

// Batched decode: every sequence of a batch (same prompt, same tokens fed) has the logits of a
// batch of one; 11 sequences cover a full group of 8 and a partial one in the products.
TEST(CudaBatch, EverySequenceMatchesBatchOfOne) {
  auto model = synth("tiny-qwen3", GgmlType::F16);
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5};
  const int64_t V = model->config().n_vocab, B = 11;
  for (CudaMode mode : {CudaMode::Eager, CudaMode::Fused, CudaMode::Graph}) {
    gpu::CudaEngineOptions o;
    o.mode = mode;
    o.n_ctx = 16;
    std::string why;
    auto one = try_create(*model, o, &why);
    if (!one) {
      GTEST_SKIP() << why;
    }
    o.n_seq = B;
    auto many = try_create(*model, o, &why);
    one->prefill(prompt.data(), static_cast<int64_t>(prompt.size()));
    many->prefill(prompt.data(), static_cast<int64_t>(prompt.size()));
    for (int32_t tok : {9, 10, 11}) {
      const float* r1 = one->decode(&tok);
      const std::vector<float> ref(r1, r1 + V);
      const std::vector<int32_t> toks(B, tok);
      const float* rb = many->decode(toks.data());
      for (int64_t s = 0; s < B; ++s) {
        float worst = 0;
        for (int64_t i = 0; i < V; ++i) worst = std::max(worst, std::fabs(rb[s * V + i] - ref[i]));
        EXPECT_LE(worst, 1e-4f * std::max(1.0f, max_abs(ref))) << gpu::cuda_mode_name(mode) << " sequence " << s;
      }
    }
  }
}

}  // namespace
