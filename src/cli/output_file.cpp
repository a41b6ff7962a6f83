#include "cli/output_file.h"

#include <filesystem>

#include "util/inherited_descriptor.h"

namespace infertrace::cli {

void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what) {
  resolve_output_target(out);  // throws for a directory or a socket, before anything is read
  std::error_code ec;
  if (!std::filesystem::exists(out, ec)) return;
  for (const std::string& in : inputs)
    if (std::filesystem::equivalent(out, in, ec)) throw Error(out + ": is " + what + "; name another file");
}

void refuse_our_stderr(const std::string& out, const std::string& option, const std::string& verb) {
  if (inherited_descriptor(out) != 2) return;
  throw UsageError(option + " " + out + ": " + verb + " writes its progress, notes and errors to stderr, which would be "
                   "mixed into the output; name a file, or /dev/stdout (" + verb + "'s own stdout lines then go to stderr)");
}

}  // namespace infertrace::cli
