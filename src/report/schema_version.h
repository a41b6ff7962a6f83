// A saved document's `schema_version`, as every reader of one checks it (`report`, `compare`,
// `export --attach`): absent (a document saved before the key, or written by hand) is read as the
// first version; a whole number of at least 1 is a version; anything else ("abc", null, 0, -1, 1.5)
// is refused, as no infertrace writes it (review HR L1: taken silently). A version above the newest
// this build writes is read as far as it can be, under a note saying so.
#pragma once

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "report/json_brief.h"

namespace infertrace {

// The newest schema_version any verb of this build writes (analyze_json.h's kAnalyzeSchemaVersion
// is checked against it where both are seen: html_doc_sections.cpp).
inline constexpr int kNewestSchemaVersion = 1;

// Why the document's schema_version cannot be read ("" when it can, or has none).
inline std::string schema_version_problem(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains("schema_version")) return "";
  const nlohmann::json& v = doc["schema_version"];
  if (v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= 1 && std::floor(v.get<double>()) == v.get<double>())
    return "";
  return "\"schema_version\" is " + json_brief(v) + ", not a version (a whole number of at least 1, as infertrace writes it)";
}

// The note for a document written by a later infertrace ("" otherwise), the same words in every
// verb that reads one.
inline std::string later_schema_note(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains("schema_version") || !schema_version_problem(doc).empty()) return "";
  const nlohmann::json& v = doc["schema_version"];
  if (!(v.get<double>() > kNewestSchemaVersion)) return "";
  return "written by a later infertrace (schema_version " + json_brief(v) + "; this one writes " +
         std::to_string(kNewestSchemaVersion) +
         "): figures it added show under their own names, and one whose meaning changed may read wrongly here";
}

}  // namespace infertrace
