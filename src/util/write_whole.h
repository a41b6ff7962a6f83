// Every verb's single-file output written whole: to a file beside the output (or the file its
// symlinks name), renamed into place only when complete (util/output_target.h has the rules).
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "util/error.h"
#include "util/held_file.h"
#include "util/inherited_descriptor.h"
#include "util/output_target.h"
#include "util/partial_file.h"
#include "util/write_text_file.h"

namespace infertrace {

// Runs write(tmp) on a temporary file beside `out` and renames it over `out` only when complete: a
// failed write (a full disk) leaves no truncated file, and a file already at `out` stays as it was
// until the new one is whole; the new file gets the old one's mode and owner (util/partial_file.h).
// `out` goes through resolve_output_target (util/output_target.h): a symlink's target is what gets
// replaced (the link stays), a device or FIFO gets write(out) itself (nothing renamed over the
// node; a FIFO that no process reads is waited for as `fifo_wait` says, util/write_text_file.h),
// one of our descriptors (/dev/stdout) is written through DescriptorOutput
// (util/inherited_descriptor.h: a pipe or tty streams, a redirected file gets the output appended
// from an unlinked scratch file), a directory or a block device is an Error. Returns what write
// returns. `renamed`, when given, gets the file renamed into place, held open with the directory it
// was renamed into (nothing for a stream, nor when that name is no longer the file by the time it is
// opened): a caller that removes its outputs again after a later failure removes that name, through
// that directory's descriptor, only while it is still that file (review BX H1, CB).
// `message` with every `writer_path` in it replaced by `out`.
inline std::string name_output(std::string message, const std::string& writer_path, const std::string& out) {
  if (writer_path.empty() || writer_path == out) return message;
  for (size_t at = message.find(writer_path); at != std::string::npos; at = message.find(writer_path, at + out.size()))
    message.replace(at, writer_path.size(), out);
  return message;
}

// write(path), or write(path, fd) for a writer that takes the descriptor too: the OUT.partial's own
// descriptor (open for reading and writing; export --sqlite writes through it, never by name), -1
// where there is none (a device, a FIFO, one of our descriptors).
template <class Write>
auto call_writer(Write& write, const std::string& path, int fd) {
  if constexpr (std::is_invocable_v<Write&, const std::string&, int>)
    return write(path, fd);
  else
    return write(path);
}

// `before_rename`, when given, runs with the file's resolved path once the partial is complete
// and checked, just before it is renamed over that path (export --sqlite removes the old
// database's side files there); an Error from it leaves nothing replaced.
template <class Write>
auto write_whole(const std::string& out, Write write, std::optional<HeldEntry>* renamed = nullptr,
                 FifoWait fifo_wait = FifoWait::Forever,
                 const std::function<void(const std::string&)>& before_rename = {}) {
  const OutputTarget target = resolve_output_target(out);
  if (target.descriptor >= 0) {
    DescriptorOutput into(target.descriptor, out);
    auto result = [&] {
      try {
        return call_writer(write, into.path(), -1);
      } catch (const Error& e) {
        // The writer names the path it was given (/proc/self/fd/N), which the user never typed
        // (review SQ L3).
        throw Error(name_output(e.what(), into.path(), out), e.exit_code());
      }
    }();
    into.finish();
    return result;
  }
  if (target.stream) {
    // A FIFO: its reader is waited for here, as fifo_wait says (open_for_writing), and this write end stays
    // open while `write` opens its own, so a writer's blocking open never waits for ever on a FIFO
    // that no process reads. Closed only after `write`: before, a reader already there would see EOF.
    const HeldFile held(target.kind == "FIFO" ? open_for_writing(out, false, fifo_wait) : -1);
    return call_writer(write, out, -1);
  }
  PartialFile partial(target.path);  // removed again unless renamed into place
  auto result = [&] {
    try {
      return call_writer(write, partial.writer_path(), partial.descriptor());
    } catch (const Error& e) {
      // The writer names the path it was given (/proc/self/fd/N): the user knows the output's name.
      throw Error(name_output(e.what(), partial.writer_path(), out), e.exit_code());
    }
  }();
  partial.keep_mode_and_owner();
  // Held before the rename (the partial's own descriptor duplicated, its directory opened), so a
  // process out of descriptors fails with nothing replaced rather than leave a file the clean-up
  // cannot see (review CF).
  HeldFilePtr file, dir;
  const std::filesystem::path at(target.path);
  if (renamed) {
    file = hold_descriptor(partial.descriptor());
    if (file) dir = hold_at(AT_FDCWD, at.has_parent_path() ? at.parent_path().string() : ".", O_DIRECTORY);
    const int err = errno;  // before the message's allocations, which may set it
    if ((!file || !dir) && out_of_descriptors(err))
      throw Error(out + ": cannot hold the file open: " + std::strerror(err) + " (nothing was replaced)");
  }
  // A file the caller would remove after a failure is listed for the signal handler too
  // (CreatedOnSignal), the signals held from the rename until it is listed; held from before
  // `before_rename` too, so a Ctrl-C cannot fall between export --sqlite's removal of the old
  // side files and the rename that makes that removal right (review WD57 M1).
  std::optional<CleanUpSignalsHeld> signals_held;
  if (renamed || before_rename) signals_held.emplace();
  if (before_rename) before_rename(target.path);
  partial.rename_into_place(out);
  if (renamed) {
    HeldEntry e{dir, at.filename().string(), file};
    const bool there = e.still_there();
    if (there) e.on_signal = std::make_shared<CreatedOnSignal>(dir->fd(), e.name, partial.file(), false);
    *renamed = there ? std::optional<HeldEntry>(e) : std::nullopt;
  }
  return result;
}

}  // namespace infertrace
