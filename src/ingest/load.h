// Entry point for reading any supported input into a Trace: Kineto JSON (plain or .gz) or an
// infertrace recording (.itrace). The format is recognised from the content, not the file name.
#pragma once

#include <cstddef>
#include <string>

#include "ingest/input_buffer.h"
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

// The bytes load_trace(path) reads (gzip inflated), with a stream's first bytes checked as it
// checks them (an endless stream of something that is no trace is refused at once).
InputBuffer read_trace_input(const std::string& path);
// load_trace() on bytes read_trace_input() read already: for an input that can be read only once
// (input_read_only_once: a pipe, a FIFO, /dev/stdin) and that a caller looked into first (report and
// compare tell a saved result from a trace; review S41 L4: the loader reopened the pipe and found
// only what the look had left). A regular file is better given to load_trace(path), which maps it.
Trace load_trace(InputBuffer in, const std::string& path, const LoadOptions& opts = {});

}  // namespace infertrace
