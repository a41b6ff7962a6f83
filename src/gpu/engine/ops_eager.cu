// The eager mode's kernels: one elementary operation each, per head where a straightforward port
// loops over heads on the host (q/k RMSNorm, RoPE), attention as scores / softmax / weighted sum.
#include "gpu/engine/kernels.h"
#include "gpu/engine/row_math.cuh"
#include "gpu/engine/weight_load.cuh"

namespace infertrace::gpu {

namespace {

// One warp per row: head `head` of row blockIdx.x, in place.
__global__ void rms_norm_head_kernel(float* x, int stride, int head, int head_dim, const float* __restrict__ w,
                                     float eps) {
  float* v = x + static_cast<size_t>(blockIdx.x) * stride + static_cast<size_t>(head) * head_dim;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < head_dim; i += 32) ss += v[i] * v[i];
  ss = warp_sum(ss);
  const float scale = rsqrtf(ss / head_dim + eps);
  for (int i = threadIdx.x; i < head_dim; i += 32) v[i] = v[i] * scale * w[i];
}

__global__ void rope_head_kernel(float* x, int stride, int head, int head_dim, RopeParams rope, RowPlacement place) {
  float* v = x + static_cast<size_t>(blockIdx.x) * stride + static_cast<size_t>(head) * head_dim;
  const int pos = row_pos(place, blockIdx.x);
  for (int i = threadIdx.x; i < rope.rope_dim / 2; i += blockDim.x) rope_pair(v, rope, pos, i);
}

__global__ void store_rows_kernel(const float* src, int src_stride, int dim, float* cache, int64_t seq_stride,
                                  RowPlacement place) {
  const float* s = src + static_cast<size_t>(blockIdx.x) * src_stride;
  float* d = cache + row_seq(place, blockIdx.x) * seq_stride + static_cast<int64_t>(row_pos(place, blockIdx.x)) * dim;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) d[i] = s[i];
}

// grid (head, row): scores[row][head][j] = q . K[j] / sqrt(head_dim) for the row's keys.
__global__ void attention_scores_kernel(const float* q, int q_stride, KvCache kv, AttentionShape s, RowPlacement place,
                                        float* scores) {
  const int h = blockIdx.x, row = blockIdx.y, kvh = h / (s.n_head / s.n_head_kv);
  const int n_keys = row_pos(place, row) + 1;
  const float* qh = q + static_cast<size_t>(row) * q_stride + static_cast<size_t>(h) * s.head_dim;
  const float* K = kv.k + row_seq(place, row) * kv.seq_stride + static_cast<size_t>(kvh) * s.head_dim;
  float* out = scores + (static_cast<size_t>(row) * s.n_head + h) * s.n_ctx;
  const float scale = rsqrtf(static_cast<float>(s.head_dim));
  for (int j = threadIdx.x; j < n_keys; j += blockDim.x) {
    const float* kj = K + static_cast<size_t>(j) * kv.k_dim;
    float dot = 0.0f;
    for (int i = 0; i < s.head_dim; ++i) dot += qh[i] * kj[i];
    out[j] = dot * scale;
  }
}

__global__ void attention_softmax_kernel(float* scores, AttentionShape s, RowPlacement place) {
  __shared__ float scratch[32];
  const int h = blockIdx.x, row = blockIdx.y, n_keys = row_pos(place, row) + 1;
  float* sc = scores + (static_cast<size_t>(row) * s.n_head + h) * s.n_ctx;
  float mx = -INFINITY;
  for (int j = threadIdx.x; j < n_keys; j += blockDim.x) mx = fmaxf(mx, sc[j]);
  mx = block_max(mx, scratch);
  float sum = 0.0f;
  for (int j = threadIdx.x; j < n_keys; j += blockDim.x) {
    sc[j] = __expf(sc[j] - mx);
    sum += sc[j];
  }
  sum = block_sum(sum, scratch);
  const float inv = 1.0f / sum;
  for (int j = threadIdx.x; j < n_keys; j += blockDim.x) sc[j] *= inv;
}

