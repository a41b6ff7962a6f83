#include "util/temp_directory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace infertrace {

std::string temp_directory() {
  const char* set = std::getenv("TMPDIR");
  // Empty means unset, as for the shell's and glibc's own readers of TMPDIR.
  if (!set || !*set) return "/tmp";
  const std::string dir = set;
  auto refuse = [&](const std::string& why) -> std::string {
    throw Error("TMPDIR=" + dir + ": " + why + "; set TMPDIR to a writable directory, or unset it for /tmp");
  };
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return refuse(std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return refuse("is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return refuse(std::string("cannot create files in it: ") + std::strerror(errno));
  return dir;
}

}  // namespace infertrace
