#include "cli/export_outputs.h"

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "report/exports.h"
#include "report/staged_tables.h"
#include "util/error.h"
#include "util/inherited_descriptor.h"
#include "util/output_target.h"
#include "util/temp_directory.h"

namespace infertrace::cli {

namespace fs = std::filesystem;

namespace {

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
  return ec ? fs::path(path).lexically_normal() : p;
}

std::string named(const ExportOutput& o) { return o.option + " " + o.path; }

// The ancestors of `dir` that do not exist, deepest first: what create_directories will make.
// Spelled as `dir` is (relative stays relative), for the message.
std::vector<std::string> missing_ancestors(const std::string& dir) {
  std::vector<std::string> missing;
  std::error_code ec;
  fs::path self = fs::path(dir).lexically_normal();
  if (!self.has_filename()) self = self.parent_path();  // "a/b/": its parent is a, not a/b
  for (fs::path up = self.parent_path(); !up.empty() && up != up.root_path(); up = up.parent_path()) {
    if (fs::exists(fs::symlink_status(up, ec))) break;
    missing.push_back(up.string());
  }
  return missing;
}

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
  // The --csv directory is written (and created) first: a file may go into it.
  for (const ExportOutput& other : all)
    if (other.directory && identity(other) == identity(o).parent_path()) return;
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
    if (o.directory) o.missing_parents = missing_ancestors(o.path);
    created.push_back(o);
  }
  return created;
}

std::string remove_created_outputs(const std::vector<ExportOutput>& created, const std::string& run) {
  std::string removed;
  // Files first: a file output may lie inside the --csv directory this run created (review BO M1:
  // the directory, handled first, was not empty yet and stayed).
  for (const ExportOutput& o : created) {
    std::error_code ec;
    if (!o.directory && fs::exists(fs::symlink_status(o.path, ec)) && fs::remove(o.path, ec))
      removed += (removed.empty() ? "" : ", ") + o.path;
  }
  for (const ExportOutput& o : created) {
    std::error_code ec;
    if (!o.directory || !fs::exists(fs::symlink_status(o.path, ec))) continue;
    // Only what this run writes there, by name (a table or its unfinished .partial), then the
    // directory if that emptied it; anything else in it stays, and so does the directory.
    std::string tables;
    for (const std::string& table : table_names(o))
      for (const std::string& name : {table, table + ".partial"})
        if (fs::remove(fs::path(o.path) / name, ec)) tables += (tables.empty() ? "" : ", ") + name;
    if (fs::is_directory(fs::symlink_status(o.path, ec)) && fs::remove(o.path, ec)) {
      removed += (removed.empty() ? "" : ", ") + o.path;
      // The parents the run made for it, deepest first, each only while empty: rmdir(2) removes
      // nothing else (a file, a link, a directory someone filled meanwhile), and the first that
      // stays keeps the ones above it.
      for (const std::string& parent : o.missing_parents) {
        if (::rmdir(parent.c_str()) != 0) break;
        removed += ", " + parent;
      }
    } else if (!tables.empty()) {
      removed += (removed.empty() ? "" : ", ") + o.path + " (" + tables + "; the directory holds other files and stays)";
    }
  }
  return removed.empty() ? "" : "removed the outputs " + run + " had written: " + removed;
}

}  // namespace infertrace::cli
