#include "engine/runtime/memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "engine/runtime/numa_topology.h"
#include "util/error.h"

namespace infertrace::engine {

namespace {

std::vector<int> nodes_of(const std::vector<int>& cpus) {
  std::set<int> nodes;
  if (cpus.empty()) {
    for (int n : online_numa_nodes()) nodes.insert(n);
  } else {
    for (int c : cpus) {
      const int n = numa_node_of_cpu(c);
      if (n >= 0) nodes.insert(n);
    }
  }
  return {nodes.begin(), nodes.end()};
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

}  // namespace

Buffer::Buffer(size_t bytes, const PlacementOptions& opt, std::string* note) : size_(bytes) {
  if (bytes == 0) return;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw Error("cannot allocate " + std::to_string(bytes) + " bytes: " + std::strerror(errno));
  data_ = p;
  std::string n;
  if (opt.copy_weights) {
    // Advice only: the kernel may not have THP enabled; nothing depends on it.
    n += madvise(p, bytes, MADV_HUGEPAGE) == 0 ? "huge pages advised" : "huge pages not available";
  }
  if (opt.numa) {
    if (!numa_syscalls_available()) {
      n += std::string(n.empty() ? "" : "; ") + "NUMA binding skipped (no memory-policy system calls)";
    } else {
      const std::vector<int> nodes = nodes_of(opt.cpus);
      const std::string failed = bind_to_numa_nodes(p, bytes, nodes);
      n += std::string(n.empty() ? "" : "; ");
      if (!failed.empty()) n += std::string(nodes.size() == 1 ? "NUMA binding to node " : "NUMA binding to nodes ") + join(nodes) + " failed (" + failed + ")";
      else n += (nodes.size() == 1 ? "bound to NUMA node " : "interleaved over NUMA nodes ") + join(nodes);
    }
  }
  if (note) *note = n;
}

Buffer::~Buffer() {
  if (data_) munmap(data_, size_);
}

Buffer::Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    if (data_) munmap(data_, size_);
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

}  // namespace infertrace::engine
