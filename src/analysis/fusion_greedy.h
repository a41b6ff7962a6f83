// The greedy fusion scan of one chain length (docs/metrics.md section 4): walk the kernels,
// fuse the chain at p when it is deterministic and jump to p + L, else step to p + 1. With each
// position's reach (longest deterministic chain there, from chain_tally) the test is one compare,
// and the scan visits only positions whose reach is long enough; fused chains are told apart
// exactly by the ids of two overlapping windows of length h (h <= L <= 2h), which together cover
// the chain.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/chain_order.h"
#include "analysis/fusion_methods.h"

namespace infertrace {

// Ids of the chains of length h at every position: the first rank of each one's run in
// co.sorted. Meaningful where h kernels remain in the segment.
std::vector<uint32_t> window_ids(const ChainOrder& co, uint32_t h);

struct GreedyInputs {
  const KernelSequences* seq = nullptr;
  const ChainOrder* order = nullptr;
  const std::vector<uint32_t>* reach = nullptr;       // per position, from tally_chains
  const std::vector<uint32_t>* name_count = nullptr;  // f(k) per dense name id
  const std::vector<ns_t>* launch_prefix = nullptr;   // prefix sums of seq->launch_part
};

struct GreedyLength {
  int64_t fused_chains = 0;
  ns_t launch_time_saved = 0;
  int64_t fused_seen_once = 0;  // of fused_chains, those of chains seen once (f(C) = 1)
  ns_t launch_time_saved_seen_once = 0;
  std::vector<FusionCandidate> candidates;  // the `top` best fused chains of this length, best first
};

// Positions whose reach is at least h, ascending: the only places a chain of length >= h can be
// fused.
std::vector<uint32_t> positions_reaching(const std::vector<uint32_t>& reach, uint32_t h);

// `reaching` = positions_reaching(reach, h) and `ids` = window_ids(order, h), with h <= L <= 2h.
GreedyLength greedy_fuse(const GreedyInputs& in, uint32_t L, const std::vector<uint32_t>& reaching,
                         const std::vector<uint32_t>& ids, uint32_t h, size_t top);

}  // namespace infertrace
