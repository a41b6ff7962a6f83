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
// inputs (it would be overwritten), or, for a file (not a device, FIFO or descriptor), when its
// directory is missing, not a directory or not writable (found out only by the write, after the
// verb's whole run, before); `what` names the inputs in the message ("the input trace").
// `dir_made`, when given, is a directory the verb makes before it writes `out` (export's --csv DIR):
// a missing parent that is made along with it (made_along_with) is accepted. `label` names the
// output in the input's refusal (refuse_input_as_output).
void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what,
                       const std::string& dir_made = "", const std::string& label = "");

// Whether directory `dir` is `made` or one of its parents, compared weakly canonical: a verb that
// makes `made` with its missing parents (std::filesystem::create_directories) makes `dir` too, so a
// file may go there (review S43 L6: `--csv out/tables --chrome out/t.json`). A folder inside `made`
// is not: nothing makes it.
bool made_along_with(const std::string& dir, const std::string& made);

// The one check every output of every verb goes through against the verb's inputs, before anything
// is written (review CX M2): throws Error (exit 1) "OUT: is WHAT (INPUT); name another file" when
// `out` is the same file as one of `inputs` (st_dev/st_ino, symlinks followed: a link at the
// output's name that leads to an input, also a hard link). Only regular files are compared (an
// output and an input on one terminal or pipe are no overwrite). An output that does not exist yet
// is none of the inputs; a dangling link's target is not an existing input either. `label`, when
// not empty, replaces `out` at the start of the message (a --csv table: "--csv DIR: table T"; the
// name as typed: "--chrome -"). An output named as our stdout that is an input (`--chrome - t.json
// 1<>t.json`) says so: "LABEL: the standard output is WHAT (INPUT)..." (review S44 L4).
void refuse_input_as_output(const std::string& out, const std::vector<std::string>& inputs, const std::string& what,
                            const std::string& label = "");

// `-` as an output name (review CX L9): for an output that can go to stdout (a JSON, SVG, HTML or
// protobuf file, written in one pass), `-` is /dev/stdout, with what /dev/stdout means there (the
// verb's own stdout lines move to stderr); other names are returned as they are.
std::string dash_as_stdout(const std::string& out);

// For an output that cannot go to stdout (a directory of CSV tables, an SQLite database, a
// recording): throws UsageError for `-`, saying what the output is and that ./- names a file called
// `-` (it was written silently before). `option` ("--csv") and `what` ("a directory of CSV tables")
// name it in the message.
void refuse_dash(const std::string& out, const std::string& option, const std::string& what);

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
