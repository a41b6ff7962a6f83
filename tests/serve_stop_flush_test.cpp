// Text the stop-string matcher holds back must still reach the client when the request ends for
// another reason (max_tokens, end-of-generation), and a stop counts as a completed request. Token
// texts are "<id>" and the stop string "><never" never occurs, but every text's closing ">" is a
// prefix of it, so the matcher holds that byte until the next token (docs/serve.md "Stop strings").
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "serve_scheduler_fixture.h"

namespace infertrace::serve::sched_test {

namespace {

std::string piece_of(int32_t id) { return "<" + std::to_string(id) + ">"; }

std::string texts_of(TokenStream& s) {
  std::vector<int32_t> tokens;
  std::vector<std::string> texts;
  while (!s.take(tokens, std::chrono::milliseconds(1000), &texts)) {
  }
  std::string all;
  for (const std::string& t : texts) all += t;
  return all;
}

}  // namespace

class ServeStopFlush : public SchedulerTest {};

// Ending at max_tokens releases the held ">": the text is every token's whole text.
TEST_F(ServeStopFlush, LengthReleasesTheHeldText) {
  const std::vector<int32_t> full = alone(prompt_of(2), 8, {0.0f});
  std::string expected;
  for (int32_t t : full) expected += piece_of(t);
  SchedulerOptions o = options(1);
  o.token_text = piece_of;
  Scheduler sched(*model_, {}, o);
  CompletionRequest r = request(prompt_of(2), 8);
  r.stop = {"><never"};
  auto a = sched.submit(r);
  EXPECT_EQ(texts_of(*a), expected);
  EXPECT_EQ(a->finish(), Finish::Length);
}

// Ending at an end-of-generation token releases the held ">" before that token's own text; the
// stop counts as completed, not failed.
TEST_F(ServeStopFlush, EndOfGenerationReleasesTheHeldTextAndCountsCompleted) {
  const std::vector<int32_t> full = alone(prompt_of(1), 12, {0.0f});
  const int32_t eog = full[4];
  const size_t first = static_cast<size_t>(std::find(full.begin(), full.end(), eog) - full.begin());
  // At index 0 nothing would be held back before it, and the test would check nothing.
  ASSERT_GE(first, 1u) << "the end-of-generation token is the first token: pick another index";
  std::string expected;
  for (size_t k = 0; k <= first; ++k) expected += piece_of(full[k]);
  SchedulerOptions o = options(1);
  o.token_text = piece_of;
  Scheduler sched(*model_, [eog](int32_t id) { return id == eog; }, o);
  CompletionRequest r = request(prompt_of(1), 12);
  r.ignore_eos = false;
  r.stop = {"><never"};
  auto a = sched.submit(r);
  EXPECT_EQ(texts_of(*a), expected);
  EXPECT_EQ(a->finish(), Finish::Stop);
  sched.stop();
  EXPECT_EQ(sched.stats().requests_completed, 1);
  EXPECT_EQ(sched.stats().requests_failed, 0);
}

}  // namespace infertrace::serve::sched_test
