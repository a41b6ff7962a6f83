// Chunked prefill (serve/scheduler.h, docs/serve.md "Chunked prefill") on the synthetic tiny model:
// a prompt prefilled in pieces gives the logits of one whole prefill; requests with prompts longer
// than the chunk get the tokens they get alone; the decode steps of running requests come between
// the chunks of a long prompt; a request cancelled mid-prefill ends without a token and frees its
// session; a prompt of exactly k chunks takes k chunks; a prompt beyond the context is refused
// before any chunk runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numeric>

#include "engine/cpu/isa.h"
#include "serve/scheduler.h"
#include "serve_scheduler_fixture.h"

using namespace infertrace;
using namespace infertrace::serve;

using ServeChunkedPrefill = sched_test::SchedulerTest;
using sched_test::EngineGate;

namespace {

// A prompt of n tokens, none of them special, different for each `salt`.
std::vector<int32_t> long_prompt(int n, int salt) {
  std::vector<int32_t> p{1};
  for (int k = 1; k < n; ++k) p.push_back(static_cast<int32_t>(7 + 131 * salt + 29 * k) % 1000);
  return p;
}

// The last logits of `prompt` fed to a fresh session of micro-batch `ubatch` in pieces of the
// given sizes (one eval each; their sum is the prompt's length).
std::vector<float> logits_in_pieces(const engine::Model& m, const std::vector<int32_t>& prompt,
                                    const std::vector<int64_t>& pieces, int64_t ubatch) {
  engine::ThreadPool pool(1);
  engine::Session s(m, pool, 256, ubatch);
  std::span<const float> out;
  size_t at = 0;
  for (int64_t n : pieces) {
    out = s.eval(std::span<const int32_t>(prompt).subspan(at, static_cast<size_t>(n)));
    at += static_cast<size_t>(n);
  }
  EXPECT_EQ(at, prompt.size());
  EXPECT_EQ(s.n_past(), static_cast<int64_t>(prompt.size()));
  return {out.begin(), out.end()};
}

}  // namespace

// Session::eval continues from n_past, so a prompt fed in pieces fills the same KV cache. Every
// product of 3 or more token rows takes the register-tiled kernel, whose sum for one (row, token)
// runs in the same order whatever the other tokens of the tile (cpu/simd_kernels.inc.h gemm_n):
// pieces of >= 3 tokens give bit-identical logits. A piece of 1 or 2 tokens takes the one-token
// kernels, whose sums run in another order: equal to float rounding only.
TEST_F(ServeChunkedPrefill, PiecesGiveTheLogitsOfOneEval) {
  const engine::cpu::Isa before = engine::cpu::active_isa();
  for (engine::cpu::Isa isa : {engine::cpu::Isa::Scalar, engine::cpu::Isa::Avx2, engine::cpu::Isa::Avx512}) {
    if (!engine::cpu::isa_supported(isa)) continue;
    engine::cpu::set_active_isa(isa);
    SCOPED_TRACE(engine::cpu::isa_name(isa));
    const std::vector<int32_t> prompt = long_prompt(60, 3);
    const std::vector<float> whole = logits_in_pieces(*model_, prompt, {60}, 256);
    for (const std::vector<int64_t>& pieces :
         std::vector<std::vector<int64_t>>{{16, 16, 16, 12}, {3, 57}, {20, 20, 20}, {7, 30, 23}}) {
      const std::vector<float> got = logits_in_pieces(*model_, prompt, pieces, 256);
      ASSERT_EQ(got.size(), whole.size());
      EXPECT_EQ(std::memcmp(got.data(), whole.data(), got.size() * sizeof(float)), 0) << "pieces of " << pieces[0];
    }
    // The session's own micro-batch split (ubatch 8) is the same kind of cut.
    const std::vector<float> ub8 = logits_in_pieces(*model_, prompt, {60}, 8);  // 8 x 7 + 4
    EXPECT_EQ(std::memcmp(ub8.data(), whole.data(), whole.size() * sizeof(float)), 0);
    // Measured: at most 1.5e-6 against logits of magnitude up to 3.2 (avx512).
    float scale = 0;
    for (float v : whole) scale = std::max(scale, std::fabs(v));
    for (const std::vector<int64_t>& pieces : std::vector<std::vector<int64_t>>{{1, 59}, {29, 2, 29}, {58, 1, 1}}) {
      const std::vector<float> got = logits_in_pieces(*model_, prompt, pieces, 256);
      float worst = 0;
      for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - whole[i]));
      EXPECT_LE(worst, 1e-5f * scale) << "pieces " << pieces[0] << "," << pieces[1];
    }
  }
  engine::cpu::set_active_isa(before);
}

