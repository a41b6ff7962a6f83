#include "serve/http_server.h"

#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>
#include <strings.h>

#include "serve/listen_address.h"
#include "util/error.h"

namespace infertrace::serve {
namespace {

using nlohmann::json;

// Generated pieces may split a UTF-8 character (byte tokens): invalid bytes become U+FFFD rather
// than fail the response.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param = {}) {
  res.status = status;
  res.set_content(error_body(status, message, param), "application/json");
}

// How long a client refused with 503 (full, or stopping) should wait before it asks again: a slot
// frees as soon as one request ends, and a stopping server is gone within a second or so (its
// successor, or the balancer's other servers, take the retry). RFC 9110 section 10.2.3.
constexpr const char* kRetryAfterSeconds = "1";

void send_unavailable(httplib::Response& res, const std::string& message) {
  res.set_header("Retry-After", kRetryAfterSeconds);
  send_error(res, 503, message);
}

// A Content-Length value as RFC 9110 section 8.6 writes one: 1*DIGIT, nothing else (no sign, no
// blanks inside, no list); false when it is not, or does not fit 64 bits.
bool content_length_value(const std::string& v, uint64_t& out) {
  if (v.empty() || v.size() > 19) return false;  // 19 digits always fit
  out = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

json usage(int64_t prompt, int64_t completion) {
  return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
}

constexpr const char* kFull = "the server is full (--max-batch active and --max-queue waiting requests)";
constexpr const char* kStopping = "the server is stopping";

// How often a handler wakes without a token to notice a client that went away.
constexpr std::chrono::milliseconds kPoll{50};

uint64_t random_u64() {
  std::random_device rd;  // getrandom(2) on Linux
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Seconds a connection may stay silent before its request (see the constructor).
constexpr time_t kFirstRequestWaitSeconds = 1;

// The methods a path of this server takes (the Allow header of its 405), null for a path it
// does not serve. cpp-httplib routes HEAD to the GET handlers.
const char* allowed_methods(const std::string& path) {
  if (path == "/v1/completions" || path == "/v1/chat/completions") return "POST";
  if (path == "/health" || path == "/v1/models") return "GET, HEAD";
  return nullptr;
}

// Answers (true) a request that is refused on its head alone, without reading its body:
// - a method a served path does not take: 405 with an Allow header;
// - a body sent, or possibly sent, to anything but the two completion routes and GET/HEAD ones: 404
//   (cpp-httplib reads the body of a POST, PUT, PATCH or DELETE whole, however large, before
//   answering 404, and one without a length until the client closes);
// - on those routes, a Transfer-Encoding other than chunked alone (501: cpp-httplib would read
//   "gzip, chunked" as a body without a length, waiting for the client to close), no length at all
//   (411: the body would be read until the client closes, which it does not do while it waits for
//   the answer: 5 s, then 400), and a Content-Length over the cap (413).
bool refused_on_head(const httplib::Request& req, httplib::Response& res) {
  const bool ours = req.method == "POST" && (req.path == "/v1/completions" || req.path == "/v1/chat/completions");
  const bool has_length = req.has_header("Content-Length"), has_coding = req.has_header("Transfer-Encoding");
  const bool reads_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                          req.method == "DELETE" || req.method == "PRI";
  auto refuse = [&](int status, const std::string& message) {
    if (has_length || has_coding) body_left_unread();
    send_error(res, status, message);
    return true;
  };
  // A path this server serves, asked with another method: 405 with the methods it takes (RFC 9110
  // section 15.5.6; FastAPI, vLLM's server, answers so), not the 404 of a path it does not know.
  if (const char* allow = allowed_methods(req.path)) {
    const bool allowed = std::strcmp(allow, "POST") == 0 ? req.method == "POST"
                                                          : req.method == "GET" || req.method == "HEAD";
    if (!allowed) {
      res.set_header("Allow", allow);
      return refuse(405, "method " + req.method + " is not allowed for " + req.path + " (allowed: " + allow + ")");
    }
  }
  if (!ours) {
    // cpp-httplib reads no body for GET and HEAD: those go to their routes (a body left unread is
    // drained before the close).
    if (req.method == "GET" || req.method == "HEAD") return false;
    if (reads_body || has_length || has_coding) return refuse(404, "no route for " + req.method + " " + req.path);
    return false;
  }
  if (has_coding) {
    const std::string coding = req.get_header_value("Transfer-Encoding");
    if (req.get_header_value_count("Transfer-Encoding") != 1)
      return refuse(501, "more than one Transfer-Encoding header: send 'Transfer-Encoding: chunked' once");
    if (strcasecmp(coding.c_str(), "chunked") != 0)
      return refuse(501, "Transfer-Encoding '" + coding + "' is not supported: send the body with a Content-Length "
                         "or 'Transfer-Encoding: chunked' alone (Content-Encoding: gzip for a compressed body)");
  } else if (!has_length) {
    return refuse(411, "a request body needs a Content-Length (or 'Transfer-Encoding: chunked')");
  }
  if (has_length) {
    // Every Content-Length header the same well-formed number (RFC 9112 section 6.3: differing
    // values, or one that is not a number, make the message's framing unknown: 400). cpp-httplib
    // reads the first header's value with strtoull, taking "-5" as 2^64 - 5, "abc" as 0 and "+2".
    uint64_t length = 0;
    const size_t n = req.get_header_value_count("Content-Length");
    for (size_t i = 0; i < n; ++i) {
      const std::string v = req.get_header_value("Content-Length", i);
      uint64_t value = 0;
      if (!content_length_value(v, value))
        return refuse(400, "the Content-Length '" + v + "' is not a number of bytes (digits only)");
      if (i > 0 && value != length)
        return refuse(400, "the request has Content-Length headers of different values (" + std::to_string(length) +
                               " and " + std::to_string(value) + ")");
      length = value;
    }
    if (length > static_cast<uint64_t>(kMaxBodyBytes))
      return refuse(413, "the request body is over " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  // cpp-httplib decodes the codings named exactly gzip, deflate (zlib) and br (brotli) and passes
  // any other body as it came, so a zstd body was read as JSON text (400 "not valid JSON"): refused
  // here with 415 (RFC 9110 section 15.5.16) before the body is read. Names are case-insensitive
  // (RFC 9110 section 8.4.1): the connection writes a known one in lower case for cpp-httplib
  // (connection.cpp, lower_content_coding), and this check takes any case too.
  if (req.has_header("Content-Encoding")) {
    const std::string coding = req.get_header_value("Content-Encoding");
    bool known = false;
    for (const char* name : {"gzip", "deflate", "br", "identity"}) known = known || strcasecmp(coding.c_str(), name) == 0;
    if (!known || req.get_header_value_count("Content-Encoding") != 1)
      return refuse(415, "Content-Encoding '" + coding +
                             "' is not supported: send the body uncompressed, or with one Content-Encoding of gzip, "
                             "deflate or br");
  }
  return false;
}

}  // namespace

HttpServer::HttpServer(Scheduler& scheduler, const engine::Tokenizer& tokenizer, ModelLimits limits, ChatSetup chat,
                       int http_threads)
    : scheduler_(scheduler),
      tok_(tokenizer),
      limits_(std::move(limits)),
      chat_(std::move(chat)),
      created_(std::time(nullptr)),
      id_prefix_(random_u64()) {
  // Enough handler threads for every request the scheduler may hold (active + queued) plus a few
  // for /health and 503 answers: a request beyond them would wait unseen in httplib's own queue.
  server_.new_task_queue = [http_threads] { return new httplib::ThreadPool(static_cast<size_t>(http_threads)); };
  // One request per connection: cpp-httplib keeps a handler thread on an idle kept-alive
  // connection for seconds, so clients with connection pools could occupy every thread and make
  // new requests wait unseen (neither served nor answered 503). GuardedServer::serve_connection
  // (connection.cpp) enforces it: it replaces cpp-httplib's keep-alive loop and serves one request
  // with close_connection set. The count below says the same to cpp-httplib (0.11.4 reads it only
  // in the loop serve_connection replaces: mutant http-12 in tests/mutants/serve_http.tsv).
  server_.set_keep_alive_max_count(1);
  // cpp-httplib waits this long for a new connection's first request, on a handler thread: a
  // client that connects and sends nothing (a pre-opened pool connection, a slowloris) held one
  // for its default 5 s, so as many idle connections as threads made every other request wait
  // unseen for seconds (30 idle connections kept /health waiting 9.5 s with 12 threads). A client
  // sends its request as soon as it connects; 1 s still allows for a slow network.
  server_.set_keep_alive_timeout(kFirstRequestWaitSeconds);
  server_.set_socket_options(listen_socket_options);  // not cpp-httplib's SO_REUSEPORT: a port is one server's
  // Stopping (the second or so while cut streams write their last events), a load balancer's
  // health check must see that this server takes no more requests.
  server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (scheduler_.stopping()) return send_unavailable(res, kStopping);
    res.set_content("ok", "text/plain");
  });
  server_.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    const json j = {{"object", "list"},
                    {"data", json::array({{{"id", limits_.name},
                                           {"object", "model"},
                                           {"created", created_},
                                           {"owned_by", "infertrace"},
                                           {"max_model_len", limits_.ctx},
                                           {"n_vocab", limits_.n_vocab}}})}};
    res.set_content(dump(j), "application/json");
  });
  // Refused on its headers, before cpp-httplib reads any body into memory (refused_on_head). A
  // request with `Expect: 100-continue` is checked before cpp-httplib writes its 100 (it runs the
  // pre-routing handler only after), so a client holding its body back for the 100 gets the
  // refusal instead and never sends the body.
  server_.set_expect_100_continue_handler([](const httplib::Request& req, httplib::Response& res) {
    return refused_on_head(req, res) ? res.status : 100;
  });
  server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    return refused_on_head(req, res) ? httplib::Server::HandlerResponse::Handled
                                     : httplib::Server::HandlerResponse::Unhandled;
  });
  server_.Post("/v1/completions",
               [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
                 read_then_complete(req, res, read, false);
               });
  server_.Post("/v1/chat/completions",
               [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
                 read_then_complete(req, res, read, true);
               });
  // Unknown paths and methods: the spec's JSON error instead of httplib's empty body.
  server_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    send_error(res, res.status, res.status == 404 ? "no route for " + req.method + " " + req.path
                                                  : "request failed (HTTP " + std::to_string(res.status) + ")");
  });
  // cpp-httplib calls its logger once per response written, whichever handler answered it.
  server_.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    if (res.status == 503) ++answered_503_;
    if (res.status >= 400 && res.status < 500) ++answered_4xx_;
  });
  server_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });
}

