// Cutting text for display without splitting a UTF-8 character. A byte-wise cut
// (`s.substr(0, n - 3) + "..."`) can end inside a multi-byte character: the text is then invalid
// UTF-8, which nlohmann::json refuses to dump (type_error 316, the whole document lost), a terminal
// shows as U+FFFD and an HTML page carries as a broken byte (review CX M1).
//
// A "character" here is a byte that does not continue a sequence (not 0x80-0xBF) together with the
// continuation bytes after it: for valid UTF-8 that is one code point. Text tables pad and cut by
// terminal columns instead (util/display_width.h: a CJK character takes two, a combining mark none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace infertrace {

// Whether `c` continues a UTF-8 sequence (0x80-0xBF): a cut must not fall before it.
inline bool utf8_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Byte length of the first `max_chars` characters of `s` (all of `s` when it has no more): a cut
// there never ends inside a character.
size_t utf8_prefix_bytes(std::string_view s, size_t max_chars);

// `s` cut to at most `max_bytes` bytes (more than 3) when longer: its start and end around "...",
// each cut at a UTF-8 character boundary. In util (it was the report page's) so that compare's
// notes cut kernel names with it too (review WD56 M2).
std::string middle_ellipsis(const std::string& s, size_t max_bytes);

// Appends code point `cp` (at most 0x10FFFF) to `out` as UTF-8: the JSON reader's \u escapes and the
// tokenizer's byte-level alphabet write through this one encoder.
void append_utf8(uint32_t cp, std::string& out);

}  // namespace infertrace
