#include "util/read_whole_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "util/error.h"

namespace infertrace {

std::string read_whole_file(const std::string& path, const std::string& what) {
  const std::string prefix = what.empty() ? "" : what + ": ";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path, -1, prefix + "cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InputError(path, -1, prefix + "is a directory; name a file");
  }
  const std::string too_big = prefix + "over " + std::to_string(kMaxSideInputBytes >> 20) + " MiB: not a side input";
  std::string out;
  // A regular file says its size: one too big is refused before a byte is read (a 5 GB trace given
  // as --decode-window was read for its first GiB first), and one that fits is read without regrowing.
  if (S_ISREG(st.st_mode)) {
    if (static_cast<uint64_t>(st.st_size) > kMaxSideInputBytes) {
      ::close(fd);
      throw InputError(path, -1, too_big);
    }
    out.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw InputError(path, static_cast<int64_t>(out.size()), prefix + "cannot read: " + std::strerror(err));
    }
    out.append(buf, static_cast<size_t>(n));
    // Side inputs are small JSON documents; a device such as /dev/zero (or a FIFO that never ends)
    // would otherwise be read until memory runs out. Pipes stay allowed: <(...) is a FIFO.
    if (out.size() > kMaxSideInputBytes) {
      ::close(fd);
      throw InputError(path, static_cast<int64_t>(out.size()), too_big);
    }
  }
  ::close(fd);
  return out;
}

}  // namespace infertrace
