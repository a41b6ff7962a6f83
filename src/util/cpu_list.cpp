#include "util/cpu_list.h"

#include <sched.h>

#include <algorithm>

#include "util/error.h"

namespace infertrace {

std::vector<int> parse_cpu_list(const std::string& text, const std::string& option) {
  std::vector<int> cpus;
  std::vector<bool> seen(CPU_SETSIZE, false);
  size_t i = 0;
  auto bad = [&](const std::string& why) { return UsageError(option + " " + text + ": " + why); };
  const std::string syntax = "expected a list like 0-3,6";
  auto number = [&]() {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') throw bad(syntax);
    long v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + (text[i++] - '0');
      // Pinning goes through a fixed-size cpu_set_t: a larger id could not be set in it.
      if (v >= CPU_SETSIZE) throw bad("ids must be below " + std::to_string(CPU_SETSIZE));
    }
    return static_cast<int>(v);
  };
  if (text.empty()) throw bad(syntax);
  while (i < text.size()) {
    const int a = number();
    int b = a;
    if (i < text.size() && text[i] == '-') {
      ++i;
      b = number();
      if (b < a) throw bad(syntax);
    }
    for (int c = a; c <= b; ++c) {
      // A CPU listed twice would give two threads one CPU while the list looks like one each.
      if (seen[static_cast<size_t>(c)]) throw bad(std::to_string(c) + " is listed twice");
      seen[static_cast<size_t>(c)] = true;
      cpus.push_back(c);
    }
    if (i < text.size()) {
      if (text[i] != ',' || i + 1 == text.size()) throw bad(syntax);  // a trailing comma is a typo
      ++i;
    }
  }
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus_in) {
  std::vector<int> cpus = cpus_in;
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  std::string s;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!s.empty()) s += ",";
    s += std::to_string(cpus[i]);
    if (j > i) s += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return s;
}

}  // namespace infertrace
