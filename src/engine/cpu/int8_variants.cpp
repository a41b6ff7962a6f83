// Which integer prefill variants a level can run here (kernel_table.h): the level's table takes
// the first (kernels_avx2.cpp, kernels_avx512.cpp make the same cpuid choice), tests and
// benchmarks drive each through matmul_rows_variant.
#include "engine/cpu/kernel_table.h"

namespace infertrace::engine::cpu {

std::vector<const Int8Kernels*> int8_variants(Isa isa) {
  std::vector<const Int8Kernels*> v;
  if (!isa_supported(isa)) return v;
  switch (isa) {
    case Isa::Scalar:
      v.push_back(&scalar_int8_kernels());
      break;
    case Isa::Avx2:
      if (cpu_has_avx_vnni() && avx_vnni_int8_kernels() != nullptr) v.push_back(avx_vnni_int8_kernels());
      v.push_back(&avx2_int8_kernels());
      break;
    case Isa::Avx512:
      if (cpu_has_avx512_vnni()) v.push_back(&avx512_vnni_int8_kernels());
      v.push_back(&avx512_int8_kernels());
      break;
  }
  return v;
}

}  // namespace infertrace::engine::cpu
