// Single-file outputs of the verbs (export's Perfetto/SQLite/Chrome files, report's HTML page):
// checked before anything is read, and written so that a failure leaves nothing half-written.
#pragma once

#include <string>
#include <vector>

#include "util/error.h"
#include "util/output_target.h"
#include "util/write_whole.h"

namespace infertrace::cli {

// Throws Error when `out` is a directory (SQLite's open would remove an empty one) or one of the
// inputs (it would be overwritten); `what` names the inputs in the message ("the input trace").
void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what);

// Throws UsageError when `out` names our stderr (/dev/stderr, /dev/fd/2, /proc/self/fd/2 or a link
// to one) for a verb that writes lines of its own there while it runs (bench serve's progress,
// sweep's progress and notes, an error at the end): the output would be mixed with them. Nothing
// can take those lines instead (stdout holds the verb's table or --json), so the run is refused
// before it starts, and the message points to /dev/stdout, where the verb's own stdout lines move
// to stderr instead. Also when `out` is written in place into the very file stderr writes to
// (another descriptor on it, `--plot /dev/fd/3 3>&2`, or stderr's FIFO by name), unless that is a
// character device (/dev/null, a terminal) or the user gave us that one file as stdout and stderr
// (`> f 2>&1`: they joined the streams, so any descriptor on it but fd 2 itself may be named;
// stdout as they opened it, not fd 1, which an output named /dev/stdout points at stderr). `option` ("-o", "--plot") and `verb` name them in the message.
void refuse_our_stderr(const std::string& out, const std::string& option, const std::string& verb);

// write_whole lives in util/ (report/, engine/ and bench use it too); cli callers name it as before.
using infertrace::write_whole;

}  // namespace infertrace::cli