// Prompts of 5 to 100 tokens through chunks of 16 (and of 7, not a divisor of anything here),
// three requests at a time: each gets the tokens engine::generate gives it alone (greedy, and
// seeded sampling), and the stats count every prompt token once.
TEST_F(ServeChunkedPrefill, TokensEqualUnchunkedPrefill) {
  const std::vector<int> lengths{37, 100, 5, 64, 48, 17};
  for (int64_t chunk : {16, 7}) {
    SchedulerOptions o = options(3);
    o.prefill_chunk = chunk;
    Scheduler sched(*model_, {}, o);
    std::vector<CompletionRequest> requests;
    std::vector<std::vector<int32_t>> expected;
    for (size_t i = 0; i < lengths.size(); ++i) {
      const int64_t n = 6 + 3 * static_cast<int64_t>(i);
      requests.push_back(request(long_prompt(lengths[i], static_cast<int>(i)), n, i % 3 == 2 ? 0.7f : 0.0f, 40 + i));
      expected.push_back(alone(requests.back().prompt, n, requests.back().sampling));
    }
    std::vector<std::shared_ptr<TokenStream>> streams;
    for (const CompletionRequest& r : requests) streams.push_back(sched.submit(r));
    int64_t tokens = 0, prompt_tokens = 0, min_chunks = 0;
    for (size_t i = 0; i < streams.size(); ++i) {
      ASSERT_NE(streams[i], nullptr);
      EXPECT_EQ(drain(*streams[i]), expected[i]) << "chunk " << chunk << ", request " << i;
      EXPECT_EQ(streams[i]->finish(), Finish::Length);
      tokens += static_cast<int64_t>(expected[i].size());
      prompt_tokens += lengths[i];
      min_chunks += (lengths[i] + chunk - 1) / chunk;
    }
    sched.stop();
    const SchedulerStats s = sched.stats();
    EXPECT_EQ(s.requests_completed, static_cast<int64_t>(lengths.size()));
    EXPECT_EQ(s.prompt_tokens, prompt_tokens);
    EXPECT_EQ(s.generated_tokens, tokens);
    EXPECT_EQ(s.decode_rows, tokens - static_cast<int64_t>(lengths.size()));
    // A chunk shared by two prompts counts once per prompt, so at least one per chunk of each.
    EXPECT_GE(s.prefill_chunks, min_chunks);
    EXPECT_LE(s.prefill_chunks, min_chunks + static_cast<int64_t>(lengths.size()));
  }
}

// A long prompt arriving while a request decodes is prefilled one chunk per loop, with a decode
// step of the running request between every two chunks. The running request is held in its own
// (one-chunk) prefill until the long one is queued, so both are in the engine from the next loop
// on, and the 300 tokens outlast the long prompt's 8 chunks by construction, not by timing.
TEST_F(ServeChunkedPrefill, DecodeStepsComeBetweenChunks) {
  SchedulerOptions o = options(2);
  o.prefill_chunk = 8;
  Scheduler* self = nullptr;
  EngineGate gate;
  std::mutex mu;
  std::vector<int64_t> steps_at_chunk;  // decode steps so far, at each chunk of the long prompt
  o.on_prefill_chunk = [&](TokenStream&, int64_t, int64_t prompt) {
    if (prompt == 4) gate.hold();
    if (prompt != 64) return;
    std::lock_guard lk(mu);
    steps_at_chunk.push_back(self->stats().decode_steps);
  };
  Scheduler sched(*model_, {}, o);
  const EngineGate::OpensAtExit opens{gate};
  self = &sched;
  auto running = sched.submit(request(long_prompt(4, 9), 300));
  ASSERT_TRUE(gate.reached()) << "the engine never prefilled the running request";
  auto long_one = sched.submit(request(long_prompt(64, 10), 4));
  gate.open();  // the running request's first token, a decode step, then the long one is admitted
  EXPECT_EQ(drain(*long_one), alone(long_prompt(64, 10), 4, {0.0f}));
  running->cancel();
  drain(*running);
  sched.stop();
  std::lock_guard lk(mu);
  ASSERT_EQ(steps_at_chunk.size(), 8u);
  for (size_t i = 1; i < steps_at_chunk.size(); ++i) EXPECT_EQ(steps_at_chunk[i], steps_at_chunk[i - 1] + 1);
}

