#include "ingest/kineto/parser_kernel.h"

#include <simdjson.h>

#include "ingest/kineto/piece_reader.h"

namespace infertrace::kineto {

namespace {
// simdjson's own run-time check for its haswell kernel (the CPUID bits and the OS's AVX state),
// so ours always agrees with what the library's stage 1 dispatch would pick.
bool cpu_runs_haswell() {
#if INFERTRACE_KINETO_HASWELL_KERNEL
  const simdjson::implementation* impl = simdjson::get_available_implementations()["haswell"];
  return impl != nullptr && impl->supported_by_runtime_system();
#else
  return false;
#endif
}
}  // namespace

bool parser_kernel_supported(ParserKernel k) {
  switch (k) {
    case ParserKernel::Auto:
    case ParserKernel::Generic: return true;
    case ParserKernel::Haswell: {
      static const bool ok = cpu_runs_haswell();
      return ok;
    }
  }
  return false;
}

ParserKernel best_parser_kernel() {
  static const ParserKernel best =
      parser_kernel_supported(ParserKernel::Haswell) ? ParserKernel::Haswell : ParserKernel::Generic;
  return best;
}

const char* parser_kernel_option_name(ParserKernel k) {
  switch (k) {
    case ParserKernel::Auto: return "auto";
    case ParserKernel::Generic: return "generic";
    case ParserKernel::Haswell: return "haswell";
  }
  return "?";
}

}  // namespace infertrace::kineto
