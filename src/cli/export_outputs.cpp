#include "cli/export_outputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/output_file.h"
#include "report/exports.h"
#include "report/staged_tables.h"
#include "util/error.h"
#include "util/inherited_descriptor.h"
#include "util/output_target.h"
#include "util/partial_file.h"
#include "util/temp_directory.h"

namespace infertrace::cli {

namespace fs = std::filesystem;

namespace {

// `d/` and `d` are one directory: weakly_canonical drops the slash only of a directory that
// exists, so a --csv directory the run will make kept it, and a file going into it (`--csv p/new/
// --chrome p/new/c.json`) was not seen as inside it (review BX L4).
fs::path without_trailing_slash(fs::path p) {
  while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p;
}

// One spelling per file, whether it exists or not: symlinks (a dangling one too: the file it will
// create) and `..` resolved as far as they go.
fs::path identity(const ExportOutput& o) {
  if (!o.directory) {
    const OutputTarget t = resolve_output_target(o.path);
    if (t.descriptor >= 0) return t.path;  // /dev/fd/N: /dev/stdout and /dev/fd/1 are one output
  }
  const std::string path = o.directory ? o.path : resolve_output_target(o.path).path;
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return without_trailing_slash(ec ? fs::path(path).lexically_normal() : p);
}

std::string named(const ExportOutput& o) { return o.option + " " + (o.typed.empty() ? o.path : o.typed); }

// The directory a file output goes into must be there: checked for every output before the first
// is written, so a typo in the last one does not fail the run after the others were written.
void check_directory(const ExportOutput& o, const std::vector<ExportOutput>& all) {
  std::error_code ec;
  if (o.directory) {
    if (fs::exists(o.path, ec)) {
      if (!fs::is_directory(o.path, ec)) throw Error(named(o) + ": exists and is not a directory");
      check_table_places(o.path, table_names(o));  // a directory, device or shared file at a table's name
      return;
    }
    // Created when missing: its nearest existing ancestor must be a directory.
    fs::path up = fs::absolute(o.path, ec).parent_path();
    while (!up.empty() && !fs::exists(up, ec) && up != up.root_path()) up = up.parent_path();
    if (!fs::is_directory(up, ec)) throw Error(named(o) + ": cannot be created: " + up.string() + " is not a directory");
    return;
  }
  const OutputTarget t = resolve_output_target(o.path);  // throws for a directory
  if (t.stream) {
    // Our descriptor on a regular file (`--chrome /dev/stdout > f`) is written through a scratch
    // file in TMPDIR: a TMPDIR that cannot hold it fails now, before an earlier output (the --csv
    // tables) is replaced, not after (review BN L1).
    // Our stdout is looked at through the dup stdout_for_output keeps (fd 1 itself may already
    // point at stderr; the output is written into that dup anyway).
    const std::optional<int> fd = inherited_descriptor(o.path);
    if (fd && descriptor_needs_scratch(*fd == 1 ? stdout_for_output(o.path) : *fd)) temp_directory();
    return;
  }
  fs::path dir = fs::path(t.path).parent_path();
  if (dir.empty()) dir = ".";
  // The --csv directory is written (and created, with its missing parents) first: a file may go
  // into it or into one of those parents.
  for (const ExportOutput& other : all)
    if (other.directory && made_along_with(identity(o).parent_path().string(), identity(other).string())) return;
  if (!fs::is_directory(dir, ec)) throw Error(named(o) + ": no directory " + dir.string() + " to write it in");
}

}  // namespace

void check_export_outputs(const std::vector<ExportOutput>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const fs::path a = identity(outputs[i]);
    for (size_t j = i + 1; j < outputs.size(); ++j) {
      const fs::path b = identity(outputs[j]);
      if (a == b)
        throw UsageError("export: " + named(outputs[i]) + " and " + named(outputs[j]) +
                         " are the same path; give each output its own");
      const ExportOutput* dir = outputs[i].directory ? &outputs[i] : outputs[j].directory ? &outputs[j] : nullptr;
      if (!dir) continue;
      const ExportOutput& file = dir == &outputs[i] ? outputs[j] : outputs[i];
      const fs::path f = dir == &outputs[i] ? b : a, d = dir == &outputs[i] ? a : b;
      if (f.parent_path() != d) continue;
      for (const std::string& table : table_names(*dir))
        if (f.filename() == table)
          throw UsageError("export: " + named(file) + " is a table that " + named(*dir) +
                           " writes; name a file outside it or with another name");
    }
  }
  for (const ExportOutput& o : outputs) check_directory(o, outputs);
}

