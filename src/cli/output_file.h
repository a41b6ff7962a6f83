// Single-file outputs of the verbs (export's Perfetto/SQLite/Chrome files, report's HTML page):
// checked before anything is read, and written so that a failure leaves nothing half-written.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.h"

namespace infertrace::cli {

// Throws Error when `out` is a directory (SQLite's open would remove an empty one) or one of the
// inputs (it would be overwritten); `what` names the inputs in the message ("the input trace").
void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what);

// Runs write(tmp) on a temporary file beside `out` and renames it over `out` only when complete: a
// failed write (a full disk) leaves no truncated file, and a file already at `out` stays as it was
// until the new one is whole. Returns what write returns.
template <class Write>
auto write_whole(const std::string& out, Write write) {
  const std::string tmp = out + ".partial";
  try {
    auto result = write(tmp);
    if (std::rename(tmp.c_str(), out.c_str()) != 0)
      throw Error(out + ": cannot replace it with the finished " + tmp + ": " + std::strerror(errno));
    return result;
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace infertrace::cli