// Cancelled after 2 of its 10 chunks: the request ends cancelled without a token, runs no further
// chunk, only its prefilled tokens count, and the next request on the same (only) session gets
// its own tokens.
TEST_F(ServeChunkedPrefill, CancelMidPrefill) {
  SchedulerOptions o = options(1);
  o.prefill_chunk = 4;
  std::mutex mu;
  std::vector<int64_t> seen;  // prefilled counts reported for the 40-token prompt
  o.on_prefill_chunk = [&](TokenStream& s, int64_t prefilled, int64_t prompt) {
    if (prompt != 40) return;
    std::lock_guard lk(mu);
    seen.push_back(prefilled);
    if (prefilled == 8) s.cancel();
  };
  Scheduler sched(*model_, {}, o);
  auto b = sched.submit(request(long_prompt(40, 4), 5));
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(drain(*b).empty());
  EXPECT_EQ(b->finish(), Finish::Cancelled);
  auto c = sched.submit(request(long_prompt(23, 5), 6));
  EXPECT_EQ(drain(*c), alone(long_prompt(23, 5), 6, {0.0f}));
  sched.stop();
  const SchedulerStats s = sched.stats();
  EXPECT_EQ(s.requests_cancelled, 1);
  EXPECT_EQ(s.requests_completed, 1);
  EXPECT_EQ(s.prompt_tokens, 8 + 23);
  EXPECT_EQ(s.prefill_chunks, 2 + 6);  // 23 tokens: 5 chunks of 4 and one of 3
  EXPECT_EQ(s.generated_tokens, 6);
  std::lock_guard lk(mu);
  EXPECT_EQ(seen, (std::vector<int64_t>{4, 8}));
}

// A prompt of exactly 3 chunks takes 3 chunks (no empty fourth), its first token comes from the
// third; with max_tokens 1 that first token ends it and no decode step runs.
TEST_F(ServeChunkedPrefill, PromptOfExactlyThreeChunks) {
  SchedulerOptions o = options(1);
  o.prefill_chunk = 12;
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> seen;
  o.on_prefill_chunk = [&](TokenStream&, int64_t prefilled, int64_t prompt) {
    std::lock_guard lk(mu);
    seen.emplace_back(prefilled, prompt);
  };
  Scheduler sched(*model_, {}, o);
  const std::vector<int32_t> p = long_prompt(36, 6);
  auto one = sched.submit(request(p, 1));
  EXPECT_EQ(drain(*one), alone(p, 1, {0.0f}));
  EXPECT_EQ(one->finish(), Finish::Length);
  EXPECT_EQ(sched.stats().decode_steps, 0);
  auto more = sched.submit(request(p, 9));
  EXPECT_EQ(drain(*more), alone(p, 9, {0.0f}));
  sched.stop();
  const SchedulerStats s = sched.stats();
  EXPECT_EQ(s.prefill_chunks, 6);
  EXPECT_EQ(s.prompt_tokens, 72);
  EXPECT_EQ(s.decode_steps, 8);
  std::lock_guard lk(mu);
  using Seen = std::vector<std::pair<int64_t, int64_t>>;
  const Seen chunks{{12, 36}, {24, 36}, {36, 36}};
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(Seen(seen.begin(), seen.begin() + 3), chunks);
  EXPECT_EQ(Seen(seen.begin() + 3, seen.end()), chunks);
}

// A prompt longer than a session is refused when admitted, before any chunk runs; 0 (no bound)
// and a negative chunk are the documented values.
TEST_F(ServeChunkedPrefill, ContextAndOptions) {
  SchedulerOptions o = options(1);
  o.ctx = 32;
  o.prefill_chunk = 8;
  Scheduler sched(*model_, {}, o);
  auto too_long = sched.submit(request(long_prompt(40, 7), 2));
  EXPECT_TRUE(drain(*too_long).empty());
  EXPECT_EQ(too_long->finish(), Finish::Error);
  EXPECT_NE(too_long->error().find("40 tokens"), std::string::npos) << too_long->error();
  auto fits = sched.submit(request(long_prompt(30, 7), 2));
  EXPECT_EQ(drain(*fits), alone(long_prompt(30, 7), 2, {0.0f}));
  sched.stop();
  EXPECT_EQ(sched.stats().requests_failed, 1);
  EXPECT_EQ(sched.stats().prompt_tokens, 30);

  SchedulerOptions whole = options(1);
  whole.prefill_chunk = 0;  // each prompt in one eval
  Scheduler unchunked(*model_, {}, whole);
  auto r = unchunked.submit(request(long_prompt(50, 8), 3));
  EXPECT_EQ(drain(*r), alone(long_prompt(50, 8), 3, {0.0f}));
  unchunked.stop();
  EXPECT_EQ(unchunked.stats().prefill_chunks, 1);

  SchedulerOptions bad = options(1);
  bad.prefill_chunk = -1;
  EXPECT_ANY_THROW(Scheduler(*model_, {}, bad));
}
