// AVX-VNNI integer prefill kernels (simd_int8.inc.h, traits in simd_int8_avx2.inc.h): the AVX2
// kernels with the VEX-encoded vpdpbusd / vpdpwssd on 32-byte vectors. Only called when cpuid
// reports AVX2/FMA/F16C and AVX-VNNI (isa.cpp); the AVX2 table takes them then (kernels_avx2.cpp).
// Built only where the compiler takes -mavxvnni (gcc >= 11, clang >= 12), which defines
// __AVXVNNI__ here: src/engine/CMakeLists.txt checks the flag and leaves it out otherwise, and
// this file then reports no variant (the AVX2 level runs the maddubs one on every CPU).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/legacy_layout.h"
#include "engine/gguf/kquant.h"

#if defined(__x86_64__) && defined(__AVXVNNI__)
#include <immintrin.h>

namespace infertrace::engine::cpu {
namespace {

#include "engine/cpu/simd_int8.inc.h"
#include "engine/cpu/simd_int8_avx2.inc.h"

}  // namespace

const Int8Kernels* avx_vnni_int8_kernels() {
  static const Int8Kernels k = make_int8_kernels<Avx2Int8<true>>();
  return &k;
}

}  // namespace infertrace::engine::cpu

#else
namespace infertrace::engine::cpu {
const Int8Kernels* avx_vnni_int8_kernels() { return nullptr; }
}  // namespace infertrace::engine::cpu
#endif
