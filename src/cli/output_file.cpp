#include "cli/output_file.h"

#include <filesystem>

namespace infertrace::cli {

void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(out, ec)) throw Error(out + ": is a directory; name the file to write");
  if (!std::filesystem::exists(out, ec)) return;
  for (const std::string& in : inputs)
    if (std::filesystem::equivalent(out, in, ec)) throw Error(out + ": is " + what + "; name another file");
}

}  // namespace infertrace::cli
