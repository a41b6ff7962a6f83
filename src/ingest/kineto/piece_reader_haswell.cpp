// The Kineto reader's simdjson part compiled for AVX2 (simdjson's "haswell" on-demand kernel),
// used only when the CPU has AVX2, BMI1, PCLMULQDQ and LZCNT (parser_kernel.cpp).
//
// The instruction set is raised with a target region around simdjson and our parsing code, not
// with -mavx2 on the whole file: every standard-library and project header is included first,
// outside the region, so the inline functions and templates they define (which the linker may
// share with generic files) stay generic code that runs on any x86-64. What the region defines is
// in simdjson::haswell and infertrace::kineto::haswell_kernel, names no other file defines.
#include "ingest/kineto/piece_reader.h"

#if INFERTRACE_KINETO_HASWELL_KERNEL

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cassert>
#include <cfloat>
#include <cinttypes>
#include <climits>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iomanip>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <ostream>
#include <ranges>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <immintrin.h>

#include "ingest/kineto/event_sink.h"
#include "ingest/kineto/json_number.h"
#include "ingest/kineto/key_cache.h"
#include "ingest/kineto/piece_reader.h"
#include "ingest/kineto/structure_scan.h"
#include "util/error.h"

// simdjson compiles its on-demand code only for its "builtin" kernel; name it instead of letting
// the header pick one from the file's compiler flags.
#define SIMDJSON_BUILTIN_IMPLEMENTATION haswell
// simdjson forces every one of its functions inline (always_inline). Inside the target region that
// cannot work where a generic standard template calls into simdjson (std::pair's constructor
// building an ondemand::field): a generic function cannot inline AVX2 code. Plain `inline` lets
// the compiler call those out of line; the hot paths are inlined anyway (same target).
#define simdjson_inline inline

#pragma GCC push_options
#pragma GCC target("avx2,bmi,pclmul,lzcnt,popcnt")

#include <simdjson.h>

#define INFERTRACE_KINETO_KERNEL_NS haswell_kernel
// GCC does not define __AVX2__ inside a target region in C++; the direct event scan is told here.
#define INFERTRACE_KINETO_SCAN_AVX2 1
#include "ingest/kineto/piece_reader_impl.h"

#pragma GCC pop_options

#endif  // INFERTRACE_KINETO_HASWELL_KERNEL
