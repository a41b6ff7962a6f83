// Small JSON side inputs (an `engine run --json` for --decode-window, a --batch string list, an
// --attach document) are read whole. A path that is a directory opens fine as a stream and then
// fails inside libstdc++ with "basic_filebuf::underflow error reading the file", naming no file:
// this reads them with errors that name the path and say what is wrong.
#pragma once

#include <cstddef>
#include <string>

namespace infertrace {

// The most a side input may hold: far above any real one, below what reading /dev/zero would use.
inline constexpr size_t kMaxSideInputBytes = size_t{1} << 30;

// The file's bytes; InputError naming `path` when it cannot be opened, is a directory, cannot
// be read or holds more than kMaxSideInputBytes. `what` names the option the path came from (e.g. "--batch"), or is empty.
std::string read_whole_file(const std::string& path, const std::string& what = "");

}  // namespace infertrace
