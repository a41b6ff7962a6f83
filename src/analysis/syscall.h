// Syscall profile of the traced threads, like `strace -c` but read from a recording, so the
// program ran without ptrace stops. ioctl is also split by the file its fd pointed at (the GPU
// driver's /dev/nvidia* files), where the recorder resolved it.
#pragma once

#include <cstdint>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

struct SyscallStat {
  StrId name = kNoString;  // kNoString when the recording had no name; renderers print nr
  int32_t nr = -1;
  int64_t count = 0;
  int64_t errors = 0;  // returns in [-4095, -1] (the kernel's -errno range); -1: unknown (counted in the kernel)
  ns_t total = 0, max = 0;  // max -1: unknown (counted in the kernel)
};

struct IoctlTargetStat {
  StrId target = kNoString;  // path of the fd's target; kNoString = not resolved
  int64_t count = 0, errors = 0;
  ns_t total = 0;
};

struct ThreadSyscalls {
  int64_t pid = -1, tid = -1;
  std::vector<SyscallStat> by_name;  // sorted by total, descending
};

struct SyscallProfile {
  // `record --events syscall-counts`: counts and total times made in the kernel (no rows, so no
  // errors, maxima, ioctl targets or threads: those are -1 / empty).
  bool counted_in_kernel = false;
  int64_t count = 0, errors = 0;
  ns_t total = 0;
  std::vector<SyscallStat> by_name;           // sorted by total, descending
  std::vector<IoctlTargetStat> ioctl_targets;  // sorted by total, descending
  std::vector<ThreadSyscalls> by_thread;       // only when asked for; ordered by tid
};

SyscallProfile profile_syscalls(const Trace& trace, bool per_thread = false);

inline bool is_syscall_error(int64_t ret) { return ret < 0 && ret >= -4095; }

}  // namespace infertrace
