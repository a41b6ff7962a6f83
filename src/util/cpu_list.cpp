#include "util/cpu_list.h"

#include "util/error.h"

namespace infertrace {

std::vector<int> parse_cpu_list(const std::string& text, const std::string& option) {
  std::vector<int> cpus;
  size_t i = 0;
  auto bad = [&]() { return UsageError(option + " " + text + ": expected a list like 0-3,6"); };
  auto number = [&]() {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') throw bad();
    long v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + (text[i++] - '0');
      if (v > 1 << 20) throw bad();  // no machine has a million CPUs; also keeps v from overflowing
    }
    return static_cast<int>(v);
  };
  if (text.empty()) throw bad();
  while (i < text.size()) {
    const int a = number();
    int b = a;
    if (i < text.size() && text[i] == '-') {
      ++i;
      b = number();
      if (b < a) throw bad();
    }
    for (int c = a; c <= b; ++c) cpus.push_back(c);
    if (i < text.size()) {
      if (text[i] != ',' || i + 1 == text.size()) throw bad();  // a trailing comma is a typo
      ++i;
    }
  }
  return cpus;
}

}  // namespace infertrace