void check_outputs_against_inputs(const std::vector<ExportOutput>& outputs, const std::vector<std::string>& inputs,
                                  const std::string& what) {
  for (const ExportOutput& o : outputs) {
    if (!o.directory) {
      refuse_input_as_output(o.path, inputs, what, named(o));
      continue;
    }
    for (const std::string& table : table_names(o))
      refuse_input_as_output((fs::path(o.path) / table).string(), inputs, what, named(o) + ": its table " + table);
  }
}

std::vector<std::string> table_names(const ExportOutput& o) {
  if (!o.tables.empty()) return o.tables;
  return std::vector<std::string>(std::begin(kCsvTableNames), std::end(kCsvTableNames));
}

std::vector<ExportOutput> outputs_to_be_created(const std::vector<ExportOutput>& outputs) {
  std::vector<ExportOutput> created;
  std::error_code ec;
  for (ExportOutput o : outputs) {
    if (!o.directory) {  // where the bytes go: a symlink's (dangling) target
      const OutputTarget t = resolve_output_target(o.path);
      if (t.stream) continue;
      o.path = t.path;
    }
    if (fs::exists(fs::symlink_status(o.path, ec))) continue;
    created.push_back(o);
  }
  return created;
}

void make_output_directories(std::vector<ExportOutput>& created) {
  for (ExportOutput& o : created) {
    if (!o.directory) continue;
    // One mkdirat(2) per component, in the directory the path as spelled leads to so far (a link or
    // `..` on the way is followed by openat, as the kernel resolves it for the writes that follow:
    // `lnk/../x` is made beside the link's target), and only what mkdirat reports it created is
    // recorded (review BT L3/L4: the ancestors were predicted from the spelling, and `d/.` or
    // `e/f/..` left what they made). Each made directory is held from right after its mkdir, with
    // the one it was made in: the clean-up goes by these, not by the name (review CB).
    const fs::path spelled(o.path);
    fs::path at;
    HeldFilePtr in = hold_at(AT_FDCWD, spelled.is_absolute() ? "/" : ".", O_DIRECTORY);
    int in_errno = in ? 0 : errno;
    for (const fs::path& part : spelled.relative_path()) {
      if (part.empty()) continue;  // after a trailing slash
      at = at.empty() ? spelled.root_path() / part : at / part;
      if (!in) throw Error(named(o) + ": cannot create " + at.string() + ": " + std::strerror(in_errno));
      const std::string name = part.string();
      // From the mkdir until the directory is listed for the signal handler (CreatedOnSignal).
      const CleanUpSignalsHeld signals_held;
      if (::mkdirat(in->fd(), name.c_str(), 0777) == 0) {
        // O_NOFOLLOW: one already replaced by a link in this moment is not held (nothing of ours to
        // remove); the next component is then made where the name leads, as the writes will go.
        if (HeldFilePtr made = hold_at(in->fd(), name, O_DIRECTORY | O_NOFOLLOW)) {
          const std::optional<FileIdentity> id = made->identity();
          o.made_directories.push_back({at.string(), {in, name, made}});
          if (id) o.made_directories.back().entry.on_signal = std::make_shared<CreatedOnSignal>(in->fd(), name, *id, true);
          in = made;
          continue;
        }
        if (out_of_descriptors(errno)) {
          // Not held, so the clean-up could not remove it: removed now, still empty (review CF).
          const int err = errno;
          const bool removed = ::unlinkat(in->fd(), name.c_str(), AT_REMOVEDIR) == 0;
          throw Error(named(o) + ": cannot hold " + at.string() + " open: " + std::strerror(err) +
                      (removed ? " (removed it)" : " (it stays: it could not be removed)"));
        }
      } else if (errno != EEXIST) {
        throw Error(named(o) + ": cannot create " + at.string() + ": " + std::strerror(errno));
      }
      in = hold_at(in->fd(), name, O_DIRECTORY);  // there already: followed as the kernel resolves it
      in_errno = in ? 0 : errno;                  // an error only if something is to be made inside it
    }
  }
}

