#include "engine/cpu/isa.h"

#include <atomic>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "util/error.h"

namespace infertrace::engine::cpu {

namespace {
// F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does not know "f16c".
bool cpu_has_f16c() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
#else
  return false;
#endif
}
bool cpu_has_avx2() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
#else
  return false;
#endif
}
bool cpu_has_avx512() {
#if defined(__x86_64__)
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

// CPUID leaf 7, sub-leaf 0, ECX bit 11 (read directly, like F16C above).
bool cpuid_avx512_vnni() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 11)) != 0;
#else
  return false;
#endif
}

// CPUID leaf 7, sub-leaf 1, EAX bit 4: AVX-VNNI (the VEX-encoded vpdpbusd / vpdpwssd on 16- and
// 32-byte vectors). Sub-leaf 1 exists where leaf 7's sub-leaf 0 reports it in EAX (the highest
// sub-leaf); older CPUs may return anything for it.
bool cpuid_avx_vnni() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || eax < 1) return false;
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)) != 0;
#else
  return false;
#endif
}

std::atomic<int>& forced() {
  static std::atomic<int> v{-1};
  return v;
}
}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

Isa parse_isa(const std::string& name) {
  if (name == "scalar") return Isa::Scalar;
  if (name == "avx2") return Isa::Avx2;
  if (name == "avx512") return Isa::Avx512;
  throw UsageError("--isa " + name + ": expected scalar, avx2 or avx512");
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return true;
    case Isa::Avx2: return cpu_has_avx2();
    case Isa::Avx512: return cpu_has_avx512();
  }
  return false;
}

Isa best_isa() {
  // Decided once: active_isa() runs on every matrix product, and CPUID traps to the hypervisor
  // in a VM (measured: re-querying it took a third of decode time).
  static const Isa best = isa_supported(Isa::Avx512) ? Isa::Avx512
                          : isa_supported(Isa::Avx2) ? Isa::Avx2
                                                     : Isa::Scalar;
  return best;
}

bool cpu_has_avx512_vnni() {
  static const bool has = cpu_has_avx512() && cpuid_avx512_vnni();
  return has;
}

bool cpu_has_avx_vnni() {
  static const bool has = cpu_has_avx2() && cpuid_avx_vnni();
  return has;
}

Isa active_isa() {
  const int f = forced().load(std::memory_order_relaxed);
  return f < 0 ? best_isa() : static_cast<Isa>(f);
}

void set_active_isa(Isa isa) {
  if (!isa_supported(isa)) throw Error(std::string("this CPU does not support the ") + isa_name(isa) + " kernels");
  forced().store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace infertrace::engine::cpu
