// How `infertrace serve` reads its connections: cpp-httplib's Server with its per-connection loop
// replaced (docs/serve.md "Connections and limits"). cpp-httplib 0.11 reads a request head with a
// timeout per read, so a client sending a byte every few seconds held a handler thread for ever,
// and it tells a handler nothing about its client. Here each connection is read through a stream
// of our own that gives the whole request head one deadline and the whole body another (408 when
// one passes), bounds the head's size (431), and lets the handler on that connection's thread ask
// whether its client has gone.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>

namespace infertrace::serve {

// The request head (request line and headers) must arrive within this long of a handler thread
// taking the connection (not of its accept: it may wait queued before that): a client sends its
// head at once, and ten seconds still allow for a slow network.
inline constexpr std::chrono::seconds kHeadDeadline{10};
// The request body must arrive whole within this long of the end of its head (408 when it passes;
// `serve --body-deadline` changes it). cpp-httplib's read timeout is counted per read, so a client
// that sent its head and then a byte of its body every few seconds held a handler thread for as
// long as it kept sending. One fixed time rather than one grown with the Content-Length: a chunked
// body has none, and a declared length is the client's to choose, so a trickler would declare the
// 32 MiB cap for the most time. A completion body is a few KiB (a long prompt some hundred KiB); 30
// s still takes a 32 MiB body at 1.1 MB/s.
inline constexpr std::chrono::seconds kDefaultBodyDeadline{30};
// Most bytes of a request head; 64 KiB is far more than any client of this API sends (cpp-httplib
// bounds one header line at 8 KiB but not how many lines there are).
inline constexpr size_t kMaxHeadBytes = 64 << 10;

class GuardedServer : public httplib::Server {
 public:
  // Before serving: the whole-body deadline of every connection (kDefaultBodyDeadline otherwise).
  void set_body_deadline(std::chrono::seconds d) { body_time_ = d; }

  // One request per connection (the server sets keep-alive to 1): waits up to the keep-alive
  // timeout for its first byte, serves it through a ConnectionStream on the calling thread, then
  // closes (after draining a body left unread, or any other input not read, for a while, so that
  // the client reads the answer instead of a reset; at once after a 408, when a deadline passed).
  // What a handler thread does with each accepted connection, the socket's SO_RCVTIMEO/SO_SNDTIMEO
  // included (set here as cpp-httplib's accept loop sets them); public so that
  // fuzz/fuzz_connection.cpp can hand it one end of a socketpair.
  bool serve_connection(socket_t sock);

  // After a bind: the listening socket's queue of connections not yet accepted, as long as the
  // kernel allows (SOMAXCONN, capped by net.core.somaxconn). cpp-httplib listens with a queue of 5:
  // a burst of clients connecting at once (one request per connection) overflowed it, their SYNs
  // were dropped and retried a second later, some reset (review SL H1: TTFT median 1,026 ms against
  // 153 ms, 3 of 64 requests failed). Returns errno, 0 when done.
  int widen_listen_queue();

 private:
  // serve_connection, unless the server is stopping (then the connection is closed unserved).
  bool process_and_close_socket(socket_t sock) override;

  std::chrono::seconds body_time_ = kDefaultBodyDeadline;  // a duration, counted from each head's end
};

// For a handler, on the thread serving its request: whether the client closed its side of the
// connection (it went away, or at least will send nothing more). False outside a handler.
bool client_gone();
// For a handler, once its request holds a batch slot: from now on a client that half-closes its
// connection is taken as gone (its writes fail, a stream's sink is not writable), as uvicorn
// (vLLM's server) takes one, so its slot is freed. Before it (and for every other route: /health,
// /v1/models, refusals) the answer is written to a half-closed client, which may still read it
// (`nc -N`, a health checker that shuts its side after the request).
void watch_client();
// For a handler that answers without reading the request's body (refused on its headers, or its
// read failed): the connection is drained for a moment before it is closed, unless the body's
// deadline ended the read (see process_and_close_socket).
void body_left_unread();

}  // namespace infertrace::serve
