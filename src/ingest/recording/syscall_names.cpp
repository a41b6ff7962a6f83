#include "ingest/recording/syscall_names.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace infertrace {

std::string_view syscall_name_x86_64(int nr) {
  static const std::vector<std::string_view> names = [] {
    const std::pair<int, const char*> table[] = {
#include "syscall_names_x86_64.inc"
        {-1, ""}};
    std::vector<std::string_view> v;
    for (auto& [n, name] : table) {
      if (n < 0) continue;
      if (static_cast<size_t>(n) >= v.size()) v.resize(n + 1);
      v[n] = name;
    }
    return v;
  }();
  if (nr < 0 || static_cast<size_t>(nr) >= names.size()) return {};
  return names[nr];
}

}  // namespace infertrace
