// An id written as a JSON string ("correlation": "7", "pid": "439"), read the same way by both
// Kineto readers: the direct event scan (event_scan_impl.h) and the on-demand reader
// (piece_reader_impl.h). The rule (docs/ingest.md, "Ids written as strings"): the text between the
// quotes, as it stands in the file, is a digit string when it is exactly -?[0-9]+. Nothing else
// is an id: no spaces on either side, no '+', no fraction or exponent, no escapes (a checker that
// reads "\u0037" as 7 must unescape first; Kineto never writes one, and a reader that took it would
// have to unescape in the scan too). Leading zeros are allowed ("007" is 7): nothing in Kineto
// writes them, and a string is not a JSON number, so JSON's ban on them does not apply.
#pragma once

#include <cstdint>
#include <string_view>

#include "ingest/kineto/event_sink.h"
#include "ingest/kineto/json_number.h"

namespace infertrace::kineto {

// `raw`: the text between the quotes, escapes not undone. Ok (the value in `out`) for a digit
// string that fits int64, OutOfRange for one that does not (as the same digits written as a
// number), Invalid for any other text (`out` then untouched).
NumStatus parse_digit_string(std::string_view raw, int64_t& out);

// Sets `out` from a string id's raw text. A digit string is its value (Ok) or OutOfRange. Any
// other text is a wrong type (BadType, v = -1), except in a `named` field (pid, tid): there a
// non-empty text without escapes is a name (IntField::set_name), and the empty string is no pid
// or tid at all (Missing, as Kineto writes "" for its "Record Window End" instant).
void read_string_id(std::string_view raw, IntField& out, bool named);

}  // namespace infertrace::kineto
