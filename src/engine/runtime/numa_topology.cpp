#include "engine/runtime/numa_topology.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "util/cpu_list.h"

namespace infertrace::engine {

namespace {

// From linux/mempolicy.h (stable ABI; that header is not always installed).
constexpr int kMpolBind = 2;
constexpr int kMpolInterleave = 3;

}  // namespace

bool numa_syscalls_available() {
  return syscall(SYS_get_mempolicy, nullptr, nullptr, 0ul, nullptr, 0ul) == 0 || errno != ENOSYS;
}

std::vector<int> online_numa_nodes() {
  std::ifstream in("/sys/devices/system/node/online");
  std::string text;
  if (!(in >> text)) return {0};
  try {
    std::vector<int> nodes = parse_cpu_list(text);  // the same "0-3,6" list syntax
    if (!nodes.empty()) return nodes;
  } catch (const std::exception&) {
  }
  return {0};
}

int numa_node_of_cpu(int cpu) {
  std::error_code ec;
  const std::filesystem::path dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu);
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 4 && name.compare(0, 4, "node") == 0 &&
        name.find_first_not_of("0123456789", 4) == std::string::npos)
      return std::stoi(name.substr(4));
  }
  return -1;
}

std::string bind_to_numa_nodes(void* p, size_t bytes, const std::vector<int>& nodes) {
  if (nodes.empty()) return "no NUMA node to bind to";
  constexpr size_t kBitsPerWord = 8 * sizeof(unsigned long);
  int highest = 0;
  for (int n : nodes) {
    if (n < 0) return "bad NUMA node " + std::to_string(n);
    highest = std::max(highest, n);
  }
  std::vector<unsigned long> mask(static_cast<size_t>(highest) / kBitsPerWord + 1, 0);
  for (int n : nodes) mask[static_cast<size_t>(n) / kBitsPerWord] |= 1ul << (static_cast<size_t>(n) % kBitsPerWord);
  // maxnode counts one past the mask's bits (the kernel reads maxnode - 1 of them).
  const unsigned long maxnode = mask.size() * kBitsPerWord + 1;
  const int mode = nodes.size() == 1 ? kMpolBind : kMpolInterleave;
  if (syscall(SYS_mbind, p, bytes, mode, mask.data(), maxnode, 0u) != 0) return std::string("mbind: ") + std::strerror(errno);
  return "";
}

}  // namespace infertrace::engine
