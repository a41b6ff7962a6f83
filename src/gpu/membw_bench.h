// `infertrace bench membw --device cuda`: the GPU's sustained memory bandwidth, measured by the tool
// itself so a decode roofline can be computed in the same run as the decode it bounds.
//   copy: cudaMemcpyAsync device to device, half the buffer onto the other half; bytes moved =
//         read + write = the whole buffer (the convention of issue 8's "a device copy moved 3.0 TB/s").
//   read: a streaming reduction over the whole buffer (grid-stride, 16-byte loads, four in flight per
//         thread, XOR-folded so no load can be dropped, one word written per block): the read-only
//         traffic of decode's weight streaming, the figure a decode roofline divides by.
// The buffer (default 4 GiB, shrunk to fit free memory) is many times the L2 cache, so every byte
// comes from device memory. Each repetition is timed with CUDA events around one operation; copy and
// read repetitions alternate, after one untimed warm-up of each. GB/s = 1e9 bytes/s.
// Included by CUDA sources: C++17 only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infertrace::gpu {

struct GpuMembwOptions {
  int device = 0;
  uint64_t buffer_bytes = 4ull << 30;  // shrunk to what fits (see GpuMembwResult::shrunk)
  int repetitions = 10;
};

struct GpuMembwResult {
  std::string device_name;
  int device = 0;
  uint64_t buffer_bytes = 0;   // bytes actually allocated and read
  bool shrunk = false;         // less than asked: free device memory was short
  uint64_t l2_bytes = 0;
  int sm_count = 0;
  double nominal_gbs = 0;      // 2 x memory clock x bus width from the device attributes (0 if unknown)
  int read_blocks = 0, read_threads = 0;  // the reduction's grid
  std::vector<double> copy_gbs, read_gbs;  // one per repetition, in run order
};

// Whether this build has the CUDA part.
bool gpu_membw_built();

// Throws UsageError for options no device could run (repetitions < 1, a buffer under 64 MiB): the
// same in the build with and without the CUDA part (membw_options.cpp).
void check_gpu_membw_options(const GpuMembwOptions& options);

// Throws Error("... no CUDA device ...") without a usable device, UsageError for bad options, Error
// on any CUDA failure (named).
GpuMembwResult run_gpu_membw(const GpuMembwOptions& options);

}  // namespace infertrace::gpu
