#include "util/current_umask.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "util/error.h"

namespace infertrace {

mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  return umask_from_child();
}

mode_t umask_from_child() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw Error(std::string("cannot read the umask: pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls here: the parent may have other threads
    const mode_t mask = ::umask(0);
    const ssize_t sent = ::write(p[1], &mask, sizeof mask);
    ::_exit(sent == static_cast<ssize_t>(sizeof mask) ? 0 : 1);
  }
  const int fork_errno = errno;
  ::close(p[1]);
  mode_t mask = 0;
  ssize_t got = -1;
  if (pid > 0) {
    while ((got = ::read(p[0], &mask, sizeof mask)) < 0 && errno == EINTR) {
    }
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(p[0]);
  if (pid < 0) throw Error(std::string("cannot read the umask: fork: ") + std::strerror(fork_errno));
  if (got != static_cast<ssize_t>(sizeof mask)) throw Error("cannot read the umask: the child process sent nothing");
  return mask & 0777;
}

}  // namespace infertrace
