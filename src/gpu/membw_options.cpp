// The option checks of `bench membw --device cuda`, in plain C++ so the build without the CUDA
// toolkit makes them too: a bad option is a usage error (exit 2) whether or not this build can
// reach a GPU, not "no CUDA part" (exit 1) on one build and a usage error on the other.
#include <string>

#include "gpu/membw_bench.h"
#include "util/error.h"

namespace infertrace::gpu {

void check_gpu_membw_options(const GpuMembwOptions& o) {
  const std::string who = "bench membw --device cuda: ";
  if (o.repetitions < 1) throw UsageError(who + "--repetitions must be >= 1");
  if (o.buffer_bytes < (64ull << 20)) throw UsageError(who + "--size-mib must be >= 64");
}

}  // namespace infertrace::gpu
