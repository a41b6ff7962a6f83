// Picks the next token from the logits. temperature <= 0: greedy (the highest logit, lowest id on
// ties), deterministic. Otherwise llama.cpp's usual chain: keep the top_k logits (0: all), softmax
// at the temperature, keep the smallest set whose probability reaches top_p, draw with a seeded
// generator (same seed, same logits -> same tokens). Logits holding NaN or Inf are an Error
// (check_finite): greedy would pick token 0 and the softmax NaN probabilities, a silent wrong token.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace infertrace::engine {

struct SamplerOptions {
  float temperature = 0.0f;
  int top_k = 40;
  float top_p = 0.95f;
  uint64_t seed = 42;
};

class Sampler {
 public:
  explicit Sampler(SamplerOptions opt = {});
  int32_t sample(std::span<const float> logits);

 private:
  SamplerOptions opt_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> cand_;
};

int32_t argmax(std::span<const float> logits);

// Throws Error (exit 1) naming how many logits are NaN and how many infinite when any is not finite.
void check_finite(std::span<const float> logits);

}  // namespace infertrace::engine
