// For the tests of a --json writer's label list (report/json_columns.h): the keys its rows hold
// against the keys its list labels, so that a key added to the writer without a label, or a label
// left behind by a removed key, fails the writer's own test.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "report/json_columns.h"

namespace infertrace::label_check {

// "KEY" for a scalar member of a row, "OBJECT.KEY" for a scalar member of the row's object OBJECT
// when OBJECT is in `nested`. Other objects and arrays (a table shows neither) are not keys here.
inline std::set<std::string> row_keys(const nlohmann::json& rows, const std::vector<std::string>& nested = {}) {
  std::set<std::string> keys;
  for (const auto& row : rows)
    for (const auto& [k, v] : row.items()) {
      if (!v.is_structured()) keys.insert(k);
      bool listed = false;
      for (const std::string& n : nested) listed |= n == k;
      if (listed && v.is_object())
        for (const auto& [m, w] : v.items())
          if (!w.is_structured()) keys.insert(k + "." + m);
    }
  return keys;
}

// The same spelling for the columns of a label list; and every label, to check they are distinct.
inline std::set<std::string> column_keys(const std::vector<JsonColumn>& cols) {
  std::set<std::string> keys;
  for (const JsonColumn& c : cols) keys.insert(c.within ? std::string(c.within) + "." + c.key : std::string(c.key));
  return keys;
}

inline size_t distinct_labels(const std::vector<JsonColumn>& cols) {
  std::set<std::string> labels;
  for (const JsonColumn& c : cols) labels.insert(c.label);
  return labels.size();
}

}  // namespace infertrace::label_check
