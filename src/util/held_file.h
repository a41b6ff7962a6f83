// A descriptor kept open on a file or directory this run put somewhere, until its clean-up is done.
// While it is open the kernel cannot free the inode, so its number cannot be handed to a file made
// after ours was removed or replaced (ext4 reuses a freed number at once): comparing device and inode
// with what a name holds now is then exact, where a recorded dev/ino alone matched another run's new
// file (review CB). And the directory is reached through its own descriptor, never by a path whose
// components (links, a renamed parent) may lead elsewhere by the time of the clean-up.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "util/file_identity.h"

namespace infertrace {

class HeldFile {
 public:
  explicit HeldFile(int fd) : fd_(fd) {}  // takes `fd` (may be -1: nothing held)
  ~HeldFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  HeldFile(const HeldFile&) = delete;
  HeldFile& operator=(const HeldFile&) = delete;

  int fd() const { return fd_; }
  // What it is held on; nothing when nothing is held.
  std::optional<FileIdentity> identity() const {
    struct stat st{};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0) return std::nullopt;
    return identity_of(st);
  }

 private:
  int fd_ = -1;
};

// Shared: the entries that record it are copied (a set of outputs is copied before it is written).
using HeldFilePtr = std::shared_ptr<const HeldFile>;

// openat(dir_fd, name, O_PATH | O_CLOEXEC | flags), held; null when it cannot be opened.
inline HeldFilePtr hold_at(int dir_fd, const std::string& name, int flags) {
  const int fd = ::openat(dir_fd, name.c_str(), O_PATH | O_CLOEXEC | flags);
  return fd < 0 ? nullptr : std::make_shared<const HeldFile>(fd);
}

// A second descriptor of an open file (F_DUPFD_CLOEXEC: no lookup by name), held; null when the
// process has no descriptor left (errno then says why).
inline HeldFilePtr hold_descriptor(int fd) {
  const int held = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return held < 0 ? nullptr : std::make_shared<const HeldFile>(held);
}

// Whether opening failed for want of descriptors or memory (EMFILE, ENFILE, ENOMEM): what a caller
// cannot treat as "that name is not ours" without leaving its own file behind (review CF).
inline bool out_of_descriptors(int err) { return err == EMFILE || err == ENFILE || err == ENOMEM; }

// A name this run gave to a file or directory: the directory it is in and the file, both held.
class CreatedOnSignal;  // util/partial_file.h

struct HeldEntry {
  HeldFilePtr parent;
  std::string name;
  HeldFilePtr file;
  // Listed for remove_partials_on_signal's handler (export's outputs that did not exist before the
  // run): a signal removes `name` too. Declared last, so unlisted before `parent` may close.
  std::shared_ptr<CreatedOnSignal> on_signal = {};

  // Whether `name` in `parent` is still `file` itself (a link put there is the link, not `file`).
  bool still_there() const {
    if (!parent || !file) return false;
    const std::optional<FileIdentity> now = identity_at(parent->fd(), name), ours = file->identity();
    return now && ours && *now == *ours;
  }
  // Removes `name` from `parent` (unlinkat, AT_REMOVEDIR for a directory, which must be empty)
  // while it is still `file`; whether it did. A rename in that one directory between the check and
  // the unlinkat is not seen: the kernel has no "remove this name only if it is this inode".
  bool remove(bool directory) const {
    return still_there() && ::unlinkat(parent->fd(), name.c_str(), directory ? AT_REMOVEDIR : 0) == 0;
  }
};

}  // namespace infertrace
