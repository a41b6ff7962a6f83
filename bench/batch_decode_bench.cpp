// Decode throughput of BatchDecoder::step against the same sequences decoded one Session::eval
// each, for batch sizes 1, 2, 4, 8: what continuous batching buys a server on the CPU engine.
// Each batch size gets n sessions prefilled with different prompts of --prompt tokens, one warm-up
// step, then --steps timed steps (wall time); a batched step and n evals append the same tokens
// at the same positions, so the attention work is the same and only the weight reads differ.
// The median of --repeat runs is printed (tokens/s = n * steps / seconds).
//
// The default model is "mid": Qwen3-style shapes scaled down so that its weights are tens of MB
// (8 layers, d=512, 8/4 heads x 64, ff 1536, vocab 32000, tied; 42 M parameters, 83 MB in F16):
// large enough that reading the weights dominates a decode step, small enough to synthesize in
// seconds (bench_models.h). --preset NAME takes one of the model presets instead (qwen3-0.6b, ...).
//
//   build/dev/bench/batch_decode_bench [--preset mid|NAME] [--dtype f16|q8_0|f32|bf16|q4_k_m|q5_k_m|q6_k] [--threads 2]
//                                      [--prompt 32] [--steps 16] [--repeat 3] [--batches 1,2,4,8]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/gguf/ggml_type.h"
#include "engine/model/batch_decode.h"
#include "engine/model/forward.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/runtime/thread_pool.h"
#include "bench_models.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int32_t token_of(int64_t step, int64_t row, int64_t vocab) { return static_cast<int32_t>((step * 131 + row * 37 + 5) % vocab); }

// n fresh sessions, row i prefilled with its own prompt.
std::vector<std::unique_ptr<Session>> prefilled(const Model& m, ThreadPool& pool, int64_t n, int64_t prompt,
                                                int64_t n_ctx) {
  std::vector<std::unique_ptr<Session>> v;
  for (int64_t i = 0; i < n; ++i) {
    v.push_back(std::make_unique<Session>(m, pool, n_ctx, 256));
    std::vector<int32_t> p(prompt);
    for (int64_t j = 0; j < prompt; ++j) p[j] = token_of(j, i + 1000, m.config().n_vocab);
    v.back()->eval(p);
  }
  return v;
}

// Tokens/s of `steps` steps after one warm-up step; batched: one BatchDecoder::step per step,
// otherwise one Session::eval per sequence per step.
double run(const Model& m, ThreadPool& pool, int64_t n, int64_t prompt, int64_t steps, bool batched) {
  auto sessions = prefilled(m, pool, n, prompt, prompt + steps + 1);
  std::vector<Session*> rows;
  for (auto& s : sessions) rows.push_back(s.get());
  BatchDecoder decoder(m, pool, n);
  std::vector<int32_t> tokens(n);
  auto one_step = [&](int64_t step) {
    for (int64_t i = 0; i < n; ++i) tokens[i] = token_of(step, i, m.config().n_vocab);
    if (batched) {
      decoder.step(rows, tokens);
    } else {
      for (int64_t i = 0; i < n; ++i) rows[i]->eval(std::span<const int32_t>(&tokens[i], 1));
    }
  };
  one_step(0);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 1; s <= steps; ++s) one_step(s);
  return static_cast<double>(n * steps) / seconds_since(t0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string preset_name = "mid", dtype_name = "f16";
  int threads = 2;
  int64_t prompt = 32, steps = 16;
  int repeat = 3;
  std::vector<int64_t> batches = {1, 2, 4, 8};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--preset") preset_name = value();
    else if (a == "--dtype") dtype_name = value();
    else if (a == "--threads") threads = std::max(1, std::atoi(value().c_str()));
    else if (a == "--prompt") prompt = std::max<int64_t>(1, std::atoll(value().c_str()));
    else if (a == "--steps") steps = std::max<int64_t>(1, std::atoll(value().c_str()));
    else if (a == "--repeat") repeat = std::max(1, std::atoi(value().c_str()));
    else if (a == "--batches") {
      batches.clear();
      const std::string list = value();
      for (size_t p = 0; p < list.size();) {
        const size_t q = list.find(',', p);
        batches.push_back(std::max<int64_t>(1, std::atoll(list.substr(p, q - p).c_str())));
        p = q == std::string::npos ? list.size() : q + 1;
      }
    } else {
      std::printf("usage: batch_decode_bench [--preset mid|NAME] [--dtype f16|q8_0|f32|bf16|q4_k_m|q5_k_m|q6_k] [--threads N] "
                  "[--prompt N] [--steps N] [--repeat N] [--batches 1,2,4,8]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }

  const ModelPreset preset = preset_name == "mid" ? bench_models::mid_preset() : find_preset(preset_name);
  SynthOptions so;
  bench_models::set_dtype(so, dtype_name);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("infertrace_batch_bench_" + std::to_string(getpid()) + ".gguf"))
                               .string();
  const SynthResult sr = synth_model(preset, so, path);
  std::unique_ptr<Model> model;
  try {
    model = Model::load(path);
  } catch (...) {
    std::filesystem::remove(path);
    throw;
  }
  std::filesystem::remove(path);  // the mapping keeps the data until the Model is gone
  ThreadPool pool(threads);
  std::printf("model %s %s: %.1f MB, %.1f M parameters; %d threads, prompt %lld, %lld timed steps, median of %d\n",
              preset.name.c_str(), dtype_name.c_str(), sr.file_bytes / 1e6, sr.n_params / 1e6, threads,
              static_cast<long long>(prompt), static_cast<long long>(steps), repeat);
  std::printf("%6s %18s %18s %8s\n", "batch", "eval each tok/s", "batched tok/s", "speedup");
  for (int64_t n : batches) {
    std::vector<double> each, batched;
    for (int r = 0; r < repeat; ++r) {
      each.push_back(run(*model, pool, n, prompt, steps, false));
      batched.push_back(run(*model, pool, n, prompt, steps, true));
    }
    const double e = median(each), b = median(batched);
    std::printf("%6lld %18.1f %18.1f %7.2fx\n", static_cast<long long>(n), e, b, b / e);
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "batch_decode_bench: %s\n", e.what());
  return 1;
}
