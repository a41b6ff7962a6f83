#include "util/write_text_file.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>

#include "util/error.h"
#include "util/write_whole.h"

namespace infertrace {

int open_for_writing(const std::string& path, bool create, FifoWait wait) {
  const int flags = O_WRONLY | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT | O_TRUNC : 0);
  int64_t waited_ms = 0;  // (64 bits: a wait for ever may pass 2^31 ms)
  for (;;) {
    const int fd = ::open(path.c_str(), flags, 0666);
    if (fd >= 0) {
      // Non-blocking only for the open: the writes wait for a slow reader as any writer's do.
      const int fl = ::fcntl(fd, F_GETFL);
      if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error("cannot write " + path + ": " + std::strerror(err));
      }
      return fd;
    }
    const int err = errno;
    if (err == EINTR) continue;
    // ENXIO: a FIFO (or a pipe reopened through /proc/self/fd) with no process at its read end.
    if (err != ENXIO) throw Error("cannot write " + path + ": " + std::strerror(err));
    if (wait == FifoWait::Bounded && waited_ms >= kFifoReaderWaitMs)
      throw Error(path + ": a FIFO that no process reads (none opened it for reading within " +
                  std::to_string(kFifoReaderWaitMs / 1000) + " s): nothing written");
    if (wait == FifoWait::Forever && waited_ms == kFifoWaitNoteMs)
      std::cerr << "infertrace: waiting for a process to open " << path
                << " for reading (a FIFO nothing reads yet; Ctrl-C stops)" << std::endl;
    const timespec step{0, 50 * 1000 * 1000};
    ::nanosleep(&step, nullptr);
    waited_ms += 50;
  }
}

void write_text_file(const std::string& out, const std::string& text, std::optional<HeldEntry>* renamed,
                     FifoWait wait) {
  write_whole(out, [&](const std::string& to) {
    const int fd = open_for_writing(to, true, wait);
    for (size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : EIO;
        ::close(fd);
        throw Error("cannot write " + to + ": " + std::strerror(err));
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) throw Error("cannot write " + to + ": " + std::strerror(errno));
    return 0;
  }, renamed, wait);
}

}  // namespace infertrace
