// ItraceWriter's constructor writes the file header at once; when that first write fails it throws,
// and a throwing constructor runs no destructor, so the descriptor it opened (or duplicated) must be
// closed by the constructor itself (review BF L10, fixed in ca4450d; review BH L7: untested). A
// recorder retried in one process (tests, the fuzzers) would otherwise leak one descriptor a try.
#include <gtest/gtest.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ingest/recording/recording_reader.h"
#include "record/itrace_writer.h"
#include "record/output_lock.h"
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

// Review SG L7: a stop during the recorder's start-up, seen once the file is locked (`proceed`
// false), leaves an earlier recording whole and the file unlocked; the writer stays unopened.
TEST(ItraceWriter, OpenThatMayNotProceedLeavesTheFileAsItWas) {
  TempDir dir("itrace-writer-proceed");
  const std::string path = (dir.path / "run.itrace").string();
  const std::string earlier = std::string("INFTRACE") + std::string(5000, 'e');
  { std::ofstream(path, std::ios::binary) << earlier; }
  int asked = 0;
  {
    ItraceWriter w(path, ItraceWriter::OpenLater{});
    w.meta("before", "1");
    EXPECT_FALSE(w.open([&] {
      ++asked;
      // Asked with the lock held: a second writer of the file is refused meanwhile.
      ItraceWriter other(path, ItraceWriter::OpenLater{});
      EXPECT_THROW(other.open(), Error);
      return false;
    }));
    EXPECT_FALSE(w.is_open());
  }
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(file_bytes(path), earlier);
  ItraceWriter again(path, ItraceWriter::OpenLater{});  // the lock went with the closed descriptor
  EXPECT_TRUE(again.open([&] { return ++asked > 0; }));
  again.finish();
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(read_recording(path).meta.at("recording.complete"), "true");
}

std::string what_of(ItraceWriter& w) {
  try {
    w.finish();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Review SG H1: a second writer of a file being written is refused before it truncates anything
// (the flock is per open file description, so two writers in one process conflict as two
// recorders do), naming this process as the holder; the first finishes a whole recording.
TEST(ItraceWriter, SecondWriterOfTheSameFileIsRefused) {
  TempDir dir("itrace-writer-lock");
  const std::string path = (dir.path / "same.itrace").string();
  ItraceWriter first(path);
  first.meta("who", "first");
  first.flush();
  const std::string before = file_bytes(path);
  ItraceWriter second(path, ItraceWriter::OpenLater{});
  second.meta("who", "second");
  try {
    second.open();
    ADD_FAILURE() << "a second writer of the same file was not refused";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("another recording into this file is in progress"), std::string::npos) << m;
    EXPECT_NE(m.find("pid " + std::to_string(::getpid()) + ")"), std::string::npos) << m;
  }
  EXPECT_FALSE(second.is_open());
  EXPECT_EQ(file_bytes(path), before);
  first.meta("after", "1");
  first.finish();
  const Trace t = read_recording(path);
  EXPECT_EQ(t.meta.at("who"), "first");
  EXPECT_EQ(t.meta.at("recording.complete"), "true");
  ItraceWriter third(path);  // the lock went with the first writer's descriptor
  third.finish();
}

// record's early check (record_targets.cpp) asks with a shared lock taken and dropped: a writer's
// exclusive lock shows, none does not, and the question leaves no lock behind.
TEST(ItraceWriter, OutputLockedSeesAWritersLockAndLeavesNone) {
  TempDir dir("itrace-writer-locked");
  const std::string path = (dir.path / "w.itrace").string();
  {
    ItraceWriter w(path);
    EXPECT_TRUE(output_locked(path));
    w.finish();
  }
  EXPECT_FALSE(output_locked(path));
  EXPECT_FALSE(output_locked(path));
  EXPECT_FALSE(output_locked((dir.path / "missing.itrace").string()));
  ItraceWriter after(path);  // the question took no lock that stays
  after.finish();
}

// A process of another program holding a flock on `path` (review S44 L4): a child that takes it
// (LOCK_SH or LOCK_EX) and becomes `sleep`, the descriptor, and with it the lock, kept across the
// exec. Ready once the exec is done (the close-on-exec pipe's end): /proc/locks then lists the
// child's pid, whose comm is "sleep" and whose executable is not ours.
class OtherProgramsLock {
 public:
  OtherProgramsLock(const std::string& path, int how) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(path.c_str(), O_RDONLY);
      if (fd < 0 || ::flock(fd, how) != 0) ::_exit(1);
      ::execlp("sleep", "sleep", "60", static_cast<char*>(nullptr));
      (void)!::write(ready[1], "x", 1);  // no exec: say so
      ::_exit(1);
    }
    ::close(ready[1]);
    char c;
    exec_done_ = pid_ > 0 && ::read(ready[0], &c, 1) == 0;
    ::close(ready[0]);
  }
  ~OtherProgramsLock() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }
  bool ready() const { return exec_done_; }

 private:
  pid_t pid_ = -1;
  bool exec_done_ = false;
};

