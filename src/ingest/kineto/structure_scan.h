// Byte-level scans of a JSON text that the on-demand parser does not do for us: cut points between
// trace events for reading a document in pieces, and the exact offset of an encoding error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace infertrace::kineto {

// Comma offsets between events, about `chunk` bytes apart, found by looking for "}" "," "{"
// (whitespace allowed) near each target without tracking strings or nesting: fast, usually right,
// and checked by parsing (see kineto_reader.h). With 0 < `edge` < `chunk` the first and the last
// piece are only about `edge` bytes: they hold the document around the traceEvents array and are
// read by the on-demand reader, while middle pieces go through the direct event scan first.
// `searched`, when given, is told the byte range [from, to) that each search read, right after it
// (the reader unmaps those pages again: see kineto_reader.cpp).
std::vector<size_t> quick_cuts(const char* data, size_t size, size_t chunk, size_t edge = 0,
                               const std::function<void(size_t from, size_t to)>& searched = {});

struct ExactCuts {
  std::vector<size_t> cuts;  // commas between elements of the traceEvents array
  bool well_formed = true;   // brackets balance and every string closes
  int64_t error_offset = -1;
};

// Tracks strings and nesting over the whole text; cuts only between elements of the top-level
// traceEvents array (object form) or of the top-level array (array form).
ExactCuts exact_cuts(const char* data, size_t size, size_t chunk, bool object_form);

// Offset of the first byte that is not valid UTF-8 (size when all valid).
size_t first_invalid_utf8(const unsigned char* p, size_t n);
// Offset of the first byte < 0x20 inside a string (size when none).
size_t first_unescaped_control(const unsigned char* p, size_t n);
// Offset of the first byte that is not white space after the top-level object or array that the
// text starts with, once its brackets close (strings and escapes skipped); n when they never close
// or only white space follows. Only for an error message: simdjson calls a document followed by
// more text "incomplete", which read as a truncated file (review CX L1).
size_t content_after_document(const unsigned char* p, size_t n);

}  // namespace infertrace::kineto
