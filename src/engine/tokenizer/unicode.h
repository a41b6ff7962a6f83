// The little Unicode the tokenizers need: UTF-8 decoding that survives invalid bytes, the
// character classes of the pre-tokenizer patterns (\p{L}, \p{N}, \p{P}, \s) and GPT-2's
// byte<->unicode table. The classes are the Unicode general categories L, N, P and the
// White_Space property, from range tables generated out of the Unicode Character Database
// (unicode_tables.h, scripts/gen_unicode_tables.py); combining marks (M), symbols (S) and
// unassigned code points are none of them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace infertrace::engine::unicode {

struct CodePoint {
  uint32_t cp;      // 0xFFFD for an invalid byte
  uint32_t offset;  // byte offset in the text
  uint32_t len;     // bytes (1 for an invalid byte)
};

// Splits UTF-8 into code points; an invalid or truncated sequence yields one 0xFFFD per byte.
std::vector<CodePoint> decode_utf8(std::string_view text);
// Length of the UTF-8 sequence starting with byte `c` (1 for continuation/invalid bytes).
size_t utf8_len(unsigned char c);
std::string encode_utf8(uint32_t cp);

bool is_letter(uint32_t cp);
bool is_number(uint32_t cp);
bool is_punctuation(uint32_t cp);  // general category P (ASCII included)
bool is_space(uint32_t cp);         // White_Space

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the other 68 to U+0100.. in order.
uint32_t byte_to_cp(uint8_t b);
// Inverse; -1 when the code point is not in the table.
int cp_to_byte(uint32_t cp);

}  // namespace infertrace::engine::unicode
