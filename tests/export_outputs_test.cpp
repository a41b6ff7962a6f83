// remove_created_outputs (cli/export_outputs.h): a failed export or analyze --csv removes what it
// renamed into a directory it created, and the directory only when that empties it. Before, it
// removed the whole tree: a directory someone else made (with files of their own) between the
// run's check and its mkdir went with it (review BN M2); then it removed the tables by name: a
// directory swapped for a link to another, or another run's tables written over its own, went too
// (review BX H1).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/export_outputs.h"
#include "report/staged_tables.h"
#include "util/error.h"
#include "util/write_whole.h"
#include "temp_dir.h"

namespace infertrace::cli {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& p) { std::ofstream(p) << "x\n"; }

std::string read(const fs::path& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::vector<ExportOutput> made(const std::string& dir, const std::vector<std::string>& tables = {}) {
  std::vector<ExportOutput> created = outputs_to_be_created({{"--csv", dir, true, tables}});
  make_output_directories(created);
  return created;
}

// Tables written into o.path as a run writes them (staged, renamed into place as a set), with
// `text` in each; `o`, when given, records them as its run does.
void write_tables(const std::string& dir, const std::vector<std::string>& names, const std::string& text,
                  ExportOutput* o = nullptr) {
  StagedTables set(dir, o ? &o->renamed : nullptr);
  for (const std::string& n : names) std::ofstream(set.stage(n)) << text;
  set.commit();
}

void write_our_tables(ExportOutput& o, const std::vector<std::string>& names) { write_tables(o.path, names, "ours\n", &o); }

// A file output written as a run writes it (write_whole), recorded in `o` for its clean-up.
void write_our_file(ExportOutput& o) {
  write_whole(o.path, [](const std::string& to) { return static_cast<bool>(std::ofstream(to) << "ours\n"); },
              &o.written_file);
}

std::vector<std::string> made_paths(const ExportOutput& o) {
  std::vector<std::string> paths;
  for (const MadeDirectory& m : o.made_directories) paths.push_back(m.path);
  return paths;
}

TEST(ExportOutputs, FailedRunRemovesItsTablesAndAnEmptiedDirectory) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "tables";
  std::vector<ExportOutput> created = made(dir.string(), {"summary.csv", "apis.csv"});
  ASSERT_EQ(created.size(), 1u);
  write_our_tables(created[0], {"summary.csv", "apis.csv"});
  const std::string said = remove_created_outputs(created, "this analyze run");
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(said, "removed the outputs this analyze run had written: " + dir.string());
}

TEST(ExportOutputs, FailedRunLeavesOtherFilesAndTheirDirectory) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "tables";
  std::vector<ExportOutput> created = made(dir.string(), {"summary.csv", "apis.csv"});
  ASSERT_EQ(created.size(), 1u);
  write_our_tables(created[0], {"summary.csv"});
  touch(dir / "notes.txt");
  fs::create_directory(dir / "sub");
  touch(dir / "sub" / "kept.txt");
  const std::string said = remove_created_outputs(created, "this analyze run");
  EXPECT_FALSE(fs::exists(dir / "summary.csv"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_TRUE(fs::exists(dir / "sub" / "kept.txt"));
  EXPECT_NE(said.find("summary.csv"), std::string::npos) << said;
  EXPECT_NE(said.find("stays"), std::string::npos) << said;
}

// A file output inside the --csv directory the run created (`--csv d --perfetto d/t.pftrace`):
// removed before the directory, which then goes too (review BO M1: it stayed, empty).
TEST(ExportOutputs, FileOutputInsideTheCreatedDirectoryGoesFirst) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "csv";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  write_our_tables(created[0], {"launches.csv"});
  created.push_back({"--perfetto", (dir / "t.pftrace").string()});
  write_our_file(created[1]);
  const std::string said = remove_created_outputs(created);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(said.find("stays"), std::string::npos) << said;
}

