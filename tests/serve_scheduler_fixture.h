// The synthetic tiny model and helpers the scheduler tests share (serve_scheduler_test.cpp,
// serve_chunked_prefill_test.cpp): what a request generates alone, request and option builders.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/model/forward.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/runtime/generate.h"
#include "engine/runtime/thread_pool.h"
#include "serve/scheduler.h"

namespace infertrace::serve::sched_test {

class SchedulerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = (std::filesystem::temp_directory_path() / ("infertrace_serve_" + std::to_string(getpid()) + ".gguf"))
                .string();
    engine::SynthOptions o;
    o.dtype = gguf::GgmlType::F32;
    o.seed = 5;
    o.threads = 1;
    engine::synth_model(engine::find_preset("tiny-qwen3"), o, path_);
    model_ = engine::Model::load(path_).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    std::filesystem::remove(path_);
  }

  // What one request generates alone: a fresh session, engine::generate, no stop at any token.
  // `model`: another model than the suite's (nullptr: the suite's tiny-qwen3).
  static std::vector<int32_t> alone(const std::vector<int32_t>& prompt, int64_t n, engine::SamplerOptions s,
                                    const engine::Model* model = nullptr) {
    engine::ThreadPool pool(1);
    engine::Session session(model ? *model : *model_, pool, static_cast<int64_t>(prompt.size()) + n);
    engine::Sampler sampler(s);
    return engine::generate(session, prompt, n, sampler).output;
  }

  static CompletionRequest request(std::vector<int32_t> prompt, int64_t n, float temperature = 0, uint64_t seed = 1) {
    CompletionRequest r;
    r.prompt = std::move(prompt);
    r.max_tokens = n;
    r.sampling.temperature = temperature;
    r.sampling.seed = seed;
    r.ignore_eos = true;
    return r;
  }

  static std::vector<int32_t> drain(TokenStream& s) {
    std::vector<int32_t> out;
    while (!s.take(out, std::chrono::milliseconds(1000))) {
    }
    return out;
  }

  static SchedulerOptions options(int max_batch, int max_queue = 16) {
    SchedulerOptions o;
    o.threads = 1;
    o.ctx = 512;
    o.max_batch = max_batch;
    o.max_queue = max_queue;
    return o;
  }

  static inline std::string path_;
  static inline engine::Model* model_ = nullptr;
};

// Holds the engine thread inside a test hook (SchedulerOptions::on_prefill_chunk) until the test
// opens it, so that "this request is still running" is a fact, not a bet on how fast the tiny
// model generates on a loaded machine. The hook calls hold(); the test waits for reached(), does
// what needs the request in flight, then opens. Open it before the Scheduler is destroyed (its
// stop() joins the engine thread): `OpensAtExit` declared after the Scheduler does that even when a
// failed ASSERT leaves the test early.
class EngineGate {
 public:
  void hold() {
    std::unique_lock lk(mu_);
    reached_ = true;
    cv_.notify_all();
    cv_.wait(lk, [&] { return open_; });
  }
  // True once the engine thread is in hold(); false after `timeout` without it.
  bool reached(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return reached_; });
  }
  void open() {
    {
      std::lock_guard lk(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

  struct OpensAtExit {
    EngineGate& gate;
    ~OpensAtExit() { gate.open(); }
  };

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool reached_ = false, open_ = false;
};

inline std::vector<int32_t> prompt_of(int i) {
  std::vector<int32_t> p{1};
  for (int k = 0; k < 3 + 2 * i; ++k) p.push_back(static_cast<int32_t>(10 + 37 * i + 11 * k) % 1000);
  return p;
}


}  // namespace infertrace::serve::sched_test
