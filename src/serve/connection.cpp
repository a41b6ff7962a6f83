#include "serve/connection.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <string>
#include <string_view>

#include "serve/chunk_trailers.h"
#include "serve/request.h"

namespace infertrace::serve {
namespace {

using Clock = std::chrono::steady_clock;

// Waits up to timeout_ms (negative: 0) for `events` on fd; the revents, 0 on timeout or error.
short wait_for(int fd, short events, int64_t timeout_ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = poll(&p, 1, static_cast<int>(std::clamp<int64_t>(timeout_ms, 0, 1 << 30)));
  } while (n < 0 && errno == EINTR);
  return n > 0 ? p.revents : 0;
}

// Rounded up, so a poll for it does not end before t.
int64_t ms_until(Clock::time_point t) {
  return std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
}

// The peer sent its FIN (or the connection failed): nothing more will come from it.
bool peer_closed(int fd) { return (wait_for(fd, POLLRDHUP, 0) & (POLLRDHUP | POLLHUP | POLLERR)) != 0; }

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> serv{};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host.data(), host.size(), serv.data(), serv.size(),
                  NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    // Not std::stoi: its exception would leave cpp-httplib's request handling. The service is a
    // number for TCP; for a Unix socket (fuzz/fuzz_connection.cpp serves a socketpair) it is a
    // path or empty, and `port` stays as it was.
    const std::string_view s(serv.data());
    std::from_chars(s.data(), s.data() + s.size(), port);
  }
}

