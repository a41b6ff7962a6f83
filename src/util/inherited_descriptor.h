// Outputs named by one of this process's open file descriptors: `-o /dev/stdout`, `/dev/stderr`,
// `/dev/fd/N`, `/proc/self/fd/N`, `/proc/<our pid>/fd/N` (or a symlink that leads to one). These
// are written into the descriptor itself, never reopened by path: reopening a regular file through
// /proc starts at offset 0 and truncates it, which loses a shell's `>>` append and whatever a shell
// group (`{ echo H; infertrace report T -o /dev/stdout; }`) wrote before, and renaming over the
// file a magic link resolves to would replace the shell's file with ours.
#pragma once

#include <optional>
#include <string>

namespace infertrace {

// N when `out`, or a symlink chain from it, names descriptor N of this process. Throws Error when
// it names another process's descriptor (/proc/<other pid>/fd/N): it cannot be written as ours.
std::optional<int> inherited_descriptor(const std::string& out);

// Throws Error unless descriptor `fd` is open for writing; `out` names it in the message.
void require_writable_descriptor(int fd, const std::string& out);

// A duplicate of `fd` (close-on-exec, so a recorded command does not inherit it); throws Error.
int duplicate_descriptor(int fd, const std::string& out);

// Appends the whole file `from` to descriptor `fd` at its current offset (a shell's `>>` keeps
// appending), after flushing what this process has buffered for stdout and stderr, so the bytes
// land in the order they were produced. Throws Error naming `out`.
void copy_file_into_descriptor(const std::string& from, int fd, const std::string& out);

// A new empty file in the temporary directory (TMPDIR), removed with this object: where a writer
// that can only write a named file puts an output that then goes into a descriptor.
class ScratchFile {
 public:
  ScratchFile();  // throws Error
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace infertrace
