// One `infertrace-serve serve` started by `bench serve` for a topology: in its own process group,
// stdout read until the server says where it listens (it binds port 0, so the kernel picks a free
// port), stderr kept in a log file that errors quote. Stopped with SIGTERM, then SIGKILL.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "util/error.h"

namespace infertrace::serve {

// A server that exited, timed out or misbehaved while starting: the message names its log, which
// the caller therefore keeps (bench serve removes its log directory on every other path).
class ServerError : public Error {
 public:
  using Error::Error;
};

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ServerProcess(ServerProcess&& o) noexcept;
  ServerProcess& operator=(ServerProcess&& o) noexcept;
  ~ServerProcess();  // stop()

  // Starts argv (argv[0] an executable path) and waits up to `timeout_ms` for the line
  // "infertrace serve: listening on http://HOST:PORT". Throws ServerError when it exits first, times out,
  // or `cancelled()` turns true (Ctrl-C), quoting the end of the log.
  static ServerProcess start(const std::vector<std::string>& argv, const std::string& log_path, int timeout_ms,
                             const std::function<bool()>& cancelled = {});

  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // SIGTERM to the group, up to grace_ms, then SIGKILL; reaps. Returns the exit status (128+signal
  // when killed), -1 when nothing ran.
  int stop(int grace_ms = 5000);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string url_, log_path_;
};

// SIGINT/SIGTERM/SIGHUP handlers that SIGTERM every running server's process group and then die of
// the signal as before, so an interrupted `bench serve` leaves no server behind. (A SIGKILLed
// bench cannot run a handler: the servers get SIGTERM from PR_SET_PDEATHSIG instead.)
void stop_servers_on_signal();

// Makes those handlers also remove the directory `dir` and the files in it (the servers' logs)
// before dying, with async-signal-safe calls only; "" stops that. Subdirectories are not expected
// and are left (the rmdir then fails, harmlessly).
void remove_dir_on_signal(const std::string& dir);

// The last `max_bytes` of a file, for error messages.
std::string file_tail(const std::string& path, size_t max_bytes = 2000);

}  // namespace infertrace::serve
