#include "bench/interference_proc.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

namespace infertrace::bench {

namespace {

volatile sig_atomic_t g_interrupted = 0;

void on_signal(int sig) { g_interrupted = sig; }

int status_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1; }

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads and waits return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed terminal or a dropped ssh session is the same request (review BI M1: it left stress-ng,
  // the cgroup and the scratch directory behind), as for record and serve.
  sigaction(SIGHUP, &sa, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

int interrupt_signal() { return g_interrupted; }

bool have_tool(const std::string& tool) {
  if (tool.find('/') != std::string::npos) return access(tool.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t a = 0;
  while (a <= p.size()) {
    size_t b = p.find(':', a);
    if (b == std::string::npos) b = p.size();
    const std::string full = p.substr(a, b - a) + "/" + tool;
    struct stat st {};
    if (b > a && stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(full.c_str(), X_OK) == 0) return true;
    a = b + 1;
  }
  return false;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_), out_fd_(o.out_fd_) { o.pid_ = -1, o.out_fd_ = -1; }

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_, out_fd_ = o.out_fd_;
    o.pid_ = -1, o.out_fd_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { stop(); }

ChildProcess ChildProcess::start(const std::vector<std::string>& argv, bool capture, const std::string& cgroup_procs,
                                 const std::string& stderr_file) {
  if (argv.empty()) throw Error("internal: empty command");
  int fds[2] = {-1, -1};
  if (capture && pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    // The child must not inherit the runner's handlers' flag semantics: default dispositions (before
    // the death signal below, which the inherited handler would only note).
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGHUP, SIG_DFL);
    // A bench killed outright (SIGKILL, the OOM killer, `timeout -s KILL`) runs no clean-up: its
    // loads burnt every CPU for up to --load-limit and the next bench's baseline ran beside them
    // (review BX M2). SIGTERM when this child's parent goes, so stress-ng and fio stop their own
    // workers too; it survives exec. It follows the forking *thread*: run_interference forks from
    // the thread that runs it (the CLI's main thread), which lives as long as the bench. The parent
    // may have died before prctl: then nobody sends it, so check.
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(125);
    if (!cgroup_procs.empty()) {
      const int cg = open(cgroup_procs.c_str(), O_WRONLY);
      if (cg < 0 || dprintf(cg, "%d\n", static_cast<int>(getpid())) < 0) {
        dprintf(STDERR_FILENO, "cannot join cgroup %s: %s\n", cgroup_procs.c_str(), std::strerror(errno));
        _exit(126);
      }
      close(cg);
    }
    const int out = capture ? fds[1] : open("/dev/null", O_WRONLY);
    if (out >= 0) dup2(out, STDOUT_FILENO), dup2(out, STDERR_FILENO);
    // A load's own stderr, kept for the message when it fails (review BX L4); a file, not a pipe
    // nobody reads while the load runs.
    if (!capture && !stderr_file.empty()) {
      const int err = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (err >= 0) dup2(err, STDERR_FILENO);
    }
    const int in = open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, STDIN_FILENO);
    execvp(args[0], args.data());
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so the group exists before any kill()
  ChildProcess c;
  c.pid_ = pid;
  if (capture) close(fds[1]), c.out_fd_ = fds[0];
  return c;
}

int ChildProcess::wait_capture(std::string& output, std::chrono::steady_clock::time_point* exited_at) {
  if (pid_ <= 0) return -1;
  char buf[4096];
  // The child is reaped as soon as it exits, not after the output's end: a background process it
  // left keeps the pipe open (`sh -c 'sleep 4 & echo v: 1'`), and its wall time then included that
  // process's life (review BI L6). The output is still read to its end.
  bool reaped = false;
  int st = 0;
  const auto reap = [&] {
    if (!reaped && waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped = true;
      if (exited_at) *exited_at = std::chrono::steady_clock::now();
    }
  };
  // Interrupted: the group goes (a background process of the command too), as stop() does.
  const auto give_up = [&] {
    if (!reaped) return stop(), -1;
    if (out_fd_ >= 0) close(out_fd_), out_fd_ = -1;
    kill(-pid_, SIGKILL);
    pid_ = -1;
    return -1;
  };
  while (out_fd_ >= 0) {
    pollfd p{out_fd_, POLLIN, 0};
    const int ready = poll(&p, 1, reaped ? -1 : 50);
    if (ready < 0) {
      if (errno != EINTR) break;
      if (interrupted()) return give_up();
      continue;
    }
    if (ready > 0) {
      const ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n > 0) {
        output.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        close(out_fd_), out_fd_ = -1;
      } else if (errno == EINTR) {
        if (interrupted()) return give_up();
      } else {
        close(out_fd_), out_fd_ = -1;
      }
    }
    reap();
  }
  if (out_fd_ >= 0) close(out_fd_), out_fd_ = -1;
  while (!reaped) {
    if (waitpid(pid_, &st, 0) == pid_) {
      reaped = true;
      if (exited_at) *exited_at = std::chrono::steady_clock::now();
      break;
    }
    if (errno != EINTR) return pid_ = -1, -1;
    if (interrupted()) return give_up();
  }
  pid_ = -1;
  return status_code(st);
}

namespace {

// Every descendant of `root`: one pass over /proc/PID/stat for the parent of each process, then
// the tree walked from `root`.
std::vector<pid_t> descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;  // parent -> child
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream st(e.path() / "stat");
    std::string line;
    if (!std::getline(st, line)) continue;
    const size_t close_paren = line.rfind(')');  // comm may hold spaces and parentheses
    if (close_paren == std::string::npos || close_paren + 2 > line.size()) continue;
    std::istringstream rest(line.substr(close_paren + 2));
    char state;
    pid_t ppid = 0;
    if (rest >> state >> ppid) children.emplace(ppid, static_cast<pid_t>(std::stol(name)));
  }
  std::vector<pid_t> out;
  for (std::vector<pid_t> todo{root}; !todo.empty();) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (auto [it, end] = children.equal_range(p); it != end; ++it) out.push_back(it->second), todo.push_back(it->second);
  }
  return out;
}

}  // namespace

bool ChildProcess::exited_early(int& status) {
  if (pid_ <= 0) return false;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
  status = status_code(st);
  kill(-pid_, SIGKILL);  // anything the group left behind
  pid_ = -1;
  return true;
}

void ChildProcess::stop(int grace_ms) {
  if (out_fd_ >= 0) close(out_fd_), out_fd_ = -1;
  if (pid_ <= 0) return;
  // Workers outside the group (fio's jobs each make their own) go with it, found before the
  // parent exits and they are re-parented.
  const std::vector<pid_t> strays = descendants(pid_);
  kill(-pid_, SIGTERM);
  for (pid_t p : strays) kill(p, SIGTERM);
  int st = 0;
  for (int waited = 0; waited < grace_ms; waited += 20) {
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      kill(-pid_, SIGKILL);  // leftovers of the group (workers that ignored SIGTERM)
      for (pid_t p : strays) kill(p, SIGKILL);
      pid_ = -1;
      return;
    }
    const timespec ts{0, 20'000'000};
    nanosleep(&ts, nullptr);
  }
  kill(-pid_, SIGKILL);
  for (pid_t p : strays) kill(p, SIGKILL);
  waitpid(pid_, &st, 0);
  pid_ = -1;
}

}  // namespace infertrace::bench
