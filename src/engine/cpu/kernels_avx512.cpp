// AVX-512 F/BW/VL kernels (16 floats per register). Only called when cpuid reports them.
#include <cstdint>
#include <cstring>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/legacy_layout.h"
#include "engine/gguf/kquant.h"

#if defined(__x86_64__)
// The ISA flags come from src/engine/CMakeLists.txt (per-file compile options, which GCC and
// clang both honour); only these kernels are built for it, and only called after the cpuid check.
// GCC 12's avx512fintrin.h starts several intrinsics from _mm512_undefined_*(), which its own
// -Wuninitialized flags at every use (a known false positive); silenced for this file only.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace infertrace::engine::cpu {
namespace {

struct Avx512 {
  using reg = __m512;
  static constexpr int W = 16;
  static constexpr int kGemmTokens = 6;  // 4 x 6 accumulators + 7 operands in the 32 registers
  static reg zero() { return _mm512_setzero_ps(); }
  static reg set1(float f) { return _mm512_set1_ps(f); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg load_f16(const uint8_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static reg load_bf16(const uint8_t* p) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }
  static reg load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  // An empty asm that claims to change v: the compiler must hold v in a register (see gemm_n).
  static void keep(reg& v) { asm("" : "+v"(v)); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  // 32-bit integer lanes, for unpacking the K-quants' bit fields (W bytes widened per load).
  using ireg = __m512i;
  static ireg load_u8(const uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static ireg iand(ireg a, int m) { return _mm512_and_si512(a, _mm512_set1_epi32(m)); }
  static ireg ior(ireg a, ireg b) { return _mm512_or_si512(a, b); }
  static ireg isub(ireg a, int k) { return _mm512_sub_epi32(a, _mm512_set1_epi32(k)); }
  static ireg shr(ireg a, int c) { return _mm512_srl_epi32(a, _mm_cvtsi32_si128(c)); }
  static ireg shl(ireg a, int c) { return _mm512_sll_epi32(a, _mm_cvtsi32_si128(c)); }
  // simd_legacy.inc.h: float(i) - off in lane i; table[a & 15] per lane (vpermps reads only the
  // index's low 4 bits); a + b in the lanes whose bit of `bits` is set (bit i for lane i).
  static constexpr bool kLut16 = true;
  static reg iota16_minus(float off) {
    return _mm512_sub_ps(_mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_ps(off));
  }
  static reg lut16(ireg a, reg table) { return _mm512_permutexvar_ps(a, table); }
  static reg add_where(reg a, uint32_t bits, reg b) {
    return _mm512_mask_add_ps(a, static_cast<__mmask16>(bits & 0xffffu), a, b);
  }
  static reg cvt(ireg a) { return _mm512_cvtepi32_ps(a); }
  // float(a & 15) in one permute: vpermps reads only an index's low 4 bits, and the table holds
  // 0..15 (exact), so the and before the conversion is not needed.
  static reg low_nibble_f(ireg a) {
    return _mm512_permutexvar_ps(a, _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  }
  // set1(*p) as a broadcast load: GCC otherwise forwards a just-stored float array into vpermd
  // shuffles (one port-5 uop per scale, seen in perf annotate) instead of a free load.
  static reg bcast(const float* p) {
    reg r;
    asm("vbroadcastss %1, %0" : "=v"(r) : "m"(*p));
    return r;
  }
  static float hsum(reg v) { return _mm512_reduce_add_ps(v); }
};

#include "engine/cpu/simd_kernels.inc.h"

}  // namespace

const KernelTable& avx512_kernels() {
  static const KernelTable t =
      make_table<Avx512>(cpu_has_avx512_vnni() ? &avx512_vnni_int8_kernels() : &avx512_int8_kernels());
  return t;
}

}  // namespace infertrace::engine::cpu

#else
namespace infertrace::engine::cpu {
const KernelTable& avx512_kernels() { return scalar_kernels(); }
}  // namespace infertrace::engine::cpu
#endif
