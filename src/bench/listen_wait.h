// Waiting for a load that is a server (bench interference's iperf3 server) to listen before its
// client starts: a fixed 300 ms sleep lost net and heavy runs on a busy machine, where the client
// came first and got "Connection refused" (review BT57 M1).
#pragma once

#include <functional>
#include <string>

namespace infertrace::bench {

// Whether a TCP socket that takes connections to 127.0.0.1 (bound to it, or to the IPv4 or IPv6
// wildcard) listens on `port` now, read from /proc/net/tcp
// and /proc/net/tcp6. No connection is made: iperf3 -s -1 takes a probe connection for its one
// client, fails on it ("unable to receive parameters from client") and exits.
bool tcp_port_listening(int port);

// Whether /proc/net/tcp or /proc/net/tcp6 can be read (not where /proc is not mounted).
bool listen_tables_readable();

enum class ListenOutcome { listening, ended, timed_out, unknown };

// Polls tcp_port_listening(port) every 10 ms until it holds, `ended()` returns true (the server
// exited, or the experiment was interrupted), or `timeout_s` passed. `waited_s` gets the time taken.
// Without the tables (no /proc) it cannot tell: it waits kUnknownListenWaitS, the fixed wait used
// before the tables were read, and returns `unknown` (review WD57 M2: every net run there waited
// the whole timeout and was dropped).
constexpr double kUnknownListenWaitS = 0.3;
ListenOutcome wait_until_listening(int port, double timeout_s, const std::function<bool()>& ended, double& waited_s);

}  // namespace infertrace::bench
