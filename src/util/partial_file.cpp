#include "util/partial_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "util/current_umask.h"
#include "util/error.h"

namespace infertrace {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what + ": " + std::strerror(errno));
}

// A root that may not chown (a user namespace where the old owner is not mapped: EINVAL; NFS
// root_squash: EPERM) still replaces the file: it is then ours, with the old mode. Said once a run,
// not once for each table of an export --csv.
void warn_owner_not_kept(const std::string& target, const struct stat& old) {
  static std::atomic<bool> said{false};
  if (said.exchange(true)) return;
  std::fprintf(stderr, "infertrace: warning: %s: cannot keep its owner %u:%u (%s); the new file is owned by us, with "
                       "the old mode\n",
               target.c_str(), static_cast<unsigned>(old.st_uid), static_cast<unsigned>(old.st_gid), std::strerror(errno));
}

// The partials in existence, for remove_partials_on_signal's handler: a fixed table filled before
// any signal can need it, so the handler allocates nothing and takes no lock (only fstatat and
// unlinkat, both async-signal-safe). A slot's state: 0 free, 1 being filled or emptied (skipped),
// 2 a partial the handler may remove. Each names its partial by the directory descriptor it was
// created through and its name there, as the destructor removes it: a path looked up again in the
// handler missed the partial once its directory was swapped for a link (and could remove a file of
// the same name elsewhere had it carried our inode, which it cannot: checked below).
constexpr int kSignalSlots = 64;
struct SignalSlot {
  std::atomic<int> state{0};
  int dir = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  char name[256] = {};  // NAME_MAX + 1: a longer name cannot have been created
};
static_assert(std::atomic<int>::is_always_lock_free, "the handler reads the states");
SignalSlot g_signal_slots[kSignalSlots];

int list_for_signal(int dir, const std::string& name, dev_t dev, ino_t ino) {
  if (dir < 0 || name.size() >= sizeof(SignalSlot::name)) return -1;
  for (int i = 0; i < kSignalSlots; ++i) {
    int free_slot = 0;
    if (!g_signal_slots[i].state.compare_exchange_strong(free_slot, 1)) continue;
    SignalSlot& slot = g_signal_slots[i];
    std::memcpy(slot.name, name.c_str(), name.size() + 1);
    slot.dir = dir;
    slot.dev = dev;
    slot.ino = ino;
    slot.state.store(2);
    return i;
  }
  return -1;
}

void unlist_for_signal(int slot) {
  if (slot >= 0) g_signal_slots[slot].state.store(0);
}

// The finished outputs this run created (CreatedOnSignal), for the same handler: removed through
// their directory's descriptor (fstatat, unlinkat: async-signal-safe). States as above.
struct CreatedSlot {
  std::atomic<int> state{0};
  int dir = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  bool directory = false;
  char name[256] = {};
};
CreatedSlot g_created_slots[kSignalSlots];

void remove_created_on_signal() {
  // Files first, then directories the latest listed first: a directory goes only once empty, and
  // one made inside another is listed after it (it cannot be made before its parent). Files are
  // not relied on to be listed after their directory (review S54 L6).
  for (const bool directories : {false, true}) {
    for (int i = kSignalSlots - 1; i >= 0; --i) {
      CreatedSlot& slot = g_created_slots[i];
      if (slot.state.load() != 2 || slot.directory != directories) continue;
      struct stat at{};
      if (::fstatat(slot.dir, slot.name, &at, AT_SYMLINK_NOFOLLOW) == 0 && at.st_dev == slot.dev &&
          at.st_ino == slot.ino)
        ::unlinkat(slot.dir, slot.name, directories ? AT_REMOVEDIR : 0);
    }
  }
}

// As the destructor: the name only while it is the file created here (or a link put there).
void remove_partials_and_die(int sig) {
  const int saved = errno;
  for (SignalSlot& slot : g_signal_slots) {
    if (slot.state.load() != 2) continue;
    struct stat at{};
    if (::fstatat(slot.dir, slot.name, &at, AT_SYMLINK_NOFOLLOW) == 0 &&
        (S_ISLNK(at.st_mode) || (at.st_dev == slot.dev && at.st_ino == slot.ino)))
      ::unlinkat(slot.dir, slot.name, 0);
  }
  remove_created_on_signal();
  errno = saved;
  // SA_RESETHAND restored the default action: the process ends by the signal, as it would have.
  ::raise(sig);
}

}  // namespace

CleanUpSignalsHeld::CleanUpSignalsHeld() {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  held_ = ::pthread_sigmask(SIG_BLOCK, &set, &before_) == 0;
}

CleanUpSignalsHeld::~CleanUpSignalsHeld() {
  if (held_) ::pthread_sigmask(SIG_SETMASK, &before_, nullptr);
}

CreatedOnSignal::CreatedOnSignal(int dir, const std::string& name, FileIdentity id, bool directory) {
  if (dir < 0 || name.size() >= sizeof(CreatedSlot::name)) return;
  for (int i = 0; i < kSignalSlots; ++i) {
    int free_slot = 0;
    if (!g_created_slots[i].state.compare_exchange_strong(free_slot, 1)) continue;
    CreatedSlot& slot = g_created_slots[i];
    std::memcpy(slot.name, name.c_str(), name.size() + 1);
    slot.dir = dir;
    slot.dev = id.dev;
    slot.ino = id.ino;
    slot.directory = directory;
    slot.state.store(2);
    slot_ = i;
    return;
  }
}

