// Errors that reach the user. Every failure the CLI reports is one of these, so the message names
// what went wrong and where (file, byte offset, missing privilege and its fix) and the exit code
// follows the convention: 1 = runtime/input error, 2 = usage error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace infertrace {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg, int exit_code = 1)
      : std::runtime_error(msg), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad input data: names the file and, where known, the byte offset of the problem.
class InputError : public Error {
 public:
  InputError(const std::string& file, int64_t offset, const std::string& what)
      : Error(format(file, offset, what)), file_(file), offset_(offset) {}
  const std::string& file() const { return file_; }
  int64_t offset() const { return offset_; }

 private:
  static std::string format(const std::string& file, int64_t offset, const std::string& what) {
    std::string s = file;
    if (offset >= 0) s += ": byte " + std::to_string(offset);
    return s + ": " + what;
  }
  std::string file_;
  int64_t offset_;
};

// Wrong use of the command line (exit code 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& msg) : Error(msg, 2) {}
};

}  // namespace infertrace
