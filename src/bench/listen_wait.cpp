#include "bench/listen_wait.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace infertrace::bench {

namespace {

// Whether a listener's local address (as /proc/net/tcp{,6} print it: the address's bytes as host
// words in hex) takes a connection to 127.0.0.1: 127.0.0.1 itself or the wildcard, and in tcp6 the
// wildcard :: or ::ffff:127.0.0.1. A listener on another address with the same port is someone
// else's and does not end the wait (review WD57 L1).
bool takes_loopback(const std::string& address) {
  if (address.size() == 8) {
    const uint32_t loopback = htonl(INADDR_LOOPBACK);
    char want[9];
    std::snprintf(want, sizeof want, "%08X", loopback);
    return address == want || address == "00000000";
  }
  if (address.size() == 32) {
    uint32_t words[4] = {0, 0, htonl(0x0000FFFFu), htonl(INADDR_LOOPBACK)};
    char mapped[33];
    std::snprintf(mapped, sizeof mapped, "%08X%08X%08X%08X", words[0], words[1], words[2], words[3]);
    return address == mapped || address == std::string(32, '0');
  }
  return false;
}

// A table of /proc/net/tcp's format: "sl local_address rem_address st ...", the local address
// "HEXADDR:HEXPORT", the state 0A for LISTEN.
bool listens_in(const std::string& table, int port) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string slot, local, remote, state;
    if (!(row >> slot >> local >> remote >> state) || state != "0A") continue;
    const size_t colon = local.rfind(':');
    if (colon == std::string::npos || !takes_loopback(local.substr(0, colon))) continue;
    try {
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

}  // namespace

bool listen_tables_readable() {
  return std::ifstream("/proc/net/tcp").is_open() || std::ifstream("/proc/net/tcp6").is_open();
}

bool tcp_port_listening(int port) { return listens_in("/proc/net/tcp", port) || listens_in("/proc/net/tcp6", port); }

ListenOutcome wait_until_listening(int port, double timeout_s, const std::function<bool()>& ended, double& waited_s) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto until = t0 + std::chrono::duration<double>(timeout_s);
  ListenOutcome outcome = ListenOutcome::timed_out;
  if (!listen_tables_readable()) {
    const auto fixed = t0 + std::chrono::duration<double>(std::min(timeout_s, kUnknownListenWaitS));
    outcome = ListenOutcome::unknown;
    while (std::chrono::steady_clock::now() < fixed) {
      if (ended && ended()) {
        outcome = ListenOutcome::ended;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return outcome;
  }
  while (true) {
    if (tcp_port_listening(port)) {
      outcome = ListenOutcome::listening;
      break;
    }
    if (ended && ended()) {
      outcome = ListenOutcome::ended;
      break;
    }
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outcome;
}

}  // namespace infertrace::bench
