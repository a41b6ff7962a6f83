// remove_created_outputs (cli/export_outputs.h): a failed export or analyze --csv removes what it
// wrote into a directory it created, by name, and the directory only when that empties it. Before,
// it removed the whole tree: a directory someone else made (with files of their own) between the
// run's check and its mkdir went with it (review BN M2).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/export_outputs.h"
#include "util/error.h"
#include "temp_dir.h"

namespace infertrace::cli {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& p) { std::ofstream(p) << "x\n"; }

TEST(ExportOutputs, FailedRunRemovesItsTablesAndAnEmptiedDirectory) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "tables";
  fs::create_directory(dir);
  touch(dir / "summary.csv"), touch(dir / "apis.csv.partial");
  const std::string said =
      remove_created_outputs({{"--csv", dir.string(), true, {"summary.csv", "apis.csv"}}}, "this analyze run");
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(said, "removed the outputs this analyze run had written: " + dir.string());
}

TEST(ExportOutputs, FailedRunLeavesOtherFilesAndTheirDirectory) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "tables";
  fs::create_directory(dir);
  touch(dir / "summary.csv"), touch(dir / "notes.txt");
  fs::create_directory(dir / "sub");
  touch(dir / "sub" / "kept.txt");
  const std::string said =
      remove_created_outputs({{"--csv", dir.string(), true, {"summary.csv", "apis.csv"}}}, "this analyze run");
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
  fs::create_directory(dir);
  touch(dir / "launches.csv"), touch(dir / "t.pftrace");
  const std::string said = remove_created_outputs({{"--csv", dir.string(), true}, {"--perfetto", (dir / "t.pftrace").string()}});
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
  fs::create_directory(dir);
  for (const std::string& t : table_names({"--csv", dir.string(), true})) touch(dir / t);
  EXPECT_FALSE(table_names({"--csv", dir.string(), true}).empty());
  remove_created_outputs({{"--csv", dir.string(), true}});
  EXPECT_FALSE(fs::exists(dir));
}

// `--csv a/b/c` with a and b missing: create_directories makes all three; a failed run removes
// the three again, deepest first, and not the directory they were made in.
TEST(ExportOutputs, FailedRunRemovesTheParentsItCreated) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "a" / "b" / "c";
  const std::vector<ExportOutput> created = outputs_to_be_created({{"--csv", dir.string(), true}});
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].missing_parents,
            (std::vector<std::string>{(tmp.path / "a" / "b").string(), (tmp.path / "a").string()}));
  fs::create_directories(dir);
  touch(dir / "launches.csv");
  const std::string said = remove_created_outputs(created);
  EXPECT_FALSE(fs::exists(tmp.path / "a"));
  EXPECT_TRUE(fs::is_directory(tmp.path));
  EXPECT_EQ(said, "removed the outputs this export had written: " + dir.string() + ", " + (tmp.path / "a" / "b").string() +
                      ", " + (tmp.path / "a").string());
}

// Spelled with a trailing slash (`--csv a/b/`): the same parents, not the directory itself.
TEST(ExportOutputs, ParentsOfADirectoryWithATrailingSlash) {
  const TempDir tmp("export-outputs");
  const std::vector<ExportOutput> created = outputs_to_be_created({{"--csv", (tmp.path / "a" / "b").string() + "/", true}});
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].missing_parents, std::vector<std::string>{(tmp.path / "a").string()});
}

// A parent that existed before the run stays, also when empty; one that someone filled during the
// run stays, and so do those above it.
TEST(ExportOutputs, FailedRunKeepsParentsThatExistedOrWereFilled) {
  const TempDir tmp("export-outputs");
  fs::create_directory(tmp.path / "old");
  const fs::path dir = tmp.path / "old" / "new" / "mid" / "csv";
  const std::vector<ExportOutput> created = outputs_to_be_created({{"--csv", dir.string(), true}});
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].missing_parents.size(), 2u);  // mid and new, not old
  fs::create_directories(dir);
  touch(tmp.path / "old" / "new" / "theirs.txt");
  const std::string said = remove_created_outputs(created);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(fs::exists(tmp.path / "old" / "new" / "mid"));
  EXPECT_TRUE(fs::exists(tmp.path / "old" / "new" / "theirs.txt"));
  EXPECT_EQ(said.find((tmp.path / "old" / "new").string() + ","), std::string::npos) << said;

  // Nothing created above an existing, empty directory goes.
  const fs::path dir2 = tmp.path / "old" / "csv2";
  const std::vector<ExportOutput> created2 = outputs_to_be_created({{"--csv", dir2.string(), true}});
  ASSERT_EQ(created2.size(), 1u);
  EXPECT_TRUE(created2[0].missing_parents.empty());
  fs::create_directory(dir2);
  fs::remove_all(tmp.path / "old" / "new");
  remove_created_outputs(created2);
  EXPECT_FALSE(fs::exists(dir2));
  EXPECT_TRUE(fs::is_directory(tmp.path / "old"));
}

}  // namespace
}  // namespace infertrace::cli
