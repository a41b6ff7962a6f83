// Rings left behind by a CUPTI recorder that was killed (kill -9, the OOM killer): its ring file
// /dev/shm/infertrace-cupti-PID-N stays, up to ~1 GiB of RAM, because only the recorder removes it
// (docs/record.md, "The recorder killed"). A CUPTI recording removes them when it starts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace infertrace::cupti {

struct RemovedRing {
  std::string path;
  int pid = 0;         // the recorder that created it (the PID in the name, in its namespace)
  uint64_t bytes = 0;  // the file's size
};

// The PID in a ring's file name "infertrace-cupti-PID-N" (both decimal as the recorder writes
// them: no sign, no leading zero; nothing else), or -1 for any other name.
int ring_owner_pid(const std::string& file_name);

// Removes from `dir` (/dev/shm) every ring whose recorder no longer runs: a regular file (not a
// link) with the exact name pattern above, owned by `uid` (the user rings are given to), that no
// recorder holds locked (the lock cupti::Ring::create takes; the .cpp explains the rule).
// Returns what was removed; a file that cannot be inspected or removed is left as it is.
std::vector<RemovedRing> remove_stale_cupti_rings(const std::string& dir, uid_t uid);

}  // namespace infertrace::cupti
