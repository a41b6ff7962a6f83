// The lock a recorder holds on its output file while it writes it (docs/record.md, "-o FILE"): an
// exclusive flock(2), taken before the file is truncated, so a second recorder given the same -o
// (the default run.itrace of two runs started in one directory) is refused instead of truncating
// the file under the first, which kept writing at its own offset: both recordings were lost and
// both recorders exited 0 (review SG H1). The kernel drops the lock when the recorder's descriptor
// closes, however it ends (a killed recorder leaves no stale lock). infertrace's readers never
// lock: a verb may read a recording while it grows. Another tool's lock on the file is respected
// too, and named as what it is (review S44 L4): a reader's shared lock says it is reading the file
// that recording would truncate.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace infertrace {

// A flock(2) on a file as /proc/locks lists it: the process that took it, in our PID namespace (0
// when none is listed, or /proc/locks cannot be read), and whether it is a shared (LOCK_SH, listed
// READ) or an exclusive (LOCK_EX, listed WRITE) lock.
struct OutputLockHolder {
  pid_t pid = 0;
  bool shared = false;
};

// The first flock(2) on the file (st_dev, st_ino) that /proc/locks lists.
OutputLockHolder output_lock_holder(const struct stat& file);

// Whether process `pid` runs this program's executable: a flock held by one is a recorder's (no
// other verb locks a file).
bool runs_this_program(pid_t pid);

// Whether another open file description holds any flock(2) on the regular file `path` (a
// recorder's exclusive lock, a reader's shared one): asked with the recorder's own exclusive lock,
// taken and dropped at once. The early check before the probes load; far cheaper than
// output_lock_holder(), whose read of /proc/locks took 12 ms on a VM with none listed (so it runs
// only when a lock is found).
bool output_locked(const std::string& path);

// The refusal's words, the holder named by its comm when /proc has it:
// a recorder (runs_this_program): "-o PATH: another recording into this file is in progress
// (infertrace, pid N)"; another process: "-o PATH: the file is locked (flock, exclusive) by NAME
// (pid N)", or "(flock, shared: a read lock) by NAME (pid N), which is reading it"; pid 0: "the
// file is locked (flock) by a process /proc/locks does not name".
std::string output_in_use_message(const std::string& path, const OutputLockHolder& holder);

// Takes the exclusive lock on `fd` (open on the regular file `path`) without waiting; throws
// Error (exit 1) naming the holder (output_in_use_message) when another open file description
// holds a lock on it.
void lock_output(int fd, const std::string& path);

}  // namespace infertrace
