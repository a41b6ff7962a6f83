// remove_created_outputs (cli/export_outputs.h): a failed export or analyze --csv removes what it
// wrote into a directory it created, by name, and the directory only when that empties it. Before,
// it removed the whole tree: a directory someone else made (with files of their own) between the
// run's check and its mkdir went with it (review BN M2).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/export_outputs.h"
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

TEST(ExportOutputs, ExportsDirectoryTablesAreTheDefault) {
  const TempDir tmp("export-outputs");
  const fs::path dir = tmp.path / "csv";
  fs::create_directory(dir);
  for (const std::string& t : table_names({"--csv", dir.string(), true})) touch(dir / t);
  EXPECT_FALSE(table_names({"--csv", dir.string(), true}).empty());
  remove_created_outputs({{"--csv", dir.string(), true}});
  EXPECT_FALSE(fs::exists(dir));
}

}  // namespace
}  // namespace infertrace::cli
