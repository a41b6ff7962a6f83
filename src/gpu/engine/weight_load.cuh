// Reading weights of each type as F32: 16-byte vectors (4 F32, 8 F16 or 8 BF16 values) for the
// matrix-vector products, single values for the tiled products and the embedding lookup.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace infertrace::gpu {

template <typename T>
struct WeightVec {
  static constexpr int kValues = 16 / sizeof(T);  // values per 16-byte load
};

__device__ __forceinline__ void to_float(const uint4& r, float (&out)[4]) {
  out[0] = __uint_as_float(r.x);
  out[1] = __uint_as_float(r.y);
  out[2] = __uint_as_float(r.z);
  out[3] = __uint_as_float(r.w);
}

__device__ __forceinline__ void to_float_h(const uint4& r, float (&out)[8]) {
  const __half2* h = reinterpret_cast<const __half2*>(&r);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(h[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}

__device__ __forceinline__ void to_float_b(const uint4& r, float (&out)[8]) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&r);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __bfloat1622float2(h[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}

template <typename T>
__device__ __forceinline__ void load_vec(const uint4& r, float (&out)[WeightVec<T>::kValues]);
template <>
__device__ __forceinline__ void load_vec<float>(const uint4& r, float (&out)[4]) { to_float(r, out); }
template <>
__device__ __forceinline__ void load_vec<__half>(const uint4& r, float (&out)[8]) { to_float_h(r, out); }
template <>
__device__ __forceinline__ void load_vec<__nv_bfloat16>(const uint4& r, float (&out)[8]) { to_float_b(r, out); }

__device__ __forceinline__ float value_as_float(float v) { return v; }
__device__ __forceinline__ float value_as_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float value_as_float(__nv_bfloat16 v) { return __bfloat162float(v); }

// Calls f.template operator()<T>() with T the C++ type of `type` (F32, F16 or BF16).
#define INFERTRACE_DISPATCH_WEIGHT_TYPE(type, T, ...)                        \
  switch (type) {                                                            \
    case gguf::GgmlType::F16: {                                              \
      using T = __half;                                                      \
      __VA_ARGS__;                                                           \
    } break;                                                                 \
    case gguf::GgmlType::BF16: {                                             \
      using T = __nv_bfloat16;                                               \
      __VA_ARGS__;                                                           \
    } break;                                                                 \
    default: {                                                               \
      using T = float;                                                       \
      __VA_ARGS__;                                                           \
    } break;                                                                 \
  }

// Warp-wide sum (every lane gets it).
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Block-wide sum for blockDim.x a multiple of 32 (up to 1024); every thread gets it. `scratch`
// holds 32 floats of shared memory; the call contains __syncthreads.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  v = warp_sum(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, n_warps = blockDim.x / 32;
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < n_warps ? scratch[lane] : 0.0f;
  return warp_sum(v);
}
__device__ __forceinline__ float block_max(float v, float* scratch) {
  v = warp_max(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, n_warps = blockDim.x / 32;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < n_warps ? scratch[lane] : -INFINITY;
  return warp_max(v);
}

}  // namespace infertrace::gpu
