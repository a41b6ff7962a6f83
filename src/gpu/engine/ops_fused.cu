// The fused mode's kernels: q/k normalisation + RoPE + KV-cache store in one launch for every
// head of every row, and attention in one launch (per head and row, online softmax over the keys,
// so scores never go to device memory).
#include "gpu/engine/kernels.h"
#include "gpu/engine/row_math.cuh"
#include "gpu/engine/weight_load.cuh"

namespace infertrace::gpu {

namespace {

constexpr int kMaxHeadDim = 256;  // create() rejects larger heads
constexpr int kAttnWarps = 4;

// grid (n_head + 2 n_head_kv, rows): blocks [0, n_head) rotate q heads in place, the next n_head_kv
// normalise/rotate k heads into the K cache, the last n_head_kv copy v heads into the V cache.
__global__ void norm_rope_store_kernel(float* q, int q_stride, const float* k, int k_stride, const float* v,
                                       int v_stride, const float* __restrict__ q_norm,
                                       const float* __restrict__ k_norm, float eps, RopeParams rope, KvCache kv,
                                       AttentionShape s, RowPlacement place) {
  __shared__ float buf[kMaxHeadDim];
  __shared__ float scratch[32];
  const int head = blockIdx.x, row = blockIdx.y;
  const int pos = row_pos(place, row);
  const int64_t cache_row = row_seq(place, row) * kv.seq_stride;
  if (head >= s.n_head + s.n_head_kv) {  // v: a plain copy into the cache
    const int vh = head - s.n_head - s.n_head_kv;
    const float* src = v + static_cast<size_t>(row) * v_stride + static_cast<size_t>(vh) * s.head_dim_v;
    float* dst = kv.v + cache_row + static_cast<int64_t>(pos) * kv.v_dim + static_cast<int64_t>(vh) * s.head_dim_v;
    for (int i = threadIdx.x; i < s.head_dim_v; i += blockDim.x) dst[i] = src[i];
    return;
  }
  const bool is_q = head < s.n_head;
  const int h = is_q ? head : head - s.n_head;
  const float* src = is_q ? q + static_cast<size_t>(row) * q_stride + static_cast<size_t>(h) * s.head_dim
                          : k + static_cast<size_t>(row) * k_stride + static_cast<size_t>(h) * s.head_dim;
  const float* norm = is_q ? q_norm : k_norm;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < s.head_dim; i += blockDim.x) {
    buf[i] = src[i];
    ss += buf[i] * buf[i];
  }
  if (norm) {
    ss = block_sum(ss, scratch);  // contains the barrier that publishes buf
    const float scale = rsqrtf(ss / s.head_dim + eps);
    for (int i = threadIdx.x; i < s.head_dim; i += blockDim.x) buf[i] = buf[i] * scale * norm[i];
  }
  __syncthreads();
  for (int i = threadIdx.x; i < rope.rope_dim / 2; i += blockDim.x) rope_pair(buf, rope, pos, i);
  __syncthreads();
  float* dst = is_q ? q + static_cast<size_t>(row) * q_stride + static_cast<size_t>(h) * s.head_dim
                    : kv.k + cache_row + static_cast<int64_t>(pos) * kv.k_dim + static_cast<int64_t>(h) * s.head_dim;
  for (int i = threadIdx.x; i < s.head_dim; i += blockDim.x) dst[i] = buf[i];
}

// grid (head, row), kAttnWarps warps: warp w takes keys w, w + kAttnWarps, ... keeping a running
// max, sum and weighted value sum (online softmax); the warps' states are merged at the end.
// Lane l holds dimensions l, l + 32, ... of q and of the output.
__global__ void __launch_bounds__(kAttnWarps * 32)
    attention_fused_kernel(const float* q, int q_stride, KvCache kv, AttentionShape s, RowPlacement place, float* out,
                           int out_stride) {
  constexpr int kPer = kMaxHeadDim / 32;
  __shared__ float m_s[kAttnWarps], l_s[kAttnWarps];
  __shared__ float acc_s[kAttnWarps][kMaxHeadDim];
  const int h = blockIdx.x, row = blockIdx.y, kvh = h / (s.n_head / s.n_head_kv);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int n_keys = row_pos(place, row) + 1;
  const float* qh = q + static_cast<size_t>(row) * q_stride + static_cast<size_t>(h) * s.head_dim;
  const int64_t cache_row = row_seq(place, row) * kv.seq_stride;
  const float* K = kv.k + cache_row + static_cast<int64_t>(kvh) * s.head_dim;
  const float* V = kv.v + cache_row + static_cast<int64_t>(kvh) * s.head_dim_v;
  const float scale = rsqrtf(static_cast<float>(s.head_dim));

  float qr[kPer], acc[kPer];
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    const int d = lane + 32 * i;
    qr[i] = d < s.head_dim ? qh[d] * scale : 0.0f;
    acc[i] = 0.0f;
  }
  float m = -INFINITY, sum = 0.0f;
  for (int j = warp; j < n_keys; j += kAttnWarps) {
    const float* kj = K + static_cast<int64_t>(j) * kv.k_dim;
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < kPer; ++i)
      if (lane + 32 * i < s.head_dim) dot += qr[i] * kj[lane + 32 * i];
    const float sc = warp_sum(dot);
    const float m_new = fmaxf(m, sc);
    const float corr = __expf(m - m_new), p = __expf(sc - m_new);
    sum = sum * corr + p;
    const float* vj = V + static_cast<int64_t>(j) * kv.v_dim;
#pragma unroll
    for (int i = 0; i < kPer; ++i)
      if (lane + 32 * i < s.head_dim_v) acc[i] = acc[i] * corr + p * vj[lane + 32 * i];
    m = m_new;
  }
  if (lane == 0) {
    m_s[warp] = m;
    l_s[warp] = sum;
  }
