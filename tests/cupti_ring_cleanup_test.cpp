// Clean-up of CUPTI rings left by killed recorders (record/cupti_ring_cleanup.h), on fake ring
// files in a temporary directory: which names, owners and file types are removed, and the lock rule
// (a ring is kept exactly while some process holds a flock on it, whatever the PID in its name),
// and how a Ring creates and removes its own file.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "record/cupti_ring.h"
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
  EXPECT_EQ(ring_owner_pid("infertrace-cupti-l-1234-0"), 1234);
  EXPECT_EQ(ring_owner_pid("infertrace-cupti-l-7-15"), 7);
  EXPECT_EQ(ring_owner_pid("infertrace-cupti-l-70-10"), 70);
  for (const char* other : {"infertrace-cupti-l-1234", "infertrace-cupti-l-1234-", "infertrace-cupti-l--0",
                            "infertrace-cupti-l-12a-0", "infertrace-cupti-l-12-0.bak", "infertrace-cupti-l-12-0-1",
                            "xinfertrace-cupti-l-12-0", "infertrace-cupti-l-0-0", "infertrace-cupti-l-+12-0",
                            "infertrace-cupti-l-99999999999-0", "infertrace-ring-12-0", "infertrace-cupti-l-012-0",
                            "infertrace-cupti-l-12-00", "infertrace-cupti-l-12-01",
                            "infertrace-cupti-12-0", "infertrace-cupti-l-l-12-0"})
    EXPECT_EQ(ring_owner_pid(other), -1) << other;
}

// A child process holding a shared flock() on `file`, as a recorder holds its ring; it keeps the
// lock until killed. The parent returns once the lock is taken.
pid_t lock_holder(const fs::path& file) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  const pid_t p = ::fork();
  if (p == 0) {
    const int fd = ::open(file.c_str(), O_RDONLY);
    const char ok = fd >= 0 && ::flock(fd, LOCK_SH) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &ok, 1);
    for (;;) ::pause();
  }
  char ok = 'n';
  (void)!::read(ready[0], &ok, 1);
  ::close(ready[0]);
  ::close(ready[1]);
  return ok == 'y' ? p : -1;
}

void end(pid_t p) {
  ::kill(p, SIGKILL);
  ::waitpid(p, nullptr, 0);
}

TEST(CuptiRingCleanup, RemovesOnlyUnlockedRingsOfTheUser) {
  TempDir d;
  const std::string dead = std::to_string(dead_pid()), self = std::to_string(::getpid());
  d.file("infertrace-cupti-l-" + dead + "-0", 5000);  // stale: removed
  d.file("infertrace-cupti-l-" + dead + "-3", 0);     // stale, empty: removed too
  d.file("infertrace-cupti-l-" + self + "-0", 100);   // no lock: stale although the PID lives
  d.file("infertrace-cupti-l-" + dead + "-4", 100);   // locked by a live recorder: kept, PID or not
  d.file("infertrace-cupti-l-" + dead + "-0.bak", 10);  // not our name: kept
  d.file("other-" + dead + "-0", 10);                 // kept
  // The name of builds before the lock rule, whose recorders never lock: kept, dead PID and all.
  d.file("infertrace-cupti-" + dead + "-6", 100);
  fs::create_directory(d.path / ("infertrace-cupti-l-" + dead + "-1"));  // not a file: kept
  fs::create_symlink(d.path / ("other-" + dead + "-0"), d.path / ("infertrace-cupti-l-" + dead + "-2"));  // a link: kept
  ASSERT_EQ(::mkfifo((d.path / ("infertrace-cupti-l-" + dead + "-5")).c_str(), 0600), 0);  // a FIFO: kept, no hang
  const pid_t holder = lock_holder(d.path / ("infertrace-cupti-l-" + dead + "-4"));
  ASSERT_GT(holder, 0);

  // Another user's rings are not ours, lock or not.
  EXPECT_TRUE(remove_stale_cupti_rings(d.path.string(), ::getuid() + 1).empty());
  EXPECT_TRUE(fs::exists(d.path / ("infertrace-cupti-l-" + dead + "-0")));

  const auto removed = remove_stale_cupti_rings(d.path.string(), ::getuid());
  std::set<std::string> names;
  for (const auto& r : removed) {
    const std::string name = fs::path(r.path).filename().string();
    names.insert(name);
    EXPECT_EQ(fs::path(r.path).parent_path(), d.path);
    EXPECT_EQ(std::to_string(r.pid), name == "infertrace-cupti-l-" + self + "-0" ? self : dead);
    EXPECT_EQ(r.bytes, name.back() == '0' ? (r.pid == ::getpid() ? 100u : 5000u) : 0u) << name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"infertrace-cupti-l-" + dead + "-0", "infertrace-cupti-l-" + dead + "-3",
                                          "infertrace-cupti-l-" + self + "-0"}));
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(d.path)) left.insert(e.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{"infertrace-cupti-l-" + dead + "-4", "infertrace-cupti-l-" + dead + "-0.bak",
                                         "other-" + dead + "-0", "infertrace-cupti-" + dead + "-6",
                                         "infertrace-cupti-l-" + dead + "-1",
                                         "infertrace-cupti-l-" + dead + "-2", "infertrace-cupti-l-" + dead + "-5"}));
  // A second pass finds nothing more while the holder lives; once it is gone, its ring goes.
  EXPECT_TRUE(remove_stale_cupti_rings(d.path.string(), ::getuid()).empty());
  end(holder);
  const auto after = remove_stale_cupti_rings(d.path.string(), ::getuid());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(fs::path(after[0].path).filename().string(), "infertrace-cupti-l-" + dead + "-4");
}

