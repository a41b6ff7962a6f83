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

// True when `out` names our stdout (fd 1: /dev/stdout, /dev/fd/1, /proc/self/fd/1, or a link to
// one). A verb whose output file holds the very document its --json prints (bench serve --json -o)
// asks this to print it once: that output takes fd 1, and the verb's own stdout goes to stderr.
bool names_our_stdout(const std::string& out);

// The descriptor an output named as our stdout (fd 1: /dev/stdout, /dev/fd/1) is written into.
// The first call flushes what is buffered for stdout, keeps a dup of fd 1 for the output and
// points fd 1 at stderr: the verb's own lines ("chrome: /dev/stdout", sweep's table, report's
// findings) then go to stderr instead of after the output (`sweep --plot /dev/stdout > p.svg`
// stays valid XML). Later calls return the same dup. Throws Error when fd 1 is not open for writing.
int stdout_for_output(const std::string& out);

// The descriptor on the file the user gave us as stdout: fd 1, or, once stdout_for_output took it
// aside (fd 1 then points at stderr), the dup it keeps. Takes nothing aside itself.
int users_stdout();

// Throws Error unless descriptor `fd` is open for writing; `out` names it in the message.
void require_writable_descriptor(int fd, const std::string& out);

// A duplicate of `fd` (close-on-exec, so a recorded command does not inherit it); throws Error.
int duplicate_descriptor(int fd, const std::string& out);

// Whether an output into descriptor `fd` goes through a scratch file (a regular file or a socket:
// see DescriptorOutput), which needs a usable TMPDIR: a set of outputs checks that before it
// writes any (false when `fd` cannot be examined: DescriptorOutput then says why).
bool descriptor_needs_scratch(int fd);

// Where a writer that can only open a named file puts an output bound for our descriptor `fd`
// (`-o /dev/stdout`): path() is /proc/self/fd/<n>, a magic link that opens the same file as n.
// A pipe, tty, FIFO or character device: n is a dup of `fd`, so the writer streams into it (a
// reader sees the bytes as they come; no scratch space, a blocking reopen even when the shell's
// descriptor is O_NONBLOCK). A regular file (or a socket, which cannot be reopened): reopening
// would start at offset 0 and truncate it, so n is a scratch file in TMPDIR, unlinked as soon as
// it is made (a SIGPIPE or Ctrl-C leaves nothing behind), and finish() appends it to `fd` at the
// descriptor's offset (a shell's `>>` and what a shell group wrote before stay).
class DescriptorOutput {
 public:
  DescriptorOutput(int fd, std::string out);  // throws Error
  ~DescriptorOutput();
  DescriptorOutput(const DescriptorOutput&) = delete;
  DescriptorOutput& operator=(const DescriptorOutput&) = delete;
  const std::string& path() const { return path_; }
  bool uses_scratch() const { return scratch_ >= 0; }
  // Copies the scratch file into the descriptor (nothing when the writer wrote straight into it),
  // after flushing what this process has buffered for stdout and stderr, so the bytes land in the
  // order they were produced. Throws Error naming `out`.
  void finish();

 private:
  int fd_;
  std::string out_;
  int direct_ = -1;   // dup of fd_ the writer reopens
  int scratch_ = -1;  // the unlinked scratch file
  std::string path_;
};

}  // namespace infertrace
