// generate()'s counting and stop rules (generate.h, metrics.md section 6) on a fake evaluator whose
// logits make the greedy next token "last token + 1": the expected tokens and eval calls follow by
// hand. n_predict tokens come out, the first from the prefill's logits, so n_predict - 1 decode
// evals (what tg divides by); an end-of-generation token stops the run right after it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "engine/runtime/evaluator.h"
#include "engine/runtime/generate.h"
#include "engine/runtime/sampler.h"

using namespace infertrace::engine;

namespace {

class Counter : public Evaluator {
 public:
  std::vector<std::vector<int32_t>> calls;  // the tokens of each eval, in order
  std::span<const float> eval(std::span<const int32_t> tokens) override {
    calls.emplace_back(tokens.begin(), tokens.end());
    logits_.assign(kVocab, 0.0f);
    logits_[static_cast<size_t>((tokens.back() + 1) % kVocab)] = 1.0f;
    return logits_;
  }
  static constexpr int32_t kVocab = 10;

 private:
  std::vector<float> logits_;
};

// Counter that sleeps in each eval (the prompt's longer than a decode step) and notes when each eval
// began and ended on CLOCK_MONOTONIC: the timing windows generate() reports must contain exactly
// the right evals.
class TimedCounter : public Counter {
 public:
  std::vector<int64_t> begin_ns, end_ns;
  std::span<const float> eval(std::span<const int32_t> tokens) override {
    begin_ns.push_back(now_ns());
    std::this_thread::sleep_for(std::chrono::milliseconds(tokens.size() > 1 ? 60 : 15));
    const auto logits = Counter::eval(tokens);
    end_ns.push_back(now_ns());
    return logits;
  }
  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

TEST(GenerateRules, TimingWindowsHoldThePrefillAndTheDecodeEvalsApart) {
  TimedCounter ev;
  Sampler greedy;
  const GenerateResult r = generate(ev, {3, 4, 5}, 5, greedy);
  ASSERT_EQ(ev.begin_ns.size(), 5u);  // the prefill and four decode evals
  // The prefill's seconds cover its eval and end before the decode window opens.
  EXPECT_GE(r.prefill_s, (ev.end_ns[0] - ev.begin_ns[0]) * 1e-9);
  EXPECT_GE(r.prefill_s, 0.060);
  EXPECT_GE(r.decode_start_ns, ev.end_ns[0]);
  // The decode window holds the four decode evals (at least 4 x 15 ms) and nothing of the prefill.
  EXPECT_LE(r.decode_start_ns, ev.begin_ns[1]);
  EXPECT_GE(r.decode_end_ns, ev.end_ns[4]);
  EXPECT_GE(r.decode_s, 4 * 0.015);
  EXPECT_NEAR(r.decode_s, (r.decode_end_ns - r.decode_start_ns) * 1e-9, 1e-9);
  // tg: decode evals (not tokens: the first came from the prefill) per decode second; pp: prompt
  // tokens per prefill second.
  EXPECT_DOUBLE_EQ(r.tg(), 4 / r.decode_s);
  EXPECT_DOUBLE_EQ(r.pp(), 3 / r.prefill_s);
}

// engine run's text output prints each token from on_token, inside the decode loop: its time is
// not the decode's (review SB L6: a pipe whose reader lags dragged tg down). An on_token that takes
// 0.5 s a token, 20 times inside the window (10 s), against instant evals: decode_s stays under
// 5 s (it is about 0), where counting the printing would make it at least 10 s. The decode
// window keeps its bounds around both.
TEST(GenerateRules, OnTokenTimeIsNotDecodeTime) {
  Counter ev;
  Sampler greedy;
  std::vector<int32_t> seen;
  const GenerateResult r = generate(ev, {3}, 21, greedy, {}, [&](int32_t t) {
    seen.push_back(t);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  });
  ASSERT_EQ(r.n_decode_evals, 20);
  EXPECT_EQ(seen, r.output);  // every token, the prefill's first included, as it is chosen
  EXPECT_GE(r.on_token_s, 20 * 0.5);
  EXPECT_LT(r.decode_s, 5.0);
  EXPECT_DOUBLE_EQ(r.tg(), 20 / r.decode_s);
  EXPECT_NEAR((r.decode_end_ns - r.decode_start_ns) * 1e-9, r.decode_s + r.on_token_s, 1e-6);
}

TEST(GenerateRules, NTokensOutAndOneDecodeEvalPerTokenAfterTheFirst) {
  Counter ev;
  Sampler greedy;
  const GenerateResult r = generate(ev, {3, 4}, 5, greedy);
  EXPECT_EQ(r.output, (std::vector<int32_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(r.n_prompt, 2);
  EXPECT_EQ(r.n_decode_evals, 4);  // the first token came from the prefill: not a decode eval
  EXPECT_EQ(ev.calls, (std::vector<std::vector<int32_t>>{{3, 4}, {5}, {6}, {7}, {8}}));
  EXPECT_FALSE(r.stopped_at_eog);
  EXPECT_GT(r.tg(), 0.0);
}

TEST(GenerateRules, StopsRightAfterAnEndOfGenerationToken) {
  Counter ev;
  Sampler greedy;
  const GenerateResult r = generate(ev, {3, 4}, 5, greedy, [](int32_t t) { return t == 7; });
  EXPECT_EQ(r.output, (std::vector<int32_t>{5, 6, 7}));
  EXPECT_EQ(r.n_decode_evals, 2);
  EXPECT_EQ(ev.calls.size(), 3u);
  EXPECT_TRUE(r.stopped_at_eog);
  // The same run without the stop rule (ignore-eos) goes on to n tokens.
  Counter all;
  const GenerateResult g = generate(all, {3, 4}, 5, greedy, {});
  EXPECT_EQ(g.output.size(), 5u);
  EXPECT_FALSE(g.stopped_at_eog);
}

TEST(GenerateRules, OneTokenHasNoDecodeAndNoTg) {
  Counter ev;
  Sampler greedy;
  const GenerateResult r = generate(ev, {3}, 1, greedy);
  EXPECT_EQ(r.output, (std::vector<int32_t>{4}));
  EXPECT_EQ(r.n_decode_evals, 0);
  EXPECT_EQ(r.tg(), 0.0);
  EXPECT_EQ(ev.calls.size(), 1u);
  Counter none;
  EXPECT_TRUE(generate(none, {3}, 0, greedy).output.empty());
}
