#include "report/staged_tables.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "util/error.h"
#include "util/output_target.h"
#include "util/partial_file.h"

namespace infertrace {

namespace fs = std::filesystem;

namespace {

// A directory (not a link to one) at `name` under the directory `dir_fd` (AT_FDCWD: `name` is a
// path): the one target rename(2) cannot replace. Before the set is opened by path, then through
// its descriptor.
bool directory_at(int dir_fd, const std::string& name) {
  struct stat st{};
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// The stale table `name` of the set's directory removed (unlinkat without AT_REMOVEDIR: no
// directory, and a link itself); one that stays for another reason than being gone is said, since it
// will be read with the new set.
void remove_stale(int dir_fd, const fs::path& dir, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  std::fprintf(stderr, "infertrace: warning: %s: cannot remove this table of an earlier run (%s); it is not part of the "
                       "new set\n", (dir / name).c_str(), std::strerror(errno));
}

// The file a table is written to: the table's path, or the file its symlinks name (the link stays).
std::string table_target(const fs::path& at) {
  if (directory_at(AT_FDCWD, at.string()))
    throw Error(at.string() + ": cannot replace: a directory is in the way (nothing was replaced)");
  const OutputTarget t = resolve_output_target(at.string());
  if (t.stream)
    throw Error(at.string() + ": is a " + t.kind + "; --csv writes each table to a file and renames the set into "
                "place (nothing was replaced)");
  return t.path;
}

// Whether two tables' targets are one path once links and `..` are resolved (two links to one file,
// or two dangling links to one name): their partials would be one file. Not the inode: two hard
// links of one file are two names, each written to a partial of its own and renamed over its own
// name (review BT L2).
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ea, eb;
  const fs::path ca = fs::weakly_canonical(fs::absolute(a), ea), cb = fs::weakly_canonical(fs::absolute(b), eb);
  return !ea && !eb && ca == cb;
}

// Two tables of one set that are links to one file would be written over each other: the second
// table's partial replaced the first's, which then failed as "replaced while it was written".
void check_own_file(const fs::path& dir, const std::string& name, const std::string& target,
                    const std::vector<std::string>& names, const std::vector<std::string>& targets) {
  for (size_t i = 0; i < targets.size(); ++i)
    if (same_file(targets[i], target))
      throw Error((dir / name).string() + " and " + (dir / names[i]).string() + ": are one file (" + target +
                  "); each table of the set needs a file of its own (nothing was replaced)");
}

}  // namespace

void check_table_places(const fs::path& dir, const std::vector<std::string>& names) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;  // created by the run: nothing in the way
  std::vector<std::string> seen, targets;
  for (const std::string& n : names) {
    const std::string target = table_target(dir / n);
    check_own_file(dir, n, target, seen, targets);
    seen.push_back(n);
    targets.push_back(target);
  }
}

StagedTables::StagedTables(fs::path dir, RenamedTables* renamed) : dir_(std::move(dir)), renamed_(renamed) {
  // O_PATH: fstat, fstatat and unlinkat are all the set does through it, and none needs the right to
  // list the directory (a write-and-search-only one, 0300, is replaced as any other: review BT L1).
  dir_fd_ = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) {
    const int err = errno;
    throw Error(dir_.string() + ": cannot open the directory: " + std::strerror(err));
  }
  // A descriptor of its own (a dup: no lookup, no permission needed), held after this set is gone.
  if (renamed_) {
    const int held = ::fcntl(dir_fd_, F_DUPFD_CLOEXEC, 0);
    if (held < 0) {
      const int err = errno;
      ::close(dir_fd_);
      throw Error(dir_.string() + ": cannot hold the directory open: " + std::strerror(err));
    }
    renamed_->directory = std::make_shared<const HeldFile>(held);
  }
}

StagedTables::~StagedTables() { ::close(dir_fd_); }

void StagedTables::require_opened_directory() const {
  struct stat now{}, opened{};
  if (::stat(dir_.c_str(), &now) == 0 && ::fstat(dir_fd_, &opened) == 0 && now.st_dev == opened.st_dev &&
      now.st_ino == opened.st_ino)
    return;
  throw Error(dir_.string() + ": is no longer the directory the tables were started in (moved, or replaced by a "
              "link, while they were written); nothing was replaced");
}

std::string StagedTables::stage(const std::string& name) {
  require_opened_directory();
  const std::string target = table_target(dir_ / name);
  check_own_file(dir_, name, target, names_, targets_);
  partials_.push_back(std::make_unique<PartialFile>(target));  // removed with us unless renamed
  names_.push_back(name);
  targets_.push_back(target);
  return partials_.back()->writer_path();
}

void StagedTables::commit(const std::vector<std::string>& stale) {
  require_opened_directory();  // the partials are opened again by path below
  // Every place checked again before the first rename (stage() did, but a set takes a while), so
  // that the usual failure (a directory in the way: the one target rename(2) cannot replace)
  // leaves the previous tables whole rather than half replaced.
  for (const std::string& n : names_)
    if (directory_at(dir_fd_, n))
      throw Error((dir_ / n).string() + ": cannot replace: a directory is in the way (nothing was replaced)");
  // Mode and owner for every table first: a failure there leaves the old set whole too.
  for (auto& p : partials_) p->keep_mode_and_owner();
  // Each table held (a second descriptor of its partial) before any rename, so a process out of
  // descriptors fails here with nothing replaced, not after with tables the clean-up cannot see.
  std::vector<HeldFilePtr> held(names_.size());
  if (renamed_) {
    for (size_t i = 0; i < names_.size(); ++i) {
      held[i] = hold_descriptor(partials_[i]->descriptor());
      if (!held[i]) {
        const int err = errno;  // before the message's allocations, which may set it
        throw Error((dir_ / names_[i]).string() + ": cannot hold the table open: " + std::strerror(err) +
                    " (nothing was replaced)");
      }
    }
  }
  require_opened_directory();  // again: the renames go by path too
  for (size_t i = 0; i < names_.size(); ++i) {
    try {
      // Signals held from the rename until the table is listed for the handler (CreatedOnSignal).
      std::optional<CleanUpSignalsHeld> signals_held;
      if (renamed_) signals_held.emplace();
      partials_[i]->rename_into_place((dir_ / names_[i]).string());
      // Recorded while the name is the file renamed there (not a link whose target was replaced).
      if (renamed_) {
        HeldEntry table{renamed_->directory, names_[i], held[i]};
        if (table.still_there()) {
          table.on_signal = std::make_shared<CreatedOnSignal>(renamed_->directory->fd(), names_[i],
                                                              partials_[i]->file(), false);
          renamed_->tables.push_back(table);
        }
      }
    } catch (const Error& e) {
      throw Error(std::string(e.what()) +
                  (i > 0 ? " (the tables before it were replaced: the directory mixes two runs)" : ""));
    }
  }
  // Through the descriptor opened with the set, so the removals happen in the directory the tables
  // were renamed into even if its path changes after the last check.
  for (const std::string& n : stale)
    if (std::find(names_.begin(), names_.end(), n) == names_.end() && !staged_file_at(n)) remove_stale(dir_fd_, dir_, n);
}

bool StagedTables::staged_file_at(const std::string& name) const {
  struct stat at{};
  if (::fstatat(dir_fd_, name.c_str(), &at, AT_SYMLINK_NOFOLLOW) != 0) return false;
  for (const std::string& t : targets_) {
    struct stat st{};
    if (::stat(t.c_str(), &st) == 0 && st.st_dev == at.st_dev && st.st_ino == at.st_ino) return true;
  }
  return false;
}

}  // namespace infertrace
