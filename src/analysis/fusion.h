// Kernel fusion candidates by proximity score (docs/metrics.md section 4; SKIP Sec. III-C,
// Eq. 6-8), over the segments of build_kernel_sequences().
//
// Chains are identified exactly, never by a hash that could collide. Two methods compute the
// per-length figures (fusion_methods.h): doubling (a hash pass per length step, cheapest for a few
// lengths) and suffix order (one sort of all positions serves every length, cheapest for many).
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/fusion_sequences.h"

namespace infertrace {

// How the per-length figures are computed (fusion_methods.h); the results are identical.
enum class FusionMethod { Auto, Doubling, SuffixOrder };

// Auto picks doubling while it needs at most this many hash passes over the kernels. Measured on
// 10M kernels (docs/benchmarks.md "Fusion"): a doubling pass costs about 0.22 s of CPU, the
// suffix-order method about 3.3 s for the eight default lengths, i.e. some 15 passes.
inline constexpr size_t kDoublingPassesWorthASort = 15;

struct FusionOptions {
  std::vector<int> lengths = {2, 4, 8, 16, 32, 64, 128, 256};  // chain lengths L, each >= 2
  double threshold = 1.0;                                      // T: fuse chains with PS >= T
  size_t top = 10;                                             // candidates kept
  FusionMethod method = FusionMethod::Auto;
};

struct ChainLengthResult {
  int length = 0;
  int64_t unique_chains = 0;         // distinct chains of this length
  int64_t chain_instances = 0;       // windows of this length inside segments
  int64_t deterministic_chains = 0;  // distinct chains with PS >= T
  int64_t fused_chains = 0;          // C_fused: chains the greedy scan fuses
  int64_t kernels_eager = 0;         // K_eager
  int64_t kernels_fused = 0;         // K_fused = K_eager - C_fused * (L - 1)
  double ideal_speedup = 1.0;        // K_eager / K_fused
  // Sum over fused chains of the launch parts of their kernels' launch calls, minus one launch
  // per chain (the fused kernel still needs one: we keep the chain's first launch).
  ns_t launch_time_saved = 0;
  // The part of fused_chains / launch_time_saved that comes from chains seen only once (f(C) = 1,
  // e.g. a one-off prologue whose first kernel occurs once: PS 1). Such a chain is fused at most
  // once, so this is also the number of distinct ones (review FU-1).
  int64_t fused_seen_once = 0;
  ns_t launch_time_saved_seen_once = 0;
};

// A chain the greedy scan fused at least once.
struct FusionCandidate {
  int length = 0;
  // Trace string ids, in order. Filled only for the candidates analyze_fusion returns: while the
  // best are being picked a candidate is `position` alone (review FL58 M1: L names per kept
  // candidate of every length made peak memory grow with the sum of the lengths).
  std::vector<StrId> kernels;
  int64_t occurrences = 0;        // f(C)
  int64_t first_occurrences = 0;  // f(first kernel of C)
  double proximity = 0;           // PS(C) = f(C) / f(first kernel)
  int64_t fused = 0;              // instances the greedy scan fused
  int64_t kernels_removed = 0;    // fused * (L - 1)
  ns_t launch_time_saved = 0;
  uint32_t position{};  // where one occurrence starts in the KernelSequences it was found in
};

struct FusionResult {
  double threshold = 1.0;
  int64_t kernels = 0, segments = 0, streams = 0, sync_splits = 0, unlinked_kernels = 0;
  int64_t distinct_kernels = 0;
  ns_t launch_part_total = 0;  // launch part of all kernels' launch calls
  GraphLaunchCost graphs;
  std::vector<ChainLengthResult> lengths;  // ascending length
  // Best candidates over all lengths: most kernels removed first, then most launch time saved.
  std::vector<FusionCandidate> candidates;
};

// Throws UsageError for a length < 2 or a threshold outside (0, 1].
FusionResult analyze_fusion(const KernelSequences& seq, const FusionOptions& opt);

}  // namespace infertrace