int HttpServer::bind(const std::string& host, int port) {
  if (port < 0 || port > 65535) throw UsageError("--port must be between 0 and 65535");
  // cpp-httplib says only that it failed; errno is what its last failed bind() or listen() left (it
  // closes that socket and frees the addresses after, which leave errno alone on success). The
  // message reads as check_listen_address's, which a port taken after that check gets here.
  errno = 0;
  const int bound = port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    const int err = errno;
    throw Error("cannot listen on " + host_port(host, port) + ": " + (err != 0 ? std::strerror(err) : "no address to bind"));
  }
  if (const int err = server_.widen_listen_queue(); err != 0)
    throw Error("cannot listen on " + host_port(host, bound) + ": " + std::strerror(err));
  return bound;
}

void HttpServer::serve() { server_.listen_after_bind(); }

void HttpServer::stream_opened() {
  std::lock_guard lk(streams_mu_);
  ++open_streams_;
}

void HttpServer::stream_closed() {
  std::lock_guard lk(streams_mu_);
  if (--open_streams_ == 0) streams_cv_.notify_all();
}

bool HttpServer::drain_streams(std::chrono::milliseconds limit) {
  std::unique_lock lk(streams_mu_);
  return streams_cv_.wait_for(lk, limit, [this] { return open_streams_ == 0; });
}

