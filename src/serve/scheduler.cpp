#include "serve/scheduler.h"

#include <algorithm>
#include <limits>
#include <string>

#include "engine/runtime/sampler.h"
#include "engine/runtime/thread_pool.h"
#include "engine/model/batch_decode.h"
#include "util/error.h"

namespace infertrace::serve {

struct Scheduler::Active {
  std::shared_ptr<TokenStream> stream;
  std::vector<int32_t> prompt;  // released once prefilled
  int64_t n_prompt = 0, n_prefilled = 0;
  int64_t max_tokens = 0, n_generated = 0;
  bool ignore_eos = false;
  engine::Session* session = nullptr;
  engine::Sampler sampler;
  int32_t last = -1;  // the token the next decode step appends
  std::vector<int32_t> stop_token_ids;  // sorted
  StopMatcher stop;
  bool prefilling() const { return n_prefilled < n_prompt; }
};

Scheduler::Scheduler(const engine::Model& model, std::function<bool(int32_t)> is_eog, SchedulerOptions options)
    : model_(model), is_eog_(std::move(is_eog)), opt_(std::move(options)) {
  if (opt_.max_batch < 1) throw UsageError("--max-batch must be >= 1");
  if (opt_.max_queue < 0) throw UsageError("--max-queue must be >= 0");
  if (opt_.threads < 1) throw UsageError("--threads must be >= 1");
  if (opt_.prefill_chunk < 0) throw UsageError("--prefill-chunk must be >= 0 (0: no bound)");
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
    if (stopping_ || draining_ || in_system_ >= opt_.max_batch + opt_.max_queue) return nullptr;
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

int64_t Scheduler::start_draining() {
  std::lock_guard lk(mu_);
  draining_ = true;
  return in_system_;
}

int64_t Scheduler::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lk(mu_);
  draining_ = true;
  // count_end notifies when a request leaves; the engine thread's own waits share cv_, and their
  // predicates make the extra wake-ups harmless.
  cv_.wait_until(lk, deadline, [&] { return in_system_ == 0; });
  const int64_t left = in_system_;
  if (left > 0) {
    stopping_ = true;  // what is left is cut at the engine thread's next loop, not later
    cv_.notify_all();
  }
  return left;
}

int64_t Scheduler::in_system() const {
  std::lock_guard lk(mu_);
  return in_system_;
}

bool Scheduler::stopping() const {
  std::lock_guard lk(mu_);
  return stopping_ || draining_;
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void Scheduler::count_end(Finish finish) {
  {
    std::lock_guard lk(mu_);
    --in_system_;
    if (finish == Finish::Length || finish == Finish::Stop) ++stats_.requests_completed;
    else if (finish == Finish::Cancelled) ++stats_.requests_cancelled;
    else ++stats_.requests_failed;
  }
  cv_.notify_all();  // drain() waits for the last one
}

std::string Scheduler::piece(int32_t token) {
  if (!opt_.token_text) return {};
  try {
    return opt_.token_text(token);
  } catch (const std::exception&) {
    // An id the tokenizer does not know has no text; the engine thread must not die of it, and
    // the stats say it happened.
    std::lock_guard lk(mu_);
    ++stats_.tokens_without_text;
    return {};
  }
}

bool Scheduler::emit(Active& a, int32_t token) {
  ++a.n_generated;
  a.last = token;
  // vLLM's order: end-of-generation, stop token ids, stop strings, then length. Every token that
  // ends a request is still a generated token (usage and token_ids count it).
  Finish f = Finish::None;
  std::string text;
  if (!a.ignore_eos && is_eog_ && is_eog_(token)) {
    f = Finish::Stop;
    text = a.stop.flush() + piece(token);
  } else if (std::binary_search(a.stop_token_ids.begin(), a.stop_token_ids.end(), token)) {
    f = Finish::Stop;  // the stop token's own text is not returned (vLLM)
    text = a.stop.flush();
  } else {
    text = a.stop.feed(piece(token));
    if (a.stop.stopped()) f = Finish::Stop;
    else if (a.n_generated >= a.max_tokens) f = Finish::Length;
    if (f == Finish::Length) text += a.stop.flush();
  }
  {
    std::lock_guard lk(mu_);
    ++stats_.generated_tokens;
  }
  // A request leaves the count before its client sees the end, so that the client's next
  // request is never refused for the slot it has just freed.
  if (f != Finish::None) count_end(f);
  a.stream->push(token, std::move(text), f);
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
  std::vector<Active> active;  // in admission order: the prefill serves the oldest first
  std::vector<engine::Session*> step_sessions;
  std::vector<int32_t> step_tokens;
  std::vector<size_t> step_rows;  // the active index of each step row
  // Ends active request i without a token (cancelled, or an engine error) and frees its session.
  auto drop = [&](size_t i, Finish f, const std::string& error) {
    count_end(f);  // before the client sees the end, as in emit
    active[i].stream->end(f, error);
    free_sessions.push_back(active[i].session);
    active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
  };
  // Request i leaves after its last token (emit already ended its stream).
  auto retire = [&](size_t i) {
    free_sessions.push_back(active[i].session);
    active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
  };
  const int64_t chunk = opt_.prefill_chunk > 0 ? opt_.prefill_chunk : std::numeric_limits<int64_t>::max();

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
    for (Waiting& w : admitted) {
      if (w.stream->cancelled()) {
        count_end(Finish::Cancelled);
        w.stream->end(Finish::Cancelled);
        continue;
      }
      const int64_t n_prompt = static_cast<int64_t>(w.request.prompt.size());
      engine::Session* session = free_sessions.back();
      // Refused before any chunk runs (Session::eval checks each chunk only when it comes).
      if (n_prompt < 1 || n_prompt > session->n_ctx()) {
        count_end(Finish::Error);
        w.stream->end(Finish::Error, "the prompt has " + std::to_string(n_prompt) + " tokens; a session holds 1 to " +
                                         std::to_string(session->n_ctx()));
        continue;
      }
      free_sessions.pop_back();
      session->reset();
      active.push_back(Active{w.stream, std::move(w.request.prompt), n_prompt, 0, w.request.max_tokens, 0,
                              w.request.ignore_eos, session, engine::Sampler(w.request.sampling), -1,
                              std::move(w.request.stop_token_ids), StopMatcher(std::move(w.request.stop))});
    }

    // Prefill: at most `chunk` prompt tokens this loop, oldest request first; a prompt's last chunk
    // gives its first token. Session::eval continues from the session's position, so a prompt
    // prefilled in pieces fills the same KV cache as one eval (docs/serve.md "Chunked prefill").
    int64_t budget = chunk;
    for (size_t i = 0; i < active.size() && budget > 0;) {
      Active& a = active[i];
      if (!a.prefilling()) {
        ++i;
        continue;
      }
      if (a.stream->cancelled()) {  // no more chunks for a client that has gone
        drop(i, Finish::Cancelled, {});
        continue;
      }
      const int64_t n = std::min(budget, a.n_prompt - a.n_prefilled);
      bool last_chunk = false;
      int32_t first = -1;
      try {
        const std::span<const float> logits =
            a.session->eval_prompt(std::span<const int32_t>(a.prompt).subspan(static_cast<size_t>(a.n_prefilled),
                                                                        static_cast<size_t>(n)));
        a.n_prefilled += n;
        budget -= n;
        {
          std::lock_guard lk(mu_);
          stats_.prompt_tokens += n;
          ++stats_.prefill_chunks;
        }
        last_chunk = !a.prefilling();
        if (last_chunk) first = a.sampler.sample(logits);
      } catch (const std::exception& e) {
        drop(i, Finish::Error, e.what());
        continue;
      }
      if (opt_.on_prefill_chunk) opt_.on_prefill_chunk(*a.stream, a.n_prefilled, a.n_prompt);
      if (last_chunk) {
        a.prompt = {};
        if (emit(a, first)) {
          retire(i);
          continue;
        }
      }
      ++i;
    }

    // Requests whose clients went away leave before the step, so it does no work for them.
    for (size_t i = active.size(); i-- > 0;)
      if (active[i].stream->cancelled()) drop(i, Finish::Cancelled, {});

    // A request whose session is full ends alone here: in the step it would fail every row (the
    // request check keeps prompt + max_tokens within the context, so this is a safety net).
    for (size_t i = active.size(); i-- > 0;)
      if (!active[i].prefilling() && active[i].session->n_past() >= active[i].session->n_ctx())
        drop(i, Finish::Error, "context full: the session holds " + std::to_string(active[i].session->n_ctx()) + " tokens");

    // One decode step for every request past its prefill.
    step_sessions.clear();
    step_tokens.clear();
    step_rows.clear();
    for (size_t i = 0; i < active.size(); ++i) {
      if (active[i].prefilling()) continue;
      step_sessions.push_back(active[i].session);
      step_tokens.push_back(active[i].last);
      step_rows.push_back(i);
    }
    if (step_rows.empty()) continue;
    std::span<const float> rows;
    try {
      rows = decode.step(step_sessions, step_tokens);
    } catch (const std::exception& e) {
      for (size_t r = step_rows.size(); r-- > 0;) drop(step_rows[r], Finish::Error, e.what());
      continue;
    }
    {
      std::lock_guard lk(mu_);
      ++stats_.decode_steps;
      stats_.decode_rows += static_cast<int64_t>(step_rows.size());
    }
    // A row whose logits no token can be drawn from (NaN or Inf: sampler check_finite) ends its
    // request with the error; the other rows of the step go on.
    std::vector<bool> ended(step_rows.size(), false);
    std::vector<std::string> failed(step_rows.size());
    for (size_t r = 0; r < step_rows.size(); ++r) {
      int32_t tok = -1;
      try {
        tok = active[step_rows[r]].sampler.sample(rows.subspan(r * n_vocab, n_vocab));
      } catch (const std::exception& e) {
        failed[r] = e.what();
        continue;
      }
      ended[r] = emit(active[step_rows[r]], tok);
    }
    for (size_t r = step_rows.size(); r-- > 0;) {
      if (!failed[r].empty())
        drop(step_rows[r], Finish::Error, failed[r]);
      else if (ended[r])
        retire(step_rows[r]);
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
    count_end(Finish::Cancelled);
    w.stream->end(Finish::Cancelled, "the server is shutting down");
  }
}

}  // namespace infertrace::serve
