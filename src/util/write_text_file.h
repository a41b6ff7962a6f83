// The one writer of a verb's output that is a string in memory (record's --summary-file, report's
// HTML page, bench serve's and bench interference's JSON documents, sweep's SVG plot): before, each
// verb had its own ofstream lambda, and each opened a FIFO nobody reads with a blocking open, so
// `record --summary-file FIFO` hung for ever at the end of the run.
#pragma once

#include <optional>
#include <string>

#include "util/held_file.h"

namespace infertrace {

// How long an output that is a FIFO waits for a reader to open it (a reader started just after the
// verb, `infertrace report -o p & cat p`), polled, before the write is an Error.
inline constexpr int kFifoReaderWaitMs = 2000;

// Opens `path` write-only (created 0666 less the umask, truncated, close-on-exec) without blocking
// on a FIFO that no process reads: such a FIFO is polled for up to kFifoReaderWaitMs, then an Error
// "PATH: a FIFO that no process reads ..." instead of an open that waits for ever. The descriptor
// returned blocks as usual. `create` false: a name that is gone is an error (ENOENT), not a new file.
// Throws Error with errno's text otherwise.
int open_for_writing(const std::string& path, bool create = true);

// `text` into `out` through write_whole (util/write_whole.h: OUT.partial renamed into place for a
// file; a device, FIFO or our own descriptor written in place), every byte or an Error naming `out`
// with errno's text; `renamed` as write_whole's.
void write_text_file(const std::string& out, const std::string& text, std::optional<HeldEntry>* renamed = nullptr);

}  // namespace infertrace
