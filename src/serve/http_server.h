// The HTTP side of `infertrace serve` (docs/serve.md "API"): routes on cpp-httplib's server and
// its thread pool. A completion handler parses the body (serve/request.h, or serve/chat_request.h
// for /v1/chat/completions), submits it to the scheduler and answers from its TokenStream: all at once, or as server-sent events, one per token
// as soon as the engine thread has chosen it. Handler threads wait on their own stream; the engine
// thread never touches a socket.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "engine/tokenizer/tokenizer.h"
#include "serve/chat_request.h"
#include "serve/connection.h"
#include "serve/request.h"
#include "serve/scheduler.h"

namespace infertrace::serve {

// Most bytes of a request body, however it is sent (Content-Length, chunked, compressed: counted
// as read, after de-chunking and decompression): a larger one is refused with 413. A prompt this
// server can take is far smaller (at most --ctx times the longest token's bytes, docs/serve.md).
inline constexpr size_t kMaxBodyBytes = 32 << 20;

class HttpServer {
 public:
  // http_threads: handler threads; each streamed or waiting request holds one for its lifetime.
  // chat: the model's chat template as recognised at start (every chat request is refused without one).
  HttpServer(Scheduler& scheduler, const engine::Tokenizer& tokenizer, ModelLimits limits, ChatSetup chat,
             int http_threads);

  // Before serve(): how long a request's body may take to arrive after its head (408 beyond;
  // kDefaultBodyDeadline unless set).
  void set_body_deadline(std::chrono::seconds d) { server_.set_body_deadline(d); }
  // Binds (port 0: the kernel picks one) and returns the port; throws Error when it cannot, worded
  // as check_listen_address's ("cannot listen on HOST:PORT: " and the reason).
  int bind(const std::string& host, int port);
  // Serves until stop(); call after bind().
  void serve();
  // Waits, at most `limit`, until every streamed response has written its last event (the error
  // event and [DONE] of a stream the scheduler cut); true when none is left. Call after
  // Scheduler::stop() and before stop(): cpp-httplib stops calling a stream's content provider as
  // soon as its listening socket closes, so a stream still between two polls then ends without
  // them. A client that does not read holds its stream until `limit`.
  bool drain_streams(std::chrono::milliseconds limit);
  // Stops accepting and returns at once; serve() returns after the handlers in progress end.
  void stop();
  // Serves one connection already open, on the calling thread, then closes it, as each accepted
  // one is served (GuardedServer::serve_connection): fuzz/fuzz_connection.cpp feeds it a socketpair.
  bool serve_connection(int fd) { return server_.serve_connection(fd); }
  // Requests answered 503 (full: --max-batch and --max-queue taken, or stopping) and 4xx (bad
  // requests, unknown routes) so far, for the exit summary (review SV58 L3: a load study's 503s
  // showed nowhere on the server's side). Not the connection-level 408 and 431 (connection.h).
  uint64_t answered_unavailable() const { return answered_503_.load(); }
  uint64_t answered_client_error() const { return answered_4xx_.load(); }

 private:
  // Reads the body (at most kMaxBodyBytes, chunked or not) and answers it as completions() does.
  void read_then_complete(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read,
                          bool chat);
  // chat: /v1/chat/completions (chat.completion objects), else /v1/completions (text_completion).
  void completions(const std::string& body, httplib::Response& res, bool chat);
  // "cmpl-" or "chatcmpl-", then this process's random prefix and a counter, 32 hex digits.
  std::string next_id(bool chat);
  // created: the request's arrival, unix seconds (every response's and event's "created").
  void respond_whole(const CompletionRequest& r, const std::shared_ptr<TokenStream>& stream, int64_t created,
                     bool chat, httplib::Response& res);
  void respond_stream(const CompletionRequest& r, const std::shared_ptr<TokenStream>& stream, int64_t created,
                      bool chat, httplib::Response& res);
  // open_streams_ up and down (drain_streams waits for none).
  void stream_opened();
  void stream_closed();

  Scheduler& scheduler_;
  const engine::Tokenizer& tok_;
  const ModelLimits limits_;
  const ChatSetup chat_;
  const int64_t created_;  // unix seconds at start: /v1/models' "created"
  // Ids must not repeat across servers (data-parallel instances, restarts): a random prefix per
  // process, then a count.
  const uint64_t id_prefix_;
  std::atomic<uint64_t> next_id_{0};
  // Streamed responses not yet released by cpp-httplib (written to the end, or abandoned): counted
  // from before their submit() to the releaser of their content provider.
  std::mutex streams_mu_;
  std::condition_variable streams_cv_;
  int open_streams_ = 0;
  GuardedServer server_;
  std::atomic<uint64_t> answered_503_{0}, answered_4xx_{0};
};

}  // namespace infertrace::serve
