// Matrix-vector products for decode, written for memory-bound Hopper/Ampere execution: each warp
// owns one weight row and streams it with coalesced 16-byte loads (a warp reads 512 contiguous
// bytes per step), converts to F32 and accumulates in F32 against up to 8 input vectors at once,
// so a batch of sequences reads each row once per group of 8. The x vectors are small and hit L1/L2.
#include "gpu/engine/kernels.h"
#include "gpu/engine/weight_load.cuh"

namespace infertrace::gpu {

namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kMaxSegs = 3;

struct MatvecParams {
  const void* w[kMaxSegs];
  float* y[kMaxSegs];
  int y_stride[kMaxSegs];
  int rows_end[kMaxSegs];  // cumulative row counts
  int n_segs, n_rows;
  const void* up;  // SwiGLU only
  const float* x;
  int x_stride, n_vec, cols;
};

__device__ __forceinline__ float silu(float g) { return g / (1.0f + __expf(-g)); }

// NB: input vectors per pass (1, 2, 4 or 8); more vectors loop over passes, re-reading the row
// (from L1/L2). EPI: Epilogue as int.
template <typename T, int NB, int EPI>
__global__ void __launch_bounds__(kWarpsPerBlock * 32) matvec_kernel(MatvecParams p) {
  constexpr int E = WeightVec<T>::kValues;
  const int lane = threadIdx.x % 32;
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= p.n_rows) return;
  // The row's matrix, chosen with compile-time indices only: a run-time index into the parameter
  // arrays would copy them to local memory.
  const void* w = p.w[0];
  float* y_base = p.y[0];
  int y_stride = p.y_stride[0], first = 0;
#pragma unroll
  for (int s = 1; s < kMaxSegs; ++s)
    if (s < p.n_segs && row >= p.rows_end[s - 1]) {
      w = p.w[s];
      y_base = p.y[s];
      y_stride = p.y_stride[s];
      first = p.rows_end[s - 1];
    }
  const int r = row - first;
  const size_t row_off = static_cast<size_t>(r) * p.cols / E;  // in 16-byte units
  const uint4* wrow = static_cast<const uint4*>(w) + row_off;
  const uint4* urow = EPI == static_cast<int>(Epilogue::SwiGLU) ? static_cast<const uint4*>(p.up) + row_off : nullptr;
  const int n_chunks = p.cols / E;

  for (int b0 = 0; b0 < p.n_vec; b0 += NB) {
    float acc[NB], acc_up[NB];
#pragma unroll
    for (int j = 0; j < NB; ++j) acc[j] = acc_up[j] = 0.0f;
#pragma unroll 4  // up to four 16-byte weight loads in flight per lane (a 1024-wide F16 row is 4 per lane)
    for (int c = lane; c < n_chunks; c += 32) {
      float wv[E], uv[E];
      load_vec<T>(__ldg(wrow + c), wv);
      if (EPI == static_cast<int>(Epilogue::SwiGLU)) load_vec<T>(__ldg(urow + c), uv);
#pragma unroll
      for (int j = 0; j < NB; ++j) {
        if (b0 + j >= p.n_vec) break;
        const float4* xv = reinterpret_cast<const float4*>(p.x + static_cast<size_t>(b0 + j) * p.x_stride + c * E);
#pragma unroll
        for (int q = 0; q < E / 4; ++q) {
          const float4 xx = xv[q];
          acc[j] += wv[4 * q] * xx.x + wv[4 * q + 1] * xx.y + wv[4 * q + 2] * xx.z + wv[4 * q + 3] * xx.w;
          if (EPI == static_cast<int>(Epilogue::SwiGLU))
            acc_up[j] += uv[4 * q] * xx.x + uv[4 * q + 1] * xx.y + uv[4 * q + 2] * xx.z + uv[4 * q + 3] * xx.w;
        }
      }
    }
#pragma unroll
    for (int j = 0; j < NB; ++j) {
      const float s = warp_sum(acc[j]);
      const float su = EPI == static_cast<int>(Epilogue::SwiGLU) ? warp_sum(acc_up[j]) : 0.0f;
      if (lane == j && b0 + j < p.n_vec) {
        float* y = y_base + static_cast<size_t>(b0 + j) * y_stride + r;
        if (EPI == static_cast<int>(Epilogue::Store)) *y = s;
        else if (EPI == static_cast<int>(Epilogue::Add)) *y += s;
        else *y = silu(s) * su;
      }
    }
  }
}

template <typename T, int EPI>
void launch_nb(Launcher& l, const MatvecParams& p, int n_rows) {
  const dim3 grid((n_rows + kWarpsPerBlock - 1) / kWarpsPerBlock), block(kWarpsPerBlock * 32);
  // SwiGLU keeps two accumulators per vector: 4 vectors per pass, so its registers do not spill.
  constexpr bool swiglu = EPI == static_cast<int>(Epilogue::SwiGLU);
  if (p.n_vec == 1) matvec_kernel<T, 1, EPI><<<grid, block, 0, l.stream>>>(p);
  else if (p.n_vec == 2) matvec_kernel<T, 2, EPI><<<grid, block, 0, l.stream>>>(p);
  else if constexpr (swiglu) matvec_kernel<T, 4, EPI><<<grid, block, 0, l.stream>>>(p);
  else if (p.n_vec <= 4) matvec_kernel<T, 4, EPI><<<grid, block, 0, l.stream>>>(p);
  else matvec_kernel<T, 8, EPI><<<grid, block, 0, l.stream>>>(p);
  l.launched("matvec_kernel");
}

}  // namespace

void matvec(Launcher& l, const MatvecSegment* segs, int n_segs, const float* x, int x_stride, int n_vec, Epilogue epi,
            const DeviceMatrix* up) {
  MatvecParams p{};
  int rows = 0;
  for (int i = 0; i < n_segs; ++i) {
    p.w[i] = segs[i].w.data;
    p.y[i] = segs[i].y;
    p.y_stride[i] = segs[i].y_stride;
    rows += segs[i].w.rows;
    p.rows_end[i] = rows;
  }
  p.n_segs = n_segs;
  p.n_rows = rows;
  p.up = up ? up->data : nullptr;
  p.x = x;
  p.x_stride = x_stride;
  p.n_vec = n_vec;
  p.cols = segs[0].w.cols;
  const int e = static_cast<int>(epi);
  INFERTRACE_DISPATCH_WEIGHT_TYPE(segs[0].w.type, T, {
    if (e == 0) launch_nb<T, 0>(l, p, rows);
    else if (e == 1) launch_nb<T, 1>(l, p, rows);
    else launch_nb<T, 2>(l, p, rows);
  })
}

}  // namespace infertrace::gpu
