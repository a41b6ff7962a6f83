// `record`'s command line checked against the file system before the recording is opened: the
// writer truncates its output at once (it streams events into it), so a usage error found later
// used to leave a stub where a good recording or even the command's own executable had been.
#pragma once

#include <string>

#include "record/recorder.h"

namespace infertrace {

// The interpreter a script's "#!" line names (its first word), "" for anything else.
std::string script_interpreter(const std::string& path);

// The executable `execvp` would run for `command` (a PATH lookup when it has no '/'). Throws
// Error (exit 1) "record: cannot run CMD: reason" when there is none or it cannot be executed.
std::string command_executable(const std::string& command);

// Every check that needs no privilege, in the order a user fixes them: the command resolves to an
// executable, each --pid is a live process, each --lib is a readable file (Error, exit 1), and the
// output may be written. The output is refused
// (UsageError) when it is a directory, the command's executable, a --lib file, or an existing
// non-empty file that does not start with the recording header "INFTRACE" (only a recording is
// overwritten); a character device or FIFO is written into, a block device is refused (Error), and
// so is a file another process holds a flock(2) on: a recording being written into it, or a
// reader's shared lock (Error naming the holder from /proc/locks, record/output_lock.h). Nothing is
// opened for writing.
void check_record_targets(const RecordOptions& o);

}  // namespace infertrace
