// The process's umask, read without changing it. umask(2) can only set the mask (returning the old
// one); setting and restoring it would, for that moment, have another thread of ours create its
// files under the wrong mask (world-writable, or unreadable to the group it should reach).
#pragma once

#include <sys/types.h>

namespace infertrace {

// From /proc/self/status (Linux 4.7 and later), else from umask_from_child().
mode_t current_umask();

// A forked child reads the mask (inherited from us) with umask(2) and sends it back through a
// pipe: only the child's mask ever changes. For a process without /proc; throws Error.
mode_t umask_from_child();

}  // namespace infertrace
