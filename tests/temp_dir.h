// A fresh directory under the system's temporary directory, removed with everything in it when the
// test ends (the tests that make files, links and nodes of their own).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace infertrace {

struct TempDir {
  std::filesystem::path path;
  // `prefix` names the test in the directory's name: "output-target" -> /tmp/output-target-AbC123.
  explicit TempDir(const std::string& prefix) {
    std::string t = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(t.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp " + t);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace infertrace
