// bench interference's wait for a server load to listen (review BT57 M1: a fixed 300 ms wait let
// the iperf3 client start before its server listened on a busy machine): it sees a socket that
// listens late, gives up at its deadline on one that never does, stops when the server ended, and
// never connects (iperf3 -s -1 takes a probe connection for its one client and exits).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/listen_wait.h"

using namespace infertrace::bench;

namespace {

// A loopback TCP socket bound to a port of the kernel's choice, not listening yet.
struct BoundSocket {
  int fd = -1;
  int port = 0;
  BoundSocket() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  ~BoundSocket() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

TEST(ListenWait, BoundIsNotListeningUntilListen) {
  BoundSocket s;
  ASSERT_GT(s.port, 0);
  EXPECT_FALSE(tcp_port_listening(s.port));
  ASSERT_EQ(::listen(s.fd, 4), 0);
  EXPECT_TRUE(tcp_port_listening(s.port));
}

TEST(ListenWait, WaitsForASocketThatListensLate) {
  BoundSocket s;
  ASSERT_GT(s.port, 0);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    ::listen(s.fd, 4);
  });
  double waited = 0;
  const ListenOutcome o = wait_until_listening(s.port, 5.0, [] { return false; }, waited);
  later.join();
  EXPECT_EQ(o, ListenOutcome::listening);
  EXPECT_GE(waited, 0.35);
  EXPECT_LT(waited, 4.0);
  // Nothing connected while it waited: no connection is queued on the socket.
  pollfd p{s.fd, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
}

TEST(ListenWait, GivesUpAtTheDeadline) {
  BoundSocket s;  // bound, never listening
  ASSERT_GT(s.port, 0);
  double waited = 0;
  EXPECT_EQ(wait_until_listening(s.port, 0.3, [] { return false; }, waited), ListenOutcome::timed_out);
  EXPECT_GE(waited, 0.3);
  EXPECT_LT(waited, 2.0);
}

TEST(ListenWait, StopsWhenTheServerEnded) {
  BoundSocket s;
  ASSERT_GT(s.port, 0);
  int calls = 0;
  double waited = 0;
  EXPECT_EQ(wait_until_listening(s.port, 5.0, [&] { return ++calls >= 3; }, waited), ListenOutcome::ended);
  EXPECT_EQ(calls, 3);
  EXPECT_LT(waited, 2.0);
}

// A listener on the same port at another address (127.0.0.2 here) is not the server the client
// will connect to at 127.0.0.1 (review WD57 L1): the wait matched the port on any address.
TEST(ListenWait, AnotherAddressOnThePortIsNotTheServer) {
  BoundSocket s;
  ASSERT_GT(s.port, 0);
  const int other = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(other, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7F000002);
  a.sin_port = htons(static_cast<uint16_t>(s.port));
  ASSERT_EQ(::bind(other, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(other, 1), 0);
  EXPECT_FALSE(tcp_port_listening(s.port));
  ASSERT_EQ(::listen(s.fd, 1), 0);
  EXPECT_TRUE(tcp_port_listening(s.port));
  ::close(other);
}
