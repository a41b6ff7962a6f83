// Every kernel position sorted by the chain that starts there (a suffix array over the segments'
// name ids), with the common-prefix length of neighbours. Two positions start the same chain of
// length L exactly when they lie in one run of `order` whose inner `lcp` values are all >= L, so
// the equal chains of every length are contiguous at once and one sort serves all lengths.
#pragma once

#include <cstdint>
#include <vector>

namespace infertrace {

struct ChainOrder {
  uint32_t max_length = 0;     // lcp values are capped here (the longest chain asked for)
  std::vector<uint32_t> order;  // kernel positions, sorted by the name sequence from there to the segment end
  // lcp[i]: kernels that order[i-1] and order[i] have in common before a difference or the end of
  // either segment, capped at max_length; lcp[0] = 0.
  std::vector<uint32_t> lcp;
  std::vector<uint32_t> rank;  // rank[order[i]] = i
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
