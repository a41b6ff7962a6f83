// Whole-file reads for the tests that compare what an export wrote.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace infertrace {

// The file's bytes; a file that cannot be opened fails the test (an empty string would let a
// comparison with "" pass on a missing export).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << "cannot open " << p;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace infertrace
