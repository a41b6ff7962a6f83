// The continuous-batching scheduler (serve/scheduler.h) on a synthetic tiny model: every request,
// batched with others and admitted at different times, gets exactly the tokens engine::generate
// gives it alone on its own Session (greedy and seeded sampling); end-of-generation, cancellation,
// the queue bound and stop() behave as docs/serve.md says.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <thread>

#include "engine/gguf/gguf.h"
#include "serve/scheduler.h"
#include "serve_scheduler_fixture.h"

using namespace infertrace;
using namespace infertrace::serve;

using ServeScheduler = sched_test::SchedulerTest;
using sched_test::EngineGate;
using sched_test::prompt_of;

// Six requests of different prompts, lengths and samplers through a batch of 3: the later ones are
// admitted while earlier ones are mid-generation, so batches mix sequences at different positions.
//
// The first request is held in its prefill until all six are queued: submitted back to back they
// could still meet one at a time on a loaded machine (the engine finishing each before the test
// thread submits the next), and the batch would never hold two (seen in CI: mean batch 1).
TEST_F(ServeScheduler, BatchedRequestsGetTheirOwnTokens) {
  EngineGate gate;
  SchedulerOptions o = options(3);
  const size_t first_prompt = prompt_of(0).size();
  o.on_prefill_chunk = [&](TokenStream&, int64_t, int64_t prompt) {
    if (static_cast<size_t>(prompt) == first_prompt) gate.hold();
  };
  Scheduler sched(*model_, {}, o);
  const EngineGate::OpensAtExit opens{gate};
  std::vector<std::shared_ptr<TokenStream>> streams;
  std::vector<std::vector<int32_t>> expected;
  std::vector<CompletionRequest> requests;
  for (int i = 0; i < 6; ++i) {
    const int64_t n = 5 + 7 * i;
    requests.push_back(request(prompt_of(i), n, i % 2 ? 0.8f : 0.0f, 100 + i));
    expected.push_back(alone(requests.back().prompt, n, requests.back().sampling));
  }
  // Submitted back to back (expected values first) while the first is held, so they meet in the batch.
  for (const CompletionRequest& r : requests) {
    streams.push_back(sched.submit(r));
    ASSERT_NE(streams.back(), nullptr);
  }
  ASSERT_TRUE(gate.reached()) << "the engine never prefilled the first request";
  gate.open();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(drain(*streams[i]), expected[i]) << "request " << i;
    EXPECT_EQ(streams[i]->finish(), Finish::Length);
    EXPECT_EQ(streams[i]->prompt_tokens(), static_cast<int64_t>(prompt_of(i).size()));
  }
  sched.stop();
  const SchedulerStats s = sched.stats();
  EXPECT_EQ(s.requests_completed, 6);
  int64_t tokens = 0, prompt_tokens = 0;
  for (int i = 0; i < 6; ++i) tokens += 5 + 7 * i, prompt_tokens += static_cast<int64_t>(prompt_of(i).size());
  EXPECT_EQ(s.generated_tokens, tokens);
  EXPECT_EQ(s.prompt_tokens, prompt_tokens);
  // Every token but each request's first comes from a decode step row.
  EXPECT_EQ(s.decode_rows, tokens - 6);
  EXPECT_GT(s.mean_batch(), 1.0);
  EXPECT_LE(s.mean_batch(), 3.0);
}

