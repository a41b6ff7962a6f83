// A JSON string whose escapes simdjson 3.0 refuses although RFC 8259's grammar allows them: an
// unpaired UTF-16 surrogate escape ("\ud800" alone, or a low "\udc00" with no high one before it).
// Python's json.dump writes exactly that for a str holding a lone surrogate (an os.fsdecode'd
// file name that is not UTF-8, in a record_function label): one such name made the whole trace
// unreadable (review CX L11). The reader undoes the escapes itself then, each unpaired surrogate
// becoming U+FFFD (the replacement character), and counts the string (docs/ingest.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace infertrace::kineto {

// `raw`: a string's text between its quotes, escapes not undone (already checked by the parser's
// first stage: valid UTF-8, no raw control character). Writes the text to `out` and the number of
// unpaired surrogate escapes read as U+FFFD to `replaced`; false (out unspecified) when the text
// holds something JSON does not allow (an unknown escape, a \u without four hex digits, a lone
// backslash at the end).
bool unescape_json_string(std::string_view raw, std::string& out, size_t& replaced);

}  // namespace infertrace::kineto
