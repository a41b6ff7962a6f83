// ItraceWriter's constructor writes the file header at once; when that first write fails it throws,
// and a throwing constructor runs no destructor, so the descriptor it opened (or duplicated) must be
// closed by the constructor itself (review BF L10, fixed in ca4450d; review BH L7: untested). A
// recorder retried in one process (tests, the fuzzers) would otherwise leak one descriptor a try.
#include <gtest/gtest.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "record/itrace_writer.h"
#include "temp_dir.h"
#include "util/error.h"

namespace infertrace {
namespace {

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;  // the iterator's own descriptor is counted in every call alike
}

// A "full" device (char 1:7) accepts open(2) and fails every write with ENOSPC: the header's write
// fails. As root the test makes its own node in a private directory: the writer is the code under
// test, and a regression that replaced its output (as one once did with -o /dev/null) must not be
// able to take the machine's /dev/full with it. Without root, /dev/full itself (we cannot replace it).
struct FullDevice {
  TempDir dir{"itrace-writer-full"};
  std::string path = "/dev/full";
  FullDevice() {
    if (::geteuid() != 0) return;
    const std::string own = (dir.path / "full").string();
    if (::mknod(own.c_str(), S_IFCHR | 0600, ::makedev(1, 7)) == 0) path = own;
  }
  // Really a full device: opens for writing and refuses a write with ENOSPC (a node in a /tmp
  // mounted nodev opens with EACCES, and the writer would then fail at its open, testing nothing
  // of the failed first write: review BM L4).
  bool usable() const {
    if (::geteuid() == 0 && path == "/dev/full") return false;  // mknod refused (a user namespace)
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool full = ::write(fd, "x", 1) < 0 && errno == ENOSPC;
    ::close(fd);
    return full;
  }
};

void expect_throw_without_leak(const std::string& path) {
  const size_t before = open_descriptors();
  for (int i = 0; i < 3; ++i) EXPECT_THROW(ItraceWriter w(path), Error) << path;
  EXPECT_EQ(open_descriptors(), before) << path << ": a descriptor per failed constructor left open";
}

TEST(ItraceWriter, FirstWriteFailingClosesTheFileItOpened) {
  const FullDevice full;
  if (!full.usable()) GTEST_SKIP() << "no private full device (mknod refused) and no safe /dev/full";
  expect_throw_without_leak(full.path);
}

TEST(ItraceWriter, FirstWriteFailingClosesTheDescriptorItDuplicated) {
  // `-o /dev/fd/N` naming a descriptor of ours: the writer writes through a dup() of it, which it
  // must close; N itself stays open (it is the caller's).
  const FullDevice full;
  if (!full.usable()) GTEST_SKIP() << "no private full device (mknod refused) and no safe /dev/full";
  const int fd = ::open(full.path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "cannot open " << full.path;
  expect_throw_without_leak("/dev/fd/" + std::to_string(fd));
  EXPECT_EQ(::fcntl(fd, F_GETFD), FD_CLOEXEC);  // still open
  ::close(fd);
}

}  // namespace
}  // namespace infertrace
