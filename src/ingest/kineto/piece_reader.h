// The part of the Kineto reader that runs simdjson: parse the whole document, or the pieces
// between `cuts` (see kineto_reader.h), and fill `out`. Compiled once per parser kernel
// (parser_kernel.h), each copy in a namespace of its own so the two never mix at link time.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ingest/kineto/kineto_reader.h"
#include "trace/trace.h"

namespace infertrace::kineto {

namespace generic_kernel {
void read_pieces(char* data, size_t size, const std::string& file, const ReadOptions& opts, bool object_form,
                 const std::vector<size_t>& cuts, Trace& out);
// simdjson's name for the on-demand kernel this copy was compiled with ("fallback", "haswell", ...).
const char* simdjson_kernel_name();
}  // namespace generic_kernel

// The AVX2 copy needs GCC's target regions (piece_reader_haswell.cpp). Clang's equivalent
// (`#pragma clang attribute push(target)`) compiled but the copy crashed at run time in the fuzz
// build (clang 14), so clang builds carry the generic copy only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define INFERTRACE_KINETO_HASWELL_KERNEL 1
#else
#define INFERTRACE_KINETO_HASWELL_KERNEL 0
#endif

#if INFERTRACE_KINETO_HASWELL_KERNEL
namespace haswell_kernel {
void read_pieces(char* data, size_t size, const std::string& file, const ReadOptions& opts, bool object_form,
                 const std::vector<size_t>& cuts, Trace& out);
const char* simdjson_kernel_name();
}  // namespace haswell_kernel
#endif

}  // namespace infertrace::kineto
