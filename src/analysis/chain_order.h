// Every kernel position sorted by the chain that starts there (a suffix array over the segments'
// name ids), with the common-prefix length of neighbours. Two positions start the same chain of
// length L exactly when they lie in one run of `sorted` whose inner lcp values are all >= L, so
// the equal chains of every length are contiguous at once and one sort serves all lengths.
#pragma once

#include <cstdint>
#include <vector>

namespace infertrace {

struct ChainOrder {
  // One sorted position and what the sweeps over the order read there, side by side: the order
  // is random in kernel positions, so gathering these once (while the lcp values are computed)
  // spares every later pass a cache miss per field.
  struct Entry {
    uint32_t pos;   // kernel position
    // Kernels this position and the previous entry's have in common before a difference or the
    // end of either segment, capped at max_length; 0 for the first entry.
    uint32_t lcp;
    uint32_t name;  // dense name id of the kernel at pos (the first kernel of its chains)
    uint32_t room;  // kernels left in pos's segment from pos on, capped at max_length
  };
  uint32_t max_length = 0;     // the longest chain asked for
  std::vector<Entry> sorted;   // every kernel position, sorted by the name sequence from there to its segment end
  std::vector<uint32_t> rank;  // rank[sorted[i].pos] = i
  // Smallest lcp of each block of kLcpBlock ranks, so that a run's size is found in long strides.
  static constexpr uint32_t kLcpBlock = 256;
  std::vector<uint32_t> block_min;
};

// `name`: dense name ids (< n_names) of all segments back to back; `segment_end`: exclusive end
// of each segment, the last one name.size().
ChainOrder build_chain_order(const std::vector<uint32_t>& name, uint32_t n_names,
                             const std::vector<uint32_t>& segment_end, uint32_t max_length);

// Occurrences of the chain of length L at rank r (L <= max_length): the size of r's run.
uint32_t chain_occurrences(const ChainOrder& co, uint32_t r, uint32_t L);

}  // namespace infertrace
