// Per chain length, distinct chains and deterministic ones (PS >= T), for every length up to the
// longest asked for in one sweep over a ChainOrder; and per position, the longest deterministic
// chain starting there, which is all the greedy fusion scan of each length needs.
//
// The runs of `order` with inner lcp >= L are the distinct chains of length L. They nest: the runs
// for L+1 split those for L. The sweep visits each run once (an lcp interval: a run that is the
// same for every L in (parent lcp, own lcp]) and adds it to all those lengths with a difference
// array. A chain's occurrences only fall as it grows while f(first kernel) stays, so PS falls too:
// the chain at p is deterministic for every L up to some reach(p) and for none beyond.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/chain_order.h"

namespace infertrace {

struct ChainTally {
  std::vector<int64_t> unique;         // [L]: distinct chains of length L, L in 0..max_length
  std::vector<int64_t> deterministic;  // [L]: distinct chains of length L with PS >= threshold
  std::vector<uint32_t> reach;         // [p]: largest L with a deterministic chain at p, 0 if none
};

// `name_count[k]` = f(k), the occurrences of name k in all segments.
ChainTally tally_chains(const ChainOrder& co, const std::vector<uint32_t>& name_count, double threshold);

// PS(C) >= T, computed the one way every part of the analysis uses.
inline bool deterministic_share(uint64_t occurrences, uint64_t first_kernel_occurrences, double threshold) {
  return static_cast<double>(occurrences) / static_cast<double>(first_kernel_occurrences) >= threshold;
}

}  // namespace infertrace