// Another program's lock is not "another recording": it is named as the lock it is, shared (a
// reader's) or exclusive, in the same words by the early check (record_targets.cpp) and at the
// open, and a reader's shared lock is found by the early check too (it asked with a shared lock,
// which a shared one admits). The file is not touched.
TEST(ItraceWriter, AnotherProgramsLockIsNamedAsWhatItIs) {
  TempDir dir("itrace-writer-other-lock");
  const std::string path = (dir.path / "held.itrace").string();
  ItraceWriter(path).finish();
  const std::string before = file_bytes(path);
  for (const auto& [how, said] : {std::pair{LOCK_SH, "(flock, shared: a read lock) by sleep (pid "},
                                  std::pair{LOCK_EX, "(flock, exclusive) by sleep (pid "}}) {
    OtherProgramsLock holder(path, how);
    ASSERT_TRUE(holder.ready());
    EXPECT_TRUE(output_locked(path)) << said;
    struct stat st{};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    const std::string early = output_in_use_message(path, output_lock_holder(st));
    const std::string expected = "record: -o " + path + ": the file is locked " + said +
                                 std::to_string(holder.pid()) + ")";
    EXPECT_EQ(early.rfind(expected, 0), 0u) << early;
    EXPECT_EQ(early.find("another recording"), std::string::npos) << early;
    EXPECT_EQ(early.find("which is reading it; recording would truncate the file it is reading") != std::string::npos,
              how == LOCK_SH)
        << early;
    ItraceWriter second(path, ItraceWriter::OpenLater{});
    try {
      second.open();
      ADD_FAILURE() << "a file another program holds a lock on was opened for the recording";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), early);
    }
    EXPECT_EQ(file_bytes(path), before);
  }
}

// Review SG M4: finish() says when the path no longer names the file written, whole.
TEST(ItraceWriter, FinishSaysTheFileWasDeletedReplacedOrTruncated) {
  TempDir dir("itrace-writer-gone");
  const std::string path = (dir.path / "x.itrace").string();
  {
    ItraceWriter w(path);
    ASSERT_EQ(::unlink(path.c_str()), 0);
    EXPECT_NE(what_of(w).find("was deleted while it was being written"), std::string::npos);
  }
  {
    ItraceWriter w(path);
    const std::string other = (dir.path / "other").string();
    { std::ofstream(other) << "other"; }
    ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);
    EXPECT_NE(what_of(w).find("now refers to another file"), std::string::npos);
    EXPECT_EQ(file_bytes(path), "other");
  }
  {
    ItraceWriter w(path);
    const std::string moved = (dir.path / "moved").string();
    ASSERT_EQ(::rename(path.c_str(), moved.c_str()), 0);
    EXPECT_NE(what_of(w).find("no file has this name any more"), std::string::npos);
  }
  {
    ItraceWriter w(path);
    ASSERT_EQ(::truncate(path.c_str(), 0), 0);
    w.meta("k", std::string(100, 'v'));  // written at the writer's offset: the file is its old size again
    w.flush();
    EXPECT_NE(what_of(w).find("truncated it while it was being written"), std::string::npos);
  }
  {  // another process's bytes past ours
    ItraceWriter w(path);
    w.flush();
    { std::ofstream(path, std::ios::app) << std::string(100, 'x'); }  // more than our END record covers
    EXPECT_NE(what_of(w).find("another process wrote into the file"), std::string::npos);
  }
  ItraceWriter ok(path);
  EXPECT_EQ(what_of(ok), "");
}

