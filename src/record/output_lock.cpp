#include "record/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace infertrace {

pid_t output_lock_holder(const struct stat& file) {
  // Lines such as "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1835012 0 EOF" (fs/locks.c lock_get_status:
  // the device's major and minor in hex, the inode in decimal); a lock with waiters is followed by
  // their lines, marked "->", which are not holders.
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream in(line);
    std::string id, kind, mode, access, where;
    long pid = 0;
    if (!(in >> id >> kind) || kind == "->" || kind != "FLOCK") continue;
    if (!(in >> mode >> access >> pid >> where) || access != "WRITE" || pid <= 0) continue;
    unsigned maj = 0, min = 0;
    unsigned long long ino = 0;
    if (std::sscanf(where.c_str(), "%x:%x:%llu", &maj, &min, &ino) != 3) continue;
    if (::makedev(maj, min) == file.st_dev && ino == static_cast<unsigned long long>(file.st_ino))
      return static_cast<pid_t>(pid);
  }
  return 0;
}

std::string output_in_use_message(const std::string& path, pid_t holder) {
  if (holder <= 0)  // not listed as a write lock (a read lock of another tool, or /proc unreadable)
    return "record: -o " + path + ": the file is locked by another process (another recording into this file is in "
           "progress, most likely); a second recorder would truncate it under the first: name another file (-o), or "
           "wait for it to end";
  std::ifstream comm("/proc/" + std::to_string(holder) + "/comm");
  std::string name;
  std::getline(comm, name);
  return "record: -o " + path + ": another recording into this file is in progress (" +
         (name.empty() ? std::string() : name + ", ") + "pid " + std::to_string(holder) +
         "); a second recorder would truncate it under the first and both recordings would be lost: name another "
         "file (-o), or wait for that recording to end";
}

bool output_locked(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;  // gone, or unreadable: the writer's own lock at the open decides
  int got;
  while ((got = ::flock(fd, LOCK_SH | LOCK_NB)) != 0 && errno == EINTR) {
  }
  const bool locked = got != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops our shared lock, if taken
  return locked;
}

void lock_output(int fd, const std::string& path) {
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int e = errno;
    if (e != EWOULDBLOCK) throw Error(path + ": cannot lock the recording: " + std::strerror(e));
    struct stat st{};
    throw Error(output_in_use_message(path, ::fstat(fd, &st) == 0 ? output_lock_holder(st) : 0));
  }
}

}  // namespace infertrace