CreatedOnSignal::~CreatedOnSignal() { keep(); }

void CreatedOnSignal::keep() {
  if (slot_ >= 0) g_created_slots[slot_].state.store(0);
  slot_ = -1;
}

void remove_partials_on_signal() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;  // ignored (nohup, `&`) or handled
    struct sigaction act {};
    act.sa_handler = remove_partials_and_die;
    sigemptyset(&act.sa_mask);  // the other two held while it runs: one clean-up, not one inside another
    for (const int other : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&act.sa_mask, other);
    act.sa_flags = SA_RESETHAND;
    ::sigaction(sig, &act, nullptr);
  }
}

PartialFile::PartialFile(std::string target) : target_(std::move(target)), path_(target_ + ".partial") {
  // The directory held from the start: the partial is created, and removed again after a failure,
  // through it, so a directory swapped for a link meanwhile (review SQ57 M2) neither sends the
  // partial elsewhere nor keeps the one we made from being removed.
  const std::filesystem::path at(path_);
  name_ = at.filename().string();
  const std::string dir = at.has_parent_path() ? at.parent_path().string() : ".";
  dir_fd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) fail(path_, "cannot create");  // as the create itself would say (a missing directory)
  const CleanUpSignalsHeld held;  // from create to listed
  // A stale partial (a crash) or a planted link goes first; O_EXCL then refuses anything that
  // appears at the name in between, a symlink included (O_CREAT|O_EXCL never follows one).
  if (::unlinkat(dir_fd_, name_.c_str(), 0) != 0 && errno != ENOENT) {
    const int e = errno;
    ::close(dir_fd_);
    errno = e;
    fail(path_, "cannot remove the stale file");
  }
  // Read and write: SQLite reads the pages it wrote back through this very descriptor
  // (report/sqlite_held_fd.h).
  const int fd = ::openat(dir_fd_, name_.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    ::close(dir_fd_);
    errno = e;
    fail(path_, "cannot create");
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlinkat(dir_fd_, name_.c_str(), 0);
    ::close(dir_fd_);
    errno = e;
    fail(path_, "cannot stat the file just created");
  }
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  // The magic link names the file we created, whatever happens to its name meanwhile; checked by
  // inode, so a /proc that is not this process's (or none) falls back to the name.
  const std::string link = "/proc/self/fd/" + std::to_string(fd_);
  struct stat via{};
  writer_path_ = ::stat(link.c_str(), &via) == 0 && via.st_dev == dev_ && via.st_ino == ino_ ? link : path_;
  signal_slot_ = list_for_signal(dir_fd_, name_, dev_, ino_);
}

PartialFile::~PartialFile() {
  const CleanUpSignalsHeld held;  // from unlisted to removed
  unlist_for_signal(signal_slot_);
  if (fd_ >= 0) ::close(fd_);
  // The name only (a link put there is removed, not followed), in the directory it was created in,
  // and only while it is the file created here or such a link: another file there (another run's
  // partial) is not ours to remove (review BT M1).
  struct stat at{};
  if (!renamed_ && ::fstatat(dir_fd_, name_.c_str(), &at, AT_SYMLINK_NOFOLLOW) == 0 &&
      (S_ISLNK(at.st_mode) || (at.st_dev == dev_ && at.st_ino == ino_)))
    ::unlinkat(dir_fd_, name_.c_str(), 0);
  ::close(dir_fd_);
}

void PartialFile::keep_mode_and_owner() const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail(path_, "cannot open the finished file again");
  struct stat mine{};
  if (::fstat(fd, &mine) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    fail(path_, "cannot stat the finished file");
  }
  if (!S_ISREG(mine.st_mode) || mine.st_dev != dev_ || mine.st_ino != ino_ || mine.st_uid != ::geteuid()) {
    ::close(fd);
    throw Error(path_ + ": is no longer the file infertrace created (replaced while it was written); nothing "
                "was replaced");
  }
  struct stat old{};
  // lstat: a target that became a link since it was resolved lends nothing.
  const bool keep_old = ::lstat(target_.c_str(), &old) == 0 && S_ISREG(old.st_mode);
  mode_t mode = keep_old ? (old.st_mode & 0777) : (0666 & ~current_umask());  // set-id bits: an output is no program
  // Owner first: fchown() clears set-id bits, and fchmod() after it sets the mode that stays.
  if (keep_old && ::geteuid() == 0 && ::fchown(fd, old.st_uid, old.st_gid) != 0) {
    if (errno != EPERM && errno != EINVAL) {
      const int e = errno;
      ::close(fd);
      errno = e;
      fail(path_, "cannot give it the owner of " + target_);
    }
    warn_owner_not_kept(target_, old);
  }
  if (::fchmod(fd, mode) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    fail(path_, "cannot give it the mode of " + target_);
  }
  ::close(fd);
}

void PartialFile::rename_into_place(const std::string& out) {
  // Renamed, then taken off the handler's list: until the rename (a failed one too) the handler
  // may still remove the partial; after it, the name the handler looks at is gone (a new file there
  // is not the inode listed), so a signal in between removes nothing and no hold is needed.
  if (std::rename(path_.c_str(), target_.c_str()) != 0)
    throw Error(out + ": cannot replace it with the finished " + path_ + ": " + std::strerror(errno));
  unlist_for_signal(signal_slot_);
  signal_slot_ = -1;
  renamed_ = true;
}

}  // namespace infertrace
