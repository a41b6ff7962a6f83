// How `infertrace serve` reads its connections: cpp-httplib's Server with its per-connection loop
// replaced (docs/serve.md "Connections and limits"). cpp-httplib 0.11 reads a request head with a
// timeout per read, so a client sending a byte every few seconds held a handler thread for ever,
// and it tells a handler nothing about its client. Here each connection is read through a stream
// of our own that gives the whole request head one deadline (408 when it passes), bounds the head's
// size (431), and lets the handler on that connection's thread ask whether its client has gone.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>

namespace infertrace::serve {

// The request head (request line and headers) must arrive within this long of a handler thread
// taking the connection (not of its accept: it may wait queued before that): a client sends its
// head at once, and ten seconds still allow for a slow network.
inline constexpr std::chrono::seconds kHeadDeadline{10};
// Most bytes of a request head; 64 KiB is far more than any client of this API sends (cpp-httplib
// bounds one header line at 8 KiB but not how many lines there are).
inline constexpr size_t kMaxHeadBytes = 64 << 10;

class GuardedServer : public httplib::Server {
 private:
  // One request per connection (the server sets keep-alive to 1): waits up to the keep-alive
  // timeout for its first byte, serves it through a ConnectionStream, then closes (after draining
  // a body left unread, or any other input not read, for a while, so that the client reads the
  // answer instead of a reset).
  bool process_and_close_socket(socket_t sock) override;
};

// For a handler, on the thread serving its request: whether the client closed its side of the
// connection (it went away, or at least will send nothing more). False outside a handler.
bool client_gone();
// For a handler that answers without reading the request's body (refused on its headers): the
// connection is drained for a moment before it is closed, see process_and_close_socket.
void body_left_unread();

}  // namespace infertrace::serve
