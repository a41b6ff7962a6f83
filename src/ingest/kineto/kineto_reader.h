// Reads a Kineto (PyTorch profiler) JSON document into a Trace with simdjson's on-demand API.
//
// simdjson parses one document of at most 4 GB, and its index costs memory in proportion to the
// document, so a large document is read in pieces: the traceEvents array is cut between two
// events (at a "}" "," "{" sequence) and each piece is parsed as a document of its own, wrapped so
// that it is valid JSON by itself:
//   first piece   <document start ... last event>]}      (an object whose last key is traceEvents)
//   middle piece  [<events>]
//   last piece    {"traceEvents":[<events>] ... rest of the document}
// Cut points are found by a fast look-ahead that ignores strings and nesting; a cut in the wrong
// place (inside a string, inside an event) always makes a piece invalid or breaks the checks on
// the first and last piece, and then the whole document is read again with cut points from an
// exact scan that tracks strings and nesting.
#pragma once

#include <cstddef>
#include <string>

#include "ingest/kineto/parser_kernel.h"
#include "trace/trace.h"

namespace infertrace::kineto {

struct ReadOptions {
  // Piece size; 0 = read documents up to kWholeDocumentMax whole, larger ones in two kEdgePiece
  // pieces and middle pieces of kDefaultPiece (one middle piece when the document is smaller).
  size_t chunk_bytes = 0;
  // The document was decompressed: byte offsets in messages are in the decompressed JSON.
  bool decompressed = false;
  // Which compiled copy of the parser runs (tests compare them; Auto everywhere else).
  ParserKernel kernel = ParserKernel::Auto;
  // Middle pieces go through the direct event scan first (event_scan_impl.h); off: on-demand only
  // (tests compare the two).
  bool direct_scan = true;
  // `data` is a private mapping of the file (InputBuffer::file_backed()), not yet mapped in: each
  // piece's pages are mapped in (MADV_POPULATE_READ) just before it is read and dropped
  // (MADV_DONTNEED) after, so peak memory holds about one piece of the input, not all of it.
  bool release_input = false;
};

// Documents up to this size are read whole by the on-demand parser; larger ones in pieces: two
// edge pieces (kEdgePiece) and middle pieces of up to kDefaultPiece, read by the direct event scan.
inline constexpr size_t kWholeDocumentMax = size_t(256) << 10;
inline constexpr size_t kDefaultPiece = size_t(4) << 20;
// First and last pieces at the default piece size: small, since only middle pieces are read by the
// direct event scan (event_scan_impl.h).
inline constexpr size_t kEdgePiece = size_t(64) << 10;
inline constexpr size_t kMaxDocument = size_t(0xFFFFFFFF) - 1024;  // simdjson's per-document limit

// `data` holds `size` bytes followed by at least 64 readable bytes. Throws InputError.
// meta["ingest.parser"] names the simdjson on-demand kernel that read it ("haswell", "fallback").
// A document read in pieces is parsed where it lies: the comma before and after each middle piece
// is overwritten with '[' and ']' while that piece is parsed, and put back before the next one
// (also when reading fails), so `data` must be writable and is unchanged on return.
void read_kineto(char* data, size_t size, const std::string& file, const ReadOptions& opts,
                 Trace& out);

}  // namespace infertrace::kineto