void HttpServer::stop() { server_.stop(); }

std::string HttpServer::next_id(bool chat) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64 "%016" PRIx64, id_prefix_, next_id_++);
  return (chat ? "chatcmpl-" : "cmpl-") + std::string(hex);
}

void HttpServer::read_then_complete(const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& read, bool chat) {
  if (req.is_multipart_form_data()) {
    body_left_unread();
    return send_error(res, 415, "send the body as application/json, not multipart/form-data");
  }
  // The cap applies to the bytes as cpp-httplib hands them over: de-chunked and decompressed.
  std::string body;
  bool too_large = false;
  const bool read_whole = read([&](const char* data, size_t n) {
    if (body.size() + n > kMaxBodyBytes) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large) {
    body_left_unread();
    return send_error(res, 413, "the request body is over " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  if (!read_whole) {
    // cpp-httplib's status: 415 for an encoding it was built without, else 400 (a malformed chunk,
    // a body cut short, compressed data that does not decode).
    const int status = res.status >= 400 ? res.status : 400;
    body_left_unread();
    return send_error(res, status,
                      status == 415 ? "the body's Content-Encoding cannot be decoded by this build (HTTP 415)"
                                    : "could not read the request body: it was cut short, or its chunks or "
                                      "compressed data are malformed (HTTP 400)");
  }
  // cpp-httplib refuses form-encoded bodies (curl -d's default type) over this many bytes when it
  // reads them itself; kept for bodies read here, as docs/serve.md has said since the start.
  if (starts_with(req.get_header_value("Content-Type"), "application/x-www-form-urlencoded") &&
      body.size() > CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH)
    return send_error(res, 413, "a form-encoded body is at most " +
                                    std::to_string(CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH) +
                                    " bytes: send it as application/json");
  completions(body, res, chat);
}

void HttpServer::completions(const std::string& body, httplib::Response& res, bool chat) {
  // OpenAI's "created": when this completion was created (not when the server started). From the
  // precise clock: glibc's time() reads the coarse one, up to a tick behind, so a request sent just
  // after a second began could be stamped with the second before it (a CI failure under ASan).
  const int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CompletionRequest r;
  try {
    // A request without a seed samples from a fresh one (as vLLM does); with temperature 0 it
    // does not matter.
    thread_local std::mt19937_64 seeds{std::random_device{}()};
    // Control tokens written in a text prompt (<|im_start|>, <s>) are those tokens, as vLLM's and
    // llama.cpp's servers read them (parse_special): a client that applies a chat template itself
    // sends them as text, and a rendered chat prompt is such a text.
    const auto encode = [this](const std::string& text) { return tok_.encode_prompt(text, /*parse_special=*/true); };
    r = chat ? parse_chat_request(body, limits_, chat_, encode, seeds())
             : parse_completion_request(body, limits_, encode, seeds());
  } catch (const RequestError& e) {
    send_error(res, e.status(), e.what(), e.param());
    return;
  }
  if (!r.stream) {
    std::shared_ptr<TokenStream> stream = scheduler_.submit(r);
    // Refused: stopping (never undone) or full; a client retries the one, not the other.
    if (!stream) return send_unavailable(res, scheduler_.stopping() ? kStopping : kFull);
    watch_client();
    return respond_whole(r, stream, created, chat, res);
  }
  // A stream is counted before submit(): a stop between the two would find nothing to wait for,
  // and the client would get the stream's head and no event. From respond_stream's return the
  // provider's releaser owns the count; until then (a refusal, or an exception: out of memory)
  // this guard gives it back, so that no later stop waits for a stream that never was.
  stream_opened();
  struct Uncount {
    HttpServer* server;
    std::shared_ptr<TokenStream> stream;
    bool armed = true;
    ~Uncount() {
      if (!armed) return;
      if (stream) stream->cancel();
      server->stream_closed();
    }
  } guard{this, nullptr};
  guard.stream = scheduler_.submit(r);  // after the guard exists: a throwing submit() is given back too
  if (!guard.stream) return send_unavailable(res, scheduler_.stopping() ? kStopping : kFull);
  watch_client();
  respond_stream(r, guard.stream, created, chat, res);
  guard.armed = false;
}

void HttpServer::respond_whole(const CompletionRequest& r, const std::shared_ptr<TokenStream>& stream,
                               int64_t created, bool chat, httplib::Response& res) {
  // A client that closes its connection meanwhile is noticed between waits (the connection stream
  // sees its FIN) and its request cancelled, freeing its slot, as a streamed one's is.
  std::vector<int32_t> tokens;
  std::vector<std::string> texts;  // what the scheduler released with each token (stop strings cut)
  while (!stream->take(tokens, kPoll, &texts)) {
    if (client_gone()) stream->cancel();
  }
  const Finish f = stream->finish();
  if (f == Finish::Error) return send_error(res, 500, "generation failed: " + stream->error());
  if (f == Finish::Cancelled) return send_unavailable(res, "cancelled: " + stream->error());
  std::string text;
  for (const std::string& t : texts) text += t;
  json choice = chat ? json{{"index", 0},
                             {"message", {{"role", "assistant"}, {"content", text}}},
                             {"finish_reason", finish_name(f)},
                             {"logprobs", nullptr}}
                      : json{{"index", 0}, {"text", text}, {"finish_reason", finish_name(f)}, {"logprobs", nullptr}};
  if (r.return_token_ids) {
    choice["prompt_token_ids"] = r.prompt;
    choice["token_ids"] = tokens;
  }
  const json j = {{"id", next_id(chat)},
                  {"object", chat ? "chat.completion" : "text_completion"},
                  {"created", created},
                  {"model", limits_.name},
                  {"choices", json::array({choice})},
                  {"usage", usage(stream->prompt_tokens(), static_cast<int64_t>(tokens.size()))}};
  res.set_content(dump(j), "application/json");
}

void HttpServer::respond_stream(const CompletionRequest& r, const std::shared_ptr<TokenStream>& stream,
                                int64_t created, bool chat, httplib::Response& res) {
  const std::string id = next_id(chat);
  const bool include_usage = r.include_usage, token_ids = r.return_token_ids;
  auto sent = std::make_shared<int64_t>(0);
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, stream, id, created, chat, include_usage, token_ids, sent](size_t, httplib::DataSink& sink) {
        std::vector<int32_t> tokens;
        std::vector<std::string> texts;
        const bool ended = stream->take(tokens, kPoll, &texts);
        if (!sink.is_writable()) {
          stream->cancel();
          return false;
        }
        auto send = [&](const json& j) {
          const std::string event = "data: " + dump(j) + "\n\n";
          return sink.write(event.data(), event.size());
        };
        const json base = {{"id", id},
                           {"object", chat ? "chat.completion.chunk" : "text_completion"},
                           {"created", created},
                           {"model", limits_.name}};
        // A chat stream opens with the assistant's role in a chunk of its own, as OpenAI's and
        // vLLM's do, sent with the first token (not before: a client timing its first chunk, as
        // vLLM's benchmark does, measures the time to the first token), so every later chunk is
        // one token.
        if (chat && *sent == 0 && !tokens.empty()) {
          json event = base;
          event["choices"] = json::array({{{"index", 0},
                                           {"delta", {{"role", "assistant"}, {"content", ""}}},
                                           {"finish_reason", nullptr},
                                           {"logprobs", nullptr}}});
          if (!send(event)) {
            stream->cancel();
            return false;
          }
        }
        // A token event's finish_reason is one of OpenAI's ("stop", "length") on the last token, else
        // null: a stream cut (stopping, an engine error) ends with null on its last token, then
        // the error event saying why and [DONE], since clients that read finish_reason as
        // OpenAI's enum fail on any other value before they reach that event (review HS M1).
        const Finish finish = ended ? stream->finish() : Finish::None;
        const bool finished = finish == Finish::Length || finish == Finish::Stop;
        for (size_t i = 0; i < tokens.size(); ++i) {
          const bool last = finished && i + 1 == tokens.size();
          json choice = {{"index", 0},
                         {"finish_reason", last ? json(finish_name(finish)) : json(nullptr)},
                         {"logprobs", nullptr}};
          if (chat) choice["delta"] = {{"content", texts[i]}};
          else choice["text"] = texts[i];
          if (token_ids) choice["token_ids"] = {tokens[i]};
          json event = base;
          event["choices"] = json::array({choice});
          if (!send(event)) {  // the client went away: the request is cancelled
            stream->cancel();
            return false;
          }
          ++*sent;
        }
        if (!ended) return true;
        const Finish f = stream->finish();
        if (f == Finish::Error || f == Finish::Cancelled) {
          const int status = f == Finish::Error ? 500 : 503;
          send(json::parse(error_body(status, std::string(f == Finish::Error ? "generation failed: " : "cancelled: ") +
                                                  stream->error())));
        } else if (include_usage) {
          json event = base;
          event["choices"] = json::array();
          event["usage"] = usage(stream->prompt_tokens(), *sent);
          send(event);
        }
        static const std::string done = "data: [DONE]\n\n";
        sink.write(done.data(), done.size());
        sink.done();
        return true;
      },
      // The releaser runs once, from the Response's destructor, after the last write or an abort.
      [this, stream](bool success) {
        if (!success) stream->cancel();
        stream_closed();
      });
}

}  // namespace infertrace::serve
