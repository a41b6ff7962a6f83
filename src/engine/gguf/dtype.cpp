#include "engine/gguf/dtype.h"

#include <cpuid.h>
#include <immintrin.h>

#include <cmath>

#include "engine/gguf/kquant.h"
#include "engine/gguf/legacy_quant.h"
#include "util/error.h"

namespace infertrace::gguf {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {  // inf / NaN (keep the payload)
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {  // normal
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {  // signed zero
    bits = sign;
  } else {  // subnormal: renormalise
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN (force a quiet NaN bit so NaN stays NaN)
    return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0u);
  }
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds above 65504: infinity
  if (abs < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    if (abs < 0x33000000u) return sign;  // below half of the smallest subnormal (2^-25)
    const uint32_t exp = abs >> 23;
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // 14 + (127 - exp) - 1 ... places the value in units of 2^-24
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1))) ++h;
    return sign | static_cast<uint16_t>(h);
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even (a carry
  // into the exponent is correct rounding, up to infinity handled above).
  uint32_t h = (abs - 0x38000000u) >> 13;
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) ++h;
  return sign | static_cast<uint16_t>(h);
}

uint16_t float_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

void quantize_q8_0(const float* x, BlockQ8_0* out, int64_t n) {
  for (int64_t b = 0; b < n / kQ8_0Block; ++b) {
    const float* xb = x + b * kQ8_0Block;
    float amax = 0.0f;
    for (int j = 0; j < kQ8_0Block; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = float_to_half(d);
    for (int j = 0; j < kQ8_0Block; ++j) out[b].qs[j] = static_cast<int8_t>(std::lround(xb[j] * id));
  }
}

void dequantize_q8_0(const BlockQ8_0* in, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQ8_0Block; ++b) {
    const float d = half_to_float(in[b].d);
    for (int j = 0; j < kQ8_0Block; ++j) y[b * kQ8_0Block + j] = d * static_cast<float>(in[b].qs[j]);
  }
}

namespace {
// F16C converts 8 values per instruction with the same round-to-nearest-even as float_to_half;
// used when the CPU has it (every x86-64 since 2012), the scalar code otherwise.
__attribute__((target("avx,f16c"))) void floats_to_half_f16c(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = float_to_half(x[i]);
}
__attribute__((target("avx,f16c"))) void half_to_floats_f16c(const uint16_t* in, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  for (; i < n; ++i) y[i] = half_to_float(in[i]);
}
// CPUID leaf 1: ECX bit 29 = F16C, bit 28 = AVX, bit 27 = OSXSAVE; XCR0 bits 1-2: the OS saves
// the YMM registers. (clang 14's __builtin_cpu_supports does not know "f16c".)
bool have_f16c() {
  static const bool yes = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    constexpr unsigned kNeed = (1u << 27) | (1u << 28) | (1u << 29);
    if ((c & kNeed) != kNeed) return false;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6u) == 6u;
  }();
  return yes;
}
}  // namespace

void floats_to_half(const float* x, uint16_t* out, int64_t n) {
  if (have_f16c()) return floats_to_half_f16c(x, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_half(x[i]);
}
void half_to_floats(const uint16_t* in, float* y, int64_t n) {
  if (have_f16c()) return half_to_floats_f16c(in, y, n);
  for (int64_t i = 0; i < n; ++i) y[i] = half_to_float(in[i]);
}
void floats_to_bf16(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_bf16(x[i]);
}
void bf16_to_floats(const uint16_t* in, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_float(in[i]);
}

namespace {

// Block types convert whole blocks only: a tail would be left unwritten (the reader and the writer
// already refuse such rows; this keeps a future caller from reading garbage).
void check_whole_blocks(GgmlType type, int64_t n) {
  const TypeTraits* t = type_traits(static_cast<uint32_t>(type));
  if (t && t->block_size > 1 && n % t->block_size != 0)
    throw Error(std::to_string(n) + " values are not a whole number of " + type_name(static_cast<uint32_t>(type)) +
                " blocks of " + std::to_string(t->block_size));
}

}  // namespace

void dequantize_row(GgmlType type, const void* src, float* y, int64_t n) {
  check_whole_blocks(type, n);
  switch (type) {
    case GgmlType::F32: std::memcpy(y, src, static_cast<size_t>(n) * 4); return;
    case GgmlType::F16: half_to_floats(static_cast<const uint16_t*>(src), y, n); return;
    case GgmlType::BF16: bf16_to_floats(static_cast<const uint16_t*>(src), y, n); return;
    case GgmlType::Q8_0: dequantize_q8_0(static_cast<const BlockQ8_0*>(src), y, n); return;
    case GgmlType::Q4_0: dequantize_q4_0(static_cast<const BlockQ4_0*>(src), y, n); return;
    case GgmlType::Q4_1: dequantize_q4_1(static_cast<const BlockQ4_1*>(src), y, n); return;
    case GgmlType::Q5_0: dequantize_q5_0(static_cast<const BlockQ5_0*>(src), y, n); return;
    case GgmlType::Q5_1: dequantize_q5_1(static_cast<const BlockQ5_1*>(src), y, n); return;
    case GgmlType::Q4_K: dequantize_q4_k(static_cast<const BlockQ4_K*>(src), y, n); return;
    case GgmlType::Q5_K: dequantize_q5_k(static_cast<const BlockQ5_K*>(src), y, n); return;
    case GgmlType::Q6_K: dequantize_q6_k(static_cast<const BlockQ6_K*>(src), y, n); return;
    default: throw Error("cannot convert ggml type " + type_name(static_cast<uint32_t>(type)) + " to f32");
  }
}

void quantize_row(GgmlType type, const float* x, void* dst, int64_t n) {
  check_whole_blocks(type, n);
  // The block quantizers divide by ranges: an infinity or NaN would make their scales undefined.
  if (type_traits(type).block_size > 1)
    for (int64_t i = 0; i < n; ++i)
      if (!std::isfinite(x[i])) throw Error("cannot quantize a non-finite value to " + type_name(static_cast<uint32_t>(type)));
  switch (type) {
    case GgmlType::F32: std::memcpy(dst, x, static_cast<size_t>(n) * 4); return;
    case GgmlType::F16: floats_to_half(x, static_cast<uint16_t*>(dst), n); return;
    case GgmlType::BF16: floats_to_bf16(x, static_cast<uint16_t*>(dst), n); return;
    case GgmlType::Q8_0: quantize_q8_0(x, static_cast<BlockQ8_0*>(dst), n); return;
    case GgmlType::Q4_0: quantize_q4_0(x, static_cast<BlockQ4_0*>(dst), n); return;
    case GgmlType::Q4_1: quantize_q4_1(x, static_cast<BlockQ4_1*>(dst), n); return;
    case GgmlType::Q5_0: quantize_q5_0(x, static_cast<BlockQ5_0*>(dst), n); return;
    case GgmlType::Q5_1: quantize_q5_1(x, static_cast<BlockQ5_1*>(dst), n); return;
    case GgmlType::Q4_K: quantize_q4_k(x, static_cast<BlockQ4_K*>(dst), n); return;
    case GgmlType::Q5_K: quantize_q5_k(x, static_cast<BlockQ5_K*>(dst), n); return;
    case GgmlType::Q6_K: quantize_q6_k(x, static_cast<BlockQ6_K*>(dst), n); return;
    default: throw Error("cannot store f32 as ggml type " + type_name(static_cast<uint32_t>(type)));
  }
}

}  // namespace infertrace::gguf