// One connection as cpp-httplib's request parser reads and writes it. Until head_done() (called
// once the headers are parsed) reads wait for the head's deadline rather than a per-read timeout,
// and count against kMaxHeadBytes; past either, the stream answers 408 or 431 itself and fails
// every later read and write, so cpp-httplib's own answer (a 400 for unfinished headers) is not sent.
// After it, reads wait for the body's deadline, counted from head_done(), and past it the stream
// answers 408 the same way: not cpp-httplib's per-read timeout, after which its read failed and the
// client got a 400 "could not read the request body" for a body stalled 5 s, though it still had
// time (review SL L1). A client that closes its side instead reads as the end of the bytes.
class ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(int fd, Clock::time_point head_deadline, std::chrono::seconds body_time,
                   std::chrono::milliseconds write_timeout)
      : fd_(fd), head_deadline_(head_deadline), body_time_(body_time), write_timeout_(write_timeout) {}

  // chunked: the body is chunked, its trailer fields to be dropped (serve/chunk_trailers.h).
  void head_done(bool chunked) {
    in_head_ = false;
    chunked_ = chunked;
    body_deadline_ = Clock::now() + body_time_;
  }
  bool body_unread() const { return body_unread_; }
  // Refused because the head's or the body's deadline passed (408).
  bool deadline_passed() const { return deadline_passed_; }
  // Bytes received but not read by cpp-httplib (more than the request it parsed).
  bool input_buffered() const { return pos_ < len_ || out_pos_ < out_.size(); }
  void set_body_unread() { body_unread_ = true; }

  bool is_readable() const override {
    if (refused_) return false;
    if (pos_ < len_ || out_pos_ < out_.size()) return true;
    const int64_t wait_ms = ms_until(in_head_ ? head_deadline_ : body_deadline_);
    return (wait_for(fd_, POLLIN, wait_ms) & (POLLIN | POLLHUP | POLLERR)) != 0;
  }

  // Once watch_peer() was called, a client that closed its sending side is taken as gone.
  bool is_writable() const override {
    return !refused_ && (wait_for(fd_, POLLOUT, write_timeout_.count()) & POLLOUT) != 0 &&
           !(watch_peer_ && peer_closed(fd_));
  }
  void watch_peer() { watch_peer_ = true; }

  ssize_t read(char* ptr, size_t size) override {
    if (!chunked_) return read_raw(ptr, size);
    // A chunked body: what the filter passes on, filled from the raw bytes as needed.
    while (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
      std::array<char, 4096> raw;
      const ssize_t n = read_raw(raw.data(), raw.size());
      if (n <= 0) return n;
      if (!trailers_.feed(raw.data(), static_cast<size_t>(n), out_)) return -1;
    }
    const size_t n = std::min(size, out_.size() - out_pos_);
    std::copy_n(out_.data() + out_pos_, n, ptr);
    out_pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override { return refused_ ? -1 : send_all(ptr, size); }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  // The connection's bytes as received (the head counted against its limits).
  ssize_t read_raw(char* ptr, size_t size) {
    if (refused_) return -1;
    if (pos_ == len_) {
      if (!is_readable()) {
        // Only a deadline makes a socket unreadable (a closed one reads as 0 bytes; a failed poll
        // before the deadline fails the read, as before).
        if (in_head_)
          refuse(408, "the request head did not arrive within " + std::to_string(kHeadDeadline.count()) + " s");
        else if (Clock::now() >= body_deadline_)
          refuse(408, "the request body did not arrive within " + std::to_string(body_time_.count()) +
                          " s of its head");
        return -1;
      }
      ssize_t n;
      do {
        n = recv(fd_, buf_.data(), buf_.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, len_ - pos_);
    if (in_head_) {
      if (head_bytes_ + n > kMaxHeadBytes) {
        refuse(431, "the request head is over " + std::to_string(kMaxHeadBytes) + " bytes");
        return -1;
      }
      head_bytes_ += n;
    }
    std::copy_n(buf_.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t send_all(const char* ptr, size_t size) {
    size_t sent = 0;
    while (sent < size) {
      if (!is_writable()) return sent > 0 ? static_cast<ssize_t>(sent) : -1;
      const ssize_t n = send(fd_, ptr + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return sent > 0 ? static_cast<ssize_t>(sent) : -1;
      sent += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(sent);
  }

  // Answers with `status` and the spec's JSON error, then fails every later read and write.
  void refuse(int status, const std::string& message) {
    const std::string body = error_body(status, message);
    const char* reason = status == 408 ? "Request Timeout" : "Request Header Fields Too Large";
    const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                                 "\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    send_all(response.data(), response.size());
    refused_ = true;
    // A head too large may still be arriving fast: drain it so the client reads the 431. A client
    // too slow for the deadline is not worth a thread for longer: its connection is closed at once,
    // without the drain (process_and_close_socket), though the handler marks the body it could
    // not read as unread. What it sends after that meets a reset, which may also discard the 408
    // if that is still on its way.
    if (status == 431) body_unread_ = true;
    if (status == 408) deadline_passed_ = true;
  }

  const int fd_;
  const Clock::time_point head_deadline_;
  const std::chrono::seconds body_time_;
  Clock::time_point body_deadline_ = Clock::time_point::max();  // set by head_done()
  const std::chrono::milliseconds write_timeout_;
  bool in_head_ = true, refused_ = false, body_unread_ = false, chunked_ = false, deadline_passed_ = false;
  bool watch_peer_ = false;
  ChunkTrailerFilter trailers_;
  std::string out_;  // a chunked body's bytes passed by trailers_, from out_pos_ on not read yet
  size_t out_pos_ = 0;
  size_t head_bytes_ = 0;
  std::array<char, 4096> buf_{};  // cpp-httplib reads the head a byte at a time
  size_t pos_ = 0, len_ = 0;
};

// The connection the calling handler thread serves (handlers run on it, inside process_request).
thread_local ConnectionStream* t_connection = nullptr;

// After an answer sent with the request's body unread: closing at once would make the kernel reset
// the connection, and a client still sending could lose the answer. Half-closes, then reads and
// drops what comes for at most 2 s or 64 MiB, until the client closes.
void drain(int fd) {
  shutdown(fd, SHUT_WR);
  const Clock::time_point end = Clock::now() + std::chrono::seconds(2);
  std::array<char, 65536> sink{};
  size_t total = 0;
  while (total < (64u << 20) && (wait_for(fd, POLLIN, ms_until(end)) & (POLLIN | POLLHUP | POLLERR)) != 0) {
    const ssize_t n = recv(fd, sink.data(), sink.size(), 0);
    if (n <= 0) return;
    total += static_cast<size_t>(n);
  }
}

// Bytes from the client that nobody read are waiting in the kernel: closing now would reset the
// connection (RST) and could discard the answer before the client read it.
bool input_pending(int fd) {
  char c;
  ssize_t n;
  do {
    n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

void set_timeout(int fd, int option, time_t sec, time_t usec) {
  timeval tv{};
  tv.tv_sec = sec;
  tv.tv_usec = static_cast<suseconds_t>(usec);
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

std::chrono::milliseconds ms(time_t sec, time_t usec) {
  return std::chrono::milliseconds(static_cast<int64_t>(sec) * 1000 + usec / 1000);
}

// The connection's first bytes (waiting in the kernel, not read) are a TLS handshake record: content
// type 22, then the major version 3 of every SSL 3.0 and TLS version (RFC 8446 section 5.1), where
// an HTTP/1.x request starts with a method's letters. One byte alone, 22, is already no request.
bool tls_handshake(int fd) {
  unsigned char b[2];
  ssize_t n;
  do {
    n = recv(fd, b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n >= 1 && b[0] == 0x16 && (n < 2 || b[1] == 0x03);
}

// Content codings are case-insensitive (RFC 9110 section 8.4.1), but cpp-httplib decodes only the
// names gzip, deflate and br as written in lower case (review DF F9: "GZIP" was refused with 415).
// A single Content-Encoding naming one of those or identity in any case is written in lower case
// before the body is read; any other is left as sent, for the refusal to quote (http_server.cpp).
void lower_content_coding(httplib::Request& req) {
  if (req.get_header_value_count("Content-Encoding") != 1) return;
  auto it = req.headers.find("Content-Encoding");
  for (const char* known : {"gzip", "deflate", "br", "identity"})
    if (strcasecmp(it->second.c_str(), known) == 0) it->second = known;
  // "x-gzip" is gzip (RFC 9110 section 8.4.1.3: a recipient SHOULD consider it equivalent; review DG L4).
  if (strcasecmp(it->second.c_str(), "x-gzip") == 0) it->second = "gzip";
}

}  // namespace

int GuardedServer::widen_listen_queue() {
  // listen() again on a listening socket only sets its queue's length (Linux).
  return ::listen(svr_sock_, SOMAXCONN) == 0 ? 0 : errno;
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (svr_sock_ != INVALID_SOCKET) return serve_connection(sock);
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return false;
}

bool GuardedServer::serve_connection(socket_t sock) {
  const Clock::time_point head_deadline = Clock::now() + kHeadDeadline;
  // cpp-httplib's accept loop gives each accepted socket the read and write timeouts as
  // SO_RCVTIMEO/SO_SNDTIMEO before handing it over (0.11.4 does); set here too, so that a
  // connection handed over otherwise (fuzz/fuzz_connection.cpp's socketpair) is served the same.
  // The stream polls before each read and write, so these only bound a send or recv that would
  // still block after its poll said ready.
  set_timeout(sock, SO_RCVTIMEO, read_timeout_sec_, read_timeout_usec_);
  set_timeout(sock, SO_SNDTIMEO, write_timeout_sec_, write_timeout_usec_);
  bool ret = false;
  // A connection that sends nothing within the keep-alive timeout is closed unanswered, as
  // cpp-httplib does.
  const bool sent = (wait_for(sock, POLLIN, keep_alive_timeout_sec_ * 1000) & POLLIN) != 0;
  if (sent && tls_handshake(sock)) {
    // A TLS client (an https:// URL, a balancer set to TLS) on this plain-HTTP port: its ClientHello
    // holds no line end, so it waited for the head's 10 s deadline and then got a 408 it could not
    // read (review HS L6). Answered at once with a plain 400 rather than closed unanswered: a TLS
    // client that reads "HTTP/1.1" where a TLS record belongs reports "wrong version number"
    // (OpenSSL: curl, Python, most balancers' checks), the well-known sign of TLS spoken to a plain
    // port, where a bare close reads as "unexpected EOF" or a reset, like a crash. Drained before the
    // close as other refusals are (the ClientHello unread would reset the connection and could
    // discard the answer).
    const std::string body = error_body(400, "this server speaks plain HTTP, not TLS: use an http:// URL");
    const std::string response = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    if ((wait_for(sock, POLLOUT, ms(write_timeout_sec_, write_timeout_usec_).count()) & POLLOUT) != 0)
      (void)!send(sock, response.data(), response.size(), MSG_NOSIGNAL);
    drain(sock);
  } else if (sent) {
    ConnectionStream conn(sock, head_deadline, body_time_, ms(write_timeout_sec_, write_timeout_usec_));
    t_connection = &conn;
    bool connection_closed = false;
    ret = process_request(conn, /*close_connection=*/true, connection_closed,
                          [&conn](httplib::Request& req) {
                            // Chunked as cpp-httplib decides it.
                            const std::string coding = req.get_header_value("Transfer-Encoding");
                            conn.head_done(strcasecmp(coding.c_str(), "chunked") == 0);
                            lower_content_coding(req);
                          });
    t_connection = nullptr;
    // Also when the head declared no body but more came (a body without a length answered 411,
    // or a second request): see input_pending. Not after a 408: a client too slow for its
    // deadline would hold the thread for the drain's 2 s more (see ConnectionStream::refuse).
    if (!conn.deadline_passed() && (conn.body_unread() || conn.input_buffered() || input_pending(sock))) drain(sock);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return ret;
}

bool client_gone() { return t_connection != nullptr && peer_closed(t_connection->socket()); }

void watch_client() {
  if (t_connection != nullptr) t_connection->watch_peer();
}

void body_left_unread() {
  if (t_connection != nullptr) t_connection->set_body_unread();
}

}  // namespace infertrace::serve
