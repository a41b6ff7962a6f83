// libFuzzer target: arbitrary bytes (plain or gzip) through the Kineto reader, read whole and in
// small pieces. Anything but an infertrace::Error is a bug, and so is a piece-wise reading that
// succeeds with different tables from the whole reading, or (on a CPU with AVX2) a generic-kernel
// reading that ends differently from the AVX2 one, or a piece-wise reading with the direct event
// scan (kineto/event_scan_impl.h) that ends differently from one with simdjson on-demand alone.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "util/error.h"

using namespace infertrace;

namespace {

bool read(const InputBuffer& in, size_t chunk, Trace& t, kineto::ParserKernel kernel = kineto::ParserKernel::Auto,
          bool direct_scan = true, std::string* error = nullptr) {
  try {
    kineto::ReadOptions o;
    o.chunk_bytes = chunk;
    o.kernel = kernel;
    o.direct_scan = direct_scan;
    kineto::read_kineto(in.mutable_data(), in.size(), "fuzz.json", o, t);
    return true;
  } catch (const Error& e) {
    if (error) *error = e.what();
    return false;
  }
}

bool same_tables(const Trace& a, const Trace& b) {
  return a.gpu.start == b.gpu.start && a.gpu.dur == b.gpu.dur && a.gpu.correlation == b.gpu.correlation &&
         a.gpu.external_id == b.gpu.external_id && a.gpu.stream == b.gpu.stream && a.api.start == b.api.start &&
         a.api.dur == b.api.dur && a.api.correlation == b.api.correlation && a.api.tid == b.api.tid &&
         a.ops.start == b.ops.start && a.ops.dur == b.ops.dur && a.ops.external_id == b.ops.external_id &&
         a.gpu.name == b.gpu.name && a.gpu.device == b.gpu.device && a.gpu.grid_x == b.gpu.grid_x &&
         a.gpu.block_z == b.gpu.block_z && a.api.name == b.api.name && a.ops.name == b.ops.name && a.ops.pid == b.ops.pid &&
         a.threads.size() == b.threads.size() && a.skipped == b.skipped && a.strings.size() == b.strings.size();
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
    std::string error_pieces;
    const bool ok_pieces = read(in, chunk, pieces, kineto::ParserKernel::Auto, true, &error_pieces);
    // The direct event scan (on in every reading above) against simdjson on-demand alone: the same
    // tables, or the same error message.
    Trace on_demand;
    std::string error_on_demand;
    const bool ok_on_demand = read(in, chunk, on_demand, kineto::ParserKernel::Auto, false, &error_on_demand);
    if (ok_on_demand != ok_pieces || error_on_demand != error_pieces || (ok_pieces && !same_tables(pieces, on_demand)))
      std::abort();
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