// export --csv checks its tables' places as analyze --csv does (review BT M3: a table linked to
// another table's name was only caught, if at all, when the tables were written).
TEST(ExportOutputs, TablesLinkedToOneFileAreRefusedBeforeTheRun) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "csv";
  fs::create_directory(dir);
  fs::create_symlink("gpu.csv", dir / "switches.csv");
  try {
    check_export_outputs({{"--csv", dir.string(), true}});
    ADD_FAILURE() << "switches.csv -> gpu.csv was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("are one file"), std::string::npos) << e.what();
  }
}

TEST(ExportOutputs, ExportsDirectoryTablesAreTheDefault) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "csv";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  EXPECT_FALSE(table_names(created[0]).empty());
  write_our_tables(created[0], table_names(created[0]));
  remove_created_outputs(created);
  EXPECT_FALSE(fs::exists(dir));
}

// `--csv a/b/c` with a and b missing: the three are made and recorded; a failed run removes them
// again, deepest first, and not the directory they were made in.
TEST(ExportOutputs, FailedRunRemovesTheDirectoriesItMade) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "a" / "b" / "c";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(made_paths(created[0]),
            (std::vector<std::string>{(tmp.path / "a").string(), (tmp.path / "a" / "b").string(), dir.string()}));
  write_our_tables(created[0], {"launches.csv"});
  const std::string said = remove_created_outputs(created);
  EXPECT_FALSE(fs::exists(tmp.path / "a"));
  EXPECT_TRUE(fs::is_directory(tmp.path));
  EXPECT_EQ(said, "removed the outputs this export had written: " + dir.string() + ", " + (tmp.path / "a" / "b").string() +
                      ", " + (tmp.path / "a").string());
}

// A component mkdir refuses (a name over NAME_MAX): what was made before it is recorded and
// removed (review BT M2: create_directories failed part-way and the parents stayed).
TEST(ExportOutputs, DirectoriesMadeBeforeAFailedMkdirAreRemoved) {
  const TempDir tmp("export-outputs");
  std::vector<ExportOutput> created = outputs_to_be_created({{"--csv", (tmp.path / "pa" / "pb" / std::string(300, 'x')).string(), true}});
  ASSERT_EQ(created.size(), 1u);
  EXPECT_THROW(make_output_directories(created), Error);
  EXPECT_EQ(made_paths(created[0]),
            (std::vector<std::string>{(tmp.path / "pa").string(), (tmp.path / "pa" / "pb").string()}));
  remove_created_outputs(created);
  EXPECT_TRUE(fs::is_empty(tmp.path));
}

// `d/.`, `e/f/..` and `lnk/../x/csv` make what the kernel resolves them to, and a failed run
// removes exactly that (review BT L3: the dot spellings left every directory, the link one left
// x beside the link's target).
TEST(ExportOutputs, DotAndLinkSpellingsRemoveWhatWasMade) {
  const TempDir tmp("export-outputs");
  fs::create_directories(tmp.path / "deep" / "target");
  fs::create_directory_symlink(tmp.path / "deep" / "target", tmp.path / "lnk");
  for (const char* spelling : {"d1/d2/.", "e1/e2/..", "lnk/../x1/x2/csv"}) {
    std::vector<ExportOutput> created = made((tmp.path / spelling).string());
    ASSERT_EQ(created.size(), 1u) << spelling;
    write_our_tables(created[0], {"launches.csv"});
    const std::string said = remove_created_outputs(created);
    EXPECT_EQ(said.find("stays"), std::string::npos) << said;
    std::vector<std::string> left;
    for (const auto& e : fs::recursive_directory_iterator(tmp.path)) left.push_back(e.path().lexically_relative(tmp.path).string());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"deep", "deep/target", "lnk"})) << spelling;
  }
}

// Spelled with a trailing slash (`--csv a/b/`): a and a/b.
TEST(ExportOutputs, DirectoryWithATrailingSlash) {
  const TempDir tmp("export-outputs");
  const std::vector<ExportOutput> created = made((tmp.path / "a" / "b").string() + "/");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(made_paths(created[0]),
            (std::vector<std::string>{(tmp.path / "a").string(), (tmp.path / "a" / "b").string()}));
}

