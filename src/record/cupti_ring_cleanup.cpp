#include "record/cupti_ring_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

namespace infertrace::cupti {

namespace {

constexpr char kPrefix[] = "infertrace-cupti-";

// A number as std::to_string writes it: digits, no leading zero (but "0" itself).
bool decimal(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;  // 9 digits: fits an int, above any pid_max (2^22)
  if (s.size() > 1 && s[0] == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

double seconds(const struct timespec& t) { return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9; }

// When the file was created, as wall-clock seconds: its birth time where the file system keeps one
// (tmpfs does on recent kernels), else the earlier of mtime and ctime. Those only move later than
// the creation (writes, the chown to the sudo user), so this is never before it.
double created_at(int dir_fd, const char* name, const struct stat& st) {
  struct statx sx {};
  if (::statx(dir_fd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME))
    return static_cast<double>(sx.stx_btime.tv_sec) + sx.stx_btime.tv_nsec * 1e-9;
  const double m = seconds(st.st_mtim), c = seconds(st.st_ctim);
  return m < c ? m : c;
}

// When process `pid` started, as wall-clock seconds: /proc/PID/stat's field 22 (clock ticks since
// boot) plus the wall-clock time of the boot (now on CLOCK_REALTIME minus now on CLOCK_BOOTTIME,
// the clock the kernel counts that field on). Empty when the process is gone or unreadable.
std::optional<double> process_started_at(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields resume after
  // the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  unsigned long long ticks = 0;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) ticks = std::strtoull(field.c_str(), nullptr, 10);
  if (!rest) return std::nullopt;
  struct timespec real {}, boot {};
  ::clock_gettime(CLOCK_REALTIME, &real);
  ::clock_gettime(CLOCK_BOOTTIME, &boot);
  const long hz = ::sysconf(_SC_CLK_TCK);
  return seconds(real) - seconds(boot) + static_cast<double>(ticks) / static_cast<double>(hz > 0 ? hz : 100);
}

}  // namespace

int ring_owner_pid(const std::string& name) {
  const size_t n = sizeof(kPrefix) - 1;
  if (name.compare(0, n, kPrefix) != 0) return -1;
  const size_t dash = name.find('-', n);
  if (dash == std::string::npos) return -1;
  const std::string pid = name.substr(n, dash - n), counter = name.substr(dash + 1);
  if (!decimal(pid) || !decimal(counter)) return -1;
  const int p = std::atoi(pid.c_str());
  return p > 0 ? p : -1;
}

// The rule of ring_owner_gone().
//
// The PID is the only link from the file to its recorder, and PIDs are reused: after the recorder's
// death another process may hold the number. A recorder creates its ring after it started, so the
// process now at that PID is the creator only if it started no later than the file was created.
// One that started after it reuses the number, and the ring is stale. Every doubt keeps the file:
// a PID we may not signal (EPERM) is alive, an unreadable start time counts as the creator's, and 2
// s of slack absorb the tick resolution and clock adjustments between the two readings. Names or
// executables are not compared: a recorder run under another name would then lose its live ring.
bool ring_owner_gone(int pid, double created) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::optional<double> started = process_started_at(pid);
  if (!started) return ::kill(pid, 0) != 0 && errno == ESRCH;  // exited between the two looks?
  return *started > created + 2.0;
}

std::vector<RemovedRing> remove_stale_cupti_rings(const std::string& dir, uid_t uid) {
  std::vector<RemovedRing> removed;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return removed;  // no /dev/shm: nothing was left there either
  const int dfd = ::dirfd(d);
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const int pid = ring_owner_pid(name);
    if (pid < 0) continue;
    struct stat st {};
    if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != uid) continue;
    if (!ring_owner_gone(pid, created_at(dfd, name.c_str(), st))) continue;
    if (::unlinkat(dfd, name.c_str(), 0) != 0) continue;
    removed.push_back({dir + "/" + name, pid, static_cast<uint64_t>(st.st_size)});
  }
  ::closedir(d);
  return removed;
}

}  // namespace infertrace::cupti
