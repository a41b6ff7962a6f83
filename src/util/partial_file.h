// OUT.partial: where a whole-file output is written before it is renamed over OUT (util/write_whole.h,
// the CSV table set, the gguf writer). The name is predictable and sits in a directory someone else
// may own (a link into their home), so it is never trusted: a stale OUT.partial (maybe a planted
// symlink to a root-owned file) is unlinked, the partial is created anew with O_EXCL|O_NOFOLLOW, and
// the old file's mode and owner are given to it through a descriptor opened with O_NOFOLLOW after a
// check that it is still the regular file we created. chown/chmod by path would follow a link
// planted between the write and the rename and hand any file to the output's owner.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>

#include "util/file_identity.h"

namespace infertrace {

class PartialFile {
 public:
  // Creates `target` + ".partial" (mode 0600 while it is written: the bytes are the new output,
  // which may end up private). Throws Error.
  explicit PartialFile(std::string target);
  // Removes the partial (or a link put at its name) unless it was renamed into place, in the
  // directory it was created in (held open), even when a path to it now leads elsewhere.
  ~PartialFile();
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  // Its name (`target` + ".partial"), for messages.
  const std::string& path() const { return path_; }
  // The path to hand the writer: /proc/self/fd/<n> of the descriptor kept open since the file was
  // created, a magic link that opens that very file. A writer opening the name instead (O_TRUNC
  // follows links) could be sent elsewhere by someone who swaps the name for a symlink in the
  // moment between our create and its open, in a directory they may write (review BI HIGH-1).
  // The name only where /proc is not mounted.
  const std::string& writer_path() const { return writer_path_; }

  // Gives the partial the mode of the regular file now at target (root: also its owner and
  // group, as an editor's save does; a refused chown, as in a user namespace or on NFS with
  // root_squash, is one warning on stderr), or, when there is none, the mode a new file gets
  // (0666 less the umask). Throws Error when the partial is no longer the regular file created
  // here (replaced by a link or another file).
  void keep_mode_and_owner() const;

  // Renames the partial over target. Throws Error naming `out` (the name the user gave).
  void rename_into_place(const std::string& out);

  // The file created here (what target is once renamed). Its own only while this object still holds
  // the descriptor: after that the inode number may be reused, so a caller that compares with it
  // later holds the renamed file first (util/held_file.h, review CB).
  FileIdentity file() const { return {dev_, ino_}; }
  // The descriptor held since creation (open for reading and writing), for a caller to hold the
  // file (hold_descriptor) before it is renamed, or to write it without a lookup by name
  // (export --sqlite): nothing can stand in for it.
  int descriptor() const { return fd_; }

 private:
  std::string target_;
  std::string path_;
  std::string writer_path_;
  std::string name_;  // the partial's name in its directory
  int dir_fd_ = -1;   // that directory (O_PATH), held from creation: where the destructor removes it
  int fd_ = -1;  // open from creation to destruction: what writer_path() names
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool renamed_ = false;
  int signal_slot_ = -1;  // its place in the list remove_partials_on_signal's handler reads (-1: none)
};

// SIGINT, SIGTERM and SIGHUP held back (blocked in this thread) while alive: around a step that puts
// something on disk and lists it for remove_partials_on_signal's handler (a partial's creation, an
// output's rename into place, a directory's mkdir), so that a signal never finds it on disk but not
// listed. A held signal is delivered when the object goes. This holds only while the process has
// one thread (export writes its outputs after its worker pools have ended): a signal sent to the
// process goes to any thread that does not block it, and another thread would run the handler
// inside the window.
class CleanUpSignalsHeld {
 public:
  CleanUpSignalsHeld();
  ~CleanUpSignalsHeld();
  CleanUpSignalsHeld(const CleanUpSignalsHeld&) = delete;
  CleanUpSignalsHeld& operator=(const CleanUpSignalsHeld&) = delete;

 private:
  sigset_t before_{};
  bool held_ = false;
};

// A finished output this run created (a file renamed into place, a table renamed into a --csv
// directory the run made, a directory it made): listed, while this object lives and keep() was not
// called, for remove_partials_on_signal's handler, which removes `name` in the directory `dir` (a
// descriptor the caller holds open longer than this object) while it is still `id` (unlinkat,
// AT_REMOVEDIR for a directory, which must then be empty), after the partials: files first, then
// directories the latest listed first (a directory made inside another before it). A run stopped by a signal then leaves nothing it
// created, as a failed run does (remove_created_outputs). Create it with the signals held
// (CleanUpSignalsHeld) from the rename or mkdir on. A name too long or a full list: not listed.
class CreatedOnSignal {
 public:
  CreatedOnSignal(int dir, const std::string& name, FileIdentity id, bool directory);
  ~CreatedOnSignal();
  CreatedOnSignal(const CreatedOnSignal&) = delete;
  CreatedOnSignal& operator=(const CreatedOnSignal&) = delete;
  // The run has finished: a signal from now on leaves the output.
  void keep();

 private:
  int slot_ = -1;
};

// For a verb whose outputs are written through PartialFile (export): SIGINT, SIGTERM and SIGHUP,
// where their action is the default (not ignored, not handled), first remove the partials that exist
// (the name in the directory it was created in, while it is still the file created here, as the
// destructor does), then end the process by that signal as before. A run ended by Ctrl-C left
// OUT.partial files where a failed run leaves none (review CA L4). The handler only reads a table
// filled as partials are created (fstatat, unlinkat through the held directory: async-signal-safe). Outputs already renamed into place stay, unless listed as CreatedOnSignal
// (export's outputs that did not exist before the run: removed too, after the partials).
void remove_partials_on_signal();

}  // namespace infertrace
