#include "record/invoking_user.h"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace infertrace {

InvokingUser invoking_user() {
  InvokingUser u;
  const char* su = std::getenv("SUDO_UID");
  if (!su || ::getuid() != 0) return u;
  u.switch_user = true;
  u.uid = static_cast<uid_t>(std::atoi(su));
  const passwd* pw = ::getpwuid(u.uid);
  const char* sg = std::getenv("SUDO_GID");
  u.gid = sg ? static_cast<gid_t>(std::atoi(sg)) : pw ? pw->pw_gid : static_cast<gid_t>(u.uid);
  if (pw) {
    u.name = pw->pw_name, u.home = pw->pw_dir;
    int n = 64;
    u.groups.resize(static_cast<size_t>(n));
    if (::getgrouplist(u.name.c_str(), u.gid, u.groups.data(), &n) < 0) {
      u.groups.resize(static_cast<size_t>(n));
      ::getgrouplist(u.name.c_str(), u.gid, u.groups.data(), &n);
    }
    u.groups.resize(static_cast<size_t>(std::max(n, 0)));
  }
  return u;
}

bool become(const InvokingUser& u) {
  const int groups_ok = u.groups.empty() ? ::setgroups(0, nullptr) : ::setgroups(u.groups.size(), u.groups.data());
  return groups_ok == 0 && ::setgid(u.gid) == 0 && ::setuid(u.uid) == 0;
}

int access_as(const InvokingUser& u, const std::string& path, int mode) {
  const pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) {  // async-signal-safe calls only: the parent may have other threads
    if (!become(u)) ::_exit(255);
    ::_exit(::access(path.c_str(), mode) == 0 ? 0 : std::min(errno, 254));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return errno;
  if (!WIFEXITED(status)) return EPERM;
  const int code = WEXITSTATUS(status);
  return code == 255 ? EPERM : code;
}

}  // namespace infertrace
