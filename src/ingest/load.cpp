#include "ingest/load.h"
#include "ingest/recording/recording_reader.h"

#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "util/error.h"

namespace infertrace {

Trace load_trace(const std::string& path, const LoadOptions& opts) {
  // gzip is undone here by its magic bytes, so every format below sees plain bytes.
  // Pages are mapped as the reader needs them: a Kineto document read in pieces maps and drops
  // one piece at a time (kineto_reader.h, ReadOptions::release_input).
  const InputBuffer in = InputBuffer::open(path, /*prefault=*/false);
  Trace t;
  t.file = path;

  // An infertrace recording (.itrace) is recognised from its content, before the JSON check.
  if (is_recording(in.data(), in.size())) {
    in.prefault();
    return read_recording_bytes(in.data(), in.size(), path);
  }

  size_t i = 0;
  while (i < in.size() && (in.data()[i] == ' ' || in.data()[i] == '\n' || in.data()[i] == '\r' ||
                           in.data()[i] == '\t'))
    ++i;
  if (i == in.size()) throw InputError(path, 0, "empty input: not a trace");
  const char first = in.data()[i];
  if (first != '{' && first != '[')
    throw InputError(path, static_cast<int64_t>(i),
                     "unknown format: expected a Kineto JSON trace (plain or gzip) or an infertrace recording");

  t.source = TraceSource::Kineto;
  kineto::ReadOptions ro;
  ro.chunk_bytes = opts.chunk_bytes;
  ro.kernel = opts.parser_kernel;
  ro.direct_scan = opts.direct_scan;
  ro.release_input = in.file_backed();
  ro.decompressed = in.was_gzip();
  kineto::read_kineto(in.mutable_data(), in.size(), path, ro, t);
  if (in.was_gzip()) t.meta["compressed"] = "gzip";
  return t;
}

}  // namespace infertrace
