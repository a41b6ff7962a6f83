#include "util/write_text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>

#include "util/error.h"
#include "util/write_whole.h"

namespace infertrace {

int open_for_writing(const std::string& path, bool create, FifoWait wait) {
  const int flags = O_WRONLY | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT | O_TRUNC : 0);
  // Measured on the monotonic clock: a signal that cuts a sleep short (record's SIGCHLD) must not
  // shorten the wait.
  const auto started = std::chrono::steady_clock::now();
  bool noted = false;
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
    // ENXIO: a FIFO with no process at its read end, or a device without a driver (`mknod c 240 0`:
    // an error at once, as before, not a wait for a reader that cannot come).
    struct stat st {};
    if (err != ENXIO || ::stat(path.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode))
      throw Error("cannot write " + path + ": " + std::strerror(err));
    const int64_t waited_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (wait == FifoWait::Bounded && waited_ms >= kFifoReaderWaitMs)
      throw Error(path + ": a FIFO that no process reads (none opened it for reading within " +
                  std::to_string(kFifoReaderWaitMs / 1000) + " s): nothing written");
    if (wait == FifoWait::Forever && waited_ms >= kFifoWaitNoteMs && !noted) {
      noted = true;
      std::cerr << "infertrace: waiting for a process to open " << path
                << " for reading (a FIFO nothing reads yet; Ctrl-C stops)" << std::endl;
    }
    const timespec step{0, 50 * 1000 * 1000};
    ::nanosleep(&step, nullptr);
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