#pragma unroll
  for (int i = 0; i < kPer; ++i)
    if (lane + 32 * i < s.head_dim_v) acc_s[warp][lane + 32 * i] = acc[i];
  __syncthreads();
  float m_all = -INFINITY;
  for (int w = 0; w < kAttnWarps; ++w) m_all = fmaxf(m_all, m_s[w]);
  float l_all = 0.0f, wgt[kAttnWarps];
  for (int w = 0; w < kAttnWarps; ++w) {
    wgt[w] = l_s[w] > 0.0f ? __expf(m_s[w] - m_all) : 0.0f;  // a warp without keys has m = -inf
    l_all += l_s[w] * wgt[w];
  }
  float* o = out + static_cast<size_t>(row) * out_stride + static_cast<size_t>(h) * s.head_dim_v;
  for (int d = threadIdx.x; d < s.head_dim_v; d += blockDim.x) {
    float v = 0.0f;
    for (int w = 0; w < kAttnWarps; ++w) v += acc_s[w][d] * wgt[w];
    o[d] = v / l_all;
  }
}

__global__ void silu_mul_kernel(float* g, const float* u, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    g[i] = g[i] / (1.0f + __expf(-g[i])) * u[i];
}

}  // namespace

void norm_rope_store(Launcher& l, float* q, int q_stride, const float* k, int k_stride, const float* v, int v_stride,
                     const float* q_norm, const float* k_norm, float eps, const RopeParams& rope, const KvCache& kv,
                     const AttentionShape& s, RowPlacement place, int n_rows) {
  const dim3 grid(s.n_head + 2 * s.n_head_kv, n_rows);
  norm_rope_store_kernel<<<grid, 128, 0, l.stream>>>(q, q_stride, k, k_stride, v, v_stride, q_norm, k_norm, eps, rope,
                                                      kv, s, place);
  l.launched("norm_rope_store_kernel");
}

void attention_fused(Launcher& l, const float* q, int q_stride, const KvCache& kv, const AttentionShape& s,
                     RowPlacement place, float* out, int out_stride, int n_rows) {
  attention_fused_kernel<<<dim3(s.n_head, n_rows), kAttnWarps * 32, 0, l.stream>>>(q, q_stride, kv, s, place, out,
                                                                                     out_stride);
  l.launched("attention_fused_kernel");
}

void silu_mul(Launcher& l, float* gate, const float* up, int64_t n) {
  const unsigned blocks = static_cast<unsigned>(n / 256 + 1 < 4096 ? n / 256 + 1 : 4096);
  silu_mul_kernel<<<blocks, 256, 0, l.stream>>>(gate, up, n);
  l.launched("silu_mul_kernel");
}

}  // namespace infertrace::gpu
