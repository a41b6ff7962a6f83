#include "util/inherited_descriptor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "util/error.h"

namespace infertrace {

namespace fs = std::filesystem;

namespace {

bool is_number(const std::string& s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// N when `p` (its directory already canonical, so /proc/self and /dev/fd are spelled out as
// /proc/<pid>/fd) is /proc/P/fd/N or /proc/P/task/T/fd/N.
std::optional<int> descriptor_in_proc(const fs::path& p, const std::string& out) {
  std::vector<std::string> part;
  for (const fs::path& c : p) part.push_back(c.string());
  if (part.size() < 5 || part[0] != "/" || part[1] != "proc" || !is_number(part[2])) return std::nullopt;
  const size_t fd_at = part.size() == 7 && part[3] == "task" && is_number(part[4]) ? 5 : 3;
  if (part.size() != fd_at + 2 || part[fd_at] != "fd" || !is_number(part[fd_at + 1])) return std::nullopt;
  // /proc/<tid> of one of our own threads shares our descriptor table.
  const std::string own = std::to_string(::getpid());
  std::error_code ec;
  if (part[2] != own && !fs::exists("/proc/" + own + "/task/" + part[2], ec))
    throw Error(out + ": is a file descriptor of another process (pid " + part[2] +
                "); infertrace writes only its own descriptors (/dev/stdout, /dev/fd/N) or files");
  return std::stoi(part[fd_at + 1]);
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

void require_writable_descriptor(int fd, const std::string& out) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw Error(out + ": file descriptor " + std::to_string(fd) + " is not open");
  if ((flags & O_ACCMODE) == O_RDONLY)
    throw Error(out + ": file descriptor " + std::to_string(fd) + " is open for reading only");
}

int duplicate_descriptor(int fd, const std::string& out) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) fail(out, "cannot duplicate file descriptor " + std::to_string(fd));
  return copy;
}

void copy_file_into_descriptor(const std::string& from, int fd, const std::string& out) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail(from, "cannot read it back");
  const int to = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (to < 0) {
    const int e = errno;
    ::close(in);
    errno = e;
    fail(out, "cannot duplicate file descriptor " + std::to_string(fd));
  }
  char buf[1 << 16];
  int error = 0;
  for (;;) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) error = errno;
      break;
    }
    for (ssize_t done = 0; done < n && error == 0;) {
      const ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno != EINTR) error = errno;
      if (w > 0) done += w;
    }
    if (error) break;
  }
  ::close(in);
  if (::close(to) != 0 && error == 0) error = errno;
  if (error) {
    errno = error;
    fail(out, "cannot write");
  }
}

ScratchFile::ScratchFile() {
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  std::string name = (dir / "infertrace-out-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0) fail(name, "cannot create a scratch file");
  ::close(fd);
  path_ = name;
}

ScratchFile::~ScratchFile() { ::unlink(path_.c_str()); }

}  // namespace infertrace
