#include "util/inherited_descriptor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "util/error.h"
#include "util/temp_directory.h"
#include "util/whole_number.h"

namespace infertrace {

namespace fs = std::filesystem;

namespace {

// A pid, tid or descriptor number in a /proc path (util/whole_number: digits only, no sign).
std::optional<int> proc_number(const std::string& s) {
  const WholeNumber n = parse_whole_number(s, 0, INT32_MAX);
  if (n.status != WholeNumber::Status::ok || s.front() == '-') return std::nullopt;
  return static_cast<int>(n.value);
}

// N when `p` (its directory already canonical, so /proc/self and /dev/fd are spelled out as
// /proc/<pid>/fd) is /proc/P/fd/N or /proc/P/task/T/fd/N.
std::optional<int> descriptor_in_proc(const fs::path& p, const std::string& out) {
  std::vector<std::string> part;
  for (const fs::path& c : p) part.push_back(c.string());
  if (part.size() < 5 || part[0] != "/" || part[1] != "proc" || !proc_number(part[2])) return std::nullopt;
  const size_t fd_at = part.size() == 7 && part[3] == "task" && proc_number(part[4]) ? 5 : 3;
  const std::optional<int> fd = part.size() == fd_at + 2 && part[fd_at] == "fd" ? proc_number(part[fd_at + 1]) : std::nullopt;
  if (!fd) return std::nullopt;
  // /proc/<tid> of one of our own threads shares our descriptor table.
  const std::string own = std::to_string(::getpid());
  std::error_code ec;
  if (part[2] != own && !fs::exists("/proc/" + own + "/task/" + part[2], ec))
    throw Error(out + ": is a file descriptor of another process (pid " + part[2] +
                "); infertrace writes only its own descriptors (/dev/stdout, /dev/fd/N) or files");
  return fd;
}

[[noreturn]] void fail(const std::string& out, const std::string& what) {
  throw Error(out + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

std::optional<int> inherited_descriptor(const std::string& out) {
  std::error_code ec;
  fs::path at = fs::absolute(out, ec);
  if (ec) return std::nullopt;
  // Link by link, each one's directory made canonical: /dev/stdout -> /proc/self/fd/1 and /dev/fd
  // -> /proc/self/fd are caught at the hop that reaches /proc, before the magic link itself (which
  // reads "pipe:[N]" or the file's path) is followed.
  for (int hop = 0; hop < 40; ++hop) {  // 40: the kernel's own limit on links followed in one lookup
    const fs::path dir = fs::canonical(at.parent_path(), ec);
    if (ec) return std::nullopt;  // a missing or unreadable directory: no descriptor there
    const fs::path here = dir / at.filename();
    if (const auto n = descriptor_in_proc(here, out)) return n;
    struct stat st{};
    if (::lstat(here.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return std::nullopt;
    const fs::path next = fs::read_symlink(here, ec);
    if (ec) return std::nullopt;
    at = next.is_absolute() ? next : dir / next;
  }
  return std::nullopt;  // a loop: the caller's stat() names it
}

bool names_our_stdout(const std::string& out) { return inherited_descriptor(out) == 1; }

void require_writable_descriptor(int fd, const std::string& out) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw Error(out + ": file descriptor " + std::to_string(fd) + " is not open");
  if ((flags & O_ACCMODE) == O_RDONLY)
    throw Error(out + ": file descriptor " + std::to_string(fd) + " is open for reading only");
}

namespace {

int kept_stdout = -1;  // one stdout per process, taken aside once by stdout_for_output

}  // namespace

int users_stdout() { return kept_stdout >= 0 ? kept_stdout : STDOUT_FILENO; }

int stdout_for_output(const std::string& out) {
  int& kept = kept_stdout;
  if (kept >= 0) return kept;
  require_writable_descriptor(1, out);
  std::cout.flush();
  std::fflush(stdout);
  kept = duplicate_descriptor(1, out);
  if (::dup2(2, 1) < 0) {  // no stderr either: the lines go nowhere rather than into the output
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, 1);
      ::close(null);
    }
  }
  // By lines when that is a terminal (stdout is a stream of our own, util/watched_stdout.h, which
  // chose when fd 1 was still the user's). A stream already by lines stays so when stderr is a
  // file: its lines then keep their order among stderr's own, unbuffered ones (review S55 L2).
  if (::isatty(1)) std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return kept;
}

int duplicate_descriptor(int fd, const std::string& out) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) fail(out, "cannot duplicate file descriptor " + std::to_string(fd));
  return copy;
}

namespace {

// Writes all of buf to `to`: a descriptor left O_NONBLOCK by whoever made it (some CI runners set it
// on their pipes) gives EAGAIN when the reader lags, which means "wait", not "fail".
int write_all(int to, const char* buf, size_t n) {
  for (size_t done = 0; done < n;) {
    const ssize_t w = ::write(to, buf + done, n - done);
    if (w > 0) {
      done += static_cast<size_t>(w);
    } else if (w == 0) {
      return EIO;  // no progress and no error: would loop forever
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p{to, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return errno;
    } else if (errno != EINTR) {
      return errno;
    }
  }
  return 0;
}

}  // namespace

bool descriptor_needs_scratch(int fd) {
  struct stat st{};
  return ::fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode));
}

DescriptorOutput::DescriptorOutput(int fd, std::string out) : fd_(fd), out_(std::move(out)) {
  struct stat st{};
  if (::fstat(fd_, &st) != 0) fail(out_, "cannot stat file descriptor " + std::to_string(fd_));
  if (!S_ISREG(st.st_mode) && !S_ISSOCK(st.st_mode)) {  // descriptor_needs_scratch's rule
    direct_ = duplicate_descriptor(fd_, out_);
    path_ = "/proc/self/fd/" + std::to_string(direct_);
    return;
  }
  const std::string dir = temp_directory();  // throws for a TMPDIR that names no writable directory
  std::string name = (fs::path(dir) / "infertrace-out-XXXXXX").string();
  // Close-on-exec from the start: a command another thread starts (record runs one) between a
  // mkstemp and a separate fcntl would inherit the scratch file.
  scratch_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (scratch_ < 0) fail(name, "cannot create a scratch file (in " + dir + ")");
  ::unlink(name.c_str());  // from here on only the descriptor holds it
  path_ = "/proc/self/fd/" + std::to_string(scratch_);
}

DescriptorOutput::~DescriptorOutput() {
  if (direct_ >= 0) ::close(direct_);
  if (scratch_ >= 0) ::close(scratch_);
}

void DescriptorOutput::finish() {
  if (scratch_ < 0) return;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const int to = duplicate_descriptor(fd_, out_);
  char buf[1 << 16];
  int error = 0;
  for (off_t at = 0;;) {  // pread: the writer's own opening moved no offset of ours, but say so
    const ssize_t n = ::pread(scratch_, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) error = errno;
      break;
    }
    at += n;
    if ((error = write_all(to, buf, static_cast<size_t>(n))) != 0) break;
  }
  if (::close(to) != 0 && error == 0) error = errno;
  if (error) {
    errno = error;
    fail(out_, "cannot write");
  }
}

}  // namespace infertrace
