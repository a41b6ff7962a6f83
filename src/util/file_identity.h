// Which file a name stands for, as the kernel tells files apart (device and inode): a name can be
// moved away and another file (or a link to one) put in its place between two steps of a run, and
// a clean-up that goes by name alone then removes what is not its own (review BX H1).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <optional>
#include <string>

namespace infertrace {

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileIdentity&) const = default;
};

inline FileIdentity identity_of(const struct stat& st) { return {st.st_dev, st.st_ino}; }

// The file `name` itself is under the directory `dir_fd` (AT_FDCWD: `name` is a path; a link is
// the link, not what it names), or nothing when there is no such name.
inline std::optional<FileIdentity> identity_at(int dir_fd, const std::string& name) {
  struct stat st{};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  return identity_of(st);
}

}  // namespace infertrace
