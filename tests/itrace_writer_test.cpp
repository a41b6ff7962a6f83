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
#include <fstream>
#include <iterator>
#include <string>

#include "ingest/recording/recording_reader.h"
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

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The recorder's writer (OpenLater) leaves the path alone until open(): a start-up that fails or is
// stopped before it keeps an earlier recording (review RX2 L5). What was recorded before open()
// is in the file after it, in order, ahead of what came later.
TEST(ItraceWriter, OpenLaterTouchesNothingUntilOpened) {
  TempDir dir("itrace-writer-later");
  const std::string path = (dir.path / "run.itrace").string();
  const std::string earlier = std::string("INFTRACE") + std::string(1000, 'x');
  { std::ofstream(path, std::ios::binary) << earlier; }
  {
    ItraceWriter w(path, ItraceWriter::OpenLater{});
    w.meta("before", "1");
    w.flush();  // kept buffered: nothing to write to yet
    EXPECT_FALSE(w.is_open());
    EXPECT_THROW(w.finish(), Error);
  }  // destroyed unopened
  EXPECT_EQ(file_bytes(path), earlier);

  {
    ItraceWriter w(path, ItraceWriter::OpenLater{});
    w.meta("before", "1");
    EXPECT_EQ(file_bytes(path), earlier);
    w.open();
    EXPECT_TRUE(w.is_open());
    EXPECT_THROW(w.open(), Error);
    w.meta("after", "2");
    w.finish();
    EXPECT_THROW(w.open(), Error);
  }
  const Trace t = read_recording(path);
  EXPECT_EQ(t.meta.at("before"), "1");
  EXPECT_EQ(t.meta.at("after"), "2");
  EXPECT_EQ(t.meta.at("recording.complete"), "true");  // ends in its END record
}

TEST(ItraceWriter, OpenLaterReportsACreateFailureAtOpen) {
  TempDir dir("itrace-writer-later-fail");
  const std::string path = (dir.path / "missing-dir" / "run.itrace").string();
  ItraceWriter w(path, ItraceWriter::OpenLater{});  // nothing checked yet
  try {
    w.open();
    ADD_FAILURE() << "open() into a missing directory did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": cannot create recording"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(w.is_open());
}

}  // namespace
}  // namespace infertrace
