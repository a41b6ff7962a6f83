// The directory scratch files and scratch directories go in: $TMPDIR when it is set, else /tmp.
// A TMPDIR that is set but names no writable directory (a typo, a directory a cleaner removed) is
// an error naming TMPDIR: falling back to /tmp without a word put scratch copies, and with them
// a whole output's bytes, where the user had said not to (a small tmpfs, another user's view).
// TMP and TEMP are not read (decided 2026-12-02): POSIX names TMPDIR alone, and so do the tools a
// run of ours sits among (mktemp, sort, glibc's tmpfile, the shells); TMP/TEMP are the DOS and
// Windows names that some libraries (libstdc++'s temp_directory_path, Python's tempfile) read as
// fallbacks. Reading them too would let a variable set for another program (a stale TEMP from a
// Windows-side profile) move an output's scratch bytes, or fail a run with an error about a
// variable the user never set for us.
#pragma once

#include <string>

namespace infertrace {

// Throws Error naming TMPDIR and its value when it is set (and not empty) but is missing, is not
// a directory, or cannot be written and searched by this process.
std::string temp_directory();

}  // namespace infertrace
