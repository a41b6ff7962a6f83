// Scratch space (util/temp_directory.h) and the umask read (util/current_umask.h), review BK item 2:
// a TMPDIR that is set but names no writable directory is an error naming TMPDIR (it silently
// became /tmp); the scratch copy of `-o /dev/stdout` into a redirected file is close-on-exec; and
// reading the umask without /proc never changes this process's mask, not even for a moment
// another thread could see.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli/output_file.h"
#include "util/current_umask.h"
#include "util/error.h"
#include "util/temp_directory.h"

namespace infertrace {
namespace {

namespace fs = std::filesystem;

// TMPDIR set to `value` (nullptr: unset) for the test's lifetime.
struct TmpdirAs {
  std::string old;
  bool had_old;
  explicit TmpdirAs(const char* value) {
    const char* o = std::getenv("TMPDIR");
    had_old = o != nullptr;
    if (o) old = o;
    if (value) ::setenv("TMPDIR", value, 1);
    else ::unsetenv("TMPDIR");
  }
  ~TmpdirAs() {
    if (had_old) ::setenv("TMPDIR", old.c_str(), 1);
    else ::unsetenv("TMPDIR");
  }
};

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string t = (fs::temp_directory_path() / "temp-directory-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string error_of(const std::string& tmpdir) {
  TmpdirAs as(tmpdir.c_str());
  try {
    temp_directory();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TempDirectory, UnsetOrEmptyIsTmp) {
  {
    TmpdirAs as(nullptr);
    EXPECT_EQ(temp_directory(), "/tmp");
  }
  TmpdirAs as("");
  EXPECT_EQ(temp_directory(), "/tmp");
}

// TMPDIR alone is read (util/temp_directory.h says why): TMP and TEMP, which libstdc++'s
// temp_directory_path and Python's tempfile also consult, neither move the scratch space nor fail
// the run, even when they name nothing.
TEST(TempDirectory, TmpAndTempAreNotRead) {
  ScratchDir d;
  const std::string missing = (d.path / "gone").string();
  for (const char* name : {"TMP", "TEMP"}) {
    const char* o = std::getenv(name);
    const std::string old = o ? o : "";
    ::setenv(name, missing.c_str(), 1);
    {
      TmpdirAs as(nullptr);
      EXPECT_EQ(temp_directory(), "/tmp") << name;
    }
    {
      TmpdirAs as(d.path.c_str());
      EXPECT_EQ(temp_directory(), d.path.string()) << name;
    }
    if (o) ::setenv(name, old.c_str(), 1);
    else ::unsetenv(name);
  }
}

TEST(TempDirectory, AWritableDirectoryIsUsed) {
  ScratchDir d;
  TmpdirAs as(d.path.c_str());
  EXPECT_EQ(temp_directory(), d.path.string());
}

TEST(TempDirectory, AMissingDirectoryOrAFileIsAnErrorNamingTmpdir) {
  ScratchDir d;
  const std::string missing = (d.path / "gone").string();
  std::string e = error_of(missing);
  EXPECT_NE(e.find("TMPDIR=" + missing), std::string::npos) << e;
  std::ofstream(d.path / "file") << "x";
  e = error_of((d.path / "file").string());
  EXPECT_NE(e.find("TMPDIR=" + (d.path / "file").string() + ": is not a directory"), std::string::npos) << e;
}

// The scratch copy (DescriptorOutput into a redirected regular file) is where a TMPDIR mistake
// showed: it went to /tmp instead of failing.
TEST(TempDirectory, ScratchCopyRefusesAMissingTmpdir) {
  ScratchDir d;
  const fs::path file = d.path / "redirected.txt";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  const std::string missing = (d.path / "gone").string();
  TmpdirAs as(missing.c_str());
  bool wrote = false;
  try {
    cli::write_whole("/dev/fd/" + std::to_string(fd), [&](const std::string&) { return wrote = true; });
    ADD_FAILURE() << "a missing TMPDIR was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("TMPDIR=" + missing), std::string::npos) << e.what();
  }
  ::close(fd);
  EXPECT_FALSE(wrote) << "the writer ran although there is no scratch space";
}

TEST(TempDirectory, ScratchCopyIsCloseOnExec) {
  ScratchDir d;
  TmpdirAs as(d.path.c_str());
  const fs::path file = d.path / "redirected.txt";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  int flags = -1;
  cli::write_whole("/dev/fd/" + std::to_string(fd), [&](const std::string& to) {
    flags = ::fcntl(std::stoi(to.substr(to.rfind('/') + 1)), F_GETFD);
    return 0;
  });
  ::close(fd);
  ASSERT_GE(flags, 0);
  EXPECT_TRUE(flags & FD_CLOEXEC);
}

TEST(CurrentUmask, ReadByAChildProcessIsTheMask) {
  const mode_t before = ::umask(027);
  EXPECT_EQ(umask_from_child(), 027u);
  EXPECT_EQ(current_umask(), 027u);
  ::umask(before);
}

// Another thread watches the mask (through /proc, as the kernel has it) while this one reads it
// again and again the /proc-less way: setting 022 and back would show, the child's read may not.
TEST(CurrentUmask, ReadingItWithoutProcNeverChangesOurs) {
  if (!std::ifstream("/proc/self/status")) GTEST_SKIP() << "no /proc to watch the mask through";
  const mode_t before = ::umask(077);
  std::atomic<bool> stop{false};
  std::atomic<int> seen_other{0}, looks{0};
  std::thread watcher([&] {
    while (!stop) {
      if (current_umask() != 077) ++seen_other;
      ++looks;
    }
  });
  while (looks < 10) std::this_thread::yield();
  // Reads until the watcher has looked 2000 times (some 20 at least): the mask is read over and
  // over the whole time it looks.
  for (int reads = 0; reads < 20 || looks < 2000; ++reads) ASSERT_EQ(umask_from_child(), 077u);
  stop = true;
  watcher.join();
  ::umask(before);
  EXPECT_EQ(seen_other, 0) << "the mask changed while it was read (" << looks << " looks)";
}

}  // namespace
}  // namespace infertrace
