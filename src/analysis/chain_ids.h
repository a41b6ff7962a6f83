// Exact ids for kernel chains (windows of consecutive kernels inside one segment), used by the
// proximity-score fusion analysis. A chain of length a+b at position p is the pair (chain of
// length a at p, chain of length b at p+a); each distinct pair gets the next dense id. Ids are
// exact (no hash collisions can merge two chains) and a length costs one linear pass per pair.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace infertrace {

inline constexpr uint32_t kNoChain = std::numeric_limits<uint32_t>::max();

struct ChainLevel {
  uint32_t length = 0;
  std::vector<uint32_t> id;         // per position: chain id, or kNoChain where the window leaves its segment
  std::vector<uint32_t> first_pos;  // per chain id: position of its first occurrence
  std::vector<uint32_t> count;      // per chain id: occurrences f(C)
  size_t unique() const { return count.size(); }
};

// Chains of length 1: the kernel names themselves (dense ids 0..n_names-1).
ChainLevel single_kernels(const std::vector<uint32_t>& name, uint32_t n_names);

// Chains of length head.length + tail.length. `room[p]` is how many positions remain in p's
// segment from p on (segment end - p).
ChainLevel compose_chains(const ChainLevel& head, const ChainLevel& tail, const std::vector<uint32_t>& room);

}  // namespace infertrace
