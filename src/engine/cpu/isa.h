// Which SIMD instruction set the CPU kernels use. Chosen once at run time from what the CPU
// reports (cpuid), so one binary runs on any x86-64 and uses AVX2/F16C/FMA or AVX-512 where present.
// Tests and `engine run --isa` may force a lower level to compare paths against each other.
#pragma once

#include <string>

namespace infertrace::engine::cpu {

enum class Isa {
  Scalar,  // portable C++ (the reference every SIMD path is tested against)
  Avx2,    // AVX2 + FMA + F16C
  Avx512,  // AVX-512 F/BW/VL (+ F16C)
};

const char* isa_name(Isa isa);
Isa parse_isa(const std::string& name);  // "scalar", "avx2", "avx512"; throws UsageError
bool isa_supported(Isa isa);             // by this CPU and this build
Isa best_isa();                          // the highest supported level
// AVX512_VNNI (vpdpbusd, vpdpwssd): the AVX-512 level's integer prefill kernels use it when present.
bool cpu_has_avx512_vnni();
// AVX-VNNI (the same two instructions on 32-byte vectors, VEX-encoded): the AVX2 level's integer
// prefill kernels use it when present (with AVX2/FMA/F16C).
bool cpu_has_avx_vnni();
Isa active_isa();                        // what the kernels use now (best_isa() unless forced)
// Forces a level; throws Error when the CPU lacks it.
void set_active_isa(Isa isa);

}  // namespace infertrace::engine::cpu