// The same on a qwen2 model (q/k/v biases) with Q8_0 weights: the scheduler's prompt pieces take
// the int8 prompt path and its decode steps BatchDecoder's rows, and each request still gets the
// tokens it gets alone.
TEST_F(ServeScheduler, Qwen2BatchedRequestsGetTheirOwnTokens) {
  const std::string path = path_ + ".qwen2.gguf";
  engine::SynthOptions so;
  so.dtype = gguf::GgmlType::Q8_0;
  so.seed = 9;
  so.threads = 1;
  engine::synth_model(engine::find_preset("tiny-qwen2"), so, path);
  const auto model = engine::Model::load(path);
  std::filesystem::remove(path);  // the mapping stays valid
  EngineGate gate;
  SchedulerOptions o = options(3);
  const size_t first_prompt = prompt_of(0).size();
  o.on_prefill_chunk = [&](TokenStream&, int64_t, int64_t prompt) {
    if (static_cast<size_t>(prompt) == first_prompt) gate.hold();
  };
  Scheduler sched(*model, {}, o);
  const EngineGate::OpensAtExit opens{gate};
  std::vector<std::shared_ptr<TokenStream>> streams;
  std::vector<std::vector<int32_t>> expected;
  for (int i = 0; i < 4; ++i) {
    const CompletionRequest r = request(prompt_of(i), 6 + 5 * i, i % 2 ? 0.8f : 0.0f, 200 + i);
    expected.push_back(alone(r.prompt, r.max_tokens, r.sampling, model.get()));
    streams.push_back(sched.submit(r));
    ASSERT_NE(streams.back(), nullptr);
  }
  ASSERT_TRUE(gate.reached()) << "the engine never prefilled the first request";
  gate.open();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(drain(*streams[i]), expected[i]) << "request " << i;
  sched.stop();
  EXPECT_GT(sched.stats().mean_batch(), 1.0);
}

// A request stops after an end-of-generation token unless it ignores them.
TEST_F(ServeScheduler, EndOfGeneration) {
  const std::vector<int32_t> full = alone(prompt_of(1), 12, {0.0f});
  const int32_t eog = full[4];
  const size_t first = static_cast<size_t>(std::find(full.begin(), full.end(), eog) - full.begin());
  Scheduler sched(*model_, [eog](int32_t id) { return id == eog; }, options(2));
  CompletionRequest stops = request(prompt_of(1), 12);
  stops.ignore_eos = false;
  auto a = sched.submit(stops);
  auto b = sched.submit(request(prompt_of(1), 12));
  EXPECT_EQ(drain(*a), std::vector<int32_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(first) + 1));
  EXPECT_EQ(a->finish(), Finish::Stop);
  EXPECT_EQ(drain(*b), full);
  EXPECT_EQ(b->finish(), Finish::Length);
}

// With max_batch 1 and max_queue 1, a third request in the system is refused; a cancelled one ends
// as cancelled and frees its place; the next request still gets the right tokens. The first request
// is held in its prefill (EngineGate) until both are cancelled: it cannot end by length first,
// however late this thread runs.
TEST_F(ServeScheduler, QueueBoundAndCancel) {
  EngineGate gate;
  SchedulerOptions o = options(1, 1);
  const size_t first_prompt = prompt_of(0).size();
  o.on_prefill_chunk = [&](TokenStream&, int64_t, int64_t prompt) {
    if (static_cast<size_t>(prompt) == first_prompt) gate.hold();
  };
  Scheduler sched(*model_, {}, o);
  const EngineGate::OpensAtExit opens{gate};
  auto a = sched.submit(request(prompt_of(0), 400));
  auto b = sched.submit(request(prompt_of(1), 400));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(gate.reached()) << "the engine never prefilled the first request";
  EXPECT_EQ(sched.submit(request(prompt_of(2), 4)), nullptr);
  b->cancel();  // waiting: dropped when it would be admitted
  a->cancel();  // active (in its prefill): dropped before the next step
  gate.open();
  drain(*a);
  drain(*b);
  EXPECT_EQ(a->finish(), Finish::Cancelled);
  EXPECT_EQ(b->finish(), Finish::Cancelled);
  auto c = sched.submit(request(prompt_of(2), 6));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(drain(*c), alone(prompt_of(2), 6, {0.0f}));
  sched.stop();
  EXPECT_EQ(sched.stats().requests_cancelled, 2);
  EXPECT_EQ(sched.stats().requests_completed, 1);
}

