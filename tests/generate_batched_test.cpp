// generate_batched() (runtime/generate.h) with a scripted BatchEvaluator: what it feeds each
// sequence, how many decode steps it runs, and the pp/tg definitions for a batch.
#include <gtest/gtest.h>
#include <time.h>

#include "engine/runtime/generate.h"
#include "util/error.h"

using namespace infertrace::engine;

namespace {

// Logits whose argmax is (last token of that sequence + 1 + sequence index) mod vocab; records the
// tokens it was given.
class Scripted final : public BatchEvaluator {
 public:
  explicit Scripted(int64_t n_seq) : n_seq_(n_seq), logits_(n_seq * kVocab) {}
  int64_t n_seq() const override { return n_seq_; }
  int64_t n_vocab() const override { return kVocab; }
  std::span<const float> prefill(std::span<const int32_t> prompt) override {
    prompts.emplace_back(prompt.begin(), prompt.end());
    std::fill(logits_.begin(), logits_.end(), 0.0f);
    logits_[(prompt.back() + 1) % kVocab] = 1.0f;
    return std::span<const float>(logits_).first(kVocab);
  }
  std::span<const float> decode(std::span<const int32_t> tokens) override {
    steps.emplace_back(tokens.begin(), tokens.end());
    std::fill(logits_.begin(), logits_.end(), 0.0f);
    for (int64_t s = 0; s < n_seq_; ++s) logits_[s * kVocab + (tokens[s] + 1 + s) % kVocab] = 1.0f;
    return logits_;
  }
  static constexpr int64_t kVocab = 50;
  std::vector<std::vector<int32_t>> prompts, steps;

 private:
  int64_t n_seq_;
  std::vector<float> logits_;
};

TEST(GenerateBatched, FeedsEachSequenceItsOwnTokens) {
  Scripted ev(3);
  std::vector<Sampler> samplers(3);
  timespec before{}, after{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  const BatchGenerateResult r = generate_batched(ev, {4, 7, 9}, 5, samplers);
  clock_gettime(CLOCK_MONOTONIC, &after);
  // The decode window is on CLOCK_MONOTONIC (a recording's clock), inside the call, as long as decode_s.
  const int64_t b = before.tv_sec * 1'000'000'000LL + before.tv_nsec, e = after.tv_sec * 1'000'000'000LL + after.tv_nsec;
  EXPECT_LE(b, r.decode_start_ns);
  EXPECT_LE(r.decode_start_ns, r.decode_end_ns);
  EXPECT_LE(r.decode_end_ns, e);
  EXPECT_NEAR((r.decode_end_ns - r.decode_start_ns) * 1e-9, r.decode_s, 1e-9);
  ASSERT_EQ(ev.prompts.size(), 1u);  // the prompt is evaluated once for the batch
  EXPECT_EQ(r.n_seq, 3);
  EXPECT_EQ(r.n_prompt, 3);
  EXPECT_EQ(r.n_decode_evals, 4);  // 5 tokens: the first from the prefill's logits
  ASSERT_EQ(ev.steps.size(), 4u);
  for (int64_t s = 0; s < 3; ++s) {
    std::vector<int32_t> want = {10};  // argmax after the prompt's last token 9
    for (int i = 1; i < 5; ++i) want.push_back((want.back() + 1 + static_cast<int32_t>(s)) % Scripted::kVocab);
    EXPECT_EQ(r.outputs[s], want) << "sequence " << s;
  }
  EXPECT_EQ(ev.steps[0], (std::vector<int32_t>{10, 10, 10}));
  if (r.decode_s > 0) {
    EXPECT_DOUBLE_EQ(r.tg(), 3 * 4 / r.decode_s);  // every sequence's tokens count
  }
  if (r.prefill_s > 0) {
    EXPECT_DOUBLE_EQ(r.pp(), 3 / r.prefill_s);  // the prompt counts once
  }
}

TEST(GenerateBatched, OneTokenMeansNoDecodeAndSamplersMustMatch) {
  Scripted ev(2);
  std::vector<Sampler> two(2), one(1);
  const BatchGenerateResult r = generate_batched(ev, {1}, 1, two);
  EXPECT_EQ(r.n_decode_evals, 0);
  EXPECT_EQ(r.tg(), 0.0);
  EXPECT_THROW(generate_batched(ev, {1}, 3, one), infertrace::Error);
  EXPECT_THROW(generate_batched(ev, {}, 3, two), infertrace::Error);
}

}  // namespace
