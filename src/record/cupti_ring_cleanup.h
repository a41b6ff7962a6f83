// Rings left behind by a CUPTI recorder that was killed (kill -9, the OOM killer): its ring file
// /dev/shm/infertrace-cupti-l-PID-N stays, up to ~1 GiB of RAM, because only the recorder removes it
// (docs/record.md, "The recorder killed"). A CUPTI recording removes them when it starts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "record/cupti_ring.h"

namespace infertrace::cupti {

// The name prefix of a ring file that its recorder keeps locked (cupti::Ring::create). The "l"
// (locked) tells these rings from "infertrace-cupti-PID-N", the name used by builds before the
// lock rule: their recorders never lock the ring, so a lock test cannot tell a running one from a
// dead one, and the clean-up never looks at that name (docs/record.md says how to remove them).
inline constexpr char kRingFilePrefix[] = "infertrace-cupti-l-";

// The file name of the ring a recorder of PID `pid` creates as its `counter`-th attempt.
std::string ring_file_name(int pid, int counter);

// Creates a ring in `dir` named ring_file_name(pid, *counter), going on with the next counter while
// the name is taken (at most kRingNameTries names): PIDs repeat across PID namespaces, so two
// recorders that are both PID 1 in containers sharing /dev/shm (--ipc=host) would otherwise
// collide. Advances *counter past the name used and sets *path. Throws std::runtime_error.
inline constexpr int kRingNameTries = 64;
Ring create_named_ring(const std::string& dir, int pid, int* counter, uint64_t capacity, std::string* path);

struct RemovedRing {
  std::string path;
  int pid = 0;         // the recorder that created it (the PID in the name, in its namespace)
  uint64_t bytes = 0;  // the file's size
};

// The PID in a ring's file name "infertrace-cupti-l-PID-N" (both decimal as the recorder writes
// them: no sign, no leading zero; nothing else), or -1 for any other name.
int ring_owner_pid(const std::string& file_name);

// Removes from `dir` (/dev/shm) every ring whose recorder no longer runs: a regular file (not a
// link) with the exact name pattern above, owned by `uid` (the user rings are given to), that no
// recorder holds locked (the lock cupti::Ring::create takes; the .cpp explains the rule).
// Returns what was removed; a file that cannot be inspected or removed is left as it is.
std::vector<RemovedRing> remove_stale_cupti_rings(const std::string& dir, uid_t uid);

}  // namespace infertrace::cupti