// stop() ends everything in flight or waiting as cancelled, and later submissions are refused.
// The first request is held in its prefill until stop() has begun (stop() joins the engine thread,
// so the hook itself waits for stopping()), so neither can have finished on a fast machine: the
// waiting one must end cancelled, the active one cancelled at its next step.
TEST_F(ServeScheduler, StopCancelsEverything) {
  SchedulerOptions o = options(1, 4);
  const size_t first_prompt = prompt_of(0).size();
  std::atomic<Scheduler*> running{nullptr};
  std::atomic<bool> held{false};
  o.on_prefill_chunk = [&](TokenStream&, int64_t, int64_t prompt) {
    if (static_cast<size_t>(prompt) != first_prompt) return;
    held = true;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      if (Scheduler* s = running.load(); s && s->stopping()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  Scheduler sched(*model_, {}, o);
  running = &sched;
  auto a = sched.submit(request(prompt_of(0), 400));
  auto b = sched.submit(request(prompt_of(1), 400));
  for (int i = 0; i < 60'000 && !held; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(held) << "the engine never prefilled the first request";
  EXPECT_FALSE(sched.stopping());
  sched.stop();
  EXPECT_TRUE(sched.stopping());  // /health answers 503 from here
  drain(*a);
  drain(*b);
  EXPECT_EQ(a->finish(), Finish::Cancelled);
  EXPECT_EQ(b->finish(), Finish::Cancelled);
  EXPECT_EQ(sched.submit(request(prompt_of(2), 4)), nullptr);
}

// drain() (serve --drain-timeout): from its call new requests are refused, while the requests
// already in, the active one held in its prefill and one queued behind it (--max-batch 1), go on
// to their last token, each exactly as alone; drain returns 0 once both have ended, not before.
TEST_F(ServeScheduler, DrainLetsRequestsInFlightFinish) {
  EngineGate gate;
  SchedulerOptions o = options(1, 4);
  const size_t first_prompt = prompt_of(0).size();
  o.on_prefill_chunk = [&](TokenStream&, int64_t, int64_t prompt) {
    if (static_cast<size_t>(prompt) == first_prompt) gate.hold();
  };
  Scheduler sched(*model_, {}, o);
  const EngineGate::OpensAtExit opens{gate};
  auto a = sched.submit(request(prompt_of(0), 30));
  auto b = sched.submit(request(prompt_of(1), 20));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(gate.reached()) << "the engine never prefilled the first request";
  EXPECT_EQ(sched.start_draining(), 2);  // the count the server prints: taken as new ones are refused
  EXPECT_TRUE(sched.stopping());         // /health answers 503 from here
  std::atomic<int64_t> left{-1};
  std::thread drainer([&] { left = sched.drain(std::chrono::steady_clock::now() + std::chrono::seconds(120)); });
  EXPECT_EQ(sched.submit(request(prompt_of(2), 4)), nullptr);
  EXPECT_EQ(sched.in_system(), 2);  // the held request cannot have ended: drain is still waiting
  EXPECT_EQ(left.load(), -1);
  gate.open();
  drainer.join();
  EXPECT_EQ(left.load(), 0);
  EXPECT_EQ(drain(*a), alone(prompt_of(0), 30, {0.0f}));
  EXPECT_EQ(drain(*b), alone(prompt_of(1), 20, {0.0f}));
  EXPECT_EQ(a->finish(), Finish::Length);
  EXPECT_EQ(b->finish(), Finish::Length);
  sched.stop();
  EXPECT_EQ(sched.stats().requests_completed, 2);
  EXPECT_EQ(sched.stats().requests_cancelled, 0);
}

// A drain whose deadline passes first returns how many were left and has the engine thread stop
// at its next loop: the held request gets at most the tokens of the loop it is in, the queued one
// none, and both end cancelled once stop() follows.
TEST_F(ServeScheduler, DrainDeadlineCutsTheRest) {
  EngineGate gate;
  SchedulerOptions o = options(1, 4);
  const size_t first_prompt = prompt_of(0).size();
  o.on_prefill_chunk = [&](TokenStream&, int64_t, int64_t prompt) {
    if (static_cast<size_t>(prompt) == first_prompt) gate.hold();
  };
  Scheduler sched(*model_, {}, o);
  const EngineGate::OpensAtExit opens{gate};
  auto a = sched.submit(request(prompt_of(0), 400));
  auto b = sched.submit(request(prompt_of(1), 400));
  ASSERT_TRUE(gate.reached()) << "the engine never prefilled the first request";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(sched.drain(t0 + std::chrono::milliseconds(300)), 2);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  gate.open();
  sched.stop();
  EXPECT_LE(drain(*a).size(), 2u);  // the prompt's first token and one decode step's, at most
  EXPECT_TRUE(drain(*b).empty());
  EXPECT_EQ(a->finish(), Finish::Cancelled);
  EXPECT_EQ(b->finish(), Finish::Cancelled);
  EXPECT_EQ(sched.stats().requests_completed, 0);
  EXPECT_EQ(sched.stats().requests_cancelled, 2);
}

// Options the scheduler cannot run with are usage errors, not a hang.
TEST_F(ServeScheduler, BadOptions) {
  EXPECT_ANY_THROW(Scheduler(*model_, {}, options(0)));
  EXPECT_ANY_THROW(Scheduler(*model_, {}, options(1, -1)));
  SchedulerOptions o = options(1);
  o.cpus = {100000};  // the pool cannot pin there: the engine thread's error reaches the caller
  EXPECT_ANY_THROW(Scheduler(*model_, {}, o));
}

// A decode row whose logits are NaN (review EG L1: greedy used to emit token 0 from them) ends its
// own request with the error and no token; the other request of the step gets its tokens. The
// model is the suite's with one embedding row set to NaN: the row of the token greedy emits first
// for request A (tiny-qwen3's output weights are separate, so A's prompt logits stay finite), so A's
// first decode step, and only that, computes NaN.
TEST_F(ServeScheduler, ARowWithNonFiniteLogitsEndsItsRequestAlone) {
  const std::vector<int32_t> a_prompt = prompt_of(1), b_prompt = prompt_of(2);
  const std::vector<int32_t> a_full = alone(a_prompt, 6, {0.0f});
  const int32_t poisoned = a_full[0];
  const std::vector<int32_t> b_full = alone(b_prompt, 6, {0.0f});
  ASSERT_EQ(std::count(a_prompt.begin(), a_prompt.end(), poisoned), 0);
  ASSERT_EQ(std::count(b_prompt.begin(), b_prompt.end(), poisoned), 0);
  ASSERT_EQ(std::count(b_full.begin(), b_full.end(), poisoned), 0) << "pick prompts that do not meet the poisoned token";

  std::vector<uint8_t> bytes;
  {
    std::ifstream in(path_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    const gguf::File f = gguf::File::from_memory(bytes);
    const gguf::TensorInfo* e = f.find_tensor("token_embd.weight");
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->type, gguf::GgmlType::F32);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int64_t c = 0; c < e->ne[0]; ++c)
      std::memcpy(bytes.data() + e->file_offset + (static_cast<uint64_t>(poisoned) * e->ne[0] + c) * 4, &nan, 4);
  }
  const std::string path = path_ + ".nan.gguf";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const auto model = engine::Model::load(path);
  std::filesystem::remove(path);  // the mapping stays valid

  Scheduler sched(*model, {}, options(2));
  auto a = sched.submit(request(a_prompt, 6));
  auto b = sched.submit(request(b_prompt, 6));
  EXPECT_EQ(drain(*a), std::vector<int32_t>{poisoned});
  EXPECT_EQ(a->finish(), Finish::Error);
  EXPECT_NE(a->error().find("logits are not finite"), std::string::npos) << a->error();
  EXPECT_EQ(drain(*b), b_full);
  EXPECT_EQ(b->finish(), Finish::Length);
  // The engine thread lives on: a third request is served.
  auto c = sched.submit(request(b_prompt, 3));
  EXPECT_EQ(drain(*c), std::vector<int32_t>(b_full.begin(), b_full.begin() + 3));
  sched.stop();
}
