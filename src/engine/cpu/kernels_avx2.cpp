// AVX2 + FMA + F16C kernels (8 floats per register). Only called when cpuid reports all three.
#include <cstdint>
#include <cstring>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/legacy_layout.h"
#include "engine/gguf/kquant.h"

#if defined(__x86_64__)
// The ISA flags come from src/engine/CMakeLists.txt (per-file compile options, which GCC and
// clang both honour); only these kernels are built for it, and only called after the cpuid check.
#include <immintrin.h>

namespace infertrace::engine::cpu {
namespace {

struct Avx2 {
  using reg = __m256;
  static constexpr int W = 8;
  static constexpr int kGemmTokens = 3;  // 4 x 3 accumulators + operands fill the 16 registers
  static reg zero() { return _mm256_setzero_ps(); }
  static reg set1(float f) { return _mm256_set1_ps(f); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg load_f16(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static reg load_bf16(const uint8_t* p) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static reg load_i8(const int8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static void keep(reg&) {}  // no spare register for a pinned weight vector in the 4 x 3 tile
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  // 32-bit integer lanes, for unpacking the K-quants' bit fields (W bytes widened per load).
  using ireg = __m256i;
  static ireg load_u8(const uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static ireg iand(ireg a, int m) { return _mm256_and_si256(a, _mm256_set1_epi32(m)); }
  static ireg ior(ireg a, ireg b) { return _mm256_or_si256(a, b); }
  static ireg isub(ireg a, int k) { return _mm256_sub_epi32(a, _mm256_set1_epi32(k)); }
  static ireg shr(ireg a, int c) { return _mm256_srl_epi32(a, _mm_cvtsi32_si128(c)); }
  static ireg shl(ireg a, int c) { return _mm256_sll_epi32(a, _mm_cvtsi32_si128(c)); }
  static constexpr bool kLut16 = false;  // no 16-entry float permute (simd_legacy.inc.h)
  // Lane i: bit i of bits (0 or 1); the Q5 types' fifth bits (simd_legacy.inc.h).
  static ireg bit_lanes(uint32_t bits) {
    const __m256i v =
        _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(bits)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_and_si256(v, _mm256_set1_epi32(1));
  }
  static reg cvt(ireg a) { return _mm256_cvtepi32_ps(a); }
  static reg low_nibble_f(ireg a) { return cvt(iand(a, 15)); }  // float(a & 15)
  // set1(*p) as a broadcast load: GCC otherwise forwards a just-stored float array into vpermd
  // shuffles (one port-5 uop per scale, seen in perf annotate) instead of a free load.
  static reg bcast(const float* p) {
    reg r;
    asm("vbroadcastss %1, %0" : "=x"(r) : "m"(*p));
    return r;
  }
  static float hsum(reg v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

#include "engine/cpu/simd_kernels.inc.h"

}  // namespace

const KernelTable& avx2_kernels() {
  // AVX-VNNI's vpdpbusd variant of the integer kernels where the CPU has it (isa.cpp) and the
  // compiler built it: on a CPU with AVX-512 this table runs only when forced (`--isa avx2`), and
  // then it takes AVX-VNNI too.
  const Int8Kernels* vnni = cpu_has_avx_vnni() ? avx_vnni_int8_kernels() : nullptr;
  static const KernelTable t = make_table<Avx2>(vnni ? vnni : &avx2_int8_kernels());
  return t;
}

}  // namespace infertrace::engine::cpu

#else
namespace infertrace::engine::cpu {
const KernelTable& avx2_kernels() { return scalar_kernels(); }
}  // namespace infertrace::engine::cpu
#endif
