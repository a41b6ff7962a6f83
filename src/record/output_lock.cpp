#include "record/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace infertrace {

OutputLockHolder output_lock_holder(const struct stat& file) {
  // Lines such as "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1835012 0 EOF" (fs/locks.c lock_get_status:
  // the device's major and minor in hex, the inode in decimal), READ for a shared lock; a lock with
  // waiters is followed by their lines, marked "->", which are not holders.
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream in(line);
    std::string id, kind, mode, access, where;
    long pid = 0;
    if (!(in >> id >> kind) || kind == "->" || kind != "FLOCK") continue;
    if (!(in >> mode >> access >> pid >> where) || (access != "WRITE" && access != "READ") || pid <= 0) continue;
    unsigned maj = 0, min = 0;
    unsigned long long ino = 0;
    if (std::sscanf(where.c_str(), "%x:%x:%llu", &maj, &min, &ino) != 3) continue;
    if (::makedev(maj, min) == file.st_dev && ino == static_cast<unsigned long long>(file.st_ino))
      return {static_cast<pid_t>(pid), access == "READ"};
  }
  return {};
}

bool runs_this_program(pid_t pid) {
  // Told by the kernel's link to the executable the process runs, which a process cannot point at
  // our binary without running it; its comm (prctl PR_SET_NAME, anyone's choice) and its command
  // line (its own memory: a script may call itself "infertrace record") can say anything. The same
  // file (also through another link to it), or the same path: a recorder started before the binary
  // was rebuilt runs a file its link calls "PATH (deleted)". Unreadable (another user's process,
  // without privilege): not known to be a recorder, so it is named by its comm only.
  const std::string theirs = "/proc/" + std::to_string(pid) + "/exe";
  struct stat a{}, b{};
  if (::stat(theirs.c_str(), &a) == 0 && ::stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev &&
      a.st_ino == b.st_ino)
    return true;
  const auto target = [](const std::string& link) {
    std::error_code ec;
    std::string t = std::filesystem::read_symlink(link, ec).string();
    const std::string deleted = " (deleted)";
    if (t.size() > deleted.size() && t.compare(t.size() - deleted.size(), deleted.size(), deleted) == 0)
      t.resize(t.size() - deleted.size());
    return ec ? std::string() : t;
  };
  const std::string path = target(theirs);
  return !path.empty() && path == target("/proc/self/exe");
}

std::string output_in_use_message(const std::string& path, const OutputLockHolder& holder) {
  const std::string head = "record: -o " + path + ": ";
  const std::string choice = ": name another file (-o), or wait for ";
  if (holder.pid <= 0)  // not listed: /proc unreadable, or a holder in another PID namespace
    return head + "the file is locked (flock) by a process /proc/locks does not name; recording would truncate it "
                  "under that process" + choice + "it to let go of the file";
  std::ifstream comm("/proc/" + std::to_string(holder.pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  const std::string pid = "pid " + std::to_string(holder.pid);
  if (runs_this_program(holder.pid))  // a recorder, whichever lock (a shared one: its early check, output_locked)
    return head + "another recording into this file is in progress (" + (name.empty() ? "" : name + ", ") + pid +
           "); a second recorder would truncate it under the first and both recordings would be lost" + choice +
           "that recording to end";
  const std::string who = (name.empty() ? "" : name + " ") + "(" + pid + ")";
  if (holder.shared)
    return head + "the file is locked (flock, shared: a read lock) by " + who + ", which is reading it; recording "
                  "would truncate the file it is reading" + choice + "that reader to end";
  return head + "the file is locked (flock, exclusive) by " + who + "; recording would truncate the file under it" +
         choice + "that process to let go of the file";
}

bool output_locked(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;  // gone, or unreadable: the writer's own lock at the open decides
  // The recorder's own lock, not a shared one: a reader's shared lock admits another shared lock, so
  // it showed only at the open, after the probes had loaded, and was not named (review S44 L4). A
  // tool asking for a lock without waiting in this instant is refused it, as it would be by the
  // recorder moments later. Where flock is emulated by a byte-range lock (NFS) an exclusive one needs
  // a writable descriptor (EBADF here): the open's lock decides then.
  int got;
  while ((got = ::flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  const bool locked = got != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops our lock, if taken
  return locked;
}

void lock_output(int fd, const std::string& path) {
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int e = errno;
    if (e != EWOULDBLOCK) throw Error(path + ": cannot lock the recording: " + std::strerror(e));
    struct stat st{};
    throw Error(output_in_use_message(path, ::fstat(fd, &st) == 0 ? output_lock_holder(st) : OutputLockHolder{}));
  }
}

}  // namespace infertrace
