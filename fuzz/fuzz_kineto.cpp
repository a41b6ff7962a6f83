// libFuzzer target: arbitrary bytes (plain or gzip) through the Kineto reader, read whole and in
// small pieces. Anything but an infertrace::Error is a bug, and so is a piece-wise reading that
// succeeds with different tables from the whole reading, or (on a CPU with AVX2) a generic-kernel
// reading that ends differently from the AVX2 one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "util/error.h"

using namespace infertrace;

namespace {

bool read(const InputBuffer& in, size_t chunk, Trace& t, kineto::ParserKernel kernel = kineto::ParserKernel::Auto) {
  try {
    kineto::ReadOptions o;
    o.chunk_bytes = chunk;
    o.kernel = kernel;
    kineto::read_kineto(in.mutable_data(), in.size(), "fuzz.json", o, t);
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const InputBuffer in = InputBuffer::from_memory(data, size, "fuzz.json");
    if (in.size() > (size_t(64) << 20)) return 0;  // a gzip bomb is not what we are looking for
    Trace whole, pieces;
    const bool ok_whole = read(in, 0, whole);
    // Piece size from the input itself, so the fuzzer explores cut positions too.
    const size_t chunk = 1 + (size ? data[size - 1] % 64 : 0);
    const bool ok_pieces = read(in, chunk, pieces);
    if (ok_whole && ok_pieces &&
        (whole.gpu.size() != pieces.gpu.size() || whole.api.size() != pieces.api.size() ||
         whole.ops.size() != pieces.ops.size() || whole.threads.size() != pieces.threads.size() ||
         whole.gpu.start != pieces.gpu.start || whole.api.correlation != pieces.api.correlation ||
         whole.ops.dur != pieces.ops.dur || whole.skipped != pieces.skipped))
      std::abort();
    if (kineto::best_parser_kernel() != kineto::ParserKernel::Generic) {
      Trace generic;
      const bool ok_generic = read(in, 0, generic, kineto::ParserKernel::Generic);
      if (ok_generic != ok_whole ||
          (ok_whole && (generic.gpu.start != whole.gpu.start || generic.api.correlation != whole.api.correlation ||
                        generic.ops.dur != whole.ops.dur || generic.skipped != whole.skipped ||
                        generic.strings.size() != whole.strings.size())))
        std::abort();
    }
  } catch (const Error&) {
  }
  return 0;
}
