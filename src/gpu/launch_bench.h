// `infertrace bench launch`: what one kernel launch costs on this host and GPU, per launch API.
// A null kernel (one thread storing its %globaltimer start stamp) is launched through each API:
//   - isolated: one launch, then a stream sync, so every launch meets an idle GPU; per launch the
//     host time spent in the API call and the launch-to-start latency (call entry on the host to the
//     kernel's first instruction, the GPU stamp mapped to the host clock, gpu/gpu_clock.h);
//   - back to back: N launches without syncing, the sustained host time per launch.
// Graph launches of 1 and of N kernels show what a captured sequence costs per kernel.
// Included by CUDA sources: C++17 only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpu/gpu_clock.h"

namespace infertrace::gpu {

struct LaunchBenchOptions {
  int launches = 2000;      // measured launches per API (after a warm-up)
  int graph_kernels = 32;   // kernels in the "graph of N" case
  int device = 0;
};

struct LaunchApiResult {
  std::string api;             // e.g. "cudaLaunchKernel", "cudaGraphLaunch (32 kernels)"
  int kernels_per_launch = 1;
  std::vector<int64_t> host_ns;           // API call time per isolated launch
  std::vector<int64_t> start_latency_ns;  // call entry -> first kernel start, per isolated launch
  double back_to_back_ns = 0;             // host time per launch, launches issued without syncing
  double kernel_spacing_ns = 0;           // graphs of N: median start-to-start gap inside the graph
};

struct LaunchBenchResult {
  std::string device_name;
  int driver_version = 0, runtime_version = 0;
  int64_t timer_granularity_ns = 0;  // smallest step of %globaltimer observed
  GpuToHostClock clock;
  std::vector<LaunchApiResult> apis;
};

// Whether this build has the CUDA part (the toolkit was found at build time).
bool launch_bench_built();

// Throws Error when built without CUDA, with no usable device, or on any CUDA error (named).
LaunchBenchResult run_launch_bench(const LaunchBenchOptions& options);

}  // namespace infertrace::gpu