// A parent that existed before the run stays, also when empty; one that someone filled during the
// run stays, and so do those above it.
TEST(ExportOutputs, FailedRunKeepsParentsThatExistedOrWereFilled) {
  const TempDir tmp("export-outputs");
  fs::create_directory(tmp.path / "old");
  const fs::path dir = tmp.path / "old" / "new" / "mid" / "csv";
  const std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].made_directories.size(), 3u);  // new, mid and csv, not old
  touch(tmp.path / "old" / "new" / "theirs.txt");
  const std::string said = remove_created_outputs(created);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(fs::exists(tmp.path / "old" / "new" / "mid"));
  EXPECT_TRUE(fs::exists(tmp.path / "old" / "new" / "theirs.txt"));
  EXPECT_EQ(said.find((tmp.path / "old" / "new").string() + ","), std::string::npos) << said;

  // Nothing above an existing, empty directory goes.
  const fs::path dir2 = tmp.path / "old" / "csv2";
  const std::vector<ExportOutput> created2 = made(dir2.string());
  ASSERT_EQ(created2.size(), 1u);
  fs::remove_all(tmp.path / "old" / "new");
  remove_created_outputs(created2);
  EXPECT_FALSE(fs::exists(dir2));
  EXPECT_TRUE(fs::is_directory(tmp.path / "old"));
}

// A directory someone else made between the check and the run's mkdir is not the run's: its
// tables are not removed (they may be theirs), nor the directory.
TEST(ExportOutputs, DirectoryMadeByAnotherIsNotRemoved) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "csv";
  std::vector<ExportOutput> created = outputs_to_be_created({{"--csv", dir.string(), true}});
  fs::create_directory(dir);
  touch(dir / "launches.csv");
  make_output_directories(created);
  EXPECT_TRUE(created[0].made_directories.empty());
  EXPECT_EQ(remove_created_outputs(created), "");
  EXPECT_TRUE(fs::exists(dir / "launches.csv"));
}

// `--csv p/new/` (not made yet, a trailing slash) is the directory of `--chrome p/new/c.json`, and
// its tables' names and its own path are another output's as without the slash (review BX L4: "no
// directory p/new", and the two refusals were missed).
TEST(ExportOutputs, DirectorySpelledWithATrailingSlashIsTheSameDirectory) {
  const TempDir tmp("export-outputs");
  const std::string dir = (tmp.path / "p" / "new").string();
  fs::create_directory(tmp.path / "p");
  for (const std::string& spelling : {dir + "/", dir + "//", dir + "/."}) {
    EXPECT_NO_THROW(check_export_outputs({{"--csv", spelling, true}, {"--chrome", dir + "/c.json"}})) << spelling;
    EXPECT_THROW(check_export_outputs({{"--csv", spelling, true}, {"--chrome", dir + "/launches.csv"}}), UsageError)
        << spelling;
    EXPECT_THROW(check_export_outputs({{"--csv", spelling, true}, {"--perfetto", dir}}), UsageError) << spelling;
  }
  EXPECT_FALSE(fs::exists(dir));
}

// The directory this run made was moved away and its name given to a link to another directory
// before the run failed: the tables there are someone else's and stay, as does the link (review
// BX H1: all seven of other/ were removed). The moved directory is out of the run's reach.
TEST(ExportOutputs, DirectorySwappedForALinkKeepsTheLinkTargetsTables) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "new", other = tmp.path / "other";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  const std::vector<std::string> names = table_names(created[0]);
  write_our_tables(created[0], names);
  fs::rename(dir, tmp.path / "new.moved");
  fs::create_directory(other);
  for (const std::string& n : names) std::ofstream(other / n) << "theirs\n";
  fs::create_directory_symlink("other", dir);
  EXPECT_EQ(remove_created_outputs(created), "");
  for (const std::string& n : names) EXPECT_EQ(read(other / n), "theirs\n") << n;
  EXPECT_TRUE(fs::is_symlink(dir));
  for (const std::string& n : names) EXPECT_EQ(read(tmp.path / "new.moved" / n), "ours\n") << n;
}

