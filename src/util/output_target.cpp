#include "util/output_target.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/error.h"
#include "util/inherited_descriptor.h"

namespace infertrace {

namespace {

// The path a chain of symlinks ends at when its last link names nothing yet (a dangling link):
// creating the file there is what writing through the link would do. Relative targets are taken
// from the link's own directory, as the kernel does.
std::string end_of_dangling_chain(const std::string& out) {
  namespace fs = std::filesystem;
  fs::path at = out;
  for (int hop = 0; hop < 40; ++hop) {  // 40: the kernel's own limit on links followed in one lookup
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(at, ec);
    if (ec || !fs::is_symlink(st)) return at.string();
    fs::path next = fs::read_symlink(at, ec);
    if (ec) return at.string();
    at = next.is_absolute() ? next : at.parent_path() / next;
  }
  throw Error(out + ": too many levels of symbolic links");
}

[[noreturn]] void refuse_block_device(const std::string& out) {
  throw Error(out + ": is a block device; infertrace does not write to disks (name a file)");
}

}  // namespace

OutputTarget resolve_output_target(const std::string& out) {
  if (const std::optional<int> named = inherited_descriptor(out)) {
    // Our stdout is taken aside here, the one place every output is resolved (and before anything
    // is printed), so the verb's own stdout lines cannot land in the output.
    const int fd = *named == 1 ? stdout_for_output(out) : *named;
    require_writable_descriptor(fd, out);
    struct stat node{};
    if (::fstat(fd, &node) == 0 && S_ISBLK(node.st_mode)) refuse_block_device(out);
    const std::string n = std::to_string(*named);
    return {"/dev/fd/" + n, true, "file descriptor (fd " + n + ")", fd};
  }
  struct stat link{}, node{};
  if (::lstat(out.c_str(), &link) != 0) return {out, false, ""};
  if (::stat(out.c_str(), &node) != 0) {
    // Only a missing target makes a dangling link. Anything else is the kernel refusing to follow
    // it: EACCES from fs.protected_symlinks (root and another user's link in /tmp), ELOOP; writing
    // where the chain seems to end would do what the kernel itself refused.
    if (errno != ENOENT) throw Error(out + ": cannot follow it: " + std::strerror(errno));
    return {end_of_dangling_chain(out), false, ""};
  }
  if (S_ISDIR(node.st_mode)) throw Error(out + ": is a directory; name the file to write");
  if (S_ISSOCK(node.st_mode)) throw Error(out + ": is a socket; name a file, a device or a FIFO to write");
  if (S_ISBLK(node.st_mode)) refuse_block_device(out);
  // Through its own name, not the resolved one: a device's link (/dev/console) may lead anywhere
  // in /dev, and the node is what gets the bytes either way.
  if (S_ISCHR(node.st_mode)) return {out, true, "character device"};
  if (S_ISFIFO(node.st_mode)) return {out, true, "FIFO"};
  if (!S_ISLNK(link.st_mode)) return {out, false, ""};
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::canonical(out, ec);
  if (ec) throw Error(out + ": cannot resolve the symbolic link: " + ec.message());
  return {target.string(), false, ""};
}

void require_regular_output(const std::string& out, const std::string& format) {
  const OutputTarget t = resolve_output_target(out);
  if (t.stream)
    throw Error(out + ": is a " + t.kind + "; " + format +
                " is written to a file and renamed into place, so it needs a regular file (or a new name)");
}

}  // namespace infertrace
