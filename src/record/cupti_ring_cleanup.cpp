#include "record/cupti_ring_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace infertrace::cupti {

namespace {

// A number as std::to_string writes it: digits, no leading zero (but "0" itself).
bool decimal(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;  // 9 digits: fits an int, above any pid_max (2^22)
  if (s.size() > 1 && s[0] == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string ring_file_name(int pid, int counter) {
  return kRingFilePrefix + std::to_string(pid) + "-" + std::to_string(counter);
}

Ring create_named_ring(const std::string& dir, int pid, int* counter, uint64_t capacity, std::string* path) {
  for (int i = 0; i < kRingNameTries; ++i) {
    const std::string p = dir + "/" + ring_file_name(pid, (*counter)++);
    try {
      Ring r = Ring::create(p, capacity);
      *path = p;
      return r;
    } catch (const RingExists&) {
      // Another recorder's (or a leftover of ours): the next name.
    }
  }
  throw std::runtime_error(dir + "/" + kRingFilePrefix + std::to_string(pid) + "-*: " + std::to_string(kRingNameTries) +
                           " ring names in a row are taken");
}

int ring_owner_pid(const std::string& name) {
  const size_t n = sizeof(kRingFilePrefix) - 1;
  if (name.compare(0, n, kRingFilePrefix) != 0) return -1;
  const size_t dash = name.find('-', n);
  if (dash == std::string::npos) return -1;
  const std::string pid = name.substr(n, dash - n), counter = name.substr(dash + 1);
  if (!decimal(pid) || !decimal(counter)) return -1;
  const int p = std::atoi(pid.c_str());
  return p > 0 ? p : -1;
}

// The rule: a ring is in use exactly while its recorder holds the shared flock() it takes when it
// creates the file (cupti::Ring::create) and keeps until it removes the file or dies; the kernel
// drops the lock with the recorder, however it ends. So a ring whose exclusive lock we obtain has
// no recorder and is stale. The PID in the name is not consulted: it means something only in its
// creator's PID namespace, and with a shared /dev/shm (docker run --ipc=host) a recorder in a
// container and one on the host see each other's rings under PIDs that are dead or someone else's;
// a lock is the same in every namespace. No clock is read either (a wall-clock step cannot matter).
// The look is made on the open file, not the name: fstat on our descriptor checks type and owner
// (O_NOFOLLOW: a link is refused by open itself; O_NONBLOCK: a FIFO planted under that name does
// not block the open), and after the lock the name must still refer to the same file (dev/ino), or
// a ring created under that name meanwhile, whose lock we never held, would be unlinked.
// Only names with kRingFilePrefix are considered: a ring of the older name may belong to a running
// recorder of a build that never locked it (cupti_ring_cleanup.h).
// The CUDA processes (producers) take no lock: they only map the file, and keep their mapping
// when it is removed after the recorder is gone.
std::vector<RemovedRing> remove_stale_cupti_rings(const std::string& dir, uid_t uid) {
  std::vector<RemovedRing> removed;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return removed;  // no /dev/shm: nothing was left there either
  const int dfd = ::dirfd(d);
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const int pid = ring_owner_pid(name);
    if (pid < 0) continue;
    const int fd = ::openat(dfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st {}, now {};
    const bool stale = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == uid &&
                       ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
                       ::fstatat(dfd, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
                       now.st_ino == st.st_ino;
    // Unlink while we hold the lock, so a recorder cannot lock the file in between (it would
    // then see its name gone and create again).
    const bool gone = stale && ::unlinkat(dfd, name.c_str(), 0) == 0;
    ::close(fd);
    if (gone) removed.push_back({dir + "/" + name, pid, static_cast<uint64_t>(st.st_size)});
  }
  ::closedir(d);
  return removed;
}

}  // namespace infertrace::cupti
