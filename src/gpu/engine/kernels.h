// Host-side entry points of the CUDA engine's kernels (each .cu file defines its kernels and the
// functions below that launch them). Every launch goes through a Launcher, which checks the
// launch and counts it: the count per decode step is what `engine run` prints and the GPU test
// compares with launch_model.h. Row-major F32 activations; `stride` = floats between rows.
// Included by CUDA sources: C++17 only.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "engine/gguf/ggml_type.h"

namespace infertrace::gpu {

// Throws Error("engine run --backend cuda: <what>: <CUDA's message>") unless e is cudaSuccess.
void cuda_check(cudaError_t e, const char* what);

struct Launcher {
  cudaStream_t stream = nullptr;
  int64_t launches = 0;
  // Called right after each <<<>>>: a launch error is named, the launch counted.
  void launched(const char* kernel);
};

// A weight matrix on the device: rows of `cols` values of `type` (F32, F16 or BF16), contiguous.
struct DeviceMatrix {
  const void* data = nullptr;
  gguf::GgmlType type = gguf::GgmlType::F32;
  int rows = 0, cols = 0;
};

// ---- matrix-vector products (decode): one warp per row, 16-byte weight loads -------------------
// y_seg[b * y_stride + r] (=, +=) sum_k W_seg[r][k] x[b * x_stride + k] for b < n_vec, over up to
// three matrices of the same type and width in one launch (QKV). SwiGLU: one matrix `w` (gate)
// and `up`: y = silu(gate x) * (up x).
enum class Epilogue { Store, Add, SwiGLU };
struct MatvecSegment {
  DeviceMatrix w;
  float* y = nullptr;
  int y_stride = 0;
};
void matvec(Launcher& l, const MatvecSegment* segs, int n_segs, const float* x, int x_stride, int n_vec, Epilogue epi,
            const DeviceMatrix* up = nullptr);

// ---- matrix-matrix product (prefill): Y[t][r] (=, +=) sum_k X[t][k] W[r][k], tiled ------------
void gemm(Launcher& l, const DeviceMatrix& w, const float* x, int x_stride, int n_tok, float* y, int y_stride,
          bool accumulate);

// ---- small operations --------------------------------------------------------------------------
// x[t] = row tokens[t] of the embedding table, as F32.
void embed(Launcher& l, const DeviceMatrix& table, const int32_t* tokens, int n, float* x);
// y[r] = rmsnorm(x[r]) * w for n_rows rows of n values.
void rms_norm_rows(Launcher& l, const float* x, int x_stride, const float* w, float* y, int y_stride, int n_rows,
                   int n, float eps);
// Where a row's position and KV cache are: decode rows are sequences (position *pos); prefill rows
// are tokens of sequence 0 (positions *pos + row).
struct RowPlacement {
  const int* pos = nullptr;  // device: positions before this step
  bool prefill = false;
};
struct KvCache {
  float* k = nullptr;  // layer's K of sequence 0; [n_ctx][k_dim]
  float* v = nullptr;  // layer's V of sequence 0; [n_ctx][v_dim]
  int64_t seq_stride = 0;  // floats from one sequence's cache to the next
  int k_dim = 0, v_dim = 0;
};
struct RopeParams {
  int rope_dim = 0;
  float freq_base = 10000.0f;
  const float* factors = nullptr;  // device, rope_dim/2 or nullptr
  bool neox = false;
};

// eager: per-head RMSNorm and RoPE (one head of every row per launch), K/V stores, attention in
// three kernels (scores, softmax, weighted values), element-wise add / SiLU / multiply.
void rms_norm_head(Launcher& l, float* x, int stride, int head, int head_dim, const float* w, int n_rows, float eps);
void rope_head(Launcher& l, float* x, int stride, int head, int head_dim, const RopeParams& rope, RowPlacement place,
               int n_rows);
void store_rows(Launcher& l, const float* src, int src_stride, int dim, float* cache, int64_t seq_stride,
                RowPlacement place, int n_rows);
struct AttentionShape {
  int n_head = 0, n_head_kv = 0, head_dim = 0, head_dim_v = 0, n_ctx = 0;
};
void attention_scores(Launcher& l, const float* q, int q_stride, const KvCache& kv, const AttentionShape& s,
                      RowPlacement place, float* scores, int n_rows);
void attention_softmax(Launcher& l, float* scores, const AttentionShape& s, RowPlacement place, int n_rows);
void attention_values(Launcher& l, const float* scores, const KvCache& kv, const AttentionShape& s, RowPlacement place,
                      float* out, int out_stride, int n_rows);
void add_rows(Launcher& l, float* x, const float* y, int64_t n);
void silu_inplace(Launcher& l, float* x, int64_t n);
void mul_inplace(Launcher& l, float* x, const float* y, int64_t n);

// fused: for every head of every row, (qwen3) RMSNorm of q and k, RoPE, and K/V into the cache.
void norm_rope_store(Launcher& l, float* q, int q_stride, const float* k, int k_stride, const float* v, int v_stride,
                     const float* q_norm, const float* k_norm, float eps, const RopeParams& rope, const KvCache& kv,
                     const AttentionShape& s, RowPlacement place, int n_rows);
// One block per (head, row): online softmax over the row's keys, GQA, causal.
void attention_fused(Launcher& l, const float* q, int q_stride, const KvCache& kv, const AttentionShape& s,
                     RowPlacement place, float* out, int out_stride, int n_rows);
// gate = silu(gate) * up, n values (prefill's SwiGLU after its two products).
void silu_mul(Launcher& l, float* gate, const float* up, int64_t n);

}  // namespace infertrace::gpu
