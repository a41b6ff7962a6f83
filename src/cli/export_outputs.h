// export's outputs as one set (--perfetto, --sqlite, --chrome files and the --csv directory):
// checked together before the trace is read, and removed together when a later one fails, so a
// failed export leaves nothing that looks complete, and no two outputs overwrite each other.
// analyze --csv DIR goes through the same checks and removal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/staged_tables.h"
#include "util/held_file.h"

namespace infertrace::cli {

// A directory this run's mkdir made: its path (for messages) and, held open from right after the
// mkdir (util/held_file.h), the directory it was made in, its name there and the directory itself.
// The clean-up removes it through the parent's descriptor only while that name is still that
// directory, not another put in its place (which, while ours is held, cannot reuse its inode
// number: review CB), or a link to one (review BX H1).
struct MadeDirectory {
  std::string path;
  HeldEntry entry;
};

struct ExportOutput {
  std::string option;  // "--perfetto", "--csv", ...: names it in messages
  std::string path;
  bool directory = false;  // --csv: a directory of tables
  // The tables a directory output holds: export's (kCsvTableNames) when empty. Checked before the
  // run (check_export_outputs: another output at a table's name, a table's place taken).
  std::vector<std::string> tables = {};
  // A directory output this run creates: the directories its mkdir calls made for it (the output
  // and its missing ancestors, shallowest first), set by make_output_directories, also when that
  // fails part-way. A failed run removes those that are empty, never one that existed before it.
  std::vector<MadeDirectory> made_directories = {};
  // What the table writer renamed into that directory (StagedTables fills it as it commits): a
  // failed run removes exactly those files, never the whole tree nor a table by name alone (someone
  // may have made the same directory, with files of their own, between the check and the run's
  // mkdir: review BN M2; another run may have written its tables over ours since: review BX H1).
  RenamedTables renamed = {};
  // A file output this run creates: the file write_whole renamed to `path` and the directory it went
  // into, held open (none until then). A failed run removes that name through the directory's
  // descriptor, only while `path`'s directory still leads to that directory (not one swapped in on
  // the way, nor a link to another: review BX H1, CB) and the name is still that file (not one
  // another run put there since).
  std::optional<HeldEntry> written_file = {};
  // The name as the user typed it, when `path` is another (`-`, which dash_as_stdout made
  // /dev/stdout): what messages name the output by (review S44 L4).
  std::string typed = {};
};

// The tables of a directory output: `tables`, or export's when that is empty.
std::vector<std::string> table_names(const ExportOutput& o);

// Throws Error when two outputs resolve to the same file (symlinks followed), a file output is the
// --csv directory or one of its tables, or an output's directory is missing or not a directory
// (the --csv directory itself may be missing: make_output_directories creates it and its missing
// ancestors, under an existing directory), or a table's place in an existing --csv directory is
// taken (check_table_places).
void check_export_outputs(const std::vector<ExportOutput>& outputs);

// Throws Error (exit 1) when an output is one of the verb's `inputs` (refuse_input_as_output): a
// file output at its name, a directory output at each of its tables' names (DIR/TABLE, also a
// symlink there that leads to an input, or an input named like a table in DIR: review CX M2, where
// `--csv DIR` replaced the trace). `what` names the inputs in the message ("the input trace").
void check_outputs_against_inputs(const std::vector<ExportOutput>& outputs, const std::vector<std::string>& inputs,
                                  const std::string& what);

// The outputs that do not exist yet: the ones this run creates, and removes again if it fails.
std::vector<ExportOutput> outputs_to_be_created(const std::vector<ExportOutput>& outputs);

// Creates the directory outputs of `created` (with their missing ancestors), recording in each
// what was made (path and identity). Throws Error naming the component that could not be made;
// what was made before it is recorded, for remove_created_outputs.
void make_output_directories(std::vector<ExportOutput>& created);

// Removes what `created` wrote, each through the held descriptor of its directory (unlinkat), never
// by path (a file output: the file renamed to its path, while the path's directory still leads to
// the directory it went into and the name is still that file; a --csv directory this run made: the
// tables it renamed there, while the path still leads to that directory and each name is still the
// file renamed to it; then its made_directories while each is still the directory made, in the
// directory it was made in, and empty, deepest first); what it holds is closed with `created`;
// returns the sentence for the error message ("removed the outputs this export had written: a,
// b"; `run` names the run), or "".
std::string remove_created_outputs(const std::vector<ExportOutput>& created, const std::string& run = "this export");

// The run has finished: what `created` lists for the signal handler (CreatedOnSignal: each file
// renamed into place, each table, each directory made) stays if a signal comes now.
void keep_created_outputs(std::vector<ExportOutput>& created);

}  // namespace infertrace::cli
