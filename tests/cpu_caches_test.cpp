// last_level_cache_bytes() on hand-made sysfs cache directories.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "engine/runtime/cpu_caches.h"

namespace fs = std::filesystem;

namespace {

struct FakeCacheDir {
  fs::path root = fs::temp_directory_path() / ("it_caches_" + std::to_string(getpid()));
  FakeCacheDir() { fs::create_directories(root); }
  ~FakeCacheDir() { fs::remove_all(root); }
  void add(int index, const std::string& level, const std::string& type, const std::string& size) {
    const fs::path d = root / ("index" + std::to_string(index));
    fs::create_directories(d);
    std::ofstream(d / "level") << level << "\n";
    std::ofstream(d / "type") << type << "\n";
    std::ofstream(d / "size") << size << "\n";
  }
};

}  // namespace

TEST(CpuCaches, HighestDataOrUnifiedLevelWins) {
  FakeCacheDir d;
  d.add(0, "1", "Data", "48K");
  d.add(1, "1", "Instruction", "32K");
  d.add(2, "2", "Unified", "2048K");
  d.add(3, "3", "Unified", "266240K");
  EXPECT_EQ(infertrace::engine::last_level_cache_bytes(d.root.string()), 266240ull * 1024);
}

TEST(CpuCaches, InstructionCacheIsNotTheLastLevelAndOddSizesAreSkipped) {
  FakeCacheDir d;
  d.add(0, "1", "Data", "32K");
  d.add(1, "4", "Instruction", "64M");  // never a data cache, whatever its level
  d.add(2, "3", "Unified", "lots");     // unreadable size: ignored
  d.add(3, "2", "Unified", "1M");
  EXPECT_EQ(infertrace::engine::last_level_cache_bytes(d.root.string()), 1ull << 20);
}

TEST(CpuCaches, MissingDirectoryIsUnknown) {
  EXPECT_EQ(infertrace::engine::last_level_cache_bytes("/nonexistent/cache"), 0u);
}
