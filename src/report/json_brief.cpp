#include "report/json_brief.h"

namespace infertrace {

std::string json_brief(const nlohmann::json& v) {
  if (v.is_array()) return "[" + std::to_string(v.size()) + (v.size() == 1 ? " item]" : " items]");
  if (v.is_object()) return "{" + std::to_string(v.size()) + (v.size() == 1 ? " key}" : " keys}");
  return v.dump();  // a scalar: no recursion
}

}  // namespace infertrace
