// The matrix-matrix product of prefill: Y[t][r] (=, +=) sum_k X[t][k] W[r][k] for a prompt of
// n_tok tokens. A classic shared-memory tiling (64 tokens x 64 rows per block, 32-deep k steps,
// 4x4 outputs per thread, F32 accumulation, weights converted to F32 on the way into shared
// memory). Prefill is a small share of a generation's time here; decode is what the modes study.
#include "gpu/engine/kernels.h"
#include "gpu/engine/weight_load.cuh"

namespace infertrace::gpu {

namespace {

constexpr int kTile = 64, kDepth = 32, kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    gemm_kernel(const T* __restrict__ w, int rows, int cols, const float* __restrict__ x, int x_stride, int n_tok,
                float* __restrict__ y, int y_stride, bool accumulate) {
  __shared__ float xs[kDepth][kTile + 1];  // [k][token]
  __shared__ float ws[kDepth][kTile + 1];  // [k][row]
  const int t0 = blockIdx.y * kTile, r0 = blockIdx.x * kTile;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;  // 4 rows x 4 tokens each
  float acc[4][4] = {};
  for (int k0 = 0; k0 < cols; k0 += kDepth) {
    // 64 x 32 values of each operand, 8 per thread; k is the fast index so reads coalesce.
    for (int i = threadIdx.x; i < kTile * kDepth; i += kThreads) {
      const int kk = i % kDepth, rr = i / kDepth, k = k0 + kk;
      const int t = t0 + rr, r = r0 + rr;
      xs[kk][rr] = (t < n_tok && k < cols) ? x[static_cast<size_t>(t) * x_stride + k] : 0.0f;
      ws[kk][rr] = (r < rows && k < cols) ? value_as_float(w[static_cast<size_t>(r) * cols + k]) : 0.0f;
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kDepth; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        a[i] = xs[kk][ty * 4 + i];
        b[i] = ws[kk][tx * 4 + i];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int t = t0 + ty * 4 + i;
    if (t >= n_tok) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int r = r0 + tx * 4 + j;
      if (r >= rows) continue;
      float* out = y + static_cast<size_t>(t) * y_stride + r;
      *out = accumulate ? *out + acc[i][j] : acc[i][j];
    }
  }
}

}  // namespace

void gemm(Launcher& l, const DeviceMatrix& w, const float* x, int x_stride, int n_tok, float* y, int y_stride,
          bool accumulate) {
  const dim3 grid((w.rows + kTile - 1) / kTile, (n_tok + kTile - 1) / kTile), block(kThreads);
  INFERTRACE_DISPATCH_WEIGHT_TYPE(w.type, T, {
    gemm_kernel<T><<<grid, block, 0, l.stream>>>(static_cast<const T*>(w.data), w.rows, w.cols, x, x_stride, n_tok, y,
                                                 y_stride, accumulate);
  })
  l.launched("gemm_kernel");
}

}  // namespace infertrace::gpu
