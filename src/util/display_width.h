// How many terminal columns text takes, for the text tables' padding and cuts. Counting characters
// (util/utf8_cut.h) misaligns a table as soon as a name holds a character a terminal shows in two
// columns (CJK ideographs, kana, Hangul, fullwidth forms, emoji) or in none (combining marks such as
// U+0301, variation selectors, the zero width joiner).
//
// A code point's width: 0 for general category Mn, Me and Cf and for U+2028 and U+2029 (Zl, Zp: a
// terminal prints nothing for them); 2 for East_Asian_Width W and F; 1 otherwise, the ambiguous ones
// (A) included, as a terminal outside a CJK locale shows them. The
// ranges are generated from the Unicode Character Database (display_width_table.h,
// scripts/gen_display_width.py). A sequence such as an emoji ZWJ sequence or a flag measures as the
// sum of its code points: terminals differ in how they join them.
//
// The text is taken as it reaches a table: valid UTF-8 without control characters (util/text_clean.h
// replaces both). Should one come anyway, a control character counts 1 column and so does each
// malformed sequence (a lead byte without the continuation bytes it needs, continuation bytes
// alone, an overlong form, a surrogate): a cut still never ends inside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace infertrace {

// Columns of code point `cp`: 0, 1 or 2 (1 for every code point below U+0080).
int codepoint_width(uint32_t cp);

// Columns of `s`. ASCII bytes count 1 each without a table look-up.
size_t display_width(std::string_view s);

// Byte length of the longest start of `s` that fits in `max_cols` columns, with the zero-width
// characters that follow its last character (a combining mark stays with its base; a zero width
// joiner whose next character does not fit is left out), and that start's columns in `*cols` when
// given. A wide character that would straddle `max_cols` is left out whole: `*cols` is then
// `max_cols - 1`.
size_t display_prefix_bytes(std::string_view s, size_t max_cols, size_t* cols = nullptr);

// `s` when it fits in `max_cols` columns; otherwise its start that fits in `max_cols - 3` columns,
// a space where a wide character did not fit, and "...": exactly `max_cols` columns. With
// `max_cols` 3 or less, `s` is returned whole.
std::string display_shorten(std::string_view s, size_t max_cols);

// `s` followed by spaces up to `cols` columns (`s` alone when it is as wide or wider).
std::string display_pad_right(std::string_view s, size_t cols);

}  // namespace infertrace
