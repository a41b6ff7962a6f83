// Entry point for reading any supported input into a Trace: Kineto JSON (plain or .gz) or an
// infertrace recording (.itrace). The format is recognised from the content, not the file name.
#pragma once

#include <cstddef>
#include <string>

#include "ingest/kineto/parser_kernel.h"
#include "trace/trace.h"

namespace infertrace {

struct LoadOptions {
  // Kineto: parse the traceEvents array in pieces of about this many bytes (0 = whole document
  // when it fits simdjson's 4 GB limit). Tests set it small to exercise the >4 GB path.
  size_t chunk_bytes = 0;
  // Kineto: which compiled copy of the JSON parser runs (Auto: the best this CPU runs).
  kineto::ParserKernel parser_kernel = kineto::ParserKernel::Auto;
  // Kineto: read the usual event shape with the direct scan (kineto/event_scan_impl.h); off = simdjson
  // on-demand for every event (tests and benchmarks compare the two).
  bool direct_scan = true;
};

// Throws InputError (file + byte offset) on input it cannot read; events it can read but not use
// are counted in Trace::skipped.
Trace load_trace(const std::string& path, const LoadOptions& opts = {});

}  // namespace infertrace
