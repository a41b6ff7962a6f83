#include "bench/listen_wait.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace infertrace::bench {

namespace {

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
    if (colon == std::string::npos) continue;
    try {
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

}  // namespace

bool tcp_port_listening(int port) { return listens_in("/proc/net/tcp", port) || listens_in("/proc/net/tcp6", port); }

ListenOutcome wait_until_listening(int port, double timeout_s, const std::function<bool()>& ended, double& waited_s) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto until = t0 + std::chrono::duration<double>(timeout_s);
  ListenOutcome outcome = ListenOutcome::timed_out;
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
