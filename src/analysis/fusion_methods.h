// The two ways analyze_fusion computes the per-length figures of docs/metrics.md section 4, both
// exact and tested against each other and a plain implementation (tests/fusion_differential_test):
//
// - by doubling (fusion_doubling.cpp): chain ids of each length from pairs of shorter ids, a hash
//   pass over the kernels per length step. Cheapest for a few lengths (the default 2, 4, ..., 256
//   list is eight doublings).
// - by suffix order (fusion_suffix.cpp): one suffix-array sort of all positions serves every
//   length (chain_order, chain_tally), then a greedy walk per length over the positions that can
//   fuse (fusion_greedy). A fixed cost of about 15 hash passes, then little per length:
//   the method for long lists such as every length 2..256.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/fusion.h"

namespace infertrace {

struct FusionInputs {
  const KernelSequences* seq = nullptr;
  std::vector<ns_t> launch_prefix;     // prefix sums of seq->launch_part (n + 1 entries)
  std::vector<uint32_t> name_count;    // f(k) per dense name id
  std::vector<uint32_t> room;          // kernels left in p's segment from p on
  double threshold = 1.0;
  size_t top = 10;
};

FusionInputs fusion_inputs(const KernelSequences& seq, double threshold, size_t top);

// Figures of one length and its `top` best fused chains (best first; fewer when fewer fused).
struct LengthFusion {
  ChainLengthResult figures;
  std::vector<FusionCandidate> candidates;
};

// `lengths`: ascending, distinct, each >= 2. One result per length, in that order.
std::vector<LengthFusion> fuse_by_doubling(const FusionInputs& in, const std::vector<uint32_t>& lengths);
std::vector<LengthFusion> fuse_by_suffix_order(const FusionInputs& in, const std::vector<uint32_t>& lengths);

// Hash passes over the kernels fuse_by_doubling would make for `lengths`.
size_t doubling_passes(const std::vector<uint32_t>& lengths);

// Better candidate first: more kernels removed, then more launch time saved, then shorter chain,
// then kernel names in lexicographic order (by text: KernelSequences::name_rank). Candidates are compared by their
// `position` in seq, so they need no copied names.
struct BetterCandidate {
  const KernelSequences* seq = nullptr;
  bool operator()(const FusionCandidate& a, const FusionCandidate& b) const;
};

// Lexicographic order of the chains of length L at positions a and b of seq.
bool chain_names_less(const KernelSequences& seq, uint32_t a, uint32_t b, uint32_t L);

}  // namespace infertrace
