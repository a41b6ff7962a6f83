// A directory of tables replaced as one set (export --csv, analyze --csv): every table is written
// to NAME.partial first, and only when all are complete are they renamed over the old ones, so a
// failure (a full disk, a directory in the way) leaves the directory with the set it had rather
// than new tables beside old ones of another run, which a script would read as one consistent set.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "util/held_file.h"
#include "util/partial_file.h"

namespace infertrace {

// Throws Error for a table of `names` that cannot be replaced in `dir`: a directory in the way, a
// device, FIFO or descriptor named like a table (a set is renamed into place as a whole), or two
// tables that are links to one file. For the checks before anything is read or written;
// StagedTables::stage checks again.
void check_table_places(const std::filesystem::path& dir, const std::vector<std::string>& names);

// What a set renamed into place, for the clean-up of a run that fails after its commit (a later
// output of export): the directory the tables went into and, for each table renamed to its name
// there, that name with the file, all held open (util/held_file.h) until the clean-up is done, so
// that no file made after ours is gone can pass for ours by a reused inode number (review CB). The
// clean-up removes a name only while it is still that file in that directory: another run may have
// renamed its own table over it, or put another directory (or a link to one) at the path meanwhile
// (review BX H1). A table whose name is a link (the rename replaced the file it names) is not
// recorded: the name is not the file this run wrote, and stays.
struct RenamedTables {
  HeldFilePtr directory;
  std::vector<HeldEntry> tables;
};

class StagedTables {
 public:
  // Opens `dir` (which must exist). Partials and renames go by path, so stage() and commit() (before
  // the partials are reopened, and again before the first rename) refuse when the path no longer
  // names that directory (moved, or swapped for a link to another); the removals of commit() go
  // through the descriptor. Throws Error. `renamed`, when given, gets the directory now and each
  // table as commit() renames it (held: RenamedTables) (also those renamed before one that fails), and outlives this
  // object (the caller's clean-up runs after it is gone).
  explicit StagedTables(std::filesystem::path dir, RenamedTables* renamed = nullptr);
  ~StagedTables();
  StagedTables(const StagedTables&) = delete;
  StagedTables& operator=(const StagedTables&) = delete;

  // Where to write table `name` (the file it replaces: `dir`/name, or the file its symlinks name):
  // the writer path of its NAME.partial, removed with this object unless committed. Throws Error,
  // also when `name` is a link to the file of a table staged before it.
  std::string stage(const std::string& name);
  // The table's own path (the target of its links), for messages.
  const std::string& target(size_t i) const { return targets_[i]; }

  // Renames every staged table into place; then removes each of `stale` that was not staged (a
  // table an earlier run wrote and this one has no rows for, which would be read with the new set)
  // and is not the file a staged table was just renamed to (a table linked to that name), from the
  // directory opened at construction (unlinkat). Throws Error when the path no longer
  // names that directory.
  void commit(const std::vector<std::string>& stale = {});

 private:
  // Whether `name` in the set's directory is the very file a staged table was renamed to (a table
  // linked to a stale name: removing that name would lose this run's output, review BT M3).
  bool staged_file_at(const std::string& name) const;
  // Throws Error unless dir_ still names the directory opened at construction.
  void require_opened_directory() const;

  std::filesystem::path dir_;
  int dir_fd_ = -1;
  std::vector<std::string> names_, targets_;
  std::vector<std::unique_ptr<PartialFile>> partials_;
  RenamedTables* renamed_ = nullptr;
};

}  // namespace infertrace
