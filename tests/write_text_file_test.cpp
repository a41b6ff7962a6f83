// util/write_text_file.h: the whole-text writer every verb's in-memory output goes through, and its
// open that never waits for ever on a FIFO no process reads (record --summary-file FIFO hung at the
// end of the run; report -o FIFO, export --chrome FIFO hung the same way).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "temp_dir.h"
#include "util/error.h"
#include "util/write_text_file.h"

namespace infertrace {
namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WriteTextFile, WritesEveryByteAndLeavesNoPartial) {
  TempDir d("write-text");
  const std::string out = (d.path / "a.txt").string();
  std::string text(1 << 20, 'x');
  text += "end\n";
  write_text_file(out, text);
  EXPECT_EQ(contents(out), text);
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

TEST(WriteTextFile, MissingFolderNamesTheOutputAndErrno) {
  TempDir d("write-text");
  const std::string out = (d.path / "no" / "a.txt").string();
  try {
    write_text_file(out, "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
}

TEST(WriteTextFile, BoundedFifoWithoutReaderIsAnErrorNotAHang) {
  TempDir d("write-text");
  const std::string fifo = (d.path / "p").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    write_text_file(fifo, "summary\n", nullptr, FifoWait::Bounded);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fifo + ": a FIFO that no process reads"), std::string::npos) << e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(kFifoReaderWaitMs));
  EXPECT_LT(waited, std::chrono::milliseconds(kFifoReaderWaitMs + 3000));
  struct stat st{};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(WriteTextFile, FifoReaderThatComesLateGetsTheText) {
  TempDir d("write-text");
  const std::string fifo = (d.path / "p").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    got = contents(fifo);
  });
  write_text_file(fifo, "late but whole\n");
  reader.join();
  EXPECT_EQ(got, "late but whole\n");
}

// By default a FIFO's reader is waited for as long as it takes (past the bounded wait here), and
// stderr says what the verb waits for once kFifoWaitNoteMs have passed.
TEST(WriteTextFile, FifoReaderIsWaitedForWithANote) {
  TempDir d("write-text");
  const std::string fifo = (d.path / "p").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(kFifoReaderWaitMs + 500));
    got = contents(fifo);
  });
  testing::internal::CaptureStderr();
  write_text_file(fifo, "whenever\n");
  const std::string said = testing::internal::GetCapturedStderr();
  reader.join();
  EXPECT_EQ(got, "whenever\n");
  EXPECT_NE(said.find("waiting for a process to open " + fifo + " for reading"), std::string::npos) << said;
}

// ENXIO from a device without a driver is an error at once, not a wait for a FIFO's reader (it was
// polled as one: review S54 L1). Needs CAP_MKNOD; skipped without it.
TEST(WriteTextFile, DeviceWithoutDriverIsAnErrorAtOnce) {
  TempDir d("write-text");
  const std::string dev = (d.path / "nodev").string();
  if (::mknod(dev.c_str(), S_IFCHR | 0600, makedev(240, 0)) != 0) GTEST_SKIP() << "mknod: " << std::strerror(errno);
  const auto t0 = std::chrono::steady_clock::now();
  testing::internal::CaptureStderr();
  try {
    write_text_file(dev, "x\n");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("No such device or address"), std::string::npos) << e.what();
  }
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(kFifoWaitNoteMs));
  EXPECT_EQ(said.find("waiting for"), std::string::npos) << said;
}

// The descriptor it returns blocks as usual (O_NONBLOCK was for the open only).
TEST(WriteTextFile, OpenForWritingReturnsABlockingDescriptor) {
  TempDir d("write-text");
  const int fd = open_for_writing((d.path / "b").string());
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  ::close(fd);
}

}  // namespace
}  // namespace infertrace
