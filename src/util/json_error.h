// nlohmann::json's exception text in the project's words: without its "[json.exception.parse_error.101] "
// tag, which named the library's internals in user-facing errors (review CA L11). What follows the tag
// says where and why ("parse error at line 1, column 1: syntax error while parsing value - unexpected
// end of input; ..."), and the callers give the byte offset in their InputError.
#pragma once

#include <string>

namespace infertrace {

inline std::string json_error_text(const std::string& what) {
  if (what.rfind("[json.exception.", 0) == 0)
    if (const size_t tag = what.find("] "); tag != std::string::npos) return what.substr(tag + 2);
  return what;
}

}  // namespace infertrace
