// Error checking and launch counting for the CUDA engine (kernels.h).
#include <string>

#include "gpu/engine/kernels.h"
#include "util/error.h"

namespace infertrace::gpu {

void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw Error(std::string("engine run --backend cuda: ") + what + ": " + cudaGetErrorString(e));
}

void Launcher::launched(const char* kernel) {
  cuda_check(cudaGetLastError(), kernel);
  ++launches;
}

}  // namespace infertrace::gpu
