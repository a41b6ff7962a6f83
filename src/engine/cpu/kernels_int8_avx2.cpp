// AVX2 integer prefill kernels (simd_int8.inc.h, traits in simd_int8_avx2.inc.h): 32-byte
// vectors, vpmaddubsw + vpmaddwd. Only called when cpuid reports AVX2/FMA/F16C (isa.cpp) and not
// AVX-VNNI: a CPU with AVX-VNNI and no AVX-512 (Xeon 6 E-core "Sierra Forest", Alder Lake and later
// client cores) runs kernels_int8_avx_vnni.cpp's vpdpbusd variant of these kernels in its AVX2
// table instead (kernels_avx2.cpp); one with AVX-512 runs its 512-bit tables unless an AVX2 run
// is forced (`--isa avx2`).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/cpu/kernel_table.h"
#include "engine/cpu/legacy_layout.h"
#include "engine/gguf/kquant.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace infertrace::engine::cpu {
namespace {

#include "engine/cpu/simd_int8.inc.h"
#include "engine/cpu/simd_int8_avx2.inc.h"

}  // namespace

const Int8Kernels& avx2_int8_kernels() {
  static const Int8Kernels k = make_int8_kernels<Avx2Int8<false>>();
  return k;
}

}  // namespace infertrace::engine::cpu

#else
namespace infertrace::engine::cpu {
const Int8Kernels& avx2_int8_kernels() { return scalar_int8_kernels(); }
}  // namespace infertrace::engine::cpu
#endif
