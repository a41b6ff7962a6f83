// One request's tokens on their way from the engine thread to the HTTP thread that answers it.
// The engine thread only appends under a mutex and never waits on the HTTP side (a slow or dead
// client cannot stall the batch); the HTTP thread waits on the condition variable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace infertrace::serve {

enum class Finish { None, Length, Stop, Cancelled, Error };
const char* finish_name(Finish f);  // "length", "stop", "cancelled", "error"; "" for None

class TokenStream {
 public:
  explicit TokenStream(int64_t prompt_tokens) : prompt_tokens_(prompt_tokens) {}

  // Engine side. `text`: the generated text released with this token (the scheduler's
  // StopMatcher may hold bytes back to a later token, or drop a stop string; empty for a stop
  // token). `finish` != None ends the stream with this token as its last one (the token and the
  // end are seen together, so the last token's event can carry finish_reason).
  void push(int32_t token, std::string text, Finish finish);
  void end(Finish finish, const std::string& error = {});  // ends without a token (cancelled, error)

  // HTTP side: moves the tokens not yet taken into `out` (appended) and, when `texts` is given,
  // their texts into it (appended, one per token), waiting up to `timeout` for one when there are
  // none; returns true once the stream has ended and everything was taken.
  bool take(std::vector<int32_t>& out, std::chrono::milliseconds timeout, std::vector<std::string>* texts = nullptr);
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  Finish finish() const;
  std::string error() const;
  int64_t prompt_tokens() const { return prompt_tokens_; }

 private:
  const int64_t prompt_tokens_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int32_t> pending_;
  std::vector<std::string> pending_texts_;  // one per pending token
  Finish finish_ = Finish::None;
  std::string error_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace infertrace::serve
