// The sampler's rules one at a time, each on logits whose distribution is worked out by hand:
// top-p stops at the first token whose cumulative probability reaches top_p (>=, not >), the
// temperature divides the logits before the softmax, ties go to the lowest id (greedy and top-k),
// and the seed chooses the draws.
#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "engine/runtime/sampler.h"
#include "util/error.h"

using namespace infertrace::engine;

namespace {

SamplerOptions opts(float temperature, int top_k, float top_p, uint64_t seed = 42) {
  SamplerOptions o;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.seed = seed;
  return o;
}

std::set<int32_t> draws(Sampler& s, const std::vector<float>& logits, int n = 200) {
  std::set<int32_t> seen;
  for (int i = 0; i < n; ++i) seen.insert(s.sample(logits));
  return seen;
}

}  // namespace

TEST(SamplerRules, TopPKeepsTheFirstTokenThatReachesItExactly) {
  // Two equal logits: 1/2 each, exactly representable. With top_p = 0.5 the first (lowest id)
  // already reaches it, so only token 0 is kept; a strict "> top_p" would keep both.
  Sampler s(opts(1.0f, 0, 0.5f));
  EXPECT_EQ(draws(s, {0.0f, 0.0f}), (std::set<int32_t>{0}));
  // Just above 1/2 both are needed.
  Sampler t(opts(1.0f, 0, 0.51f));
  EXPECT_EQ(draws(t, {0.0f, 0.0f}), (std::set<int32_t>{0, 1}));
}

TEST(SamplerRules, TemperatureDividesTheLogitsBeforeTheSoftmax) {
  // Logits {0, -1}. At T = 0.5 the scaled logits are {0, -2}: p0 = 1 / (1 + e^-2) = 0.881 >= 0.85,
  // so top-p keeps token 0 alone. At T = 2 they are {0, -0.5}: p0 = 1 / (1 + e^-0.5) = 0.622 < 0.85,
  // so both stay and token 1 (p = 0.378) shows up in 200 draws (missing it: 0.622^200 ~ 1e-41).
  const std::vector<float> logits = {0.0f, -1.0f};
  Sampler cold(opts(0.5f, 0, 0.85f));
  EXPECT_EQ(draws(cold, logits), (std::set<int32_t>{0}));
  Sampler hot(opts(2.0f, 0, 0.85f));
  EXPECT_EQ(draws(hot, logits), (std::set<int32_t>{0, 1}));
}

TEST(SamplerRules, TiesGoToTheLowestId) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 0.0f};
  EXPECT_EQ(argmax(logits), 1);
  Sampler greedy(opts(0.0f, 40, 0.95f));
  EXPECT_EQ(greedy.sample(logits), 1);
  // top_k = 1 keeps one of the two tied logits: the lower id.
  Sampler k1(opts(1.0f, 1, 1.0f));
  EXPECT_EQ(draws(k1, logits), (std::set<int32_t>{1}));
}

TEST(SamplerRules, TheSeedChoosesTheDraws) {
  // Two equiprobable tokens: 64 draws of two different seeds agree with probability 2^-64.
  const std::vector<float> logits = {0.0f, 0.0f};
  auto run = [&](uint64_t seed) {
    Sampler s(opts(1.0f, 0, 1.0f, seed));
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(logits));
    return out;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

// Logits holding NaN or Inf choose no token (review EG L1: greedy returned token 0 from all-NaN
// logits, silently): an Error naming how many of each, at every temperature.
TEST(SamplerRules, NonFiniteLogitsAreAnError) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (float temperature : {0.0f, 0.8f}) {
    Sampler s(opts(temperature, 0, 1.0f));
    try {
      s.sample(std::vector<float>{nan, 1.0f, -inf, nan, 2.0f});
      ADD_FAILURE() << "accepted at temperature " << temperature;
    } catch (const infertrace::Error& e) {
      EXPECT_EQ(e.exit_code(), 1);
      EXPECT_NE(std::string(e.what()).find("(2 NaN, 1 infinite, of 5 values)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(s.sample(std::vector<float>{0.0f, inf}), infertrace::Error);
    // The largest finite float is a logit like any other.
    EXPECT_EQ(s.sample(std::vector<float>{0.0f, std::numeric_limits<float>::max()}), 1);
  }
}