__global__ void attention_values_kernel(const float* scores, KvCache kv, AttentionShape s, RowPlacement place,
                                        float* out, int out_stride) {
  const int h = blockIdx.x, row = blockIdx.y, kvh = h / (s.n_head / s.n_head_kv);
  const int n_keys = row_pos(place, row) + 1;
  const float* sc = scores + (static_cast<size_t>(row) * s.n_head + h) * s.n_ctx;
  const float* V = kv.v + row_seq(place, row) * kv.seq_stride + static_cast<size_t>(kvh) * s.head_dim_v;
  float* o = out + static_cast<size_t>(row) * out_stride + static_cast<size_t>(h) * s.head_dim_v;
  for (int i = threadIdx.x; i < s.head_dim_v; i += blockDim.x) {
    float acc = 0.0f;
    for (int j = 0; j < n_keys; ++j) acc += sc[j] * V[static_cast<size_t>(j) * kv.v_dim + i];
    o[i] = acc;
  }
}

__global__ void add_kernel(float* x, const float* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] += y[i];
}
__global__ void silu_kernel(float* x, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] = x[i] / (1.0f + __expf(-x[i]));
}
__global__ void mul_kernel(float* x, const float* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] *= y[i];
}

unsigned elementwise_blocks(int64_t n) { return static_cast<unsigned>(n / 256 + 1 < 4096 ? n / 256 + 1 : 4096); }

}  // namespace

void rms_norm_head(Launcher& l, float* x, int stride, int head, int head_dim, const float* w, int n_rows, float eps) {
  rms_norm_head_kernel<<<n_rows, 32, 0, l.stream>>>(x, stride, head, head_dim, w, eps);
  l.launched("rms_norm_head_kernel");
}

void rope_head(Launcher& l, float* x, int stride, int head, int head_dim, const RopeParams& rope, RowPlacement place,
               int n_rows) {
  rope_head_kernel<<<n_rows, 64, 0, l.stream>>>(x, stride, head, head_dim, rope, place);
  l.launched("rope_head_kernel");
}

void store_rows(Launcher& l, const float* src, int src_stride, int dim, float* cache, int64_t seq_stride,
                RowPlacement place, int n_rows) {
  store_rows_kernel<<<n_rows, 128, 0, l.stream>>>(src, src_stride, dim, cache, seq_stride, place);
  l.launched("store_rows_kernel");
}

void attention_scores(Launcher& l, const float* q, int q_stride, const KvCache& kv, const AttentionShape& s,
                      RowPlacement place, float* scores, int n_rows) {
  attention_scores_kernel<<<dim3(s.n_head, n_rows), 128, 0, l.stream>>>(q, q_stride, kv, s, place, scores);
  l.launched("attention_scores_kernel");
}

void attention_softmax(Launcher& l, float* scores, const AttentionShape& s, RowPlacement place, int n_rows) {
  attention_softmax_kernel<<<dim3(s.n_head, n_rows), 256, 0, l.stream>>>(scores, s, place);
  l.launched("attention_softmax_kernel");
}

void attention_values(Launcher& l, const float* scores, const KvCache& kv, const AttentionShape& s, RowPlacement place,
                      float* out, int out_stride, int n_rows) {
  attention_values_kernel<<<dim3(s.n_head, n_rows), 128, 0, l.stream>>>(scores, kv, s, place, out, out_stride);
  l.launched("attention_values_kernel");
}

void add_rows(Launcher& l, float* x, const float* y, int64_t n) {
  add_kernel<<<elementwise_blocks(n), 256, 0, l.stream>>>(x, y, n);
  l.launched("add_kernel");
}
void silu_inplace(Launcher& l, float* x, int64_t n) {
  silu_kernel<<<elementwise_blocks(n), 256, 0, l.stream>>>(x, n);
  l.launched("silu_kernel");
}
void mul_inplace(Launcher& l, float* x, const float* y, int64_t n) {
  mul_kernel<<<elementwise_blocks(n), 256, 0, l.stream>>>(x, y, n);
  l.launched("mul_kernel");
}

}  // namespace infertrace::gpu