// The same with another directory (not a link) put at the name: neither it nor its files go.
TEST(ExportOutputs, DirectorySwappedForAnotherDirectoryStays) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "new";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  write_our_tables(created[0], {"launches.csv"});
  fs::rename(dir, tmp.path / "new.moved");
  fs::create_directory(dir);
  EXPECT_EQ(remove_created_outputs(created), "");
  EXPECT_TRUE(fs::is_directory(dir));  // empty, but not the one this run made
  std::ofstream(dir / "launches.csv") << "theirs\n";
  EXPECT_EQ(remove_created_outputs(created), "");
  EXPECT_EQ(read(dir / "launches.csv"), "theirs\n");
}

// Another run (which exited 0) wrote its tables into the directory this run made, over this run's:
// they are its output and stay, and so does the directory (review BX H1: both went). A table of
// this run the other did not replace is still this run's and goes.
TEST(ExportOutputs, AnotherRunsTablesInTheDirectoryThisRunMadeStay) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "new";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  write_our_tables(created[0], {"launches.csv", "switches.csv", "gpu.csv"});
  write_tables(dir.string(), {"launches.csv", "switches.csv"}, "theirs\n");
  const std::string said = remove_created_outputs(created);
  EXPECT_EQ(read(dir / "launches.csv"), "theirs\n");
  EXPECT_EQ(read(dir / "switches.csv"), "theirs\n");
  EXPECT_FALSE(fs::exists(dir / "gpu.csv"));
  EXPECT_NE(said.find("gpu.csv; the directory holds other files and stays"), std::string::npos) << said;
  EXPECT_EQ(said.find("launches.csv"), std::string::npos) << said;
}

// A table of this run's name that is now a link (to the very file this run wrote, even) is not
// the file this run renamed there: it stays.
TEST(ExportOutputs, ATableReplacedByALinkStays) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "new";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  write_our_tables(created[0], {"launches.csv"});
  fs::rename(dir / "launches.csv", tmp.path / "kept.csv");
  fs::create_symlink(tmp.path / "kept.csv", dir / "launches.csv");
  remove_created_outputs(created);
  EXPECT_TRUE(fs::is_symlink(dir / "launches.csv"));
  EXPECT_EQ(read(tmp.path / "kept.csv"), "ours\n");
}

// A file output of this run: removed while its path is still the file this run renamed there; a
// file another run put there since, one at the path of an output this run never wrote (it failed
// first), and the file of that name in a directory swapped in on the way all stay (review BX H1:
// each was removed by name).
TEST(ExportOutputs, FileOutputsAreRemovedOnlyWhileTheyAreThisRunsFile) {
  const TempDir tmp("export-outputs");
  std::vector<ExportOutput> created = outputs_to_be_created(
      {{"--perfetto", (tmp.path / "t.pftrace").string()}, {"--chrome", (tmp.path / "c.json").string()},
       {"--sqlite", (tmp.path / "a.db").string()}});
  ASSERT_EQ(created.size(), 3u);
  write_our_file(created[0]);
  write_our_file(created[1]);
  std::ofstream(tmp.path / "c.json.theirs") << "theirs\n";
  fs::rename(tmp.path / "c.json.theirs", tmp.path / "c.json");  // another run's, over ours
  std::ofstream(tmp.path / "a.db") << "theirs\n";              // this run failed before writing it
  EXPECT_EQ(remove_created_outputs(created), "removed the outputs this export had written: " + created[0].path);
  EXPECT_FALSE(fs::exists(tmp.path / "t.pftrace"));
  EXPECT_EQ(read(tmp.path / "c.json"), "theirs\n");
  EXPECT_EQ(read(tmp.path / "a.db"), "theirs\n");

  const fs::path dir = tmp.path / "new";
  std::vector<ExportOutput> inside = made(dir.string());
  ASSERT_EQ(inside.size(), 1u);
  inside.push_back({"--chrome", (dir / "c.json").string()});
  write_our_file(inside[1]);
  fs::rename(dir, tmp.path / "new.moved");
  fs::create_directory(tmp.path / "other");
  std::ofstream(tmp.path / "other" / "c.json") << "theirs\n";
  fs::create_directory_symlink("other", dir);
  EXPECT_EQ(remove_created_outputs(inside), "");
  EXPECT_EQ(read(tmp.path / "other" / "c.json"), "theirs\n");
}