// A ring made by cupti::Ring::create is locked for the Ring's life, also when the PID in its name
// is dead (as seen from another PID namespace); a Ring destroyed removes its file itself (before it
// drops the lock); a recorder killed with its Ring leaves the file, stale once it is gone.
TEST(CuptiRingCleanup, RingCreateHoldsTheLockForItsLife) {
  TempDir d;
  const std::string name = "infertrace-cupti-l-" + std::to_string(dead_pid()) + "-0";
  {
    Ring r = Ring::create((d.path / name).string(), 64);
    ASSERT_TRUE(r.valid());
    Ring moved = std::move(r);  // the lock (and the file) move with it
    EXPECT_TRUE(remove_stale_cupti_rings(d.path.string(), ::getuid()).empty());
    // A producer maps it without needing the lock.
    std::string why;
    Ring producer = Ring::attach((d.path / name).string(), &why);
    EXPECT_TRUE(producer.valid()) << why;
    EXPECT_TRUE(producer.push(1, "x", 1));
    EXPECT_TRUE(remove_stale_cupti_rings(d.path.string(), ::getuid()).empty());
    EXPECT_TRUE(fs::exists(d.path / name));
  }
  EXPECT_FALSE(fs::exists(d.path / name));  // the Ring removed it

  // A recorder killed while its Ring lives (no destructor runs): the file stays, locked until then.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t killed = ::fork();
  if (killed == 0) {
    Ring r = Ring::create((d.path / name).string(), 64);
    (void)!::write(ready[1], "y", 1);
    for (;;) ::pause();
  }
  char c = 'n';
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_TRUE(remove_stale_cupti_rings(d.path.string(), ::getuid()).empty());
  end(killed);
  const auto removed = remove_stale_cupti_rings(d.path.string(), ::getuid());
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].bytes, ring_segment_bytes(64));
  EXPECT_FALSE(fs::exists(d.path / name));
}

// A create that fails once the file exists (here: the ring cannot be sized, as on a full /dev/shm;
// RLIMIT_FSIZE stands in for it, in a child so the limit stays there) leaves no file behind.
TEST(CuptiRingCleanup, FailedCreateLeavesNoFile) {
  TempDir d;
  const fs::path path = d.path / "infertrace-cupti-l-1-0";
  const pid_t p = ::fork();
  if (p == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // ftruncate then fails with EFBIG instead of killing us
    const rlimit lim{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(2);
    try {
      Ring r = Ring::create(path.string(), 64);
      ::_exit(3);  // created although it cannot be sized
    } catch (const std::runtime_error& e) {
      ::_exit(std::string(e.what()).find("cannot size the ring") != std::string::npos ? 0 : 4);
    }
  }
  int status = -1;
  ASSERT_EQ(::waitpid(p, &status, 0), p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(path));
}

// A name already taken (the same PID in another PID namespace sharing /dev/shm) is skipped, not
// fatal; when every one of the bounded tries is taken, create_named_ring gives up.
TEST(CuptiRingCleanup, CreateNamedRingSkipsTakenNames) {
  TempDir d;
  const int pid = 1;  // what two containerized recorders both are
  d.file("infertrace-cupti-l-1-0", 10);
  int counter = 0;
  std::string path;
  {
    Ring r = create_named_ring(d.path.string(), pid, &counter, 64, &path);
    ASSERT_TRUE(r.valid());
    EXPECT_EQ(path, (d.path / "infertrace-cupti-l-1-1").string());
    EXPECT_EQ(counter, 2);
    EXPECT_EQ(fs::file_size(d.path / "infertrace-cupti-l-1-0"), 10u);  // the other one's file is untouched
  }
  for (int i = 2; i < 2 + kRingNameTries; ++i) d.file("infertrace-cupti-l-1-" + std::to_string(i), 1);
  EXPECT_THROW(create_named_ring(d.path.string(), pid, &counter, 64, &path), std::runtime_error);
  EXPECT_EQ(counter, 2 + kRingNameTries);
}

}  // namespace
}  // namespace infertrace::cupti
