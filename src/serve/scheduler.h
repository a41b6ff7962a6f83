// Continuous batching on one engine thread (docs/serve.md "Scheduling"). Each loop: admit waiting
// requests first-come-first-served while fewer than max_batch are active (each gets a Session from
// a pool of max_batch, reset and reused); prefill at most prefill_chunk prompt tokens of the
// requests still prefilling, oldest first (chunked prefill: a long prompt is spread over several
// loops, so the decoding requests' next tokens wait for one chunk, not for the whole prompt); the
// logits of a prompt's last chunk give its first token; then one decode step (engine::BatchDecoder)
// gives every request past its prefill its next token. A request retires after max_tokens tokens,
// after an end-of-generation token unless ignore_eos, after one of its stop_token_ids or once its
// text contains one of its stop strings (serve/stop_matcher.h; ignore_eos does not turn these off,
// as in vLLM), or when cancelled (its client went away),
// also mid-prefill. The engine thread owns the ThreadPool (the
// pool pins the thread that makes it to the first --cpus CPU) and the sessions; HTTP threads only
// submit and read their TokenStream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/model/forward.h"
#include "engine/runtime/memory.h"
#include "serve/request.h"
#include "serve/stop_matcher.h"
#include "serve/token_stream.h"

namespace infertrace::serve {

struct SchedulerOptions {
  int threads = 1;
  std::vector<int> cpus;               // pin list for the engine's thread pool (empty: no pinning)
  engine::PlacementOptions placement;  // where the KV caches go (--numa)
  int64_t ctx = 0;                     // tokens per session
  int64_t ubatch = 256;                // most prompt tokens per prefill step
  int max_batch = 8;                   // active requests at most
  int max_queue = 64;                  // waiting requests at most when max_batch are active
  // Most prompt tokens prefilled per scheduler loop, over all prefilling requests (--prefill-chunk);
  // 0: no bound (each admitted prompt is prefilled whole before the next decode step).
  int64_t prefill_chunk = kDefaultPrefillChunk;
  // Engine thread, after each prefill chunk of a request: its stream, the prompt tokens prefilled
  // so far and the prompt's length. For tests (cancel a request mid-prefill); may be empty.
  std::function<void(TokenStream&, int64_t prefilled, int64_t prompt)> on_prefill_chunk;
  // A generated token's text (the tokenizer's piece), matched against the request's stop strings
  // and sent with the token. Empty: tokens have no text (stop strings never match; tests).
  std::function<std::string(int32_t)> token_text;

  // Measured in docs/benchmarks.md "Chunked prefill".
  static constexpr int64_t kDefaultPrefillChunk = 128;
  // The most --max-batch a server takes (each slot is an HTTP handler thread); `bench serve -m`
  // checks it too, before it starts any server.
  static constexpr int kMaxBatchLimit = 1024;
};

struct SchedulerStats {
  int64_t requests_completed = 0;  // ended by length or stop
  int64_t requests_cancelled = 0;  // client gone or server stopping
  int64_t requests_failed = 0;     // an engine error
  int64_t prompt_tokens = 0, generated_tokens = 0;  // prompt: tokens prefilled, chunk by chunk
  int64_t decode_steps = 0, decode_rows = 0;  // rows: sequences summed over decode steps
  int64_t prefill_chunks = 0;  // Session::eval calls of prompt pieces (a whole prompt when unchunked)
  // Generated ids the tokenizer has no entry for (sent as ""): a model whose embedding has more
  // rows than its tokenizer has tokens sampled one of the padding rows.
  int64_t tokens_without_text = 0;
  double mean_batch() const { return decode_steps > 0 ? static_cast<double>(decode_rows) / decode_steps : 0.0; }
};

class Scheduler {
 public:
  // Starts the engine thread and returns once its pool and sessions exist (rethrows their error).
  // is_eog: true for end-of-generation tokens (the tokenizer's).
  Scheduler(const engine::Model& model, std::function<bool(int32_t)> is_eog, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request; nullptr when max_batch + max_queue requests are already in the system or
  // the scheduler is stopping (the HTTP layer answers 503).
  std::shared_ptr<TokenStream> submit(CompletionRequest request);

  // Ends every request (Finish::Cancelled) and joins the engine thread. Idempotent.
  void stop();

  // The graceful part of a shutdown (serve --drain-timeout): new requests are refused from now on,
  // as by stop(), while the engine thread goes on with the requests already in the system, active
  // and waiting, until none is left or `deadline` passes. Returns how many were left then (0: all
  // ended by themselves); when some were, the engine thread has been told to stop at its next
  // loop, and stop() (which the caller still calls) cancels them.
  int64_t drain(std::chrono::steady_clock::time_point deadline);
  // drain()'s first step alone: refuses new requests from now on and returns how many are in the
  // system at that moment (the ones a drain then waits for; none can join them).
  int64_t start_draining();
  // Requests submitted and not yet ended (waiting + active).
  int64_t in_system() const;

  SchedulerStats stats() const;
  // True from stop() or drain() on: new requests are refused (and /health says so).
  bool stopping() const;

 private:
  struct Waiting {
    CompletionRequest request;
    std::shared_ptr<TokenStream> stream;
  };
  struct Active;

  void run();  // the engine thread
  // Engine thread: records a token, ends the request when it is done; returns true when it ended.
  bool emit(Active& a, int32_t token);
  void count_end(Finish finish);  // stats and in_system_ for a request that ended
  // opt_.token_text, or "" for an id the tokenizer has no text for (models may have more
  // embedding rows than tokenizer entries: Qwen pads its vocabulary to a multiple of 128),
  // counted in stats_.tokens_without_text.
  std::string piece(int32_t token);

  const engine::Model& model_;
  const std::function<bool(int32_t)> is_eog_;
  const SchedulerOptions opt_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Waiting> waiting_;
  int in_system_ = 0;  // waiting + active
  bool stopping_ = false;  // the engine thread ends at its next loop
  bool draining_ = false;  // new requests are refused; the engine thread goes on
  bool started_ = false;           // the engine thread's pool and sessions exist
  std::exception_ptr start_error_;  // or why they could not be made
  SchedulerStats stats_;
  std::thread thread_;
};

}  // namespace infertrace::serve
