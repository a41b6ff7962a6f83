// Reading the HTML report in unit tests as a reader sees it: one section's text with the tags
// dropped and entities decoded, table rows as runs of cells, and the JSON keys a page must not show.
#pragma once

#include <nlohmann/json.hpp>

#include "report/html_report.h"

#include <initializer_list>
#include <regex>
#include <string>
#include <vector>

namespace infertrace::html_text {

// The text of the section with id `id` ("doc-0", "trace-0"): tags dropped, spaces collapsed; ""
// when the page has no such section.
inline std::string section_text(const std::string& page, const std::string& id) {
  const size_t b = page.find("<section id=\"" + id + "\"");
  if (b == std::string::npos) return "";
  const size_t e = page.find("</section>", b);
  std::string text = std::regex_replace(page.substr(b, e - b), std::regex("<[^>]*>"), " ");
  text = std::regex_replace(text, std::regex("&gt;"), ">");
  text = std::regex_replace(text, std::regex("&lt;"), "<");
  text = std::regex_replace(text, std::regex("&#39;|&apos;"), "'");
  text = std::regex_replace(text, std::regex("&quot;"), "\"");
  text = std::regex_replace(text, std::regex("&amp;"), "&");
  return std::regex_replace(text, std::regex("\\s+"), " ");
}

inline bool has(const std::string& text, const std::string& s) { return text.find(s) != std::string::npos; }

// The text of a report made of one saved --json document, `doc` (its section "doc-0").
inline std::string doc_page(const nlohmann::json& doc, const std::string& label = "doc.json") {
  html::ReportInputs in;
  in.docs.push_back({label, doc});
  return section_text(html::render_report(in), "doc-0");
}

// A table row's cells as section_text renders them, for a substring check.
inline std::string row(std::initializer_list<std::string> cells) {
  std::string s;
  for (auto& c : cells) s += " " + c;
  return s + " ";
}

// Every key of a document (at any depth) that is a machine name (has an underscore).
inline void snake_keys(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_object())
    for (auto& [k, v] : j.items()) {
      if (k.find('_') != std::string::npos) out.push_back(k);
      snake_keys(v, out);
    }
  else if (j.is_array())
    for (auto& v : j) snake_keys(v, out);
}

}  // namespace infertrace::html_text
