// AVX-512 + VNNI integer prefill kernels (simd_int8.inc.h, traits in simd_int8_avx512.inc.h).
// Only called when cpuid reports AVX-512 F/BW/VL and AVX512_VNNI (isa.cpp).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/legacy_layout.h"
#include "engine/gguf/kquant.h"

#if defined(__x86_64__)
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace infertrace::engine::cpu {
namespace {

#include "engine/cpu/simd_int8.inc.h"
#include "engine/cpu/simd_int8_avx512.inc.h"

}  // namespace

const Int8Kernels& avx512_vnni_int8_kernels() {
  static const Int8Kernels k = make_int8_kernels<Avx512Int8<true>>();
  return k;
}

}  // namespace infertrace::engine::cpu

#else
namespace infertrace::engine::cpu {
const Int8Kernels& avx512_vnni_int8_kernels() { return scalar_int8_kernels(); }
}  // namespace infertrace::engine::cpu
#endif
