// A JSON value from a user's file, quoted in a message or a table cell. nlohmann's dump() recurses
// once per nesting level, so dumping an array nested 100,000 deep (a few hundred KB of input)
// overflows the stack: containers are described, never dumped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace infertrace {

// Scalars as JSON text (strings quoted); arrays as "[N items]", objects as "{N keys}".
std::string json_brief(const nlohmann::json& v);

}  // namespace infertrace
