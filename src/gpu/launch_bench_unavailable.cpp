// The build without the CUDA toolkit: `bench launch` exists and says why it cannot run.
#include "gpu/launch_bench.h"
#include "util/error.h"

namespace infertrace::gpu {

bool launch_bench_built() { return false; }

LaunchBenchResult run_launch_bench(const LaunchBenchOptions&) {
  throw Error(
      "bench launch: this build has no CUDA part (nvcc was not found when it was configured); install the CUDA "
      "toolkit (nvcc in PATH or /usr/local/cuda) and rebuild");
}

}  // namespace infertrace::gpu
