// The directory scratch files and scratch directories go in: $TMPDIR when it is set, else /tmp.
// A TMPDIR that is set but names no writable directory (a typo, a directory a cleaner removed) is
// an error naming TMPDIR: falling back to /tmp without a word put scratch copies, and with them
// a whole output's bytes, where the user had said not to (a small tmpfs, another user's view).
#pragma once

#include <string>

namespace infertrace {

// Throws Error naming TMPDIR and its value when it is set (and not empty) but is missing, is not
// a directory, or cannot be written and searched by this process.
std::string temp_directory();

}  // namespace infertrace