namespace {

// Whether `path` (a directory, links followed) leads to the held directory `held` now: a path moved
// away, or given to another directory or a link to one, no longer does, and what the run wrote
// there is not removed (the user moved it, or it is another run's: review BX H1).
bool path_leads_to(const std::string& path, const HeldFilePtr& held) {
  if (!held) return false;
  const HeldFilePtr now = hold_at(AT_FDCWD, path.empty() ? "." : path, O_DIRECTORY);
  const std::optional<FileIdentity> a = now ? now->identity() : std::nullopt, b = held->identity();
  return a && b && *a == *b;  // both held while compared: neither number can have been reused
}

// Whether `held` is one of the directories this run's mkdir made for `dir`.
bool made_here(const ExportOutput& dir, const HeldFilePtr& held) {
  const std::optional<FileIdentity> id = held ? held->identity() : std::nullopt;
  return id && std::any_of(dir.made_directories.begin(), dir.made_directories.end(),
                           [&](const MadeDirectory& m) { return m.entry.file && m.entry.file->identity() == id; });
}

// The tables this run renamed into `dir`, each removed only while its name is still the file this
// run put there (another run may have renamed its own over it since); returns their names. Only in
// a directory this run made, while the --csv path still leads to it, and through its held
// descriptor (unlinkat). A table's unfinished partial is not looked at: its PartialFile removed it
// when the writer failed.
std::string remove_our_tables(const ExportOutput& dir) {
  std::string removed;
  if (!made_here(dir, dir.renamed.directory) || !path_leads_to(dir.path, dir.renamed.directory)) return removed;
  for (const HeldEntry& t : dir.renamed.tables)
    if (t.remove(false)) removed += (removed.empty() ? "" : ", ") + t.name;
  return removed;
}

}  // namespace

std::string remove_created_outputs(const std::vector<ExportOutput>& created, const std::string& run) {
  std::string removed;
  const auto add = [&](const std::string& what) { removed += (removed.empty() ? "" : ", ") + what; };
  // Files first: a file output may lie inside the --csv directory this run created (review BO M1:
  // the directory, handled first, was not empty yet and stayed).
  for (const ExportOutput& o : created) {
    if (o.directory || !o.written_file) continue;
    const std::string parent = fs::path(o.path).parent_path().string();
    if (path_leads_to(parent, o.written_file->parent) && o.written_file->remove(false)) add(o.path);
  }
  for (const ExportOutput& o : created) {
    if (!o.directory) continue;
    // Only what this run renamed there, and only in a directory its own mkdir made; anything else
    // in it stays, and so does the directory.
    const std::string tables = remove_our_tables(o);
    // Then the directories this run made for it, deepest first, each only while its name in the
    // directory it was made in is still that directory and it is empty: unlinkat(AT_REMOVEDIR)
    // removes nothing else (a file, a link, a directory someone filled meanwhile), and the first
    // that stays keeps the ones above it.
    bool tables_directory_removed = false;
    for (auto made = o.made_directories.rbegin(); made != o.made_directories.rend(); ++made) {
      if (!made->entry.remove(true)) break;
      if (o.renamed.directory && made->entry.file->identity() == o.renamed.directory->identity()) tables_directory_removed = true;
      add(made->path);
    }
    if (!tables.empty() && !tables_directory_removed) add(o.path + " (" + tables + "; the directory holds other files and stays)");
  }
  return removed.empty() ? "" : "removed the outputs " + run + " had written: " + removed;
}

void keep_created_outputs(std::vector<ExportOutput>& created) {
  const auto keep = [](const HeldEntry& e) {
    if (e.on_signal) e.on_signal->keep();
  };
  for (ExportOutput& o : created) {
    if (o.written_file) keep(*o.written_file);
    for (const HeldEntry& t : o.renamed.tables) keep(t);
    for (const MadeDirectory& d : o.made_directories) keep(d.entry);
  }
}

}  // namespace infertrace::cli
