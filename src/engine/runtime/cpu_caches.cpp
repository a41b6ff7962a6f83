#include "engine/runtime/cpu_caches.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace infertrace::engine {

namespace {

std::string first_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

// "48K", "2048K", "16M" (the kernel writes K; other suffixes are accepted for safety); 0 if not a size.
uint64_t parse_size(const std::string& s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (end == s.c_str()) return 0;
  const std::string unit(end);
  if (unit.empty()) return v;
  if (unit == "K") return v << 10;
  if (unit == "M") return v << 20;
  if (unit == "G") return v << 30;
  return 0;
}

}  // namespace

uint64_t last_level_cache_bytes(const std::string& cache_dir) {
  std::error_code ec;
  int best_level = 0;
  uint64_t best = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache_dir, ec)) {
    if (e.path().filename().string().rfind("index", 0) != 0) continue;
    const std::string type = first_line(e.path() / "type");
    if (type != "Data" && type != "Unified") continue;  // not the instruction cache
    const int level = std::atoi(first_line(e.path() / "level").c_str());
    const uint64_t size = parse_size(first_line(e.path() / "size"));
    if (level > best_level && size > 0) best_level = level, best = size;
  }
  return best;
}

}  // namespace infertrace::engine
