// What a run launched, as a distribution over launch shapes, so that `compare` can tell two runs of
// one workload from runs of different work whose launch counts happen to match (docs/sched.md,
// "Scenario comparison": bert prefill at batch 1 and 2 make 165 and 166 launch calls (153 and 154
// kernels), and their launch rates differ because batch 2 does twice the work per launch, not
// because it ran slower).
//
// A shape is a GPU kernel's name with its grid and block (Kineto traces, CUPTI recordings), or,
// without GPU activities, a launch call's grid and block (uprobe recordings read them from the
// call's arguments). Another batch size or sequence length changes most grids even where the
// kernel names stay. Shapes are hashed into kLaunchMixBuckets buckets so that a saved analysis
// carries a fixed-size mix: merging shapes can only make two mixes look more alike, so a mix
// judged different from buckets is different from the shapes too.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "trace/trace.h"

namespace infertrace {

constexpr size_t kLaunchMixBuckets = 4096;

struct LaunchMix {
  // "kernel_shapes": GPU kernels by name, grid and block; "kernel_names": GPU kernels by name (no
  // kernel in the trace has a grid, as in profiler traces made without it); "launch_shapes": launch
  // calls by grid and block (no GPU activity). Mixes of different bases are not compared.
  std::string basis;
  int64_t launches = 0;  // what the buckets count (kernels, or launch calls with a known shape)
  std::array<int64_t, kLaunchMixBuckets> buckets{};
};

// None when the trace has neither GPU kernels nor launch calls with a known grid and block.
std::optional<LaunchMix> launch_mix(const Trace& trace);

// The share of launches the two mixes have in common: the sum over buckets of the smaller of the two
// shares (1 - total variation distance), 1 for the same mix whatever the counts. None when the bases
// differ or either counts fewer than kLaunchMixMinLaunches.
std::optional<double> launch_mix_similarity(const LaunchMix& a, const LaunchMix& b);

// How a basis compares launches, for verdicts and notes: "by kernel name, grid and block", ...
const char* launch_mix_basis_words(const std::string& basis);

// Below this similarity the runs launched different work. Runs of one workload launch the same
// shapes (1.00 between repeated captures; warm-up or where a capture starts shifts a few percent);
// another batch size changes most grids (the H100 fixtures: 0.01 to 0.48 between batch sizes of one
// model).
constexpr double kLaunchMixMinSimilarity = 0.8;
constexpr int64_t kLaunchMixMinLaunches = 10;

}  // namespace infertrace