// Review SG M1: a failed write (here EFBIG past RLIMIT_FSIZE, as a full disk's ENOSPC) does not
// throw from record()/flush() (the recorder calls them inside libbpf's callback); the file is cut
// back to its last whole record, later records are counted by type, and finish() throws the error.
// In a child process: the limit and SIGXFSZ's disposition are process-wide.
TEST(ItraceWriter, FailedWriteCutsTheFileToWholeRecordsAndCountsTheRest) {
  TempDir dir("itrace-writer-fsize");
  const std::string path = (dir.path / "full.itrace").string(), report = (dir.path / "report").string();
  constexpr uint32_t kPayload = 100, kRecords = 200;
  constexpr rlim_t kLimit = 5000;  // 16-byte header, then 108-byte records: 46 whole, one cut
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    std::signal(SIGXFSZ, SIG_IGN);
    {
      ItraceWriter w(path);  // header written before the limit: the report file must be writable too
      FILE* out = std::fopen(report.c_str(), "w");
      const rlimit lim{kLimit, kLimit};
      if (!out || ::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(3);
      unsigned char payload[kPayload];
      for (uint32_t i = 0; i < kRecords; ++i) {
        std::memset(payload, static_cast<int>(i), sizeof payload);
        w.record(i % 2 ? 6 : 3, payload, kPayload);
        if (i % 10 == 9) w.flush();
      }
      std::string err;
      try {
        w.finish();
      } catch (const Error& e) {
        err = e.what();
      }
      if (err.find(": write failed: " + std::string(std::strerror(EFBIG))) == std::string::npos) code |= 1;
      if (!w.failed()) code |= 2;
      std::fprintf(out, "%llu %llu %llu %llu\n", static_cast<unsigned long long>(w.bytes_written()),
                   static_cast<unsigned long long>(w.discarded().count(3) ? w.discarded().at(3) : 0),
                   static_cast<unsigned long long>(w.discarded().count(6) ? w.discarded().at(6) : 0),
                   static_cast<unsigned long long>(w.discarded().count(9) ? w.discarded().at(9) : 0));
      std::fclose(out);
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_NE(WEXITSTATUS(status), 3) << "could not set the limit";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: finish() did not throw the EFBIG error, 2: failed() was false";
  // Expected from the layout alone: the records that end within the limit.
  const uint64_t whole = (kLimit - 16) / (8 + kPayload), size = 16 + whole * (8 + kPayload);
  const std::string bytes = file_bytes(path);
  EXPECT_EQ(bytes.size(), size);
  uint64_t kept_switch = 0, kept_syscall = 0;
  for (uint64_t i = 0; i < whole; ++i) (i % 2 ? kept_syscall : kept_switch)++;
  std::ifstream in(report);
  unsigned long long written = 0, d_switch = 0, d_syscall = 0, d_end = 0;
  in >> written >> d_switch >> d_syscall >> d_end;
  EXPECT_EQ(written, size);
  EXPECT_EQ(d_switch, kRecords / 2 - kept_switch);
  EXPECT_EQ(d_syscall, kRecords / 2 - kept_syscall);
  EXPECT_EQ(d_end, 1u);
  EXPECT_EQ(bytes.substr(0, 8), "INFTRACE");
}

}  // namespace
}  // namespace infertrace
