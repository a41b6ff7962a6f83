#include "cli/output_file.h"

#include <filesystem>

namespace infertrace::cli {

void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what) {
  resolve_output_target(out);  // throws for a directory or a socket, before anything is read
  std::error_code ec;
  if (!std::filesystem::exists(out, ec)) return;
  for (const std::string& in : inputs)
    if (std::filesystem::equivalent(out, in, ec)) throw Error(out + ": is " + what + "; name another file");
}

}  // namespace infertrace::cli
