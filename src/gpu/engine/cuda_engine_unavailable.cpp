// The build without the CUDA toolkit: `engine run --backend cuda` exists and says why it cannot run.
#include "gpu/engine/cuda_engine.h"
#include "gpu/engine/cuda_support.h"
#include "util/error.h"

namespace infertrace::gpu {

bool cuda_engine_built() { return false; }

std::unique_ptr<CudaEngine> CudaEngine::create(const engine::ModelConfig& config, const engine::ModelWeights& weights,
                                               const CudaEngineOptions&) {
  check_cuda_support(config, weights);  // a model the backend cannot run is refused the same way everywhere
  throw Error(
      "engine run --backend cuda: this build has no CUDA part (nvcc was not found when it was configured); install "
      "the CUDA toolkit (nvcc in PATH or /usr/local/cuda) and rebuild");
}

}  // namespace infertrace::gpu
