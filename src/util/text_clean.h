// Names read from binary inputs (thread names in a recording, GGUF strings) are arbitrary bytes:
// Linux lets a thread call itself anything, and a damaged file holds anything. Before such a name
// reaches a terminal, a JSON document or an HTML page, bytes that are not valid UTF-8 and control
// characters (which could move the cursor or clear the screen) are replaced with '?'.
#pragma once

#include <string>
#include <string_view>

namespace infertrace {

// `in` with every byte of an invalid UTF-8 sequence and every control character (U+0000-U+001F,
// U+007F, and the C1 controls U+0080-U+009F, each byte) replaced with '?'; other valid multi-byte
// characters are kept. `changed` says whether any was.
std::string clean_text(std::string_view in, bool& changed);
// The same when whether anything changed does not matter: a file name or a label from the command
// line (Linux file names are bytes) made fit for JSON, HTML and SQLite text.
inline std::string clean_text(std::string_view in) {
  bool changed = false;
  return clean_text(in, changed);
}

// The same for at most the first `max_chars` characters of `in` (a valid sequence or a replaced
// byte is one character): a quote of bad input in an error message never ends inside a character.
std::string clean_text_prefix(std::string_view in, size_t max_chars, bool& changed);

// `in` for an error message that quotes bytes from a file (a GGUF string value): every byte that
// clean_text would replace is written \xNN instead (a NUL \x00, so the message no longer ends at
// it: what() is a C string), and a backslash \\, so the quote says exactly which bytes were there.
std::string escaped_text(std::string_view in);

// A whole message for the terminal: the bytes escaped_text would write \xNN written so, line feeds
// kept, backslashes left as they are (parts already escaped stay as they were). The last guard of
// the one error line: a path or word quoted raw somewhere (`infertrace analyze $'\x1b[2J'`) can
// no longer clear the terminal or send it a control sequence.
std::string terminal_safe_message(std::string_view in);

}  // namespace infertrace
