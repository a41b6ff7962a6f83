#include "serve/scheduler.h"

#include <algorithm>

#include "engine/runtime/sampler.h"
#include "engine/runtime/thread_pool.h"
#include "engine/model/batch_decode.h"
#include "util/error.h"

namespace infertrace::serve {

struct Scheduler::Active {
  std::shared_ptr<TokenStream> stream;
  int64_t max_tokens = 0, n_generated = 0;
  bool ignore_eos = false;
  engine::Session* session = nullptr;
  engine::Sampler sampler;
  int32_t last = -1;  // the token the next decode step appends
};

Scheduler::Scheduler(const engine::Model& model, std::function<bool(int32_t)> is_eog, SchedulerOptions options)
    : model_(model), is_eog_(std::move(is_eog)), opt_(std::move(options)) {
  if (opt_.max_batch < 1) throw UsageError("--max-batch must be >= 1");
  if (opt_.max_queue < 0) throw UsageError("--max-queue must be >= 0");
  if (opt_.threads < 1) throw UsageError("--threads must be >= 1");
  thread_ = std::thread([this] { run(); });
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return started_ || start_error_; });
  if (start_error_) {
    lk.unlock();
    thread_.join();
    std::rethrow_exception(start_error_);
  }
}

Scheduler::~Scheduler() { stop(); }

std::shared_ptr<TokenStream> Scheduler::submit(CompletionRequest request) {
  auto stream = std::make_shared<TokenStream>(static_cast<int64_t>(request.prompt.size()));
  {
    std::lock_guard lk(mu_);
    if (stopping_ || in_system_ >= opt_.max_batch + opt_.max_queue) return nullptr;
    ++in_system_;
    waiting_.push_back({std::move(request), stream});
  }
  cv_.notify_all();
  return stream;
}

void Scheduler::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void Scheduler::count_end(Finish finish) {
  std::lock_guard lk(mu_);
  --in_system_;
  if (finish == Finish::Length || finish == Finish::Stop) ++stats_.requests_completed;
  else if (finish == Finish::Cancelled) ++stats_.requests_cancelled;
  else ++stats_.requests_failed;
}

bool Scheduler::emit(Active& a, int32_t token) {
  ++a.n_generated;
  a.last = token;
  Finish f = Finish::None;
  if (!a.ignore_eos && is_eog_ && is_eog_(token)) f = Finish::Stop;
  else if (a.n_generated >= a.max_tokens) f = Finish::Length;
  a.stream->push(token, f);
  {
    std::lock_guard lk(mu_);
    ++stats_.generated_tokens;
  }
  if (f != Finish::None) count_end(f);
  return f != Finish::None;
}

void Scheduler::run() {
  std::unique_ptr<engine::ThreadPool> pool;
  std::vector<std::unique_ptr<engine::Session>> sessions;
  try {
    pool = std::make_unique<engine::ThreadPool>(opt_.threads, opt_.cpus);
    for (int i = 0; i < opt_.max_batch; ++i)
      sessions.push_back(std::make_unique<engine::Session>(model_, *pool, opt_.ctx, opt_.ubatch, opt_.placement));
  } catch (...) {
    std::lock_guard lk(mu_);
    start_error_ = std::current_exception();
    cv_.notify_all();
    return;
  }
  std::vector<engine::Session*> free_sessions;
  for (auto& s : sessions) free_sessions.push_back(s.get());
  {
    std::lock_guard lk(mu_);
    started_ = true;
  }
  cv_.notify_all();

  // Every weight product once per step for all active requests (docs/engine.md "Batched decode step").
  engine::BatchDecoder decode(model_, *pool, opt_.max_batch);
  const size_t n_vocab = static_cast<size_t>(model_.config().n_vocab);
  std::vector<Active> active;
  std::vector<engine::Session*> step_sessions;
  std::vector<int32_t> step_tokens;
  // Ends active request i without a token (cancelled, or an engine error) and frees its session.
  auto drop = [&](size_t i, Finish f, const std::string& error) {
    active[i].stream->end(f, error);
    count_end(f);
    free_sessions.push_back(active[i].session);
    active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
  };

  for (;;) {
    std::vector<Waiting> admitted;
    {
      std::unique_lock lk(mu_);
      if (active.empty()) cv_.wait(lk, [&] { return stopping_ || !waiting_.empty(); });
      if (stopping_) break;
      while (active.size() + admitted.size() < static_cast<size_t>(opt_.max_batch) && !waiting_.empty()) {
        admitted.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
    }
    // Prefill each admitted prompt; its logits give the request's first token.
    for (Waiting& w : admitted) {
      if (w.stream->cancelled()) {
        w.stream->end(Finish::Cancelled);
        count_end(Finish::Cancelled);
        continue;
      }
      Active a{w.stream, w.request.max_tokens, 0, w.request.ignore_eos, free_sessions.back(),
               engine::Sampler(w.request.sampling), -1};
      free_sessions.pop_back();
      a.session->reset();
      try {
        const std::span<const float> logits = a.session->eval(w.request.prompt);
        {
          std::lock_guard lk(mu_);
          stats_.prompt_tokens += static_cast<int64_t>(w.request.prompt.size());
        }
        if (emit(a, a.sampler.sample(logits))) {
          free_sessions.push_back(a.session);
          continue;
        }
      } catch (const std::exception& e) {
        a.stream->end(Finish::Error, e.what());
        count_end(Finish::Error);
        free_sessions.push_back(a.session);
        continue;
      }
      active.push_back(std::move(a));
    }
    // Requests whose clients went away leave before the step, so it does no work for them.
    for (size_t i = active.size(); i-- > 0;)
      if (active[i].stream->cancelled()) drop(i, Finish::Cancelled, {});
    if (active.empty()) continue;

    // A request whose session is full ends alone here: in the step it would fail every row (the
    // request check keeps prompt + max_tokens within the context, so this is a safety net).
    for (size_t i = active.size(); i-- > 0;)
      if (active[i].session->n_past() >= active[i].session->n_ctx())
        drop(i, Finish::Error, "context full: the session holds " + std::to_string(active[i].session->n_ctx()) + " tokens");
    if (active.empty()) continue;

    step_sessions.clear();
    step_tokens.clear();
    for (const Active& a : active) {
      step_sessions.push_back(a.session);
      step_tokens.push_back(a.last);
    }
    std::span<const float> rows;
    try {
      rows = decode.step(step_sessions, step_tokens);
    } catch (const std::exception& e) {
      while (!active.empty()) drop(active.size() - 1, Finish::Error, e.what());
      continue;
    }
    {
      std::lock_guard lk(mu_);
      ++stats_.decode_steps;
      stats_.decode_rows += static_cast<int64_t>(active.size());
    }
    std::vector<bool> ended(active.size(), false);
    for (size_t i = 0; i < active.size(); ++i)
      ended[i] = emit(active[i], active[i].sampler.sample(rows.subspan(i * n_vocab, n_vocab)));
    for (size_t i = active.size(); i-- > 0;) {
      if (!ended[i]) continue;
      free_sessions.push_back(active[i].session);
      active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // Stopping: everything still active or waiting ends cancelled.
  while (!active.empty()) drop(active.size() - 1, Finish::Cancelled, "the server is shutting down");
  std::deque<Waiting> rest;
  {
    std::lock_guard lk(mu_);
    rest.swap(waiting_);
  }
  for (Waiting& w : rest) {
    w.stream->end(Finish::Cancelled, "the server is shutting down");
    count_end(Finish::Cancelled);
  }
}

}  // namespace infertrace::serve
