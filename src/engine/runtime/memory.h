// Where the engine's big buffers live. Weights are used straight from the GGUF mapping (page
// cache) by default; `copy_weights` copies them into anonymous memory advised for transparent
// huge pages (fewer TLB misses when decode streams 1+ GB per token), and `numa` binds that memory
// and the KV cache by mbind(2) (numa_topology.h) to the NUMA nodes of the CPUs the threads run on (interleaved
// when they span several nodes). On a single-node machine NUMA binding is a no-op that is said so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace infertrace::engine {

struct PlacementOptions {
  bool numa = false;          // bind to the nodes of `cpus` (all allowed CPUs when empty)
  bool copy_weights = false;  // copy weights to anonymous, huge-page-advised memory
  std::vector<int> cpus;
};

// An anonymous mapping placed as PlacementOptions say; zero-filled, freed on destruction.
class Buffer {
 public:
  Buffer() = default;
  Buffer(size_t bytes, const PlacementOptions& opt, std::string* note);
  ~Buffer();
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace infertrace::engine
