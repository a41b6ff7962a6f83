// The lock a recorder holds on its output file while it writes it (docs/record.md, "-o FILE"): an
// exclusive flock(2), taken before the file is truncated, so a second recorder given the same -o
// (the default run.itrace of two runs started in one directory) is refused instead of truncating
// the file under the first, which kept writing at its own offset: both recordings were lost and
// both recorders exited 0 (review SG H1). The kernel drops the lock when the recorder's descriptor
// closes, however it ends (a killed recorder leaves no stale lock). Readers never lock: a verb may
// read a recording while it grows.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace infertrace {

// The process holding a flock(2) write lock on the file (st_dev, st_ino), as /proc/locks lists it:
// its pid in our PID namespace, or 0 when none is listed (or /proc/locks cannot be read).
pid_t output_lock_holder(const struct stat& file);

// Whether another open file description holds a lock on the regular file `path` that excludes a
// shared one (a recorder's exclusive lock): asked with a shared flock(2) taken and dropped at once.
// The early check before the probes load; far cheaper than output_lock_holder(), whose read of
// /proc/locks took 12 ms on a VM with none listed (so it runs only when a lock is found).
bool output_locked(const std::string& path);

// "-o PATH: another recording into this file is in progress (infertrace, pid N)": the refusal's
// words, the holder named (with its comm when /proc has it); holder 0: "the file is locked by
// another process" (its lock not listed as a write lock).
std::string output_in_use_message(const std::string& path, pid_t holder);

// Takes the exclusive lock on `fd` (open on the regular file `path`) without waiting; throws
// Error (exit 1) naming the holder when another open file description holds a lock on it.
void lock_output(int fd, const std::string& path);

}  // namespace infertrace
