// A result document as the text a verb prints or writes. Every string that reaches a document is
// meant to be valid UTF-8 already: names are cut between characters (util/utf8_cut.h), file names
// and labels from the command line are cleaned (util/text_clean.h). This is the safety net: should
// an invalid byte still slip through, nlohmann writes U+FFFD in its place (error_handler_t::replace)
// instead of throwing type_error 316 and losing the whole output (review CX M1).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace infertrace {

inline std::string result_json_text(const nlohmann::json& j, int indent = 2) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace infertrace
