// Kilobytes of the mapping containing `p` that are resident (its "Rss:" in /proc/self/smaps), or
// -1 where no mapping holds `p`: what a reader that drops the pages behind it keeps mapped.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace infertrace {

inline long mapped_kb(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto a = reinterpret_cast<uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(' ') != std::string::npos &&
        line.find(':') > line.find(' ')) {
      inside = lo <= a && a < hi;
      continue;
    }
    if (inside && line.rfind("Rss:", 0) == 0) return std::stol(line.substr(4));
  }
  return -1;
}

}  // namespace infertrace
