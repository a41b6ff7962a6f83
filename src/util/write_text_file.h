// The one writer of a verb's output that is a string in memory (record's --summary-file, report's
// HTML page, bench serve's and bench interference's JSON documents, sweep's SVG plot): before, each
// verb had its own ofstream lambda, and each opened a FIFO nobody reads with a blocking open, so
// `record --summary-file FIFO` hung for ever at the end of the run.
#pragma once

#include <optional>
#include <string>

#include "util/held_file.h"

namespace infertrace {

// How an output that is a FIFO waits for a process to open it for reading (an open for writing
// blocks until one does: `record --summary-file FIFO` hung at the end of a recording, saying nothing).
enum class FifoWait {
  // As any writer, for as long as it takes (`mkfifo p; infertrace report T -o p`, then `cat p` in
  // another terminal), but after kFifoWaitNoteMs a line on stderr says what the verb waits for.
  Forever,
  // kFifoReaderWaitMs at most, then an Error "PATH: a FIFO that no process reads ...": for an
  // output that has somewhere else to go (record's summary, which then follows on stderr).
  Bounded,
};
inline constexpr int kFifoWaitNoteMs = 1000;
inline constexpr int kFifoReaderWaitMs = 2000;

// Opens `path` write-only (created 0666 less the umask, truncated, close-on-exec); a FIFO that no
// process reads is polled (non-blocking opens) as `wait` says. The descriptor returned blocks as
// usual. `create` false: a name that is gone is an error (ENOENT), not a new file. Throws Error with
// errno's text otherwise.
int open_for_writing(const std::string& path, bool create = true, FifoWait wait = FifoWait::Forever);

// `text` into `out` through write_whole (util/write_whole.h: OUT.partial renamed into place for a
// file; a device, FIFO or our own descriptor written in place), every byte or an Error naming `out`
// with errno's text; `renamed` as write_whole's; a FIFO's reader waited for as `wait` says.
void write_text_file(const std::string& out, const std::string& text, std::optional<HeldEntry>* renamed = nullptr,
                     FifoWait wait = FifoWait::Forever);

}  // namespace infertrace
