// A reader for the usual shape of Kineto's trace events that scans the JSON text directly, without
// simdjson's structural index and on-demand iteration (docs/ingest.md, "Direct event scan").
//
// It takes a middle piece of the traceEvents array ("[" event "," event ... "]", see
// kineto_reader.h) and reads events into the sink for as long as each one is in the shape it
// knows: an object whose keys and strings have no escapes, whose values are strings, JSON numbers,
// literals, or arrays and objects of those (nested at most a few levels). It checks the JSON grammar
// of everything it takes (UTF-8 by simdjson::validate_utf8, for strings with non-ASCII bytes) and fills
// exactly the RawEvent that the on-demand reader (piece_reader_impl.h) fills for the same text.
// At the first event it does not take (an escape, a control character, an element that is not an
// object, malformed JSON, anything else) it stops and says where; the on-demand reader reads that
// event (or, when it fails there, the rest of the piece) and the scan goes on after it: that reader
// alone decides on unusual input, so its results and error messages are what they were. An event is passed to the sink only after the separator behind it
// ("," or the final "]") was checked, so the rest always starts at a separator.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ingest/kineto/event_sink.h"

namespace infertrace::kineto {

// `piece[0, len)` is "[" ... "]" followed by at least 64 readable bytes; `origin` is the offset
// of piece[0] in the input (for RawEvent::offset). Reads the events after the separator at offset
// `from` ('[' at 0, or a ','). Returns `len` when every event to the piece's end went to the sink,
// else the offset in the piece of the separator ('[' or ',') before the first event left to the
// on-demand reader.
size_t scan_event_piece(const char* piece, size_t len, size_t from, int64_t origin, EventSink& sink);

// The offset of the ',' after the element that follows the separator at `sep`, found by matching
// brackets outside strings (no other check: the on-demand reader parses the element), or 0 when
// that element is not an object followed by a ',' inside the piece (the last element, unbalanced
// brackets, an unclosed string). Lets the reader hand a single unusual event to the on-demand
// reader and go on scanning after it.
size_t next_separator(const char* piece, size_t len, size_t sep);

}  // namespace infertrace::kineto
