// Device helpers shared by the eager and fused kernels: where a row's position and cache are, and
// RoPE angles as the CPU engine computes them (in double, so both backends rotate alike).
#pragma once

#include "gpu/engine/kernels.h"

namespace infertrace::gpu {

__device__ __forceinline__ int row_pos(const RowPlacement& p, int row) { return *p.pos + (p.prefill ? row : 0); }
__device__ __forceinline__ int row_seq(const RowPlacement& p, int row) { return p.prefill ? 0 : row; }

// cos/sin of pair i's angle at `pos` (cpu/ops.h rope_angles).
__device__ __forceinline__ void rope_cos_sin(const RopeParams& r, int pos, int i, float* c, float* s) {
  double theta = static_cast<double>(pos) * pow(static_cast<double>(r.freq_base), -2.0 * i / r.rope_dim);
  if (r.factors) theta /= r.factors[i];
  *c = static_cast<float>(cos(theta));
  *s = static_cast<float>(sin(theta));
}

// Rotates pair i of v in place (cpu/ops.h rope_apply).
__device__ __forceinline__ void rope_pair(float* v, const RopeParams& r, int pos, int i) {
  const int half = r.rope_dim / 2;
  float c, s;
  rope_cos_sin(r, pos, i, &c, &s);
  const int a = r.neox ? i : 2 * i, b = r.neox ? i + half : 2 * i + 1;
  const float x0 = v[a], x1 = v[b];
  v[a] = x0 * c - x1 * s;
  v[b] = x0 * s + x1 * c;
}

}  // namespace infertrace::gpu
