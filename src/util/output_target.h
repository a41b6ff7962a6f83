// Where a verb's output goes, decided once for every writer (report, export, model synth, bench
// serve, sweep --plot, record): a regular file is written beside itself and renamed into place, so
// a failed write leaves the old file whole; a character device or FIFO (`-o /dev/null`) is written
// into directly, because renaming over it would replace the node (as root, for the whole machine);
// one of our own descriptors (`-o /dev/stdout`, /dev/fd/N: util/inherited_descriptor.h) is written
// through the descriptor itself; a symlink is followed, so the file it names is replaced and the
// link stays a link. A block device is refused: no verb has a use for one, and a typo
// (`-o /dev/sdb` for `-o sdb`) run as root would write over a disk's partition table.
#pragma once

#include <string>

namespace infertrace {

struct OutputTarget {
  std::string path;    // where to write: the output itself, or the file its symlinks end at
  bool stream = false; // a character device, a FIFO or a descriptor: written in place, never renamed over
  std::string kind;    // for messages: "character device", "FIFO", "file descriptor (fd N)"; empty for a file
  int descriptor = -1; // >= 0: `out` names this open descriptor of ours; write into a dup() of it
};

// Throws Error for a directory (or a link to one), a socket, a block device (also behind a
// descriptor), a descriptor that is not open for writing, another process's descriptor, and a link
// that cannot be followed for a reason other than a missing target (EACCES from
// fs.protected_symlinks, ELOOP). A path that does not exist, or whose parent cannot be read, is
// returned as it is (the write's own error names the cause); a dangling link gives the path its
// chain ends at (the file writing through it creates).
OutputTarget resolve_output_target(const std::string& out);

// Throws Error when `out` is a stream (what resolve_output_target calls one): a format that seeks
// in its file or must be renamed into place (SQLite) cannot be written into a device, a FIFO or a
// descriptor (/dev/stdout, even when the shell sent it to a file).
// `format` names it in the message ("an SQLite database").
void require_regular_output(const std::string& out, const std::string& format);

}  // namespace infertrace
