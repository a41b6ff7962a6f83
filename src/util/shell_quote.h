// A string as one POSIX shell word, for commands this tool runs through a shell (popen) and for
// commands its messages tell the user to paste.
#pragma once

#include <string>

namespace infertrace {

// As it is when it holds only characters no shell treats specially (and is not empty), else in
// single quotes, a ' inside written '\''.
std::string shell_quote(const std::string& s);

}  // namespace infertrace
