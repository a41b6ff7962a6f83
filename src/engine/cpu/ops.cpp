#include "engine/cpu/ops.h"
#include "util/compiler.h"

#include <cmath>

namespace infertrace::engine::cpu {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double ss = 0;  // double: the mean of squares of 1-3k values must not depend on summation order
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void rope_angles(int64_t rope_dim, int64_t pos, float base, const float* factors, float* cos_sin) {
  const int64_t half = rope_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    double theta = static_cast<double>(pos) * std::pow(static_cast<double>(base), -2.0 * i / rope_dim);
    if (factors) theta /= factors[i];
    cos_sin[i] = static_cast<float>(std::cos(theta));
    cos_sin[half + i] = static_cast<float>(std::sin(theta));
  }
}

void rope_apply(float* v, int64_t rope_dim, const float* cos_sin, bool neox) {
  const int64_t half = rope_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float c = cos_sin[i], s = cos_sin[half + i];
    const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
  }
}

void softmax(float* x, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

// O3 so that this loop (attention's weighted sum of values) is vectorised at the baseline ISA.
INFERTRACE_HOT_LOOP void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace infertrace::engine::cpu
