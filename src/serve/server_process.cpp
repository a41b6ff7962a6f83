#include "serve/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace infertrace::serve {

namespace {

constexpr const char* kListening = "infertrace serve: listening on ";

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Process groups of running servers, read by the signal handler: plain atomics, no allocation.
constexpr int kMaxServers = 256;
std::atomic<pid_t> g_servers[kMaxServers];

void remember(pid_t pid) {
  for (auto& slot : g_servers) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return;
  }
}

void forget(pid_t pid) {
  for (auto& slot : g_servers) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

// The directory the handler removes (remove_dir_on_signal): written before g_dir_set is raised, so
// the handler reads a complete path; never freed.
char g_dir[4096];
std::atomic<bool> g_dir_set{false};

// rm -f DIR/* && rmdir DIR from a signal handler: the getdents64/unlinkat/rmdir system calls, no allocation,
// no stdio, no opendir (which allocates).
void remove_dir_now(const char* dir) {
  const int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[4096];
  // Two passes: a directory read while its entries are removed may skip some (the log files are
  // few; a second pass from the start finds any left).
  for (int pass = 0; pass < 2; ++pass) {
    lseek(fd, 0, SEEK_SET);
    for (;;) {
      const ssize_t n = getdents64(fd, buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const struct dirent64*>(buf + at);
        const char* name = e->d_name;
        if (!(name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))) unlinkat(fd, name, 0);
        at += e->d_reclen;
      }
    }
  }
  close(fd);
  rmdir(dir);
}

void on_signal(int sig) {
  for (auto& slot : g_servers) {
    const pid_t pid = slot.load();
    if (pid > 0) kill(-pid, SIGTERM);
  }
  if (g_dir_set.load()) remove_dir_now(g_dir);
  signal(sig, SIG_DFL);
  raise(sig);
}

int decode_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1; }

}  // namespace

void stop_servers_on_signal() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

void remove_dir_on_signal(const std::string& dir) {
  g_dir_set = false;
  if (dir.empty() || dir.size() >= sizeof g_dir) return;  // too long to hold: left, as before
  std::memcpy(g_dir, dir.c_str(), dir.size() + 1);
  g_dir_set = true;
}

std::string file_tail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

ServerProcess::ServerProcess(ServerProcess&& o) noexcept
    : pid_(o.pid_), out_fd_(o.out_fd_), url_(std::move(o.url_)), log_path_(std::move(o.log_path_)) {
  o.pid_ = -1;
  o.out_fd_ = -1;
}

ServerProcess& ServerProcess::operator=(ServerProcess&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_;
    out_fd_ = o.out_fd_;
    url_ = std::move(o.url_);
    log_path_ = std::move(o.log_path_);
    o.pid_ = -1;
    o.out_fd_ = -1;
  }
  return *this;
}

ServerProcess::~ServerProcess() { stop(); }

ServerProcess ServerProcess::start(const std::vector<std::string>& argv, const std::string& log_path, int timeout_ms,
                                   const std::function<bool()>& cancelled) {
  if (argv.empty()) throw Error("no server command");
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw Error("cannot write " + log_path + ": " + std::strerror(errno));
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    close(log_fd);
    throw Error(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  std::vector<std::string> copy = argv;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t parent = getpid();
  // Until the child has the default dispositions, it must not run the bench's handlers (they would
  // remove the log directory, see remove_dir_on_signal, when stop() SIGTERMs a child that has not
  // exec'd yet): the signals are blocked across fork and the child unblocks them after resetting.
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
  const pid_t pid = fork();
  if (pid != 0) pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    close(log_fd);
    close(pipefd[0]);
    close(pipefd[1]);
    throw Error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // the bench killed outright: the server goes too
    if (getppid() != parent) _exit(1);  // it died before prctl took effect
    // The bench's interrupt handlers must not be inherited as ignored dispositions, nor run here.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(args[0], args.data());
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so stop() can signal the group even before the child ran
  remember(pid);
  close(pipefd[1]);
  close(log_fd);
  ServerProcess p;
  p.pid_ = pid;
  p.out_fd_ = pipefd[0];
  p.log_path_ = log_path;

  std::string out;
  const int64_t deadline = now_ms() + timeout_ms;
  auto fail = [&](const std::string& why) {
    p.stop(1000);
    const std::string tail = file_tail(log_path);
    throw ServerError("server " + argv[0] + " " + why + (tail.empty() ? "" : ":\n" + tail) + "\n(log: " + log_path + ")");
  };
  for (;;) {
    const size_t at = out.find(kListening);
    if (at != std::string::npos) {
      const size_t end = out.find('\n', at);
      if (end != std::string::npos) {
        p.url_ = out.substr(at + std::strlen(kListening), end - at - std::strlen(kListening));
        while (!p.url_.empty() && (p.url_.back() == '\r' || p.url_.back() == ' ')) p.url_.pop_back();
        if (p.url_.rfind("http://", 0) != 0) fail("announced an address that is not http://: " + p.url_);
        return p;
      }
    }
    if (cancelled && cancelled()) fail("start interrupted");
    const int64_t left = deadline - now_ms();
    if (left <= 0) fail("did not say where it listens within " + std::to_string(timeout_ms / 1000) + " s");
    pollfd pfd{p.out_fd_, POLLIN, 0};
    const int r = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    if (r < 0 && errno != EINTR) fail(std::string("poll: ") + std::strerror(errno));
    if (r > 0) {
      char buf[4096];
      const ssize_t n = read(p.out_fd_, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {  // stdout closed: it exited (or closed it) without announcing
        int st = 0;
        waitpid(pid, &st, 0);
        forget(pid);
        p.pid_ = -1;
        close(p.out_fd_);
        p.out_fd_ = -1;
        const std::string tail = file_tail(log_path);
        throw ServerError("server " + argv[0] + " exited with status " + std::to_string(decode_status(st)) +
                    " before listening" + (tail.empty() ? "" : ":\n" + tail) + "\n(log: " + log_path + ")");
      }
    }
  }
}

int ServerProcess::stop(int grace_ms) {
  int status = -1;
  if (pid_ > 0) {
    // The group, or the server alone if it has none: never both, since a second SIGTERM while
    // the server stops makes it exit at once (128 + 15) instead of ending its requests.
    if (kill(-pid_, SIGTERM) != 0) kill(pid_, SIGTERM);
    const int64_t deadline = now_ms() + grace_ms;
    int st = 0;
    pid_t r = 0;
    while ((r = waitpid(pid_, &st, WNOHANG)) == 0 && now_ms() < deadline) usleep(10000);
    if (r == 0) {
      kill(-pid_, SIGKILL);
      while ((r = waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {
      }
    }
    if (r == pid_) status = decode_status(st);
    kill(-pid_, SIGKILL);  // anything the server left in its group
    forget(pid_);
    pid_ = -1;
  }
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
  return status;
}

}  // namespace infertrace::serve
