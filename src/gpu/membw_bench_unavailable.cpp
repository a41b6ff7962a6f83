// The build without the CUDA toolkit: `bench membw --device cuda` exists and says why it cannot run.
#include "gpu/membw_bench.h"
#include "util/error.h"

namespace infertrace::gpu {

bool gpu_membw_built() { return false; }

GpuMembwResult run_gpu_membw(const GpuMembwOptions& options) {
  check_gpu_membw_options(options);  // a bad option is a usage error here too
  throw Error(
      "bench membw --device cuda: no CUDA device: this build has no CUDA part (nvcc was not found when it was "
      "configured); install the CUDA toolkit (nvcc in PATH or /usr/local/cuda) and rebuild");
}

}  // namespace infertrace::gpu