// Review CB: the clean-up recorded only device and inode and held nothing open, so once this run's
// files were gone (removed, or replaced by another run's rename), ext4 gave their inode numbers to
// the next files made, and another run's outputs passed as this run's and were removed. Now every
// file and directory this run made is held open until the clean-up: its number cannot be reused.

// The directory this run made is removed (rm -rf) and another run makes it again, with its tables.
TEST(ExportOutputs, AnotherRunsDirectoryMadeAfterOursWasRemovedStays) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "new";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  const std::vector<std::string> names = table_names(created[0]);
  write_our_tables(created[0], names);
  fs::remove_all(dir);
  std::vector<ExportOutput> theirs = made(dir.string());
  ASSERT_EQ(theirs.size(), 1u);
  write_tables(dir.string(), names, "theirs\n", &theirs[0]);
  EXPECT_EQ(remove_created_outputs(created), "");
  for (const std::string& n : names) EXPECT_EQ(read(dir / n), "theirs\n") << n;
}

// Two other runs write their tables into the directory this run made, one after the other: the
// second's tables are made after the first's renames freed this run's files.
TEST(ExportOutputs, TablesOfARunAfterTheOneThatReplacedOursStay) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "new";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  const std::vector<std::string> names = table_names(created[0]);
  write_our_tables(created[0], names);
  write_tables(dir.string(), names, "second\n");
  write_tables(dir.string(), names, "third\n");
  EXPECT_EQ(remove_created_outputs(created), "");
  for (const std::string& n : names) EXPECT_EQ(read(dir / n), "third\n") << n;
}

// The same for a file output: two other runs write it after this run did.
TEST(ExportOutputs, FileOfARunAfterTheOneThatReplacedOursStays) {
  const TempDir tmp("export-outputs");
  const fs::path file = tmp.path / "c.json";
  std::vector<ExportOutput> created = outputs_to_be_created({{"--chrome", file.string()}});
  ASSERT_EQ(created.size(), 1u);
  write_our_file(created[0]);
  for (const char* run : {"second\n", "third\n"})
    write_whole(file.string(), [&](const std::string& to) { return static_cast<bool>(std::ofstream(to) << run); });
  EXPECT_EQ(remove_created_outputs(created), "");
  EXPECT_EQ(read(file), "third\n");
}

// A file output in the directory this run made; the directory is moved away, the user keeps a hard
// link of the file elsewhere and puts a link to that place at the directory's name. The clean-up
// removed the path (unlink follows the link on the way), which was still this run's file by inode:
// the user's link went. Now the name is removed only through the directory it was renamed into,
// and only while the output's path still leads there: the moved file and the user's link stay.
TEST(ExportOutputs, FileReachedThroughALinkPutOnItsWayStays) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "new";
  std::vector<ExportOutput> created = made(dir.string());
  ASSERT_EQ(created.size(), 1u);
  created.push_back({"--chrome", (dir / "c.json").string()});
  write_our_file(created[1]);
  fs::rename(dir, tmp.path / "old");
  fs::create_directory(tmp.path / "x");
  fs::create_hard_link(tmp.path / "old" / "c.json", tmp.path / "x" / "c.json");
  fs::create_directory_symlink("x", dir);
  EXPECT_EQ(remove_created_outputs(created), "");
  EXPECT_EQ(read(tmp.path / "x" / "c.json"), "ours\n");
  EXPECT_EQ(read(tmp.path / "old" / "c.json"), "ours\n");
  EXPECT_TRUE(fs::is_symlink(dir));
}

}  // namespace
}  // namespace infertrace::cli
