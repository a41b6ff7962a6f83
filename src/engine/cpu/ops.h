// The element-wise and per-vector operations of a transformer layer, in F32. They are a small
// share of the time (matrix products dominate), so they are plain loops the compiler vectorises.
#pragma once

#include <cstdint>

namespace infertrace::engine::cpu {

// y = x / sqrt(mean(x^2) + eps) * w   (y may alias x)
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);

// Rotary position embedding of one head vector at position `pos`, as llama.cpp applies it:
// pair i of the rope_dim rotated dimensions turns by pos * base^(-2i/rope_dim) / factor[i]
// (factor = rope_freqs, nullptr for 1). `neox`: pairs (i, i + rope_dim/2), else (2i, 2i+1).
// Dimensions past rope_dim are left alone.
// The angles depend only on the position, so they are computed once per token (rope_angles)
// and applied to every head of every layer (rope_apply). cos_sin holds rope_dim values:
// cos of pair i at [i], sin at [rope_dim/2 + i].
void rope_angles(int64_t rope_dim, int64_t pos, float base, const float* factors, float* cos_sin);
void rope_apply(float* v, int64_t rope_dim, const float* cos_sin, bool neox);

// In-place softmax over n values (max-subtracted).
void softmax(float* x, int64_t n);

// y += a * x
void axpy(float a, const float* x, float* y, int64_t n);

// gate = silu(gate) * up, silu(x) = x / (1 + e^-x)
void silu_mul(float* gate, const float* up, int64_t n);

}  // namespace infertrace::engine::cpu
