// Which build of simdjson's on-demand code parses Kineto JSON. simdjson's on-demand API is
// compiled into our code from its header, for the instruction set of the file that includes it;
// a generic x86-64 build would get only simdjson's portable "fallback" kernel. The reader is
// therefore compiled twice (piece_reader_generic.cpp, piece_reader_haswell.cpp) and one of the two
// is chosen once, at run time, from what the CPU supports.
#pragma once

#include <cstdint>

namespace infertrace::kineto {

enum class ParserKernel : uint8_t {
  Auto = 0,  // the best this CPU runs (chosen once per process)
  Generic,   // compiled for the build's target (simdjson "fallback" on plain x86-64)
  Haswell,   // AVX2 + BMI1 + PCLMULQDQ + LZCNT (x86-64 GCC builds only, see piece_reader.h)
};

// True when this binary holds the kernel and this CPU can run it (Auto and Generic always).
bool parser_kernel_supported(ParserKernel k);
// Auto resolved: Haswell where supported, else Generic. CPUID is asked once.
ParserKernel best_parser_kernel();
// "generic" / "haswell" (what the user asks for), for messages and options.
const char* parser_kernel_option_name(ParserKernel k);

}  // namespace infertrace::kineto
