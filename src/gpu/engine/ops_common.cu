// Kernels every mode uses: embedding lookup and row RMSNorm.
#include "gpu/engine/kernels.h"
#include "gpu/engine/weight_load.cuh"

namespace infertrace::gpu {

namespace {

template <typename T>
__global__ void embed_kernel(const T* __restrict__ table, int cols, const int32_t* __restrict__ tokens, float* x) {
  const T* src = table + static_cast<size_t>(tokens[blockIdx.x]) * cols;
  float* dst = x + static_cast<size_t>(blockIdx.x) * cols;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) dst[i] = value_as_float(src[i]);
}

__global__ void rms_norm_rows_kernel(const float* x, int x_stride, const float* __restrict__ w, float* y, int y_stride,
                                     int n, float eps) {
  __shared__ float scratch[32];
  const float* xr = x + static_cast<size_t>(blockIdx.x) * x_stride;
  float* yr = y + static_cast<size_t>(blockIdx.x) * y_stride;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) ss += xr[i] * xr[i];
  ss = block_sum(ss, scratch);
  const float scale = rsqrtf(ss / n + eps);
  for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = xr[i] * scale * w[i];
}

}  // namespace

void embed(Launcher& l, const DeviceMatrix& table, const int32_t* tokens, int n, float* x) {
  INFERTRACE_DISPATCH_WEIGHT_TYPE(table.type, T, {
    embed_kernel<T><<<n, 256, 0, l.stream>>>(static_cast<const T*>(table.data), table.cols, tokens, x);
  })
  l.launched("embed_kernel");
}

void rms_norm_rows(Launcher& l, const float* x, int x_stride, const float* w, float* y, int y_stride, int n_rows,
                   int n, float eps) {
  rms_norm_rows_kernel<<<n_rows, 256, 0, l.stream>>>(x, x_stride, w, y, y_stride, n, eps);
  l.launched("rms_norm_rows_kernel");
}

}  // namespace infertrace::gpu
