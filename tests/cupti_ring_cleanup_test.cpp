// Clean-up of CUPTI rings left by killed recorders (record/cupti_ring_cleanup.h), on fake ring
// files in a temporary directory: which names, owners and PIDs are removed, and the PID-reuse rule
// (a live process that started after the ring was created is not its recorder).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "record/cupti_ring_cleanup.h"

namespace infertrace::cupti {
namespace {

namespace fs = std::filesystem;

// A PID that held a process a moment ago and now holds none: a child that exited and was reaped.
int dead_pid() {
  const pid_t p = ::fork();
  if (p == 0) ::_exit(0);
  int status = 0;
  ::waitpid(p, &status, 0);
  return p;
}

double now_s() {
  struct timespec t {};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "cupti-ring-cleanup-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
  void file(const std::string& name, size_t bytes) const {
    std::ofstream f(path / name, std::ios::binary);
    f << std::string(bytes, 'r');
  }
};

TEST(CuptiRingCleanup, NamePattern) {
  EXPECT_EQ(ring_owner_pid("infertrace-cupti-1234-0"), 1234);
  EXPECT_EQ(ring_owner_pid("infertrace-cupti-7-15"), 7);
  EXPECT_EQ(ring_owner_pid("infertrace-cupti-70-10"), 70);
  for (const char* other : {"infertrace-cupti-1234", "infertrace-cupti-1234-", "infertrace-cupti--0",
                            "infertrace-cupti-12a-0", "infertrace-cupti-12-0.bak", "infertrace-cupti-12-0-1",
                            "xinfertrace-cupti-12-0", "infertrace-cupti-0-0", "infertrace-cupti-+12-0",
                            "infertrace-cupti-99999999999-0", "infertrace-ring-12-0", "infertrace-cupti-012-0",
                            "infertrace-cupti-12-00", "infertrace-cupti-12-01"})
    EXPECT_EQ(ring_owner_pid(other), -1) << other;
}

TEST(CuptiRingCleanup, OwnerGoneRule) {
  EXPECT_TRUE(ring_owner_gone(dead_pid(), now_s()));
  // This process started before a ring created now: it may be its recorder.
  EXPECT_FALSE(ring_owner_gone(::getpid(), now_s()));
  // A ring created an hour ago, before this process started: the PID is reused, the ring is stale.
  EXPECT_TRUE(ring_owner_gone(::getpid(), now_s() - 3600));
  // PID 1 started at boot, before any ring: never taken for gone.
  EXPECT_FALSE(ring_owner_gone(1, now_s()));
}

TEST(CuptiRingCleanup, RemovesOnlyStaleRingsOfTheUser) {
  TempDir d;
  const std::string dead = std::to_string(dead_pid()), self = std::to_string(::getpid());
  d.file("infertrace-cupti-" + dead + "-0", 5000);  // stale: removed
  d.file("infertrace-cupti-" + dead + "-3", 0);     // stale, empty: removed too
  d.file("infertrace-cupti-" + self + "-0", 100);   // its recorder runs: kept
  d.file("infertrace-cupti-" + dead + "-0.bak", 10);  // not our name: kept
  d.file("other-" + dead + "-0", 10);                 // kept
  fs::create_directory(d.path / ("infertrace-cupti-" + dead + "-1"));  // not a file: kept
  fs::create_symlink(d.path / ("other-" + dead + "-0"), d.path / ("infertrace-cupti-" + dead + "-2"));  // a link: kept

  // Another user's rings are not ours, whatever their PID.
  EXPECT_TRUE(remove_stale_cupti_rings(d.path.string(), ::getuid() + 1).empty());
  EXPECT_TRUE(fs::exists(d.path / ("infertrace-cupti-" + dead + "-0")));

  const auto removed = remove_stale_cupti_rings(d.path.string(), ::getuid());
  std::set<std::string> names;
  for (const auto& r : removed) {
    names.insert(fs::path(r.path).filename().string());
    EXPECT_EQ(fs::path(r.path).parent_path(), d.path);
    EXPECT_EQ(std::to_string(r.pid), dead);
    EXPECT_EQ(r.bytes, fs::path(r.path).filename().string().back() == '0' ? 5000u : 0u);
  }
  EXPECT_EQ(names, (std::set<std::string>{"infertrace-cupti-" + dead + "-0", "infertrace-cupti-" + dead + "-3"}));
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(d.path)) left.insert(e.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{"infertrace-cupti-" + self + "-0", "infertrace-cupti-" + dead + "-0.bak",
                                         "other-" + dead + "-0", "infertrace-cupti-" + dead + "-1",
                                         "infertrace-cupti-" + dead + "-2"}));
  // A second pass finds nothing more.
  EXPECT_TRUE(remove_stale_cupti_rings(d.path.string(), ::getuid()).empty());
}

// The reuse rule on real file times: a ring named after a live process that started more than the
// rule's 2 s of slack after the ring was created is removed.
TEST(CuptiRingCleanup, LiveProcessStartedAfterTheRingIsNotItsRecorder) {
  TempDir d;
  d.file("placeholder", 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();  // alive until killed
    ::_exit(0);
  }
  // The ring "of" the child was created before it started (the placeholder's birth): rename keeps it.
  const std::string name = "infertrace-cupti-" + std::to_string(child) + "-0";
  fs::rename(d.path / "placeholder", d.path / name);
  d.file("infertrace-cupti-" + std::to_string(child) + "-1", 0);  // created now, after the child: kept
  const auto removed = remove_stale_cupti_rings(d.path.string(), ::getuid());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(fs::path(removed[0].path).filename().string(), name);
  EXPECT_TRUE(fs::exists(d.path / ("infertrace-cupti-" + std::to_string(child) + "-1")));
}

}  // namespace
}  // namespace infertrace::cupti
