// The HTTP side of `infertrace serve` (docs/serve.md "API"): routes on cpp-httplib's server and
// its thread pool. A completion handler parses the body (serve/request.h, or serve/chat_request.h
// for /v1/chat/completions), submits it to the scheduler and answers from its TokenStream: all at once, or as server-sent events, one per token
// as soon as the engine thread has chosen it. Handler threads wait on their own stream; the engine
// thread never touches a socket.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "engine/tokenizer/tokenizer.h"
#include "serve/chat_request.h"
#include "serve/request.h"
#include "serve/scheduler.h"

namespace infertrace::serve {

class HttpServer {
 public:
  // http_threads: handler threads; each streamed or waiting request holds one for its lifetime.
  // chat: the model's chat template as recognised at start (every chat request is refused without one).
  HttpServer(Scheduler& scheduler, const engine::Tokenizer& tokenizer, ModelLimits limits, ChatSetup chat,
             int http_threads);

  // Binds (port 0: the kernel picks one) and returns the port; throws Error when it cannot.
  int bind(const std::string& host, int port);
  // Serves until stop(); call after bind().
  void serve();
  // Stops accepting and returns at once; serve() returns after the handlers in progress end.
  void stop();

 private:
  // chat: /v1/chat/completions (chat.completion objects), else /v1/completions (text_completion).
  void completions(const httplib::Request& req, httplib::Response& res, bool chat);
  // created: the request's arrival, unix seconds (every response's and event's "created").
  void respond_whole(const CompletionRequest& r, const std::shared_ptr<TokenStream>& stream, int64_t created,
                     bool chat, httplib::Response& res);
  void respond_stream(const CompletionRequest& r, const std::shared_ptr<TokenStream>& stream, int64_t created,
                      bool chat, httplib::Response& res);

  Scheduler& scheduler_;
  const engine::Tokenizer& tok_;
  const ModelLimits limits_;
  const ChatSetup chat_;
  const int64_t created_;  // unix seconds at start: /v1/models' "created"
  std::atomic<uint64_t> next_id_{0};
  httplib::Server server_;
};

}  // namespace infertrace::serve
